//! Every command the README shows is run here, as a reader would type it: each ```console
//! block runs in a fresh copy of the repository's example files, its `$ courier …` lines one
//! after the other (`$ cd DIR` moves), and the output the block shows must be what the
//! command prints — durations and ports normalised, a line holding only `…` standing for any
//! number of lines.

use std::path::{Path, PathBuf};

use crate::support::{copy_dir, courier, normalize, root};

/// One `$ …` line of a console block and the lines shown under it.
struct Step {
    line: usize,
    command: String,
    shown: Vec<String>,
}

fn console_blocks(readme: &str) -> Vec<Vec<Step>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<Step>> = None;
    for (i, text) in readme.lines().enumerate() {
        match &mut current {
            None if text.trim_start() == "```console" => current = Some(Vec::new()),
            None => {}
            Some(steps) if text.trim_start() == "```" => {
                blocks.push(std::mem::take(steps));
                current = None;
            }
            Some(steps) => {
                if let Some(command) = text.strip_prefix("$ ") {
                    steps.push(Step {
                        line: i + 1,
                        command: command.to_owned(),
                        shown: Vec::new(),
                    });
                } else if let Some(step) = steps.last_mut() {
                    step.shown.push(text.to_owned());
                }
            }
        }
    }
    blocks
}

/// Splits a command line the way a POSIX shell does for the simple lines a README shows:
/// words, single and double quotes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

/// Whether `actual` is what `shown` shows: the runs of lines between `…` lines appear in
/// order and whole; without a leading (trailing) `…` the output starts (ends) with them.
fn matches(shown: &[String], actual: &[String]) -> bool {
    if shown.is_empty() {
        // A block that shows no output under a command makes no claim about it.
        return true;
    }
    let ellipsis = |l: &String| l.trim() == "…";
    let segments: Vec<&[String]> = shown.split(ellipsis).collect();
    let open_start = shown.first().is_some_and(ellipsis);
    let open_end = shown.last().is_some_and(ellipsis);
    let mut at = 0;
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            continue;
        }
        let must_start_here = i == 0 && !open_start;
        let found = (at..=actual.len().saturating_sub(segment.len())).find(|&s| {
            actual.len() >= s + segment.len() && &actual[s..s + segment.len()] == *segment
        });
        match found {
            Some(s) if !must_start_here || s == 0 => at = s + segment.len(),
            _ => return false,
        }
    }
    open_end || at == actual.len()
}

fn copy_examples(to: &Path) {
    for folder in ["collections", "environments", "schemas", "docs"] {
        let from = root().join(folder);
        if from.is_dir() {
            copy_dir(&from, &to.join(folder));
        }
    }
}

#[test]
fn every_readme_console_block_prints_what_it_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md is readable");
    let blocks = console_blocks(&readme);
    assert!(!blocks.is_empty(), "the README shows console blocks");
    let mut failures = Vec::new();
    for steps in blocks {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        copy_examples(tmp.path());
        let mut cwd: PathBuf = tmp.path().to_path_buf();
        for step in steps {
            let argv = words(&step.command);
            match argv.first().map(String::as_str) {
                Some("cd") if argv.len() == 2 => {
                    cwd = cwd.join(&argv[1]);
                    continue;
                }
                Some("courier") => {}
                _ => {
                    failures.push(format!(
                        "README.md:{}: `{}` is not a command this test can run (courier or cd)",
                        step.line, step.command
                    ));
                    continue;
                }
            }
            let out = courier(&cwd)
                .args(&argv[1..])
                .output()
                .expect("the courier binary runs");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let actual: Vec<String> = normalize(&text, tmp.path())
                .lines()
                .map(|l| l.trim_end().to_owned())
                .collect();
            let shown: Vec<String> = step
                .shown
                .iter()
                .map(|l| normalize(l, tmp.path()).trim_end().to_owned())
                .collect();
            if !matches(&shown, &actual) {
                failures.push(format!(
                    "README.md:{}: `{}` printed (exit {:?}):\n{}\n--- but the README shows:\n{}",
                    step.line,
                    step.command,
                    out.status.code(),
                    actual.join("\n"),
                    shown.join("\n")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_matcher_takes_ellipses_and_refuses_what_differs() {
    let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    let actual = lines("a\nb\nc\nd");
    assert!(matches(&lines("a\nb\nc\nd"), &actual));
    assert!(matches(&lines("a\n…\nd"), &actual));
    assert!(matches(&lines("…\nc\nd"), &actual));
    assert!(matches(&lines("a\n…"), &actual));
    assert!(!matches(&lines("a\nc\n…"), &actual), "a run is whole");
    assert!(
        !matches(&lines("a\nb"), &actual),
        "without … the output ends with the run"
    );
    assert!(
        !matches(&lines("b\n…"), &actual),
        "without … the output starts with the run"
    );
    assert!(!matches(&lines("a\n…\nx"), &actual));
    assert_eq!(
        words(r#"courier run -k "a b" 'c d'"#),
        ["courier", "run", "-k", "a b", "c d"]
    );
}
