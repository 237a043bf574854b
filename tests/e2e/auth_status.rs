//! What `courier auth status [--json]` and `courier auth logout` show of a cached session
//! (docs/cli.md#auth): environment, profile and grant, and the client id and username in clear
//! only when they did not come from a secret — for sessions a run caches, and for sessions an
//! older Courier wrote without saying where those values came from. The plain case, from
//! `auth login`, is in `auth.rs`.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::path::Path;

use serde_json::Value;

use crate::auth::{CLIENT_ID, Emu, WS_USER, env_yaml, leak_forms, reads};
use crate::support::{courier, parts, workspace};

/// Distinctive values with characters that encodings change.
const SECRET_CLIENT_ID: &str = "Cid7/Leak+Client.app";
const SECRET_CLIENT_SECRET: &str = "Cs9/Leak+Client=Secret";
const SECRET_USER: &str = "leak.bot+7@LEAK-CO";

/// The keys of one session in `auth status --json`, in order.
const SESSION_KEYS: [&str; 7] = [
    "environment",
    "profile",
    "grant",
    "client",
    "username",
    "expires_at",
    "scope",
];

/// Runs `auth status --json` in `dir` and checks the shape of docs/cli.md#auth: version 1,
/// and every session with exactly the documented keys, each present.
pub(crate) fn status_json(dir: &Path) -> Value {
    let out = courier(dir)
        .args(["auth", "status", "--json"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let top: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(top, ["version", "sessions"], "{stdout}");
    assert_eq!(json["version"], 1);
    for s in json["sessions"].as_array().unwrap() {
        let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, SESSION_KEYS, "{s}");
        for key in ["environment", "profile", "client"] {
            assert!(s[key].is_string(), "{key} in {s}");
        }
        for key in ["grant", "username", "expires_at", "scope"] {
            assert!(s[key].is_string() || s[key].is_null(), "{key} in {s}");
        }
        if let Some(at) = s["expires_at"].as_str() {
            assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");
        }
    }
    json
}

/// Asserts that no form of any of `values` is in `text`.
fn assert_hidden(text: &str, values: &[&str]) {
    for v in values {
        for form in leak_forms(v) {
            assert!(!text.contains(&form), "`{form}` (of `{v}`) leaked:\n{text}");
        }
    }
}

#[test]
fn a_session_whose_client_id_and_username_are_secrets_shows_them_redacted() {
    let emu = Emu::start(|o| {
        o.client_id = Some(SECRET_CLIENT_ID.to_owned());
        o.client_secret = Some(SECRET_CLIENT_SECRET.to_owned());
        o.username = Some(SECRET_USER.to_owned());
    });
    let (status, body) = emu.token(&[
        ("grant_type", "client_credentials"),
        ("client_id", SECRET_CLIENT_ID),
        ("client_secret", SECRET_CLIENT_SECRET),
        ("username", SECRET_USER),
    ]);
    assert_eq!(status, 200, "{body}");
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    // As environments/production.yaml does: the client id (and here the user) from secrets.
    let env = format!(
        "scope: non-production\nvars:\n  base_url: {}\nsecrets:\n  client_id: EMU_CLIENT_ID\n  client_secret: EMU_CLIENT_SECRET\n  ws_user: EMU_WS_USER\nauth:\n  intacct:\n    type: oauth2\n    grant: refresh_token\n    token_url: \"{{{{ base_url }}}}/oauth2/token\"\n    client_id: \"{{{{ client_id }}}}\"\n    client_secret: \"{{{{ client_secret }}}}\"\n    refresh_token: \"{{{{ env('EMU_REFRESH') }}}}\"\n    token_params: {{ username: \"{{{{ ws_user }}}}\" }}\n",
        emu.base_url()
    );
    let coll = reads("A", 2);
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", &coll),
    ]);
    let with_secrets = |args: &[&str]| {
        let out = courier(dir.path())
            .args(args)
            .env("EMU_CLIENT_ID", SECRET_CLIENT_ID)
            .env("EMU_CLIENT_SECRET", SECRET_CLIENT_SECRET)
            .env("EMU_WS_USER", SECRET_USER)
            .env("EMU_REFRESH", &refresh)
            .output()
            .unwrap();
        parts(&out)
    };
    let (code, out, err) = with_secrets(&["run", "collections", "--env", "emu"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(emu.token_requests("refresh_token"), 1, "{}", emu.stats());

    // The run cached the session, saying where its client id and username came from.
    let text = std::fs::read_to_string(dir.path().join(".home/tokens.json")).unwrap();
    let cache: Value = serde_json::from_str(&text).unwrap();
    let cached = &cache["sessions"][0];
    assert_eq!(cached["grant"], "refresh_token", "{cached}");
    assert_eq!(cached["client_id_secret"], true, "{cached}");
    assert_eq!(cached["username_secret"], true, "{cached}");
    let tokens = [
        cached["access_token"].as_str().unwrap(),
        cached["refresh_token"].as_str().unwrap(),
    ];
    let hidden = [SECRET_CLIENT_ID, SECRET_USER, tokens[0], tokens[1]];

    // Without the secrets set, as on a machine that only inspects its cache.
    let out = courier(dir.path())
        .args(["auth", "status"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stderr}");
    assert_hidden(&format!("{stdout}\n{stderr}"), &hidden);
    let header = stdout.lines().next().unwrap();
    for column in [
        "ENVIRONMENT",
        "PROFILE",
        "GRANT",
        "CLIENT",
        "USERNAME",
        "SCOPE",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let row = stdout.lines().find(|l| l.starts_with("emu ")).unwrap();
    assert!(
        row.contains("intacct") && row.contains("refresh_token"),
        "{row}"
    );
    assert_eq!(row.matches("[REDACTED]").count(), 2, "{row}");

    let json = status_json(dir.path());
    assert_hidden(&json.to_string(), &hidden);
    let s = &json["sessions"][0];
    assert_eq!(s["environment"], "emu");
    assert_eq!(s["profile"], "intacct");
    assert_eq!(s["grant"], "refresh_token");
    assert_eq!(s["client"], "[REDACTED]");
    assert_eq!(s["username"], "[REDACTED]");
    assert_eq!(s["expires_at"], cached["expires_at"]);
    assert!(s["expires_at"].is_string(), "{s}");
    assert_eq!(s["scope"], cached["scope"]);

    let (code, stdout, stderr) = with_secrets(&["auth", "logout", "--env", "emu"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(
        stdout,
        "removed: emu / intacct (grant refresh_token, client [REDACTED], username [REDACTED])\n"
    );
    assert_hidden(&format!("{stdout}\n{stderr}"), &hidden);
}

/// A session as a Courier before this one wrote it: no grant, no word on secrets.
fn old_session(environment: &str, client_id: &str, username: &str) -> String {
    format!(
        r#"{{"environment": "{environment}", "profile": "intacct", "token_url": "http://127.0.0.1:9/ia/api/v1/oauth2/token", "client_id": "{client_id}", "username": "{username}", "access_token": "At5Leak/Old+Access", "refresh_token": "Rt5Leak/Old+Refresh", "token_type": "bearer", "scope": "offline_access", "expires_at": "2026-01-02T03:04:05.000006Z", "obtained_at": "2026-01-02T02:04:05.000006Z"}}"#
    )
}

#[test]
fn sessions_of_an_older_courier_are_judged_by_their_environment_file_and_hidden_when_unknown() {
    let base = "http://127.0.0.1:9/ia/api/v1";
    let plain = env_yaml(base, "refresh_token", "");
    let secret = "scope: non-production\nsecrets:\n  client_id: OLD_CLIENT_ID\n  ws_user: OLD_WS_USER\nauth:\n  intacct:\n    type: oauth2\n    grant: authorization_code\n    authorize_url: http://127.0.0.1:9/ia/api/v1/oauth2/authorize\n    redirect_uri: https://127.0.0.1:0/callback\n    token_url: http://127.0.0.1:9/ia/api/v1/oauth2/token\n    client_id: \"{{ client_id }}\"\n    token_params: { username: \"{{ ws_user }}\" }\n";
    let cache = format!(
        "{{\"version\": 1, \"sessions\": [{}, {}, {}]}}\n",
        old_session("plain", CLIENT_ID, WS_USER),
        old_session("fromsecrets", "Old7/Secret+Client", "old.secret+user@CO"),
        old_session("gone", "Gone7/Unknown+Client", "gone.unknown+user@CO"),
    );
    let dir = workspace(&[
        ("environments/plain.yaml", &plain),
        ("environments/fromsecrets.yaml", secret),
        (".home/tokens.json", &cache),
    ]);
    let hidden = [
        "Old7/Secret+Client",
        "old.secret+user@CO",
        "Gone7/Unknown+Client",
        "gone.unknown+user@CO",
        "At5Leak/Old+Access",
        "Rt5Leak/Old+Refresh",
    ];

    let json = status_json(dir.path());
    assert_hidden(&json.to_string(), &hidden);
    let sessions = json["sessions"].as_array().unwrap();
    let by_env = |e: &str| sessions.iter().find(|s| s["environment"] == e).unwrap();
    // The file reads neither from a secret: shown, with the grant the file names.
    assert_eq!(by_env("plain")["client"], CLIENT_ID);
    assert_eq!(by_env("plain")["username"], WS_USER);
    assert_eq!(by_env("plain")["grant"], "refresh_token");
    // The file reads both from secrets.
    assert_eq!(by_env("fromsecrets")["client"], "[REDACTED]");
    assert_eq!(by_env("fromsecrets")["username"], "[REDACTED]");
    assert_eq!(by_env("fromsecrets")["grant"], "authorization_code");
    // No file to ask: hidden, grant unknown.
    assert_eq!(by_env("gone")["client"], "[REDACTED]");
    assert_eq!(by_env("gone")["username"], "[REDACTED]");
    assert_eq!(by_env("gone")["grant"], Value::Null);
    // As the cache has it, RFC 3339 with microseconds.
    assert_eq!(by_env("gone")["expires_at"], "2026-01-02T03:04:05.000006Z");
    assert_eq!(by_env("gone")["scope"], "offline_access");

    let out = courier(dir.path())
        .args(["auth", "status"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stderr}");
    assert_hidden(&format!("{stdout}\n{stderr}"), &hidden);
    let row = |e: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{e} ")))
            .unwrap()
    };
    assert!(row("plain").contains(CLIENT_ID) && row("plain").contains(WS_USER));
    assert_eq!(row("fromsecrets").matches("[REDACTED]").count(), 2);
    assert_eq!(row("gone").matches("[REDACTED]").count(), 2);
    assert!(stdout.contains("\n3 sessions in "), "{stdout}");

    let out = courier(dir.path())
        .args(["auth", "logout"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stderr}");
    assert_hidden(&format!("{stdout}\n{stderr}"), &hidden);
    assert!(
        stdout.contains(&format!(
            "removed: plain / intacct (grant refresh_token, client {CLIENT_ID}, username {WS_USER})"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "removed: gone / intacct (grant unknown, client [REDACTED], username [REDACTED])"
        ),
        "{stdout}"
    );
    assert_eq!(status_json(dir.path())["sessions"], serde_json::json!([]));
}

#[test]
fn status_json_of_an_unreadable_cache_prints_nothing_and_exits_2() {
    let dir = workspace(&[(".home/tokens.json", "{\"version\": 9, \"sessions\": []}\n")]);
    let out = courier(dir.path())
        .args(["auth", "status", "--json"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("version 9"), "{stderr}");
    // A missing cache is an empty list.
    std::fs::remove_file(dir.path().join(".home/tokens.json")).unwrap();
    assert_eq!(status_json(dir.path())["sessions"], serde_json::json!([]));
}

#[test]
fn auth_status_help_documents_json_redaction_and_exit_codes() {
    let out = courier(Path::new("."))
        .args(["auth", "status", "--help"])
        .output()
        .unwrap();
    let (code, stdout, _) = parts(&out);
    assert_eq!(code, 0);
    for want in [
        "--json",
        "[REDACTED]",
        "\"sessions\"",
        "Exit codes:",
        "0 listed",
        "2 the cache",
    ] {
        assert!(stdout.contains(want), "{want} missing from:\n{stdout}");
    }
}
