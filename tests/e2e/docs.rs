//! The reference under `docs/` stays current with the binary: every subcommand and long flag
//! that `courier --help` shows appears in docs/cli.md, and every key the loader accepts in a
//! collection or an environment file appears in docs/collections.md or docs/environments.md.
//! The lists come from the binary itself (its help, and the "the keys of … are" hint that
//! `validate` gives for an unknown key), never from a list written here.

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
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A description wrapped onto the next line is indented further: not a subcommand.
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
        // The block ends at the next heading (`Examples:`); wrapped epilogue text that
        // begins with `--` is not a flag.
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

fn help_of(args: &[&str]) -> String {
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
