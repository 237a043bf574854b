//! Every example in every `--help` is a command a user can paste in the repository: it parses
//! with the CLI's own parser, and the collections, environments and input files it names are
//! the repository's (docs/cli.md). The reports `courier report merge` reads are written by
//! `courier run --shard`, so its inputs are the one exception.

use std::path::{Path, PathBuf};

use clap::{CommandFactory as _, Parser as _};

use super::import::ImportKind;
use super::{Cli, Command};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// (command path, help text) of the root and every subcommand, recursively.
fn helps(cmd: &mut clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    out.push((path.to_owned(), cmd.render_long_help().to_string()));
    for sub in cmd.get_subcommands_mut() {
        let name = format!("{path} {}", sub.get_name());
        helps(sub, &name, out);
    }
}

/// The `courier …` commands of a help text's `Examples:` section, without what a shell does
/// around them (pipes, redirections, a variable set before, a trailing comment).
fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Examples:")
        .skip(1)
        .take_while(|l| !l.starts_with(|c: char| c.is_alphabetic()))
        .filter_map(|l| l.find("courier ").map(|i| &l[i..]))
        .map(|l| {
            let end = [" |", " >", "  ", " #"]
                .iter()
                .filter_map(|cut| l.find(cut))
                .min()
                .unwrap_or(l.len());
            l[..end].trim().to_owned()
        })
        .collect()
}

/// Splits like a shell: spaces, and '…' or "…" quoting.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, ' ') => {
                if started || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (_, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        out.push(word);
    }
    out
}

fn environment_exists(name: &str) -> bool {
    matches!(name, "local" | "local-production")
        || root()
            .join("environments")
            .join(format!("{name}.yaml"))
            .is_file()
        || root().join(name).is_file()
}

/// What an example names that is not in the repository.
fn missing(command: &Command) -> Vec<String> {
    let mut paths: Vec<&Path> = Vec::new();
    let mut envs: Vec<&str> = Vec::new();
    match command {
        Command::Run(a) => {
            paths.extend(a.paths.iter().map(PathBuf::as_path));
            envs.extend(a.env.as_deref());
        }
        Command::Compare(a) => {
            paths.extend(a.paths.iter().map(PathBuf::as_path));
            envs.extend(a.left.as_deref());
            envs.extend(a.right.as_deref());
        }
        Command::Validate(a) => {
            paths.extend(a.paths.iter().map(PathBuf::as_path));
            envs.extend(a.env.as_deref());
        }
        Command::List(a) => paths.extend(a.paths.iter().map(PathBuf::as_path)),
        Command::Auth(a) => envs.extend(a.env()),
        Command::Import(a) => match &a.what {
            ImportKind::Postman(p) => {
                paths.push(&p.collection);
                paths.extend(p.environment.as_deref());
            }
            ImportKind::Curl(c) => paths.extend(c.file.as_deref().filter(|f| f.as_os_str() != "-")),
        },
        _ => {}
    }
    let mut out: Vec<String> = paths
        .into_iter()
        .filter(|p| !root().join(p).exists())
        .map(|p| format!("no file or folder {}", p.display()))
        .collect();
    out.extend(
        envs.into_iter()
            .filter(|e| !environment_exists(e))
            .map(|e| format!("no environment {e}")),
    );
    out
}

#[test]
fn every_help_example_parses_and_names_the_repositorys_files() {
    let mut all = Vec::new();
    helps(&mut Cli::command(), "courier", &mut all);
    let mut problems = Vec::new();
    let mut count = 0;
    for (path, help) in &all {
        if help.contains("EXAMPLES:") || help.contains("EXIT STATUS:") {
            problems.push(format!(
                "{path}: name the sections `Examples:` and `Exit codes:`"
            ));
        }
        for example in examples(help) {
            count += 1;
            match Cli::try_parse_from(words(&example)) {
                Ok(cli) => problems.extend(
                    missing(&cli.command)
                        .into_iter()
                        .map(|m| format!("{path}: `{example}`: {m}")),
                ),
                Err(e) => problems.push(format!("{path}: `{example}` does not parse: {e}")),
            }
        }
    }
    assert!(count >= 30, "only {count} examples found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn examples_are_read_as_a_shell_would() {
    let help = "About\n\nExamples:\n  courier run --env local -k 'read vendor'\n  pbpaste | courier import curl > x.yaml\n  courier auth logout   forget every session\n\nExit codes: 0 done";
    assert_eq!(
        examples(help),
        [
            "courier run --env local -k 'read vendor'",
            "courier import curl",
            "courier auth logout"
        ]
    );
    assert_eq!(
        words("courier run -k 'read vendor' --tag \"a b\""),
        ["courier", "run", "-k", "read vendor", "--tag", "a b"]
    );
}

#[test]
fn every_command_takes_color() {
    fn walk(cmd: &clap::Command, path: &str, without: &mut Vec<String>) {
        let subs: Vec<&clap::Command> = cmd.get_subcommands().collect();
        if subs.is_empty() && !cmd.get_arguments().any(|a| a.get_long() == Some("color")) {
            without.push(path.to_owned());
        }
        // `help` is clap's own: it prints a help text and takes no flags.
        for sub in subs.into_iter().filter(|s| s.get_name() != "help") {
            walk(sub, &format!("{path} {}", sub.get_name()), without);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut without = Vec::new();
    walk(&cmd, "courier", &mut without);
    assert!(without.is_empty(), "no --color: {without:?}");
}
