//! The collection language on the repository's own examples: typed `--var` values reach a
//! JSON body with their type, and the examples pass whatever page size is asked for.

use crate::support::{courier, examples, parts};

/// `--var page_size=5` sends `"size": 5` (a number, not `"5"`), the checks that compare the
/// page against `page_size` pass, and the snapshot does not depend on the page size.
#[test]
fn gl_accounts_with_a_typed_page_size() {
    let dir = examples();
    for size in ["5", "3"] {
        let (code, stdout, stderr) = parts(
            &courier(dir.path())
                .args([
                    "run",
                    "collections/gl-accounts.yaml",
                    "--env",
                    "local",
                    "--snapshots",
                    "check",
                    "-v",
                    "--var",
                    &format!("page_size={size}"),
                ])
                .output()
                .unwrap(),
        );
        assert_eq!(code, 0, "page_size={size}\n{stdout}\n{stderr}");
        assert!(
            stdout.ends_with("4 passed, 0 failed, 0 skipped\n"),
            "{stdout}"
        );
        assert!(
            stderr.contains(&format!("\"size\":{size}}}")),
            "the body should hold a number:\n{stderr}"
        );
        assert!(
            !stderr.contains(&format!("\"size\":\"{size}\"")),
            "{stderr}"
        );
    }
}

/// `defaults.delay` pauses before every request, a request's own `delay` overrides it.
#[test]
fn delay_pauses_before_each_request() {
    let collection = "name: Delays\nauth: intacct\ndefaults:\n  delay: 1s\nrequests:\n  - name: first\n    url: \"{{ base_url }}/objects/accounts-payable/vendor/84\"\n    expect: { status: 200 }\n  - name: second\n    url: \"{{ base_url }}/objects/accounts-payable/vendor/85\"\n    delay: 0ms\n    expect: { status: 200 }\n";
    let timed = |text: &str| {
        let dir = crate::support::workspace(&[("collections/a.yaml", text)]);
        let start = std::time::Instant::now();
        let (code, stdout, stderr) = parts(
            &courier(dir.path())
                .args(["run", "--env", "local"])
                .output()
                .unwrap(),
        );
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        start.elapsed()
    };
    let with = timed(collection);
    let without = timed(&collection.replace("defaults:\n  delay: 1s\n", ""));
    assert!(
        with >= without + std::time::Duration::from_millis(900),
        "with the delay {with:?}, without {without:?}"
    );
    // Once, not twice: the second request's `delay: 0ms` wins over the default.
    assert!(
        with < without + std::time::Duration::from_millis(1900),
        "with the delay {with:?}, without {without:?}"
    );
}

/// The paging example fetches every vendor of the emulator company five at a time with one
/// `repeat` request (at least three pages, each its own result) and collects as many ids as
/// `totalCount`; the JSON report names each page.
#[test]
fn vendor_paging_collects_every_id() {
    let dir = examples();
    let (code, stdout, stderr) = parts(
        &courier(dir.path())
            .args([
                "run",
                "collections/vendor-paging.yaml",
                "--env",
                "local",
                "--json",
                "report.json",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("PASS Vendor paging / all vendors [page 3]"),
        "{stdout}"
    );
    assert!(stdout.contains("PASS Vendor paging / every vendor was collected"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = report["collections"][0]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    assert_eq!(names[0], "all vendors [page 1]");
    assert_eq!(names[names.len() - 1], "every vendor was collected");
}
