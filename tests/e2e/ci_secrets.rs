//! Production from CI secrets (docs/ci.md#production-from-ci-secrets): a `grant:
//! refresh_token` profile fed by `secrets: { refresh_token: VAR }` with no token cache; the one
//! redacted warning when the server rotates that refresh token during a run, and the next run
//! without a cache that the warning is about; `auth login --print-refresh-token` refused when
//! standard output is not a terminal; and docs/ci.md's `compare --left sandbox --right
//! production --read-only` job run from its secrets alone against two emulators.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::path::Path;
use std::time::Duration;

use courier_emulator::{Scope, default_credentials};

use crate::auth::{CLIENT_ID, CLIENT_SECRET, Emu, WS_USER, reads};
use crate::support::{courier, examples, parts, root, workspace};

const VAR: &str = "EMU_PROD_REFRESH_TOKEN";

/// An environment whose refresh token comes from the secret `VAR`, as
/// `environments/production.yaml` does.
fn secret_env(base_url: &str) -> String {
    format!(
        "scope: non-production\nvars:\n  base_url: {base_url}\nsecrets:\n  client_secret: EMU_CLIENT_SECRET\n  refresh_token: {VAR}\nauth:\n  intacct:\n    type: oauth2\n    grant: refresh_token\n    authorize_url: \"{{{{ base_url }}}}/oauth2/authorize\"\n    token_url: \"{{{{ base_url }}}}/oauth2/token\"\n    client_id: {CLIENT_ID}\n    client_secret: \"{{{{ client_secret }}}}\"\n    redirect_uri: https://127.0.0.1:0/callback\n    refresh_token: \"{{{{ refresh_token }}}}\"\n    token_params: {{ username: \"{WS_USER}\" }}\n"
    )
}

fn run(dir: &Path, refresh: &str, args: &[&str]) -> (i32, String, String) {
    let out = courier(dir)
        .args(args)
        .env("EMU_CLIENT_SECRET", CLIENT_SECRET)
        .env(VAR, refresh)
        .output()
        .unwrap();
    parts(&out)
}

const STALE: &str = "rotated the refresh token of auth profile `intacct`";

#[test]
fn a_refresh_token_from_a_secret_runs_with_no_token_cache_and_no_warning() {
    let emu = Emu::start(|_| {});
    let first = emu.fresh_refresh_token();
    let env = secret_env(&emu.base_url());
    let coll = reads("A", 3);
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
    ]);
    assert!(!dir.path().join(".home/tokens.json").exists());
    let (code, out, err) = run(dir.path(), &first, &["run", "collections", "--env", "emu"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.ends_with("3 passed, 0 failed, 0 skipped\n"), "{out}");
    assert_eq!(emu.token_requests("refresh_token"), 1, "{}", emu.stats());
    assert_eq!(
        emu.token_requests("client_credentials"),
        1,
        "only the test's own"
    );
    // Without rotation the secret stays good: nothing to warn about.
    assert!(!err.contains(STALE), "{err}");
    assert!(!out.contains(&first) && !err.contains(&first));
}

#[test]
fn a_rotated_secret_refresh_token_warns_once_redacted_and_the_next_run_without_cache_fails() {
    // Tokens live 1 s; 40 reads of 50 ms each take about 2 s, so the run refreshes at least
    // twice: with the secret's token, then with the rotated one.
    let emu = Emu::start(|o| {
        o.rotate_refresh_tokens = true;
        o.token_ttl = Duration::from_secs(1);
        o.latency = Duration::from_millis(50);
    });
    let first = emu.fresh_refresh_token();
    let env = secret_env(&emu.base_url());
    let coll = reads("A", 40);
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
    ]);
    let (code, out, err) = run(dir.path(), &first, &["run", "collections", "--env", "emu"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.ends_with("40 passed, 0 failed, 0 skipped\n"), "{out}");
    let refreshes = emu.token_requests("refresh_token");
    assert!(refreshes >= 2, "{}", emu.stats());

    let warnings: Vec<&str> = err.lines().filter(|l| l.contains(STALE)).collect();
    assert_eq!(
        warnings.len(),
        1,
        "one warning, not one per rotation:\n{err}"
    );
    let warning = warnings[0];
    assert!(warning.starts_with("warning: "), "{warning}");
    assert!(
        warning.contains(&format!("the refresh token in {VAR} no longer works")),
        "{warning}"
    );
    assert!(
        warning
            .contains("run `courier auth login --env emu --profile intacct --print-refresh-token`"),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("update the secret {VAR}")),
        "{warning}"
    );
    assert!(
        !out.contains(STALE),
        "the warning belongs on standard error:\n{out}"
    );
    let cached = std::fs::read_to_string(dir.path().join(".home/tokens.json")).unwrap();
    let cache: serde_json::Value = serde_json::from_str(&cached).unwrap();
    let newest = cache["sessions"][0]["refresh_token"].as_str().unwrap();
    for token in [first.as_str(), newest] {
        assert!(
            !out.contains(token) && !err.contains(token),
            "a token leaked:\n{out}\n{err}"
        );
    }

    // The next CI job: a fresh machine (no token cache), the same secret. The warning was
    // right: the secret's token is gone.
    std::fs::remove_dir_all(dir.path().join(".home")).unwrap();
    let (code, out, err) = run(dir.path(), &first, &["run", "collections", "--env", "emu"]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(out.contains("invalid_grant"), "{out}");
    assert!(
        out.contains(&format!(
            "run `courier auth login --env emu --profile intacct`, or set {VAR} to a refresh token"
        )),
        "{out}"
    );
    assert!(!out.contains(&first) && !err.contains(&first));
}

#[test]
fn with_a_cached_session_the_secret_may_be_unset_and_without_either_the_run_says_what_to_set() {
    let emu = Emu::start(|_| {});
    let first = emu.fresh_refresh_token();
    let env = secret_env(&emu.base_url());
    let coll = reads("A", 2);
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
    ]);
    let unset = |dir: &Path| {
        let out = courier(dir)
            .args(["run", "collections", "--env", "emu"])
            .env("EMU_CLIENT_SECRET", CLIENT_SECRET)
            .output()
            .unwrap();
        parts(&out)
    };
    // Neither a cached session nor the secret: nothing is sent, and the message names both ways.
    let (code, out, err) = unset(dir.path());
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        out.contains(&format!("has no refresh token: run `courier auth login --env emu --profile intacct`, or set {VAR}")),
        "{out}"
    );
    assert_eq!(emu.stats()["api_requests"], 0);
    assert_eq!(emu.token_requests("refresh_token"), 0);

    // A run with the secret leaves its session in the token cache; the next one, on the same
    // machine, needs no secret at all (a developer's laptop after `courier auth login`).
    let (code, out, err) = run(dir.path(), &first, &["run", "collections", "--env", "emu"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = unset(dir.path());
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.ends_with("2 passed, 0 failed, 0 skipped\n"), "{out}");
    assert_eq!(
        emu.token_requests("refresh_token"),
        1,
        "the cached token was used"
    );
}

#[test]
fn print_refresh_token_refuses_an_output_that_is_not_a_terminal_before_sending_anything() {
    let emu = Emu::start(|_| {});
    let env = secret_env(&emu.base_url());
    let dir = workspace(&[("environments/emu.yaml", &env)]);
    // Standard output is a pipe here, as in a CI log or `… > token.txt`.
    let (code, out, err) = run(
        dir.path(),
        "",
        &[
            "auth",
            "login",
            "--env",
            "emu",
            "--no-browser",
            "--print-refresh-token",
        ],
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert_eq!(out, "", "nothing on standard output");
    assert!(
        err.contains("--print-refresh-token prints the refresh token only to a terminal"),
        "{err}"
    );
    let stats = emu.stats();
    assert_eq!(stats["authorize_requests"], 0, "{stats}");
    assert_eq!(emu.token_requests("authorization_code"), 0, "{stats}");
    assert!(!dir.path().join(".home/tokens.json").exists());
}

/// The `compare-production` job of docs/ci.md: its `courier` line and the variables it exports.
fn documented_job() -> (Vec<String>, Vec<String>) {
    let doc = std::fs::read_to_string(root().join("docs/ci.md")).unwrap();
    let job: Vec<&str> = doc
        .lines()
        .skip_while(|l| l.trim() != "compare-production:")
        .take_while(|l| !l.starts_with("```"))
        .collect();
    let line = job
        .iter()
        .find_map(|l| l.trim().strip_prefix("- run: courier compare"))
        .expect("docs/ci.md has the compare-production job");
    let mut args = vec!["compare".to_owned()];
    args.extend(line.split_whitespace().map(str::to_owned));
    let exported = job
        .iter()
        .filter_map(|l| {
            let (name, value) = l.trim().split_once(": ")?;
            value.starts_with("${{ secrets.").then(|| name.to_owned())
        })
        .collect();
    (args, exported)
}

#[test]
fn the_documented_production_compare_job_runs_from_secrets_alone() {
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
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    // The repository's collections and environments, each environment's `base_url` pointed at
    // its emulator: nothing else of them changes.
    let dir = examples();
    for (name, emu) in [("sandbox", &sandbox), ("production", &production)] {
        let path = dir.path().join(format!("environments/{name}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let line = "  base_url: https://api.intacct.com/ia/api/v1\n";
        assert!(text.contains(line), "{name}.yaml: {text}");
        let text = text.replace(line, &format!("  base_url: {}\n", emu.base_url()));
        std::fs::write(&path, text).unwrap();
    }
    let values: Vec<(&str, &str)> = vec![
        ("INTACCT_CLIENT_ID", CLIENT_ID),
        ("INTACCT_CLIENT_SECRET", CLIENT_SECRET),
        ("INTACCT_WS_USER", WS_USER),
        ("INTACCT_PROD_CLIENT_ID", &prod.client_id),
        ("INTACCT_PROD_CLIENT_SECRET", &prod.client_secret),
        ("INTACCT_PROD_REFRESH_TOKEN", &refresh),
    ];
    let (args, exported) = documented_job();
    let mut names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    let mut exported: Vec<&str> = exported.iter().map(String::as_str).collect();
    exported.sort_unstable();
    assert_eq!(
        exported, names,
        "the job exports exactly the secrets both sides read"
    );
    assert!(
        args.iter().any(|a| a == "--read-only"),
        "the job is read-only: {args:?}"
    );

    let cache = dir.path().join(".home/tokens.json");
    assert!(!cache.exists(), "a CI job starts with no token cache");
    let mut cmd = courier(dir.path());
    cmd.args(&args);
    for (name, value) in &values {
        cmd.env(name, value);
    }
    let (code, out, err) = parts(&cmd.output().unwrap());
    // The two emulated companies differ (docs/emulator.md): exit 1, with both sides checked.
    assert_eq!(code, 1, "{out}\n{err}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("compare.json")).unwrap())
            .unwrap();
    assert!(
        report["summary"]["different"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    assert!(
        report["summary"]["identical"].as_u64().unwrap() > 0,
        "{report:#}"
    );

    let p = production.stats();
    assert_eq!(production.token_requests("refresh_token"), 1, "{p}");
    assert_eq!(p["token_errors"], 0, "{p}");
    assert!(p["api_requests"].as_u64().unwrap() > 0, "{p}");
    for route in p["routes"].as_object().unwrap().keys() {
        assert!(
            route.starts_with("GET ") || route == "POST /services/core/query",
            "production was sent a write ({route}): {p}"
        );
    }
    assert!(sandbox.stats()["api_requests"].as_u64().unwrap() > 0);
    let report_text = std::fs::read_to_string(dir.path().join("compare.json")).unwrap();
    for (name, value) in &values {
        if name.contains("SECRET") || name.contains("TOKEN") {
            for text in [&out, &err, &report_text] {
                assert!(!text.contains(value), "{name} leaked");
            }
        }
    }
}
