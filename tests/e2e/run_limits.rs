//! `courier run` against an emulator the test can watch through `/__emulator/stats`: the
//! environment's `limits.max_concurrency` holds a `--parallel` run to that many requests in
//! flight and reaches it; without it, the first 429s teach the run the server's cap; a
//! `delay` holds no slot; a spent hourly quota pauses the run when it renews within a minute
//! and ends it without sending the rest when it does not; a request's reported start is when it
//! had its slot; the production
//! guard refuses before sending anything at all, token requests included, while
//! `--read-only` sends only the requests that read.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::fmt::Write as _;

use crate::auth::{CLIENT_SECRET, Emu, env_yaml, reads};
use crate::support::{courier, parts, workspace};

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = courier(dir)
        .args(args)
        .env("EMU_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap();
    parts(&out)
}

#[test]
fn max_concurrency_caps_requests_in_flight_across_parallel_collections() {
    let emu = Emu::start(|o| o.latency = std::time::Duration::from_millis(15));
    let (dir, (code, stdout, stderr)) = parallel_reads(&emu, Some(2), "", (8, 5), 8, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("40 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 40, "{stats}");
    let peak = stats["in_flight_peak"].as_u64().unwrap();
    assert!((1..=2).contains(&peak), "in_flight_peak {peak}: {stats}");

    // The control: without the limit the same run overlaps more than two requests, so the
    // assertion above can fail.
    let emu = Emu::start(|o| o.latency = std::time::Duration::from_millis(15));
    std::fs::write(
        dir.path().join("environments/emu.yaml"),
        env_yaml(&emu.base_url(), "client_credentials", ""),
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        dir.path(),
        &["run", "collections", "--env", "emu", "--parallel", "8"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        emu.stats()["in_flight_peak"].as_u64().unwrap() > 2,
        "{}",
        emu.stats()
    );
}

#[test]
fn a_run_kept_to_the_companys_cap_meets_it_exactly_and_is_never_refused() {
    // docs/emulator.md, "Concurrency": 10 collections of 10 requests, `--parallel 8`, the
    // environment's `max_concurrency: 2` against an emulator that allows 2 in flight and
    // answers in 20 ms. Every request passes; the run keeps exactly 2 in flight (it reaches the
    // cap, so it is not merely sequential) and never meets a 429.
    let emu = Emu::start(|o| {
        o.latency = std::time::Duration::from_millis(20);
        o.max_concurrent = Some(2);
    });
    let (_dir, (code, stdout, stderr)) = parallel_reads(&emu, Some(2), "", (10, 10), 8, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("100 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 100, "{stats}");
    assert_eq!(stats["in_flight_peak"], 2, "{stats}");
    assert_eq!(stats["concurrency_rejections"], 0, "{stats}");
}

#[test]
fn a_cap_of_six_keeps_six_in_flight_across_ten_collections() {
    // The first tier's six concurrent requests per application: 10 collections of 20 reads
    // with `--parallel 10` keep exactly six on the wire and are never refused.
    let emu = Emu::start(|o| {
        o.latency = std::time::Duration::from_millis(20);
        o.max_concurrent = Some(6);
    });
    let (_dir, (code, stdout, stderr)) = parallel_reads(&emu, Some(6), "", (10, 20), 10, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("200 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 200, "{stats}");
    assert_eq!(stats["in_flight_peak"], 6, "{stats}");
    assert_eq!(stats["concurrency_rejections"], 0, "{stats}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_quota_spent_for_the_hour_ends_the_run_without_sending_the_rest() {
    // docs/environments.md#limits: five API requests allowed per hour. The sixth is refused
    // with `X-IA-Hour-Rate-Limit-Retry-After` of about an hour: it is not resent although its
    // retries allow it, and the six after it are not sent at all; nobody waits a minute per
    // request for a quota that renews in an hour.
    let emu = Emu::start(|o| {
        o.hour_quota = Some(courier_emulator::HourQuota {
            requests: 5,
            window: std::time::Duration::from_hours(1),
        });
    });
    let (_dir, (code, stdout, stderr)) = parallel_reads(
        &emu,
        Some(2),
        "defaults: { retries: { count: 3, on: [429] } }\n",
        (1, 12),
        1,
        &[],
    );
    // Requests that could not be checked (docs/cli.md#exit-codes).
    assert_eq!(code, 3, "{stdout}{stderr}");
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 6, "{stats}");
    assert_eq!(stats["rejected"]["429"], 1, "{stats}");
    assert!(
        stdout.ends_with("5 passed, 7 failed, 0 skipped\n"),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("not sent: the server's hourly request quota is spent until about")
            .count(),
        6,
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "the server answered 429 (too many requests) 1 time because the hourly request \
             quota was spent"
        ) && stderr.contains("so 6 requests after it were not sent"),
        "{stderr}"
    );
    assert!(!stderr.contains("max_concurrency"), "{stderr}");
}

#[test]
fn a_poll_stops_at_a_quota_spent_for_the_hour() {
    // The second request polls for 30 s; the quota (one request an hour) refuses its first
    // attempt. Every later attempt would be refused too, so it is not made: the run ends at
    // once with one attempt reported, instead of attempting until the poll's timeout.
    let emu = Emu::start(|o| {
        o.hour_quota = Some(courier_emulator::HourQuota {
            requests: 1,
            window: std::time::Duration::from_hours(1),
        });
    });
    let collection = "name: Poll\nauth: intacct\nrequests:\n\
        \x20 - name: read\n    url: \"{{ base_url }}/objects/accounts-payable/vendor\"\n    expect: { status: 200 }\n\
        \x20 - name: wait\n    url: \"{{ base_url }}/objects/accounts-payable/vendor\"\n    poll: { interval: 200ms, timeout: 30s }\n    expect: { status: 200 }\n";
    let env = env_yaml(&emu.base_url(), "client_credentials", "");
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/poll.yaml", collection),
    ]);
    let (code, stdout, stderr) = run(
        dir.path(),
        &[
            "run",
            "collections",
            "--env",
            "emu",
            "--json",
            "report.json",
        ],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("1 passed, 1 failed, 0 skipped\n"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let wait = &report["collections"][0]["requests"][1];
    assert_eq!(wait["status"], 429, "{wait}");
    assert_eq!(wait["attempts"], 1, "{wait}");
    assert_eq!(emu.stats()["api_requests"], 2);
}

#[test]
fn a_quota_that_renews_within_a_minute_pauses_the_run_which_then_passes() {
    // Five API requests per second: the requests beyond it are refused, wait for the window's
    // end (`X-IA-Hour-Rate-Limit-Retry-After: 1`), and pass on their retry. The slots were not
    // what refused, so the run is not told to send fewer at once.
    let emu = Emu::start(|o| {
        o.hour_quota = Some(courier_emulator::HourQuota {
            requests: 5,
            window: std::time::Duration::from_secs(1),
        });
    });
    let (_dir, (code, stdout, stderr)) = parallel_reads(
        &emu,
        Some(2),
        "defaults: { retries: { count: 3, on: [429] } }\n",
        (2, 6),
        2,
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("12 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    let stats = emu.stats();
    let refused = stats["rejected"]["429"].as_u64().unwrap();
    assert!(refused >= 1, "{stats}");
    assert_eq!(stats["api_requests"], 12 + refused, "{stats}");
    assert!(
        stderr.contains(&format!(
            "the server answered 429 (too many requests) {refused} time"
        )) && stderr.contains("the quota renews within the hour"),
        "{stderr}"
    );
    assert!(!stderr.contains("fewer requests at once:"), "{stderr}");
}

#[test]
fn without_max_concurrency_the_first_429s_teach_the_run_the_servers_cap() {
    // docs/environments.md#limits: no `max_concurrency`, a server that takes two at a time.
    // The first requests of ten collections meet 429s; from then on the run keeps one fewer
    // in flight than it had when refused, so only that first round is refused (at most one
    // request per collection) and every request passes after its retry.
    let emu = Emu::start(|o| {
        o.latency = std::time::Duration::from_millis(50);
        o.max_concurrent = Some(2);
    });
    let (_dir, (code, stdout, stderr)) = parallel_reads(
        &emu,
        None,
        "defaults: { retries: { count: 3, on: [429] } }\n",
        (10, 5),
        10,
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("50 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    let stats = emu.stats();
    let rejections = stats["concurrency_rejections"].as_u64().unwrap();
    assert!(
        (1..=10).contains(&rejections),
        "{rejections} rejections: {stats}"
    );
    assert_eq!(stats["api_requests"], 50 + rejections, "{stats}");
    assert!(
        stderr.contains(&format!(
            "the server answered 429 (too many requests) {rejections} time"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("`limits: { max_concurrency: 2 }`"),
        "the run says what it learned: {stderr}"
    );
}

#[test]
fn a_delay_holds_no_slot_so_other_collections_run_meanwhile() {
    // `max_concurrency: 1` and `--parallel 2`: collection A waits 1 s before its only
    // request, a query for what collection B creates. Had the delay held the one slot, B
    // would be held back behind A's query, which would then find fewer than three vendors.
    let emu = Emu::start(|_| {});
    let env = env_yaml(
        &emu.base_url(),
        "client_credentials",
        "limits: { max_concurrency: 1 }\n",
    );
    let a = "name: A\nauth: intacct\nrequests:\n  - name: query after a delay\n    delay: 1s\n    method: POST\n    mutates: false\n    url: \"{{ base_url }}/services/core/query\"\n    json: { object: accounts-payable/vendor, fields: [id], filters: [{ $startsWith: { id: V-SLOT } }] }\n    expect:\n      status: 200\n      jsonpath: { \"$['ia::result']\": { length: 3 } }\n";
    let mut b = String::from("name: B\nauth: intacct\nrequests:\n");
    for i in 1..=3 {
        let _ = write!(
            b,
            "  - name: create {i}\n    method: POST\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    json: {{ id: V-SLOT{i}, name: Slot {i} }}\n    expect: {{ status: 201 }}\n"
        );
    }
    let dir = workspace(&[
        ("environments/emu.yaml", &env),
        ("collections/a.yaml", a),
        ("collections/b.yaml", &b),
    ]);
    let (code, stdout, stderr) = run(
        dir.path(),
        &["run", "collections", "--env", "emu", "--parallel", "2"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.ends_with("4 passed, 0 failed, 0 skipped\n"),
        "{stdout}"
    );
    assert_eq!(emu.stats()["in_flight_peak"], 1, "{}", emu.stats());
}

#[test]
fn a_request_s_start_is_when_it_went_on_the_wire_not_when_it_began_waiting_for_a_slot() {
    // One place in flight, four collections of one read at once, each answered in 60 ms: the
    // requests go out one after another, and the JSON report's `started_ms` says so (the HTML
    // timeline draws its bars from it), rather than showing four bars starting together.
    let emu = Emu::start(|o| o.latency = std::time::Duration::from_millis(60));
    let (dir, (code, stdout, stderr)) =
        parallel_reads(&emu, Some(1), "", (4, 1), 4, &["--json", "report.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let mut bars: Vec<(u64, u64)> = report["collections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["requests"].as_array().unwrap().iter())
        .map(|r| {
            (
                r["started_ms"].as_u64().unwrap(),
                r["duration_ms"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(bars.len(), 4, "{report}");
    bars.sort_unstable();
    for pair in bars.windows(2) {
        let ((start, took), (next, _)) = (pair[0], pair[1]);
        assert!(
            took >= 60,
            "each answer takes the emulator's 60 ms: {bars:?}"
        );
        // Whole milliseconds on both sides: a bar may touch the next one, never overlap it.
        assert!(
            start + took <= next + 1,
            "one in flight, so each starts once the one before has answered: {bars:?}"
        );
    }
}

/// Runs `collections` collections of `reads_each` vendor reads with `--parallel {parallel}`
/// and `extra` arguments in the workspace of [`reads_workspace`].
fn parallel_reads(
    emu: &Emu,
    max_concurrency: Option<u32>,
    defaults: &str,
    shape: (usize, usize),
    parallel: usize,
    extra: &[&str],
) -> (tempfile::TempDir, (i32, String, String)) {
    let dir = reads_workspace(emu, max_concurrency, defaults, shape);
    let parallel = parallel.to_string();
    let mut args = vec![
        "run",
        "collections",
        "--env",
        "emu",
        "--parallel",
        &parallel,
    ];
    args.extend_from_slice(extra);
    let out = run(dir.path(), &args);
    (dir, out)
}

/// A workspace of `collections` collections of `reads_each` vendor reads against `emu`, its
/// environment `emu` limited to `max_concurrency` requests in flight (none when `None`);
/// `defaults` (a line of YAML, or nothing) goes into every collection.
fn reads_workspace(
    emu: &Emu,
    max_concurrency: Option<u32>,
    defaults: &str,
    (collections, reads_each): (usize, usize),
) -> tempfile::TempDir {
    let limits = max_concurrency
        .map(|n| format!("limits: {{ max_concurrency: {n} }}\n"))
        .unwrap_or_default();
    let env = env_yaml(&emu.base_url(), "client_credentials", &limits);
    let mut files: Vec<(String, String)> = vec![("environments/emu.yaml".into(), env)];
    for c in 0..collections {
        let collection = reads(&format!("C{c}"), reads_each).replacen(
            "requests:\n",
            &format!("{defaults}requests:\n"),
            1,
        );
        files.push((format!("collections/c{c}.yaml"), collection));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    workspace(&files)
}

fn mixed_collection() -> String {
    let mut s = String::from("name: Mixed\nauth: intacct\nrequests:\n");
    let _ = write!(
        s,
        "  - name: list\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    expect: {{ status: 200 }}\n\
         \x20 - name: create\n    method: POST\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    json: {{ id: V-GUARD, name: Guarded }}\n\
         \x20 - name: query\n    method: POST\n    mutates: false\n    url: \"{{{{ base_url }}}}/services/core/query\"\n    json: {{ object: accounts-payable/vendor, fields: [id] }}\n    expect: {{ status: 200 }}\n\
         \x20 - name: get\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor/84\"\n    expect: {{ status: 200 }}\n"
    );
    s
}

#[test]
fn the_production_guard_sends_nothing_and_read_only_sends_only_reads() {
    let emu = Emu::start(|o| o.scope = courier_emulator::Scope::Production);
    let env = env_yaml(&emu.base_url(), "client_credentials", "")
        .replace("scope: non-production", "scope: production")
        .replace("courier-np.app.sage.com", "courier-prod.app.sage.com")
        .replace("ci-bot@COURIER-SANDBOX", "ci-bot@COURIER-PROD");
    let collection = mixed_collection();
    let dir = workspace(&[
        ("environments/prod.yaml", &env),
        ("collections/mixed.yaml", &collection),
    ]);
    let run_prod = |args: &[&str]| {
        let out = courier(dir.path())
            .args(args)
            .env("EMU_CLIENT_SECRET", "courier-prod-secret")
            .output()
            .unwrap();
        parts(&out)
    };

    let (code, stdout, stderr) = run_prod(&["run", "collections", "--env", "prod"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("refusing to run against the production environment `prod`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Mixed / create (POST at collections/mixed.yaml:7)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Mixed / query"),
        "a read-only POST is not listed: {stderr}"
    );
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 0, "{stats}");
    let tokens: u64 = stats["token_requests"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(tokens, 0, "no token request either: {stats}");

    let (code, stdout, stderr) = run_prod(&["run", "collections", "--env", "prod", "--read-only"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("SKIP Mixed / create  skipped: --read-only: POST mutates"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("3 passed, 0 failed, 1 skipped\n"),
        "{stdout}"
    );
    let stats = emu.stats();
    assert_eq!(stats["api_requests"], 3, "{stats}");
    let routes = stats["routes"].as_object().unwrap();
    assert!(
        routes
            .keys()
            .all(|r| r.starts_with("GET ") || r == "POST /services/core/query"),
        "{stats}"
    );

    let (code, stdout, stderr) = run_prod(&[
        "run",
        "collections",
        "--env",
        "prod",
        "--allow-production-writes",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        emu.stats()["routes"]["POST /objects/{application}/{object}"],
        1,
        "{}",
        emu.stats()
    );
}

/// `expect.duration` is in milliseconds and fails like any matcher (the golden cases leave it
/// out: the actual time varies).
#[test]
fn a_duration_matcher_fails_with_the_time_taken() {
    let dir = workspace(&[(
        "collections/slow.yaml",
        "name: Slow\nrequests:\n  - name: too slow\n    url: \"{{ base_url }}/objects/accounts-payable/vendor\"\n    expect:\n      duration: { lt: 0 }\n",
    )]);
    let (code, stdout, stderr) = run(dir.path(), &["run", "collections", "--env", "local"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let detail = regex::Regex::new(
        r"collections/slow\.yaml:6:19  duration  lt\n      expected: 0\n      actual:   \d+\n",
    )
    .unwrap();
    assert!(detail.is_match(&stdout), "{stdout}");
}
