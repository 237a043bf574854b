//! The examples of every `--help` that need no credentials run against a copy of the
//! repository's collections and environments: those against the built-in `local` and
//! `local-production` environments (the embedded emulator), `validate`, `list` and
//! `snapshots list`. Each must do its job (exit 0, or 1 for a check that fails), never refuse
//! its input (2) or fail to check (3). The examples against `sandbox` or `production` run the
//! way the rehearsal does (docs/ci.md): each environment's `base_url` pointed at an in-process
//! emulator of its scope, the credentials in the environment variables the files name (a
//! refresh token for production, as a CI secret holds one), nothing sent anywhere else.

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

/// The environments an example names with `--env`, `--left` or `--right`.
fn environments(words: &[String]) -> Vec<&str> {
    words
        .windows(2)
        .filter(|w| matches!(w[0].as_str(), "--env" | "--left" | "--right"))
        .map(|w| w[1].as_str())
        .collect()
}

/// Every example line of every help text, each once.
fn all_examples() -> Vec<Vec<String>> {
    let mut helps = vec![help_of(&[])];
    for sub in subcommands(&helps[0]) {
        let help = help_of(&[&sub]);
        for nested in subcommands(&help) {
            helps.push(help_of(&[&sub, &nested]));
        }
        helps.push(help);
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    for example in helps.iter().flat_map(|h| example_lines(h)) {
        if !out.contains(&example) {
            out.push(example);
        }
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
    let mut ran = Vec::new();
    for example in all_examples() {
        if !runnable(&example) {
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

/// The examples against `sandbox` and `production`: `run`, `compare` and `validate`, and `auth
/// logout`, each against its emulated company. `auth login` is interactive (a browser, or a
/// terminal for `--print-refresh-token`): docs/cli.md's login is tested over the emulator's
/// authorize endpoint by the `auth` tests instead.
#[test]
fn the_help_examples_against_sandbox_and_production_run_against_emulated_companies() {
    use crate::auth::{CLIENT_ID, CLIENT_SECRET, Emu, WS_USER};
    use courier_emulator::{Scope, default_credentials};

    let sandbox = Emu::start(|_| {});
    let production = Emu::start(|o| o.scope = Scope::Production);
    let prod = default_credentials(Scope::Production);
    let (status, body) = production.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", &prod.client_id),
        ("client_secret", &prod.client_secret),
        ("username", &prod.username),
    ]);
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let variables = [
        ("INTACCT_CLIENT_ID", CLIENT_ID),
        ("INTACCT_CLIENT_SECRET", CLIENT_SECRET),
        ("INTACCT_WS_USER", WS_USER),
        ("INTACCT_PROD_CLIENT_ID", prod.client_id.as_str()),
        ("INTACCT_PROD_CLIENT_SECRET", prod.client_secret.as_str()),
        ("INTACCT_PROD_REFRESH_TOKEN", refresh.as_str()),
    ];

    let mut ran = Vec::new();
    for example in all_examples() {
        let envs = environments(&example);
        let named = envs.iter().any(|e| matches!(*e, "sandbox" | "production"));
        let command = example.first().map(String::as_str);
        let login = command == Some("auth") && example.get(1).is_some_and(|w| w == "login");
        if !named || login {
            continue;
        }
        let dir = examples();
        for (name, emu) in [("sandbox", &sandbox), ("production", &production)] {
            let path = dir.path().join(format!("environments/{name}.yaml"));
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let line = "  base_url: https://api.intacct.com/ia/api/v1\n";
            assert!(text.contains(line), "{name}.yaml: {text}");
            let text = text.replace(line, &format!("  base_url: {}\n", emu.base_url()));
            assert!(
                !text.contains("intacct.com"),
                "{name}.yaml still names Intacct: {text}"
            );
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut cmd = crate::support::courier(dir.path());
        cmd.args(&example);
        for (name, value) in &variables {
            cmd.env(name, value);
        }
        let (code, stdout, stderr) = parts(&cmd.output().unwrap_or_else(|e| panic!("{e}")));
        // `compare` exits 1 when the two companies differ, which the emulated ones do
        // (docs/emulator.md): its help says so. Everything else must pass.
        let expected = i32::from(command == Some("compare"));
        assert_eq!(
            code,
            expected,
            "`courier {}`:\n{stdout}\n{stderr}",
            example.join(" ")
        );
        for (name, value) in &variables {
            if name.contains("SECRET") || name.contains("TOKEN") {
                assert!(
                    !stdout.contains(value) && !stderr.contains(value),
                    "{name} leaked"
                );
            }
        }
        ran.push(example.join(" "));
    }
    assert!(ran.len() >= 5, "only {} examples ran: {ran:?}", ran.len());
    assert!(ran.iter().any(|r| r.starts_with("run ")), "{ran:?}");
    for emu in [&sandbox, &production] {
        assert!(
            emu.stats()["api_requests"].as_u64().unwrap_or(0) > 0,
            "{}",
            emu.stats()
        );
    }
    // Production is never written to: the examples that name it are read-only.
    let p = production.stats();
    for route in p["routes"]
        .as_object()
        .map(|r| r.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        assert!(
            route.starts_with("GET ") || route == "POST /services/core/query",
            "production was sent a write ({route}): {p}"
        );
    }
}
