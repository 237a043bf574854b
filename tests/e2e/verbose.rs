//! `-v` as a user reads it: each request with every header as sent, the session's
//! `Authorization` included with its scheme and the credentials `[REDACTED]`.

use crate::reports::{VENDORS, run_local};
use crate::support::workspace;

#[test]
fn verbose_shows_the_authorization_header_with_its_scheme_and_no_token() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(dir.path(), &["-v"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let auth: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            l.to_ascii_lowercase()
                .starts_with("> authorization: bearer")
        })
        .collect();
    // One per request: both requests of the collection were authenticated.
    assert_eq!(auth.len(), 2, "{stderr}");
    for line in auth {
        assert_eq!(line, "> authorization: Bearer [REDACTED]");
    }
    assert!(
        stderr.contains("> GET http://127.0.0.1:"),
        "the request line: {stderr}"
    );
}

/// The session's token request comes first, once, before the request that waited for it:
/// its form and answer shown with every credential and issued token hidden.
#[test]
fn verbose_shows_the_token_exchange_once_with_its_credentials_hidden() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(dir.path(), &["-v"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let token_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("> POST ") && l.ends_with("/oauth2/token"))
        .collect();
    assert_eq!(
        token_lines.len(),
        1,
        "one token request for the run: {stderr}"
    );
    let at = stderr.find(token_lines[0]).unwrap();
    let first_api = stderr.find("> GET http://127.0.0.1:").unwrap();
    assert!(at < first_api, "the token request comes first: {stderr}");
    let exchange = &stderr[at..first_api];
    assert!(
        exchange.contains("grant_type=client_credentials"),
        "{exchange}"
    );
    assert!(exchange.contains("< 200 OK"), "{exchange}");
    assert!(
        exchange.contains("\"access_token\":\"[REDACTED]\""),
        "the issued token is hidden: {exchange}"
    );
    // Whatever the client authenticates with (Basic or the form), no credential shows.
    for line in exchange.lines() {
        if line.to_ascii_lowercase().starts_with("> authorization:") {
            assert_eq!(line, "> authorization: Basic [REDACTED]", "{exchange}");
        }
        assert!(
            !line.contains("client_secret=") || line.contains("client_secret=[REDACTED]"),
            "{line}"
        );
    }
    let issued = exchange.matches("eyJ").count();
    assert_eq!(
        issued, 0,
        "no JWT-shaped token anywhere in the exchange: {exchange}"
    );
}

/// Each send that another follows is a line of its own, with its status and the wait.
#[test]
fn verbose_shows_each_retry_with_its_status_and_wait() {
    let (code, stdout, stderr) = run_case_verbose("retries");
    assert_eq!(code, 1, "{stdout}{stderr}");
    // The emulator fails the first three API requests: the POST that may not be resent,
    // then twice the one with an Idempotency-Key, which passes on its third send.
    let retries: Vec<&str> = stderr.lines().filter(|l| l.starts_with("! ")).collect();
    assert_eq!(
        retries,
        [
            "! attempt 1: 503 Service Unavailable: retry 1 of 2 in 10 ms",
            "! attempt 2: 503 Service Unavailable: retry 2 of 2 in 20 ms",
        ],
        "{stderr}"
    );
    assert!(
        stdout.contains("unless it carries an Idempotency-Key  201  ")
            && stdout.contains("(2 retries)"),
        "{stdout}"
    );
}

/// A polled request shows a line per attempt that another followed, then the last exchange.
#[test]
fn verbose_shows_each_poll_attempt_with_its_status_and_wait() {
    let (code, stdout, stderr) = run_case_verbose("poll");
    assert_eq!(code, 1, "{stdout}{stderr}");
    let polls: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("! poll attempt"))
        .collect();
    // The first request passes on its second attempt (each attempt's 503 retried once); the
    // second is still failing its check when its second attempt would start too late.
    assert_eq!(
        polls,
        [
            "! poll attempt 1: 503, `expect` does not hold yet: next attempt in 20 ms",
            "! poll attempt 1: 200, `expect` does not hold yet: next attempt in 1000 ms",
        ],
        "{stderr}"
    );
}

/// Runs a golden case's collection (`collections/a.yaml`, against its `flaky` emulator
/// environment) with `-v`.
fn run_case_verbose(case: &str) -> (i32, String, String) {
    let dir = crate::support::root().join("tests/cases").join(case);
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).expect("the golden case");
    let collection = read("collections/a.yaml");
    let environment = read("environments/flaky.yaml");
    let dir = workspace(&[
        ("collections/a.yaml", collection.as_str()),
        ("environments/flaky.yaml", environment.as_str()),
    ]);
    crate::support::parts(&crate::support::run(
        dir.path(),
        &["run", "--env", "flaky", "-v"],
    ))
}
