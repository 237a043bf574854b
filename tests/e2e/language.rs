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
