//! A cookie jar per collection run: a cookie a server sets is sent back by the later
//! requests of the same collection, never by another collection, and never printed by `-v`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;

use crate::support::{parts, run, workspace};

/// A tiny HTTP/1.1 server on 127.0.0.1: `/login` sets a cookie, `/whoami` answers with the
/// `Cookie` header it received as JSON. One request per connection.
fn cookie_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("an address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut cookie = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("cookie")
                {
                    v.trim().clone_into(&mut cookie);
                }
            }
            let (extra, body) = if first.starts_with("GET /login") {
                (
                    "Set-Cookie: session=s3ss10n-c00kie-value; Path=/\r\n",
                    "{}".to_owned(),
                )
            } else {
                ("", serde_json::json!({ "cookie": cookie }).to_string())
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn cookies_live_for_one_collection_run() {
    let base = cookie_server();
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let first = "name: A\nrequests:\n  - name: login\n    url: \"{{ base_url }}/login\"\n  - name: whoami\n    url: \"{{ base_url }}/whoami\"\n    expect:\n      jsonpath:\n        $.cookie: session=s3ss10n-c00kie-value\n";
    let second = "name: B\nrequests:\n  - name: whoami\n    url: \"{{ base_url }}/whoami\"\n    expect:\n      jsonpath:\n        $.cookie: \"\"\n";
    let dir = workspace(&[
        ("environments/cookies.yaml", &env),
        ("collections/a.yaml", first),
        ("collections/b.yaml", second),
    ]);
    let (code, stdout, stderr) = parts(&run(
        dir.path(),
        &["run", "collections", "--env", "cookies", "-v"],
    ));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("3 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    // The Cookie and Set-Cookie headers are secrets: -v shows neither value.
    assert!(!stderr.contains("s3ss10n-c00kie-value"), "{stderr}");
    assert!(stderr.contains("set-cookie: [REDACTED]"), "{stderr}");
}
