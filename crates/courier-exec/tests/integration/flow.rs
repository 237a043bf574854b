//! The flow rules, each shown by the events of a run.

use courier_emulator::EmulatorOptions;
use courier_events::Outcome;
use courier_exec::runner::RunOptions;

use crate::support::run;

const VENDOR: &str = "{{ base_url }}/objects/accounts-payable/vendor";

fn skipped(reason: &str) -> (Outcome, Option<String>) {
    (Outcome::Skipped, Some(reason.to_owned()))
}

/// A request whose capture's producer failed, was skipped or matched nothing is skipped with
/// the reason, transitively; requests that need nothing go on.
#[test]
fn dependents_of_a_failed_producer_are_skipped_with_the_reason() {
    let collection = format!(
        r#"name: Dependents
auth: intacct
requests:
  - name: create with a bad payload
    method: POST
    url: "{VENDOR}"
    json: {{ name: 5 }}
    expect: {{ status: 201 }}
    capture:
      vendor_key: "$['ia::result'].key"
  - name: read the new vendor
    url: "{VENDOR}/{{{{ vendor_key }}}}"
    capture:
      vendor_name: "$['ia::result'].name"
  - name: use its name
    url: "{VENDOR}?name={{{{ vendor_name }}}}"
  - name: independent
    url: "{VENDOR}/84"
    expect: {{ status: 200 }}
"#
    );
    let ran = run(
        &[("deps.yaml", &collection)],
        EmulatorOptions::default(),
        RunOptions::default(),
    );
    let got: Vec<_> = ran
        .lines()
        .into_iter()
        .map(|(name, outcome, reason)| (name, (outcome, reason)))
        .collect();
    assert_eq!(
        got,
        [
            (
                "create with a bad payload".to_owned(),
                (Outcome::Failed, None)
            ),
            (
                "read the new vendor".to_owned(),
                skipped("needs vendor_key from \"create with a bad payload\" (matched nothing)")
            ),
            (
                "use its name".to_owned(),
                skipped("needs vendor_name from \"read the new vendor\" (skipped)")
            ),
            ("independent".to_owned(), (Outcome::Passed, None)),
        ]
    );
    assert_eq!(ran.of("create with a bad payload").status, Some(400));
    assert!(ran.totals.failed && !ran.totals.unchecked);
    assert_eq!(
        (
            ran.totals.summary.passed,
            ran.totals.summary.failed,
            ran.totals.summary.skipped
        ),
        (1, 1, 2)
    );
}

/// `skip: true`, a `skip:` template that renders true, and a request that needs a capture of
/// a skipped request are skipped; a template that renders false runs; `--read-only` skips a
/// request that mutates.
#[test]
fn skips_say_why_and_send_nothing() {
    let collection = format!(
        r#"name: Skips
auth: intacct
requests:
  - name: switched off
    skip: true
    url: "{VENDOR}"
    capture:
      other: "$['ia::meta'].totalCount"
  - name: needs the switched-off one
    url: "{VENDOR}/{{{{ other }}}}"
  - name: skipped by a template
    skip: "{{{{ env_scope == 'non-production' }}}}"
    url: "{VENDOR}"
  - name: not skipped by a template
    skip: "{{{{ env_scope == 'production' }}}}"
    url: "{VENDOR}/84"
    expect: {{ status: 200 }}
  - name: a write
    method: POST
    url: "{VENDOR}"
    json: {{ id: V-S1, name: Skip One }}
"#
    );
    let ran = run(
        &[("skips.yaml", &collection)],
        EmulatorOptions::default(),
        RunOptions {
            read_only: true,
            ..RunOptions::default()
        },
    );
    let got: Vec<_> = ran.lines().into_iter().map(|(_, o, r)| (o, r)).collect();
    assert_eq!(
        got,
        [
            skipped("skip: true"),
            skipped("needs other from \"switched off\" (skipped)"),
            skipped("skip: {{ env_scope == 'non-production' }}"),
            (Outcome::Passed, None),
            skipped("--read-only: POST mutates"),
        ]
    );
    for name in ["switched off", "skipped by a template", "a write"] {
        assert_eq!(ran.of(name).status, None, "`{name}` was sent");
    }
    assert!(!ran.totals.failed);
}

/// Without `--bail` a collection goes on after a failure; with it, everything after the
/// first failure is skipped, in the failing collection and the ones after it.
#[test]
fn bail_skips_everything_after_the_first_failure() {
    let first = format!(
        r#"name: First
auth: intacct
requests:
  - name: passes
    url: "{VENDOR}/84"
    expect: {{ status: 200 }}
  - name: fails
    url: "{VENDOR}/84"
    expect: {{ status: 201 }}
  - name: after the failure
    url: "{VENDOR}/84"
"#
    );
    let second = format!(
        r#"name: Second
auth: intacct
requests:
  - name: in the next collection
    url: "{VENDOR}/84"
"#
    );
    let files = [("a.yaml", first.as_str()), ("b.yaml", second.as_str())];
    let outcomes = |bail: bool| -> Vec<(String, Outcome, Option<String>)> {
        run(
            &files,
            EmulatorOptions::default(),
            RunOptions {
                bail,
                ..RunOptions::default()
            },
        )
        .lines()
    };
    let bail = "--bail: an earlier request failed".to_owned();
    assert_eq!(
        outcomes(true),
        [
            ("passes".to_owned(), Outcome::Passed, None),
            ("fails".to_owned(), Outcome::Failed, None),
            (
                "after the failure".to_owned(),
                Outcome::Skipped,
                Some(bail.clone())
            ),
            (
                "in the next collection".to_owned(),
                Outcome::Skipped,
                Some(bail)
            ),
        ]
    );
    assert_eq!(
        outcomes(false),
        [
            ("passes".to_owned(), Outcome::Passed, None),
            ("fails".to_owned(), Outcome::Failed, None),
            ("after the failure".to_owned(), Outcome::Passed, None),
            ("in the next collection".to_owned(), Outcome::Passed, None),
        ]
    );
}

/// Retries resend a read or a write with an `Idempotency-Key` on a listed status until it
/// passes; a mutating request without one is never retried.
#[test]
fn retries_resend_reads_and_idempotent_writes_only() {
    let retried = |requests: &str, fail_first: u64| {
        let collection = format!(
            "name: Retries\nauth: intacct\ndefaults:\n  retries: {{ count: 2, on: [503], backoff: 10ms }}\nrequests:\n{requests}"
        );
        // The emulator answers 503 to its first `fail_first` API requests.
        let ran = run(
            &[("retries.yaml", &collection)],
            EmulatorOptions {
                fail_first,
                ..EmulatorOptions::default()
            },
            RunOptions::default(),
        );
        ran.results
            .iter()
            .map(|r| (r.name().to_owned(), r.outcome, r.status))
            .collect::<Vec<_>>()
    };
    let plain_write = format!(
        "  - name: a write\n    method: POST\n    url: \"{VENDOR}\"\n    json: {{ id: V-R1, name: Retry One }}\n    expect: {{ status: 201 }}\n"
    );
    assert_eq!(
        retried(&plain_write, 1),
        [("a write".to_owned(), Outcome::Failed, Some(503))]
    );
    let idempotent_write = format!(
        "  - name: an idempotent write\n    method: POST\n    url: \"{VENDOR}\"\n    headers: {{ Idempotency-Key: \"7b1e8f3c-retry-two\" }}\n    json: {{ id: V-R2, name: Retry Two }}\n    expect: {{ status: 201 }}\n"
    );
    assert_eq!(
        retried(&idempotent_write, 1),
        [("an idempotent write".to_owned(), Outcome::Passed, Some(201))]
    );
    let read =
        format!("  - name: a read\n    url: \"{VENDOR}/84\"\n    expect: {{ status: 200 }}\n");
    // Two failures: the read passes on its second and last retry.
    assert_eq!(
        retried(&read, 2),
        [("a read".to_owned(), Outcome::Passed, Some(200))]
    );
}
