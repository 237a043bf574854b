//! The HTML report in a real browser (external suite): Debian's headless `chromium`, driven
//! over the DevTools protocol by `html_report_check.mjs` (Node built-ins only), opens the
//! report of a run with failures and a response body holding markup. The page must make no
//! network request and log no console error (a Content-Security-Policy violation is one),
//! the markup must run nothing, the rendered DOM must show the JSON report's counts and the
//! failed check, the outcome filter must leave only failures and a tag filter only the
//! requests with that tag. A missing `node` or
//! `chromium` fails the test: the external suite never skips.

use std::process::Command;

use serde_json::Value;

use crate::html::run_with_failures;
use crate::support::root;

#[test]
fn external_html_report_in_headless_chromium() {
    let (dir, report) = run_with_failures();
    let page = dir.path().join("r.html");
    let shot = dir.path().join("r.png");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("node")
        .arg(root().join("tests/e2e/html_report_check.mjs"))
        .arg(&page)
        .arg(&shot)
        .arg(profile.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("node is needed by the external suite ({e}): install it (Debian: apt-get install -y nodejs)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser check failed (chromium is installed by .ci/run: apt-get install -y chromium):\n{stderr}"
    );
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        seen["requests"],
        serde_json::json!([]),
        "network requests: {seen:#}"
    );
    assert_eq!(
        seen["problems"],
        serde_json::json!([]),
        "console errors: {seen:#}"
    );
    let p = &seen["page"];
    assert_eq!(p["injected"], false, "markup from a response ran: {seen:#}");
    assert_eq!(
        p["scriptRan"], true,
        "the page's own script was blocked: {seen:#}"
    );
    for k in ["passed", "failed", "skipped"] {
        assert_eq!(
            p["counts"][k].as_str().unwrap(),
            report["summary"][k].to_string(),
            "{k}: {seen:#}"
        );
    }
    let failures: Vec<&str> = p["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        failures.iter().any(|f| f.contains("Mixed bag / wrong id")
            && f.contains("collections/mixed.yaml:13:31")
            && f.contains("\"V-9999\"")
            && f.contains("\"V-0001\"")),
        "{failures:#?}"
    );
    assert!(
        failures
            .iter()
            .any(|f| f.contains("</script><img src=x onerror=")),
        "the markup shows as text: {failures:#?}"
    );
    let total: usize = ["passed", "failed", "skipped"]
        .iter()
        .map(|k| report["summary"][k].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(p["requests"], total);
    assert!(p["timelineBars"].as_u64().unwrap() > 0);
    let filtered: Vec<&str> = seen["filtered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    assert_eq!(
        filtered.len(),
        report["summary"]["failed"].as_u64().unwrap() as usize,
        "{filtered:?}"
    );
    assert!(filtered.iter().all(|o| *o == "failed" || *o == "error"));
    // The first tag in the filter bar (sorted) is `untrusted`: the markup collection's one
    // request carries it, and only that request stays.
    assert_eq!(
        seen["tagged"],
        serde_json::json!({"tag": "untrusted", "visible": 1, "allCarryIt": true}),
        "{seen:#}"
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a screenshot"
    );
}
