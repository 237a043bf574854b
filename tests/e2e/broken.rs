//! The broken-input corpus (`tests/broken/`): every file holds one mistake a user makes, and
//! `tests/broken/expected.txt` says what `courier validate` must report for it — the message
//! and the exact `file:line:col`. Each file is checked alone, then the whole corpus at once,
//! where every problem must be listed in one run.

use std::path::Path;

use crate::support;

/// `collections/x.yaml:3:5: message` lines.
fn expected() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(support::root().join("tests/broken/expected.txt"))
        .expect("expected.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (loc, msg) = l.split_once(": ").expect("`file:line:col: message`");
            (loc.to_owned(), msg.to_owned())
        })
        .collect()
}

/// The expected diagnostics grouped by file, in file order: most files hold one mistake, some
/// several, which must all be reported in one run.
fn by_file() -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for (loc, msg) in expected() {
        let file = loc.split(':').next().expect("a path").to_owned();
        match out.last_mut() {
            Some((f, items)) if *f == file => items.push((loc, msg)),
            _ => out.push((file, vec![(loc, msg)])),
        }
    }
    out
}

/// Whether `stderr` holds the diagnostic `error: msg` pointing at `loc`.
fn reports(stderr: &str, loc: &str, msg: &str) -> bool {
    let lines: Vec<&str> = stderr.lines().collect();
    lines
        .windows(2)
        .any(|w| w[0] == format!("error: {msg}") && w[1].trim_start() == format!("--> {loc}"))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// The number of files in a folder of the corpus.
pub(crate) fn files_in(folder: &str) -> usize {
    std::fs::read_dir(support::root().join("tests/broken").join(folder))
        .expect("a corpus folder")
        .count()
}

#[test]
fn every_broken_input_has_its_expected_diagnostics() {
    let files = files_in("collections") + files_in("environments");
    assert_eq!(
        by_file().len(),
        files,
        "every broken input has its expected diagnostics"
    );
    assert_eq!(data_expected().len(), files_in("data"));
}

/// `file: message` lines of `tests/broken/data-expected.txt`.
fn data_expected() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(support::root().join("tests/broken/data-expected.txt"))
        .expect("data-expected.txt");
    text.lines()
        .map(|l| {
            let (file, msg) = l.split_once(": ").expect("`file: message`");
            (file.to_owned(), msg.to_owned())
        })
        .collect()
}

/// Each broken data file, named by a collection's `data:`: `validate` reports it at that key,
/// with exit 2.
#[test]
fn each_broken_data_file() {
    let mut failures = Vec::new();
    for (file, msg) in data_expected() {
        let tmp = tempfile::tempdir().expect("tmp");
        let source =
            std::fs::read(support::root().join("tests/broken/data").join(&file)).expect("read");
        std::fs::create_dir_all(tmp.path().join("collections")).expect("mkdir");
        std::fs::write(tmp.path().join("collections").join(&file), source).expect("write");
        write(
            &tmp.path().join("collections/c.yaml"),
            &format!(
                "name: d\ndata: {file}\nrequests:\n  - name: a\n    url: http://127.0.0.1:9/\n"
            ),
        );
        let out = support::run(tmp.path(), &["validate", "collections", "--env", "local"]);
        let (code, stdout, stderr) = support::parts(&out);
        let count = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        if code != 2 || count != 1 || !reports(&stderr, "collections/c.yaml:2:7", &msg) {
            failures.push(format!("{file}: {msg}\n  exit {code}\n{stdout}{stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A regex too big to compile says how to make it smaller, not how regexes are written.
#[test]
fn a_regex_too_big_says_how_to_shrink_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let source = std::fs::read_to_string(
        support::root().join("tests/broken/collections/regex-too-big.yaml"),
    )
    .expect("read");
    write(&tmp.path().join("collections/big.yaml"), &source);
    let out = support::run(tmp.path(), &["validate", "collections", "--env", "local"]);
    let (code, _, stderr) = support::parts(&out);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("= help: repeat less, or use ASCII classes such as `[0-9]`"),
        "{stderr}"
    );
}

#[test]
fn each_broken_file_alone() {
    let corpus = support::root().join("tests/broken");
    let mut failures = Vec::new();
    for (file, items) in by_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        let source = std::fs::read_to_string(corpus.join(&file)).expect("read");
        write(&tmp.path().join(&file), &source);
        let out = if file.starts_with("environments/") {
            write(
                &tmp.path().join("collections/ok.yaml"),
                "name: ok\nrequests:\n  - name: a\n    url: http://127.0.0.1:9/\n",
            );
            support::run(tmp.path(), &["validate", "collections"])
        } else {
            support::run(tmp.path(), &["validate", "collections", "--env", "local"])
        };
        let (code, stdout, stderr) = support::parts(&out);
        for (loc, msg) in &items {
            if code != 2 || !reports(&stderr, loc, msg) {
                failures.push(format!(
                    "{loc}: {msg}\n  exit {code}\n  stdout: {stdout}\n  stderr: {stderr}"
                ));
            }
        }
        // Only this file's problems are reported.
        let count = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        if count != items.len() {
            failures.push(format!(
                "{file}: expected {} problem(s), got {count}:\n{stderr}",
                items.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_whole_corpus_in_one_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    support::copy_dir(&support::root().join("tests/broken"), tmp.path());
    let out = support::run(tmp.path(), &["validate", "collections", "--env", "local"]);
    let (code, _, stderr) = support::parts(&out);
    assert_eq!(code, 2);
    let missing: Vec<String> = expected()
        .into_iter()
        .filter(|(loc, msg)| !reports(&stderr, loc, msg))
        .map(|(loc, msg)| format!("{loc}: {msg}"))
        .collect();
    assert!(
        missing.is_empty(),
        "not reported:\n{}\n\nstderr:\n{stderr}",
        missing.join("\n")
    );
    let n = expected().len();
    assert!(stderr.contains(&format!("{n} problems found")), "{stderr}");
    // The snippet and caret come with every problem.
    assert!(
        stderr.contains("5 |     expcet: { status: 200 }\n  |     ^^^^^^"),
        "{stderr}"
    );
}

#[test]
fn errors_without_a_position_exit_2() {
    let tmp = support::workspace(&[(
        "collections/a.yaml",
        "name: a\nrequests:\n  - name: r\n    url: http://127.0.0.1:9/\n",
    )]);
    let (code, _, stderr) =
        support::parts(&support::run(tmp.path(), &["validate", "--env", "nowhere"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: unknown environment `nowhere`"),
        "{stderr}"
    );
    assert!(stderr.contains("local (built-in)"), "{stderr}");
    // Environments are listed by name, `local` first.
    for name in ["zeta", "alpha"] {
        write(
            &tmp.path().join(format!("environments/{name}.yaml")),
            &format!(
                "name: {name}\nscope: non-production\nvars: {{ base_url: http://127.0.0.1:9 }}\n"
            ),
        );
    }
    let (_, _, stderr) =
        support::parts(&support::run(tmp.path(), &["validate", "--env", "nowhere"]));
    assert!(
        stderr.contains("local (built-in), alpha, local-production (built-in), zeta"),
        "{stderr}"
    );
    let (code, _, stderr) =
        support::parts(&support::run(tmp.path(), &["validate", "--frobnicate"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unexpected argument '--frobnicate'"),
        "{stderr}"
    );
    let (code, _, stderr) =
        support::parts(&support::run(tmp.path(), &["validate", "missing-folder"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`missing-folder` does not exist"),
        "{stderr}"
    );
    let (code, _, stderr) = support::parts(&support::run(
        tmp.path(),
        &["run", "collections", "--env", "local", "--var", "1x=2"],
    ));
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a valid variable name"), "{stderr}");
}

#[test]
fn valid_examples_validate_clean() {
    let repo = support::examples();
    let out = support::courier(repo.path())
        .args(["validate", "collections", "--env", "local"])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = support::parts(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("no problems found"), "{stdout}");
    let out = support::courier(repo.path())
        .args(["validate"])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = support::parts(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("variables expected from an environment:\n  base_url"),
        "{stdout}"
    );
}

/// Each problem in `stderr`: its message, its `file:line:col` and the text its carets
/// underline (read back from the snippet line above them).
fn underlined(stderr: &str) -> Vec<(String, String, String)> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(msg) = line.strip_prefix("error: ") else {
            continue;
        };
        let Some(loc) = lines
            .get(i + 1)
            .and_then(|l| l.trim_start().strip_prefix("--> "))
        else {
            continue;
        };
        let (Some(code), Some(carets)) = (lines.get(i + 3), lines.get(i + 4)) else {
            continue;
        };
        // `12 |     text` above `   |     ^^^^`: columns line up after the `|`.
        let (Some(bar), Some(cbar)) = (code.find('|'), carets.find('|')) else {
            continue;
        };
        let code: Vec<char> = code[bar + 1..].chars().collect();
        let carets: Vec<char> = carets[cbar + 1..].chars().collect();
        let from = carets
            .iter()
            .position(|c| *c == '^')
            .unwrap_or(carets.len());
        let to = carets
            .iter()
            .rposition(|c| *c == '^')
            .map_or(from, |p| p + 1);
        let text: String = code
            .get(from..to.min(code.len()))
            .unwrap_or_default()
            .iter()
            .collect();
        out.push((msg.to_owned(), loc.to_owned(), text));
    }
    out
}

/// Every caret of the corpus that names a piece of text (a key, a variable, a function, a
/// JSONPath) sits exactly under that text: the first name in backquotes of the message.
#[test]
fn carets_sit_on_the_text_they_name() {
    const NAMING: [&str; 6] = [
        "unknown key `",
        "unknown filter `",
        "duplicate key `",
        "undefined variable `",
        "unknown function `",
        "bad JSONPath `",
    ];
    let tmp = tempfile::tempdir().expect("tmp");
    support::copy_dir(&support::root().join("tests/broken"), tmp.path());
    let out = support::run(tmp.path(), &["validate", "collections", "--env", "local"]);
    let (_, _, stderr) = support::parts(&out);
    let problems = underlined(&stderr);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (msg, loc, text) in &problems {
        let Some(prefix) = NAMING.iter().find(|p| msg.starts_with(**p)) else {
            continue;
        };
        let rest = &msg[prefix.len()..];
        // A JSONPath may hold a backquote-free `: `; the name ends at the first backquote.
        let name = &rest[..rest.find('`').expect("a closing backquote")];
        checked += 1;
        // A JSONPath with a character at fault is underlined at that character alone
        // (an unfinished one, whole).
        let at_fault = prefix.starts_with("bad JSONPath")
            && text.chars().count() == 1
            && name.contains(text.as_str());
        if text != name && !at_fault {
            wrong.push(format!(
                "{loc}: {msg}\n  underlined `{text}`, names `{name}`"
            ));
        }
    }
    assert!(checked >= 8, "{checked} naming carets checked:\n{stderr}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_secret_pasted_where_its_variable_s_name_belongs_is_not_echoed() {
    // (file, a message it must give, the location, the value in the file that must not show)
    let cases = [
        (
            "secret-value-not-a-name",
            "`client_secret` is not the name of an environment variable",
            "5:18",
            "s3cr3t",
        ),
        // A misspelt key of an auth profile: its value is likely the credential.
        (
            "basic-unknown-key",
            "unknown key `pasword` in an auth profile, did you mean `password`?",
            "6:5",
            "hunter2-in-the-file",
        ),
    ];
    for (name, message, at, value) in cases {
        let tmp = tempfile::tempdir().expect("tmp");
        let file = format!("environments/{name}.yaml");
        let source = std::fs::read_to_string(support::root().join("tests/broken").join(&file))
            .expect("read");
        write(&tmp.path().join(&file), &source);
        write(
            &tmp.path().join("collections/ok.yaml"),
            "name: ok\nrequests:\n  - name: a\n    url: http://127.0.0.1:9/\n",
        );
        for args in [
            &["validate", "collections"][..],
            &["run", "collections", "--env", name][..],
        ] {
            let (code, stdout, stderr) = support::parts(&support::run(tmp.path(), args));
            assert_eq!(code, 2, "{args:?}\n{stderr}");
            assert!(stderr.contains(message), "{stderr}");
            // The location is given, the line that holds the pasted value is not.
            assert!(stderr.contains(&format!("{file}:{at}")), "{stderr}");
            for out in [&stdout, &stderr] {
                assert!(!out.contains(value), "{args:?} echoed the value:\n{out}");
            }
        }
    }
}
