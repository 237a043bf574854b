//! The HTML report (`--html FILE`) end to end: a run with failures, errors, skips, tags and a
//! response body holding markup writes one self-contained page whose counts match the JSON
//! report, whose failures show their place in the file, and where the markup is text; and
//! `compare --html` writes its page; retried requests count every send in `attempts` and are
//! marked on the timeline; a sharded run's reports name the shard. The page in a real browser
//! is the external suite's (`html_external.rs`).

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;

use serde_json::Value;

use crate::reports::{MIXED, VENDORS, closed_port, run_local};
use crate::support::{courier, parts, workspace};

/// What the markup server answers: a JSON body whose `name` would run script if a report
/// pasted it into the page unescaped.
pub(crate) const XSS_NAME: &str =
    "</script><img src=x onerror=\"window.__xss=true\"><script>window.__xss=true</script>";

/// A collection against the markup server: the check on `name` fails, so the report shows
/// the body's value as `actual`.
pub(crate) const MARKUP: &str = r#"name: Markup
tags: [untrusted]
requests:
  - name: a body with markup
    auth: none
    tags: [xss]
    url: "http://127.0.0.1:{{ markup_port }}/vendor"
    expect:
      status: 200
      jsonpath:
        "$.name": Acme
"#;

/// Serves [`XSS_NAME`] to every request on a loopback port, for the life of the test process.
pub(crate) fn markup_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("an address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let body = serde_json::json!({ "name": XSS_NAME }).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// Runs the mixed, vendors and markup collections with `--json r.json --html r.html` in a
/// fresh workspace; returns it with the JSON report.
pub(crate) fn run_with_failures() -> (tempfile::TempDir, Value) {
    let dir = workspace(&[
        ("collections/mixed.yaml", MIXED),
        ("collections/vendors.yaml", VENDORS),
        ("collections/markup.yaml", MARKUP),
    ]);
    let closed = format!("closed_port={}", closed_port());
    let markup = format!("markup_port={}", markup_server());
    let (code, stdout, stderr) = run_local(
        dir.path(),
        &[
            "--var", &closed, "--var", &markup, "--json", "r.json", "--html", "r.html",
        ],
    );
    assert_eq!(code, 3, "{stdout}{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).expect("r.json"))
            .expect("JSON");
    (dir, report)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn html_report_of_a_run_with_failures() {
    let (dir, report) = run_with_failures();
    let html = read(dir.path(), "r.html");
    for k in ["passed", "failed", "skipped"] {
        let n = report["summary"][k].as_u64().expect("a count");
        assert!(
            html.contains(&format!("data-count=\"{k}\">{n}<")),
            "{k} = {n} is not on the page"
        );
    }
    // The failed check: where it is written, what was expected, what came.
    assert!(html.contains("collections/mixed.yaml:13:31"), "{html}");
    assert!(html.contains("&quot;V-9999&quot;"));
    // The markup from the response is text on the page, never markup.
    assert!(!html.contains("<img"), "markup reached the page");
    assert_eq!(
        html.matches("<script>").count(),
        1,
        "only the page's own script"
    );
    // (The value is shown as JSON: its inner quotes carry a backslash.)
    assert!(
        html.contains(r"&lt;/script&gt;&lt;img src=x onerror=\&quot;window.__xss=true\&quot;&gt;")
    );
    // One file: nothing to fetch.
    for reference in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(
            !html.contains(reference),
            "the page refers out: {reference}"
        );
    }
    // Tag filters list the tags of the run.
    assert!(html.contains("data-filter-tag=\"xss\""));
    assert!(html.contains("data-filter-tag=\"untrusted\""));
}

#[test]
fn compare_writes_an_html_report_and_a_version_2_report() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let out = courier(dir.path())
        .args([
            "compare",
            "--left",
            "local",
            "--right",
            "local-production",
            "--read-only",
            "--json",
            "c.json",
            "--html",
            "c.html",
        ])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = parts(&out);
    assert!(code == 0 || code == 1, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&read(dir.path(), "c.json")).expect("JSON");
    crate::reports::assert_valid_report("compare", &report);
    let html = read(dir.path(), "c.html");
    for k in ["identical", "different", "skipped"] {
        let n = report["summary"][k].as_u64().expect("a count");
        assert!(html.contains(&format!("data-count=\"{k}\">{n}<")), "{k}");
    }
    assert_eq!(
        html.matches("<tr class=\"request\"").count(),
        report["pairs"].as_array().expect("pairs").len()
    );
}

#[test]
fn attempts_count_every_send_and_the_timeline_marks_retried_requests() {
    // The golden case `retries`: the emulator answers its first three API requests 503.
    let case = crate::support::root().join("tests/cases/retries");
    let file = |p: &str| std::fs::read_to_string(case.join(p)).expect("the retries case");
    let dir = workspace(&[
        ("environments/flaky.yaml", &file("environments/flaky.yaml")),
        ("collections/a.yaml", &file("collections/a.yaml")),
    ]);
    let out = courier(dir.path())
        .args([
            "run", "--env", "flaky", "--json", "r.json", "--html", "r.html",
        ])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&read(dir.path(), "r.json")).expect("JSON");
    let attempts: Vec<u64> = report["collections"][0]["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["attempts"].as_u64().expect("a count"))
        .collect();
    // The POST is sent once (never retried); the one with an Idempotency-Key twice refused,
    // then answered; the read once.
    assert_eq!(attempts, [1, 3, 1]);
    let starts: Vec<u64> = report["collections"][0]["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["started_ms"].as_u64().expect("started"))
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1]),
        "in order: {starts:?}"
    );
    let html = read(dir.path(), "r.html");
    assert_eq!(
        html.matches("bar passed retried").count(),
        1,
        "one retried bar"
    );
    assert!(html.contains(">×3</text>"));
}

#[test]
fn a_sharded_runs_reports_name_the_shard() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(
        dir.path(),
        &["--shard", "1/1", "--json", "r.json", "--html", "r.html"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&read(dir.path(), "r.json")).expect("JSON");
    assert_eq!(report["shard"], serde_json::json!({"index": 1, "total": 1}));
    crate::reports::assert_valid_report("a sharded run", &report);
    assert!(read(dir.path(), "r.html").contains("<span>shard 1 of 1</span>"));
}

#[test]
fn an_empty_shard_still_writes_its_page() {
    // One collection file: shard 1 of 2 takes positions 0 up to 0, none.
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(dir.path(), &["--shard", "1/2", "--html", "r.html"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let html = read(dir.path(), "r.html");
    assert!(html.contains("data-count=\"passed\">0<"), "{html}");
    assert!(html.contains("No request ran."));
}

/// An HTML report of `compare` that cannot be written (a folder where the file should go)
/// exits 3: requests were sent (`run`'s report flags: reports.rs).
#[test]
fn an_html_report_that_cannot_be_written_exits_3_after_requests_were_sent() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let args = [
        "compare",
        "--left",
        "local",
        "--right",
        "local",
        "--html",
        "collections",
    ];
    let (code, stdout, stderr) = parts(&crate::support::run(dir.path(), &args));
    assert_eq!(code, 3, "{stdout}{stderr}");
    assert!(
        stderr.contains("error: cannot write the HTML report"),
        "{stderr}"
    );
}
