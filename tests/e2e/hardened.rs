//! Hardening seen from outside: `--junit -` writes JUnit to standard output (run, compare and
//! report merge) with the console on standard error; method-override headers make the
//! production guard and `--read-only` treat a request as the method they name, with nothing
//! sent (emulator stats); a snapshot JSONPath past the node budget fails its request; a
//! self-signed server certificate in `tls.ca_cert` is trusted by exact match (servers on
//! 127.0.0.1 of the test's own).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::path::Path;

use crate::auth::Emu;
use crate::reports::VENDORS;
use crate::support::{courier, parts, run, workspace};

/// The root element names of `xml`, read with quick-xml (which also proves it well-formed).
fn junit_root(xml: &str) -> String {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                return e.name().as_ref().to_owned();
            }
            quick_xml::events::Event::Eof => panic!("no element in: {xml}"),
            _ => {}
        }
    }
}

/// Every element of `xml` read to the end: a parse error fails the test.
fn assert_well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    while !matches!(reader.read_event().unwrap(), quick_xml::events::Event::Eof) {}
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    parts(&run(dir, args))
}

#[test]
fn junit_to_standard_output_moves_the_console_to_standard_error() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &["run", "--env", "local", "--junit", "-", "--json", "r.json"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(junit_root(&stdout), "testsuites", "{stdout}");
    assert_well_formed(&stdout);
    assert!(
        stdout.contains(r#"<testcase name="read vendor""#),
        "{stdout}"
    );
    assert!(
        !stdout.contains("PASS"),
        "no console line on stdout: {stdout}"
    );
    assert!(stderr.contains("PASS Vendors / read vendor"), "{stderr}");
    assert_eq!(stderr.lines().last(), Some("2 passed, 0 failed, 0 skipped"));
    assert!(!dir.path().join("-").exists(), "no file named `-`");

    // `report merge --junit -` alike, its summary on standard error.
    let (code, stdout, stderr) = run_in(dir.path(), &["report", "merge", "r.json", "--junit", "-"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(junit_root(&stdout), "testsuites", "{stdout}");
    assert_well_formed(&stdout);
    assert!(
        stderr.ends_with("2 passed, 0 failed, 0 skipped (merged from 1 report)\n"),
        "{stderr}"
    );
}

#[test]
fn compare_writes_junit_to_standard_output() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[
            "compare", "--left", "local", "--right", "local", "--junit", "-",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(junit_root(&stdout), "testsuites", "{stdout}");
    assert_well_formed(&stdout);
    assert_eq!(stdout.matches("<testcase ").count(), 2, "{stdout}");
    assert!(
        stderr.ends_with("2 identical, 0 different, 0 skipped\n"),
        "{stderr}"
    );
}

/// Two reports cannot share standard output: exit 2 naming both flags, before anything runs.
#[test]
fn json_and_junit_both_to_standard_output_is_refused() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let both = ["--json", "-", "--junit", "-"];
    for command in [
        vec!["run", "--env", "local"],
        vec!["compare", "--left", "local", "--right", "local"],
    ] {
        let args: Vec<&str> = command.iter().chain(&both).copied().collect();
        let (code, stdout, stderr) = run_in(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.contains("--json - and --junit - both name standard output"),
            "{args:?}: {stderr}"
        );
    }
    let (code, _, _) = run_in(dir.path(), &["run", "--env", "local", "--json", "r.json"]);
    assert_eq!(code, 0);
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &["report", "merge", "r.json", "--json", "-", "--junit", "-"],
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--json - and --junit - both name standard output"),
        "{stderr}"
    );
}

/// A read and a write disguised by each method-override header, and a plain DELETE.
const OVERRIDES: &str = r#"name: Overrides
requests:
  - name: post override
    method: POST
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    headers: { X-HTTP-Method-Override: DELETE }
  - name: get method
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    headers: { X-HTTP-Method: DELETE }
  - name: get override
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    headers: { x-method-override: delete }
  - name: plain delete
    method: DELETE
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
"#;

#[test]
fn method_override_headers_are_guarded_like_the_method_they_name() {
    let emu = Emu::start(|o| o.scope = courier_emulator::Scope::Production);
    let env = format!("scope: production\nvars:\n  base_url: {}\n", emu.base_url());
    let dir = workspace(&[
        ("environments/prod.yaml", &env),
        ("collections/overrides.yaml", OVERRIDES),
    ]);
    let sent = || {
        let stats = emu.stats();
        (
            stats["api_requests"].as_u64().unwrap(),
            stats["routes"].clone(),
        )
    };
    let run_prod = |extra: &[&str]| {
        let out = courier(dir.path())
            .args(["run", "collections", "--env", "prod"])
            .args(extra)
            .output()
            .unwrap();
        parts(&out)
    };

    let (code, stdout, stderr) = run_prod(&[]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    for line in [
        "Overrides / post override (POST at collections/overrides.yaml:3)",
        "Overrides / get method (GET with a method-override header at collections/overrides.yaml:7)",
        "Overrides / get override (GET with a method-override header at collections/overrides.yaml:10)",
        "Overrides / plain delete (DELETE at collections/overrides.yaml:13)",
    ] {
        assert!(stderr.contains(line), "{line}: {stderr}");
    }
    assert_eq!(sent(), (0, serde_json::json!({})), "nothing sent");

    let (code, stdout, stderr) = run_prod(&["--read-only"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    for line in [
        "SKIP Overrides / post override  skipped: --read-only: POST mutates",
        "SKIP Overrides / get method  skipped: --read-only: GET with a method-override header mutates",
        "SKIP Overrides / get override  skipped: --read-only: GET with a method-override header mutates",
        "SKIP Overrides / plain delete  skipped: --read-only: DELETE mutates",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    assert!(
        stdout.ends_with("0 passed, 0 failed, 4 skipped\n"),
        "{stdout}"
    );
    assert_eq!(sent(), (0, serde_json::json!({})), "nothing sent");
}

/// Serves `body` as JSON to every request on 127.0.0.1 until the test ends; its base URL.
fn json_server(body: String) -> String {
    use std::io::{BufRead as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

/// A snapshot `path` or redaction past the JSONPath node budget fails the request with the
/// budget's message, and nothing is stored (before, the path selected nothing and an empty
/// snapshot was written as if it were the response).
#[test]
fn a_snapshot_path_or_redaction_past_the_node_budget_fails_the_request() {
    // 241 bytes: an array 120 deep.
    let base = json_server(format!("{}1{}", "[".repeat(120), "]".repeat(120)));
    let env = format!("scope: non-production\nvars:\n  base_url: {base}\n");
    let collection = r#"name: Deep
requests:
  - name: deep path
    url: "{{ base_url }}/deep"
    snapshot: { path: "$..*..*..*..*..*..*" }
  - name: deep redaction
    url: "{{ base_url }}/deep"
    snapshot:
      redact: { "$..*..*..*..*..*[?@ == 1]": "[one]" }
"#;
    let dir = workspace(&[
        ("environments/t.yaml", &env),
        ("collections/deep.yaml", collection),
    ]);
    let (code, stdout, stderr) = run_in(dir.path(), &["run", "--env", "t"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    for query in ["$..*..*..*..*..*..*", "$..*..*..*..*..*[?@ == 1]"] {
        let message = format!(
            "snapshot: the JSONPath `{query}` would visit more than 2000000 nodes of this document (its node budget)"
        );
        assert!(stdout.contains(&message), "{message}: {stdout}");
    }
    assert!(
        stdout.ends_with("0 passed, 2 failed, 0 skipped\n"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("collections/__snapshots__").exists(),
        "nothing stored"
    );
}

/// An HTTPS server on 127.0.0.1 presenting `cert` that answers every request `200 {}`.
fn https_server(cert: &rcgen::Certificate, key: &rcgen::KeyPair) -> String {
    use std::io::{Read as _, Write as _};
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let config = std::sync::Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut request = [0u8; 4096];
                // A refused handshake ends here, on the client's alert.
                if tls.read(&mut request).is_err() {
                    return;
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    format!("https://{addr}")
}

/// A self-signed certificate as `openssl req -x509` makes it with default options: CA:TRUE,
/// no subjectAltName. Given as `tls.ca_cert`, the server is trusted by exact match; with
/// another certificate there, the request fails naming the server, what is wrong and the
/// setting.
#[test]
fn a_self_signed_certificate_in_ca_cert_is_trusted_and_another_is_explained() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.self_signed(&key).unwrap();
    let base = https_server(&cert, &key);

    let other_key = rcgen::KeyPair::generate().unwrap();
    let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    other
        .distinguished_name
        .push(rcgen::DnType::CommonName, "someone else");
    let other = other.self_signed(&other_key).unwrap();

    let env = |pem: &str| {
        format!("scope: non-production\nvars:\n  base_url: {base}\ntls: {{ ca_cert: {pem} }}\n")
    };
    let collection = "name: TLS\nrequests:\n  - name: read\n    url: \"{{ base_url }}/x\"\n    expect: { status: 200 }\n";
    let dir = workspace(&[
        ("environments/pinned.yaml", &env("certs/server.pem")),
        ("environments/other.yaml", &env("certs/other.pem")),
        ("environments/certs/server.pem", &cert.pem()),
        ("environments/certs/other.pem", &other.pem()),
        ("collections/tls.yaml", collection),
    ]);

    let (code, stdout, stderr) = run_in(dir.path(), &["run", "--env", "pinned"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("1 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run_in(dir.path(), &["run", "--env", "other"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stdout.contains(
            "the certificate of `127.0.0.1` is self-signed, and not the one `tls.ca_cert` holds: set `tls.ca_cert` in the environment file to that very certificate (PEM) to trust it, or `tls.insecure: true` to skip the check (refused in production)"
        ),
        "{stdout}"
    );
}
