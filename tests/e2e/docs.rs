//! The reference under `docs/` stays current with the binary: every subcommand and long flag
//! that `courier --help` shows appears in docs/cli.md, and every key the loader accepts in a
//! collection or an environment file appears in docs/collections.md or docs/environments.md.
//! The lists come from the binary itself (its help, and the "the keys of … are" hint that
//! `validate` gives for an unknown key), never from a list written here. And every YAML
//! example of the README's "Collection format" section and of docs/collections-language.md
//! is validated, and run where it is whole (see [`yaml_examples`] for the markers).

use std::collections::BTreeSet;

use crate::support::{parts, root, run, workspace};

fn doc(name: &str) -> String {
    let path = root().join("docs").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of every inline code span (`` `…` ``) and fenced code block of a Markdown page.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut prose = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            spans.push(line.to_owned());
        } else {
            prose.push_str(line);
            prose.push('\n');
        }
    }
    spans.extend(prose.split('`').skip(1).step_by(2).map(str::to_owned));
    spans
}

/// Whether `word` appears as a whole word (letters, digits, `_` and `-` around it do not
/// count as boundaries) inside some code span of the page.
fn in_code(spans: &[String], word: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    spans.iter().any(|span| {
        span.match_indices(word).any(|(at, _)| {
            let before = span[..at].chars().next_back();
            let after = span[at + word.len()..].chars().next();
            !before.is_some_and(is_word) && !after.is_some_and(is_word)
        })
    })
}

/// The subcommands listed under `Commands:` in a help text (without `help`).
pub(crate) fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A wrapped description continues on a line indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The long flags (`--name`) of a help text's `Options:` (without `--help` and `--version`).
fn long_flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Options:"))
        .skip(1)
        // The options are indented; the text after them (examples, exit codes) is not.
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("-")
                .filter(|_| !l.starts_with("--"))
                .map_or(l, |rest| {
                    // `-k, --filter <TEXT>`: skip the short flag.
                    rest.split_once(", ").map_or(rest, |(_, long)| long)
                });
            let flag = l.strip_prefix("--")?.split([' ', '<', '=']).next()?;
            Some(format!("--{flag}"))
        })
        .filter(|f| f != "--help" && f != "--version")
        .collect()
}

pub(crate) fn help_of(args: &[&str]) -> String {
    let dir = workspace(&[]);
    let mut all = args.to_vec();
    all.push("--help");
    let (code, stdout, stderr) = parts(&run(dir.path(), &all));
    assert_eq!(
        code,
        0,
        "courier {} --help failed: {stderr}",
        args.join(" ")
    );
    stdout
}

#[test]
fn every_subcommand_and_flag_of_the_help_is_in_cli_md() {
    let cli = doc("cli.md");
    let spans = code_spans(&cli);
    let top = subcommands(&help_of(&[]));
    assert!(
        top.len() >= 7,
        "expected the subcommands of `courier --help`, found {top:?}"
    );
    let mut missing = Vec::new();
    for sub in &top {
        if !cli.contains(&format!("\n## {sub}\n")) {
            missing.push(format!("a section `## {sub}`"));
        }
        let help = help_of(&[sub]);
        let mut commands = vec![(vec![sub.clone()], help.clone())];
        for nested in subcommands(&help) {
            let nested_help = help_of(&[sub, &nested]);
            if !in_code(&spans, &format!("courier {sub} {nested}")) {
                missing.push(format!("`courier {sub} {nested}`"));
            }
            commands.push((vec![sub.clone(), nested], nested_help));
        }
        for (path, help) in commands {
            for flag in long_flags(&help) {
                if !in_code(&spans, &flag) {
                    missing.push(format!("`{flag}` of `courier {}`", path.join(" ")));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/cli.md does not mention:\n  {}",
        missing.join("\n  ")
    );
}

/// Runs `courier validate` on files whose every map holds an unknown key, and returns, for
/// each "the keys of X are: …" hint, X and its keys.
fn accepted_keys(files: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
    let dir = workspace(files);
    let (code, _, stderr) = parts(&run(dir.path(), &["validate"]));
    assert_eq!(code, 2, "the unknown keys are errors:\n{stderr}");
    stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("= help: the keys of "))
        .filter_map(|l| l.split_once(" are: "))
        .map(|(what, keys)| {
            (
                what.to_owned(),
                keys.split(", ").map(str::to_owned).collect(),
            )
        })
        .collect()
}

fn assert_documented(page: &str, keys: &[(String, Vec<String>)], expected_maps: usize) {
    assert_eq!(
        keys.len(),
        expected_maps,
        "expected a key list for each map of the test files, got {keys:?}"
    );
    let spans = code_spans(&doc(page));
    let missing: Vec<String> = keys
        .iter()
        .flat_map(|(what, keys)| {
            keys.iter()
                .filter(|key| !in_code(&spans, key))
                .map(move |key| format!("`{key}` (a key of {what})"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/{page} does not mention:\n  {}",
        missing.join("\n  ")
    );
}

const COLLECTION: &str = "\
name: Keys
zz_top: 1
defaults:
  zz_defaults: 1
  retries: { zz_retries: 1 }
snapshot: { zz_snapshot: 1 }
compare: { zz_compare: 1 }
requests:
  - name: r
    url: http://127.0.0.1:1/
    zz_request: 1
    expect: { zz_expect: 1 }
    capture: { v: { header: x, zz_capture: 1 } }
    snapshot: { zz_snap: 1 }
";

const ENVIRONMENT: &str = "\
scope: non-production
zz_env: 1
tls: { zz_tls: 1 }
limits: { zz_limits: 1 }
emulator: { kind: intacct, zz_emulator: 1 }
auth:
  p: { type: oauth2, grant: client_credentials, token_url: x, client_id: y, zz_auth: 1 }
";

const VALID_COLLECTION: &str = "name: Fine\nrequests:\n  - name: r\n    url: http://127.0.0.1:1/\n";

#[test]
fn every_collection_key_the_loader_accepts_is_in_collections_md() {
    let keys = accepted_keys(&[("collections/keys.yaml", COLLECTION)]);
    // collection, defaults, retries, collection snapshot, compare, request, expect, capture,
    // request snapshot.
    assert_documented("collections.md", &keys, 9);
}

#[test]
fn every_environment_key_the_loader_accepts_is_in_environments_md() {
    let keys = accepted_keys(&[
        ("collections/fine.yaml", VALID_COLLECTION),
        ("environments/keys.yaml", ENVIRONMENT),
    ]);
    // environment, tls, limits, emulator, auth profile.
    assert_documented("environments.md", &keys, 5);
}

#[test]
fn code_spans_and_words_are_found_as_written() {
    let spans = code_spans("a `--env NAME` b `x` c\n```\nfollow_redirects: false\n```\n");
    assert!(in_code(&spans, "--env"));
    assert!(in_code(&spans, "follow_redirects"));
    assert!(
        !in_code(&spans, "follow"),
        "a part of a word is not the word"
    );
    assert!(!in_code(&spans, "b"), "prose is not code");
    assert_eq!(
        long_flags("Options:\n  -k, --filter <TEXT>\n      --bail\n  -h, --help\n"),
        BTreeSet::from(["--filter".to_owned(), "--bail".to_owned()])
    );
}

/// What a YAML example is, from the HTML comment on the line before its fence:
/// - `<!-- example: run -->`: validated with `--env local`, then run against the embedded
///   emulator; it must pass (exit 0).
/// - `<!-- example: validate -->`: validated only (it waits for seconds, or needs a response a
///   fresh emulator does not give); `var=a,b` passes `--var a=x --var b=x` for the captures of
///   requests the example leaves out.
/// - `<!-- example: fragment -->`: a piece of a request (some of its keys): parsed as YAML only.
///
/// A block with top-level `requests:` is a collection (`name: example` and `auth: intacct`
/// are added when missing); a block that is a list (`- name: …`) is the requests of one. Each
/// is written to `collections/flows/example.yaml` in a copy of the repository's examples, so
/// `data/…` names the example data files. An unmarked block fails the test.
#[derive(Debug, PartialEq)]
enum Example {
    Run(String),
    Validate(String, Vec<String>),
    Fragment(String),
}

/// The ```yaml blocks of `markdown` with their markers; `Err` names an unmarked block.
fn yaml_examples(markdown: &str, page: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "```yaml" {
            i += 1;
            continue;
        }
        let marker = (0..i)
            .rev()
            .map(|j| lines[j].trim())
            .find(|l| !l.is_empty())
            .and_then(|l| l.strip_prefix("<!-- example:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(str::trim)
            .ok_or_else(|| {
                format!(
                    "{page}:{}: a ```yaml block without a `<!-- example: run|validate|fragment -->` line before it",
                    i + 1
                )
            })?;
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("```"))
            .ok_or_else(|| format!("{page}:{}: an unclosed ```yaml block", i + 1))?;
        let text = lines[i + 1..end].join("\n") + "\n";
        let mut words = marker.split_whitespace();
        out.push(match (words.next(), words.next()) {
            (Some("run"), None) => Example::Run(text),
            (Some("fragment"), None) => Example::Fragment(text),
            (Some("validate"), vars) => Example::Validate(
                text,
                vars.and_then(|v| v.strip_prefix("var="))
                    .map(|v| v.split(',').map(str::to_owned).collect())
                    .unwrap_or_default(),
            ),
            _ => return Err(format!("{page}:{}: unknown marker `{marker}`", i + 1)),
        });
        i = end + 1;
    }
    Ok(out)
}

/// An example as a whole collection file.
fn as_collection(text: &str) -> String {
    let dedented: Vec<&str> = {
        let indent = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .min()
            .unwrap_or(0);
        text.lines()
            .map(|l| l.get(indent..).unwrap_or(""))
            .collect()
    };
    let body = dedented.join("\n") + "\n";
    if body.trim_start().starts_with("- ") {
        let indented: Vec<String> = body.lines().map(|l| format!("  {l}")).collect();
        return format!(
            "name: example\nauth: intacct\nrequests:\n{}\n",
            indented.join("\n")
        );
    }
    let mut head = String::new();
    if !body.lines().any(|l| l.starts_with("name:")) {
        head.push_str("name: example\n");
    }
    if !body.lines().any(|l| l.starts_with("auth:")) {
        head.push_str("auth: intacct\n");
    }
    head + &body
}

/// Validates (and runs) one example; `Err` says what went wrong.
fn check_example(example: &Example, at: &str) -> Result<(), String> {
    let (text, vars, runs) = match example {
        Example::Fragment(text) => {
            return serde_norway_check(text).map_err(|e| format!("{at}: not YAML: {e}"));
        }
        Example::Run(text) => (text, &Vec::new(), true),
        Example::Validate(text, vars) => (text, vars, false),
    };
    let dir = crate::support::examples();
    let file = dir.path().join("collections/flows/example.yaml");
    let collection = as_collection(text);
    std::fs::write(&file, &collection).map_err(|e| e.to_string())?;
    let mut args = vec![
        "validate",
        "collections/flows/example.yaml",
        "--env",
        "local",
    ];
    let pairs: Vec<String> = vars.iter().map(|v| format!("{v}=x")).collect();
    for p in &pairs {
        args.extend(["--var", p]);
    }
    let steps: &[&str] = if runs {
        &["validate", "run"]
    } else {
        &["validate"]
    };
    for step in steps {
        args[0] = step;
        let (code, stdout, stderr) = parts(&run(dir.path(), &args));
        if code != 0 {
            return Err(format!(
                "{at}: `courier {}` exited {code}\n{collection}\n{stdout}\n{stderr}",
                args.join(" ")
            ));
        }
    }
    Ok(())
}

/// Whether `text` parses as YAML (through the loader's parser, as a collection file would).
fn serde_norway_check(text: &str) -> Result<(), String> {
    courier_core::yaml::parse(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The README section "Collection format" (up to the next `## `).
fn readme_format_section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("\n## Collection format\n")
        .expect("the README has a `## Collection format` section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 4);
    rest[..end].to_owned()
}

#[test]
fn every_yaml_example_of_the_format_docs_validates_and_the_whole_ones_run() {
    let mut failures = Vec::new();
    let mut counted = 0;
    for (page, text) in [
        ("README.md", readme_format_section()),
        (
            "docs/collections-language.md",
            doc("collections-language.md"),
        ),
    ] {
        let examples = yaml_examples(&text, page).unwrap_or_else(|e| panic!("{e}"));
        assert!(!examples.is_empty(), "{page} has no YAML example");
        for (n, example) in examples.iter().enumerate() {
            counted += 1;
            if let Err(e) = check_example(example, &format!("{page}, example {}", n + 1)) {
                failures.push(e);
            }
        }
    }
    assert!(counted >= 10, "only {counted} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn yaml_examples_need_a_marker_and_are_wrapped_into_collections() {
    let page = "<!-- example: validate var=a,b -->\n```yaml\n  - name: x\n    url: u\n```\n";
    assert_eq!(
        yaml_examples(page, "p"),
        Ok(vec![Example::Validate(
            "  - name: x\n    url: u\n".to_owned(),
            vec!["a".to_owned(), "b".to_owned()]
        )])
    );
    let unmarked = "text\n\n```yaml\na: 1\n```\n";
    assert!(yaml_examples(unmarked, "p").unwrap_err().contains("p:3"));
    assert_eq!(
        as_collection("  - name: x\n    url: u\n"),
        "name: example\nauth: intacct\nrequests:\n  - name: x\n      url: u\n"
            .replace("      url", "    url")
    );
    assert!(
        as_collection("defaults: {}\nrequests: []\n").starts_with("name: example\nauth: intacct\n")
    );
}
