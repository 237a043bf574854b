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

#[test]
fn the_corpus_is_large_enough() {
    let files = std::fs::read_dir(support::root().join("tests/broken/collections"))
        .expect("dir")
        .count()
        + std::fs::read_dir(support::root().join("tests/broken/environments"))
            .expect("dir")
            .count();
    assert!(files >= 25, "{files} broken inputs");
    assert_eq!(
        expected().len(),
        files,
        "every broken input has its expected diagnostic"
    );
}

#[test]
fn each_broken_file_alone() {
    let corpus = support::root().join("tests/broken");
    let mut failures = Vec::new();
    for (loc, msg) in expected() {
        let tmp = tempfile::tempdir().expect("tmp");
        let source = std::fs::read_to_string(corpus.join(loc.split(':').next().expect("a path")))
            .expect("read");
        let file = loc.split(':').next().expect("a path");
        write(&tmp.path().join(file), &source);
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
        if code != 2 || !reports(&stderr, &loc, &msg) {
            failures.push(format!(
                "{loc}: {msg}\n  exit {code}\n  stdout: {stdout}\n  stderr: {stderr}"
            ));
        }
        // Only this file's problem is reported.
        let count = stderr.lines().filter(|l| l.starts_with("error: ")).count();
        if count != 1 {
            failures.push(format!(
                "{loc}: expected one problem, got {count}:\n{stderr}"
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
