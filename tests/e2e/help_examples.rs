//! The examples of every `--help` that need no credentials run against a copy of the
//! repository's collections and environments: those against the built-in `local` and
//! `local-production` environments (the embedded emulator), `validate`, `list` and
//! `snapshots list`. Each must do its job (exit 0, or 1 for a check that fails), never refuse
//! its input (2) or fail to check (3). Examples against `sandbox` or `production` need real
//! credentials; the binary's own test parses them and checks the files they name.

use crate::docs::{help_of, subcommands};
use crate::support::{examples, parts, run};

/// The `courier …` lines of a help text's `Examples:` section, split as a shell would
/// (quotes), without pipes, redirections or a trailing comment.
fn example_lines(help: &str) -> Vec<Vec<String>> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Examples:")
        .skip(1)
        .take_while(|l| !l.starts_with(|c: char| c.is_alphabetic()))
        .filter_map(|l| l.trim_start().strip_prefix("courier "))
        .map(|l| {
            let end = [" |", " >", "  ", " #"]
                .iter()
                .filter_map(|cut| l.find(cut))
                .min()
                .unwrap_or(l.len());
            shell_words(&l[..end])
        })
        .collect()
}

fn shell_words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ' ') => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            (_, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether an example can run here: no credentials needed, nothing interactive.
fn runnable(words: &[String]) -> bool {
    let local = |i: usize| {
        words
            .get(i + 1)
            .is_some_and(|e| e == "local" || e == "local-production")
    };
    let envs_local = words
        .iter()
        .enumerate()
        .filter(|(_, w)| matches!(w.as_str(), "--env" | "--left" | "--right"))
        .all(|(i, _)| local(i));
    match words.first().map(String::as_str) {
        Some("run" | "compare" | "validate" | "list") => envs_local,
        Some("snapshots") => words.get(1).is_some_and(|w| w == "list"),
        _ => false,
    }
}

#[test]
fn the_help_examples_that_need_no_credentials_run_against_the_repository() {
    let mut helps = vec![help_of(&[])];
    for sub in subcommands(&helps[0]) {
        let help = help_of(&[&sub]);
        for nested in subcommands(&help) {
            helps.push(help_of(&[&sub, &nested]));
        }
        helps.push(help);
    }
    let mut ran = Vec::new();
    for example in helps.iter().flat_map(|h| example_lines(h)) {
        if !runnable(&example) || ran.contains(&example) {
            continue;
        }
        let dir = examples();
        let args: Vec<&str> = example.iter().map(String::as_str).collect();
        let (code, stdout, stderr) = parts(&run(dir.path(), &args));
        assert!(
            code == 0 || code == 1,
            "`courier {}` exited {code}:\n{stdout}\n{stderr}",
            example.join(" ")
        );
        ran.push(example);
    }
    assert!(ran.len() >= 8, "only {} examples ran: {ran:?}", ran.len());
}
