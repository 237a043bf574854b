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
        .filter(|l| l.to_ascii_lowercase().starts_with("> authorization:"))
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
