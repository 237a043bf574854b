//! `courier compare` end to end: the documented differences between the emulator's
//! two scopes and nothing else, index pairing without `match_by`, `--noise` against emulators
//! that answer errors with a fresh `supportId`, the production guard on both sides (emulator
//! stats), the JSON report against docs/reports.md and its snapshot, the JUnit file, and the exit
//! codes. The expected differences come from `courier_emulator::scope_differences`, never
//! from a list written here.

use std::path::{Path, PathBuf};

use courier_emulator::{
    DEFAULT_SEED, Emulator, EmulatorOptions, Scope, ScopeChange, ScopeDifference,
    default_credentials, scope_differences,
};
use serde_json::{Value, json};

use crate::support::{parts, root, run, workspace};

/// The example collections that read every record the two scopes differ in.
fn directory() -> PathBuf {
    root().join("collections/compare")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the report was written");
    serde_json::from_str(&text).expect("the report is JSON")
}

/// One difference as the JSON report has it, with the request it belongs to.
#[derive(Debug, Clone, PartialEq)]
struct Found {
    request: String,
    path: String,
    kind: String,
    left: Value,
    right: Value,
}

fn found(report: &Value) -> Vec<Found> {
    let mut all = Vec::new();
    for pair in report["pairs"].as_array().expect("pairs") {
        for d in pair["differences"].as_array().expect("differences") {
            all.push(Found {
                request: pair["request"].as_str().expect("request").to_owned(),
                path: d["path"].as_str().expect("path").to_owned(),
                kind: d["kind"].as_str().expect("kind").to_owned(),
                left: d["left"].clone(),
                right: d["right"].clone(),
            });
        }
    }
    all
}

/// The filter path of a record paired by `id` (RFC 9535 string literal; the ids the emulator
/// makes hold no quote or backslash).
fn record_path(id: &str) -> String {
    assert!(!id.contains(['\'', '\\']), "id {id} needs escaping");
    format!("$['ia::result'][?@['id']=='{id}']")
}

/// Whether `f` is how `compare` should report the documented difference `d`. The directory
/// collection names each request after the object it reads.
fn reports(f: &Found, d: &ScopeDifference) -> bool {
    if f.request != d.object {
        return false;
    }
    let record = |v: &Value| v["id"] == d.id.as_str() && v["name"] == d.name.as_str();
    match &d.change {
        ScopeChange::Changed {
            field,
            non_production,
            production,
        } => {
            f.kind == "changed"
                && f.path == format!("{}['{field}']", record_path(&d.id))
                && f.left == *non_production
                && f.right == *production
        }
        ScopeChange::AddedInProduction => {
            f.kind == "added"
                && f.path == record_path(&d.id)
                && f.left.is_null()
                && record(&f.right)
        }
        ScopeChange::RemovedInProduction => {
            f.kind == "removed"
                && f.path == record_path(&d.id)
                && record(&f.left)
                && f.right.is_null()
        }
    }
}

/// Whether a documented difference explains a reported one in any request that reads the
/// record: the same path, kind and values, a list entry of the record counting too.
fn explains(d: &ScopeDifference, f: &Found) -> bool {
    match &d.change {
        ScopeChange::Changed {
            field,
            non_production,
            production,
        } => {
            f.kind == "changed"
                && f.path
                    .ends_with(&format!("{}['{field}']", record_filter(&d.id)))
                && f.left == *non_production
                && f.right == *production
        }
        ScopeChange::AddedInProduction => {
            f.kind == "added"
                && f.path.ends_with(&record_filter(&d.id))
                && f.right["id"] == d.id.as_str()
        }
        ScopeChange::RemovedInProduction => {
            f.kind == "removed"
                && f.path.ends_with(&record_filter(&d.id))
                && f.left["id"] == d.id.as_str()
        }
    }
}

/// `[?@['id']=='V-1']`, the filter segment of a record paired by `id`.
fn record_filter(id: &str) -> String {
    let path = record_path(id);
    path.find("[?")
        .map_or(path.clone(), |i| path[i..].to_owned())
}

/// Acceptance 1: over the example collections that read every record, `local` against
/// `local-production` reports each documented difference once and nothing else.
#[test]
fn local_against_local_production_reports_exactly_the_documented_differences() {
    let dir = workspace(&[]);
    let out = run(
        dir.path(),
        &[
            "compare",
            directory().to_str().expect("a UTF-8 path"),
            "--left",
            "local",
            "--right",
            "local-production",
            "--json",
            "report.json",
            "--color",
            "never",
        ],
    );
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "differences exit 1\n{stdout}\n{stderr}");
    let report = read_json(&dir.path().join("report.json"));

    let expected = scope_differences(DEFAULT_SEED);
    assert!(!expected.is_empty());
    let mut unexplained = found(&report);
    for d in &expected {
        let at = unexplained.iter().position(|f| reports(f, d));
        assert!(
            at.is_some(),
            "the documented difference {d:?} is not reported as expected; reported:\n{unexplained:#?}"
        );
        if let Some(i) = at {
            unexplained.remove(i);
        }
    }
    assert!(
        unexplained.is_empty(),
        "reported but not documented: {unexplained:#?}"
    );
    assert!(
        !stderr.contains("warning"),
        "match_by pairs every list: {stderr}"
    );

    // The last line counts the pairs as the report does.
    let summary = &report["summary"];
    let last = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!(
            "{} identical, {} different, {} skipped",
            summary["identical"], summary["different"], summary["skipped"]
        )
    );
    let pairs = report["pairs"].as_array().expect("pairs");
    let differing = pairs
        .iter()
        .filter(|p| !p["differences"].as_array().expect("list").is_empty())
        .count();
    assert_eq!(summary["different"], differing);
    assert_eq!(summary["identical"], pairs.len() - differing);
}

/// Acceptance 1, the other half: the whole example folder (`--read-only`, as the README runs
/// it) reports every documented difference too, and nothing else: the other examples pair
/// their lists by key and read records the two scopes share.
#[test]
fn the_example_folder_reports_every_documented_difference() {
    let dir = workspace(&[]);
    let collections = root().join("collections");
    let out = run(
        dir.path(),
        &[
            "compare",
            collections.to_str().expect("a UTF-8 path"),
            "--left",
            "local",
            "--right",
            "local-production",
            "--read-only",
            "--json",
            "report.json",
        ],
    );
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let all = found(&read_json(&dir.path().join("report.json")));
    let documented = scope_differences(DEFAULT_SEED);
    for d in &documented {
        assert!(
            all.iter().any(|f| reports(f, d)),
            "{d:?} is missing from the folder's comparison"
        );
    }
    // No more: every difference found is one of the documented ones (a record that two
    // examples read shows once per request that reads it).
    let unexplained: Vec<_> = all
        .iter()
        .filter(|f| !documented.iter().any(|d| explains(d, f)))
        .collect();
    assert!(
        unexplained.is_empty(),
        "reported but not documented: {unexplained:#?}"
    );
}

/// Acceptance 1: without `match_by`, arrays pair by index, so a record inserted in the middle
/// of a sorted list shows as a run of index changes rather than one addition.
#[test]
fn without_match_by_an_inserted_record_is_a_cascade_of_index_changes() {
    let source = std::fs::read_to_string(directory().join("directory.yaml"))
        .expect("the example collection");
    let without: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("match_by:"))
        .flat_map(|l| [l, "\n"])
        .collect();
    assert_ne!(without, source, "the example pairs its lists with match_by");
    let dir = workspace(&[
        ("with/directory.yaml", &source),
        ("without/directory.yaml", &without),
    ]);
    let compare = |folder: &str| {
        let out = run(
            dir.path(),
            &[
                "compare",
                folder,
                "--left",
                "local",
                "--right",
                "local-production",
                "--json",
                &format!("{folder}.json"),
            ],
        );
        let (code, stdout, stderr) = parts(&out);
        assert_eq!(code, 1, "{stdout}\n{stderr}");
        found(&read_json(&dir.path().join(format!("{folder}.json"))))
    };
    let keyed = compare("with");
    let indexed = compare("without");

    let inserted = scope_differences(DEFAULT_SEED)
        .into_iter()
        .find(|d| {
            d.object == "general-ledger/account"
                && matches!(d.change, ScopeChange::AddedInProduction)
        })
        .expect("production has an account of its own");
    let of = |list: &[Found]| -> Vec<Found> {
        list.iter()
            .filter(|f| f.request == inserted.object)
            .cloned()
            .collect()
    };

    let by_key = of(&keyed);
    assert_eq!(by_key.len(), 1, "{by_key:#?}");
    assert_eq!(by_key[0].kind, "added");
    assert_eq!(by_key[0].path, record_path(&inserted.id));

    let by_index = of(&indexed);
    assert!(
        by_index.len() > 1,
        "an insertion in the middle shifts every later element: {by_index:#?}"
    );
    assert!(by_index.iter().any(|f| f.kind == "changed"));
    let index_path = regex::Regex::new(r"^\$\['ia::result'\]\[\d+\]").expect("valid regex");
    for f in &indexed {
        assert!(index_path.is_match(&f.path), "not an index path: {f:?}");
    }
}

/// Two emulators served from this test process, one per scope, so that a test can point
/// environment files at them and read their stats.
struct Emulators {
    runtime: tokio::runtime::Runtime,
    non_production: Option<Emulator>,
    production: Option<Emulator>,
}

impl Emulators {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let start = |scope| {
            runtime
                .block_on(courier_emulator::start(EmulatorOptions {
                    scope,
                    ..EmulatorOptions::default()
                }))
                .expect("the emulator starts")
        };
        let non_production = Some(start(Scope::NonProduction));
        let production = Some(start(Scope::Production));
        Self {
            runtime,
            non_production,
            production,
        }
    }

    fn get(&self, scope: Scope) -> &Emulator {
        let e = match scope {
            Scope::NonProduction => &self.non_production,
            Scope::Production => &self.production,
        };
        e.as_ref().expect("running")
    }

    /// An environment file for one of them, with extra `vars` lines.
    fn environment(&self, scope: Scope, vars: &str) -> String {
        let credentials = default_credentials(scope);
        let scope_name = match scope {
            Scope::NonProduction => "non-production",
            Scope::Production => "production",
        };
        format!(
            "scope: {scope_name}\nvars:\n  base_url: {}\n{vars}auth:\n  intacct:\n    type: oauth2\n    grant: client_credentials\n    token_url: \"{{{{ base_url }}}}/oauth2/token\"\n    client_id: {}\n    client_secret: {}\n    token_params: {{ username: \"{}\" }}\n",
            self.get(scope).base_url(),
            credentials.client_id,
            credentials.client_secret,
            credentials.username,
        )
    }

    fn stats(&self, scope: Scope) -> Value {
        self.get(scope).stats()
    }

    /// Makes one emulator answer an error (a request without a token), so that its `supportId`
    /// sequence runs one ahead of the other's.
    fn answer_an_error(&self, scope: Scope) {
        use std::io::{Read as _, Write as _};
        let mut stream =
            std::net::TcpStream::connect(self.get(scope).addr()).expect("the emulator listens");
        stream
            .write_all(
                b"GET /ia/api/v1/objects/accounts-payable/vendor HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            )
            .expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        assert!(answer.contains("GW-0034"), "{answer}");
    }
}

impl Drop for Emulators {
    fn drop(&mut self) {
        let (a, b) = (self.non_production.take(), self.production.take());
        self.runtime.block_on(async {
            for e in [a, b].into_iter().flatten() {
                e.shutdown().await;
            }
        });
    }
}

/// Every error answer of an emulator carries a new `supportId`.
const ERRORS: &str = r#"name: Errors
auth: intacct
requests:
  - name: missing vendor
    url: "{{ base_url }}/objects/accounts-payable/vendor/{{ missing_key }}"
  - name: removed customer
    url: "{{ base_url }}/objects/accounts-receivable/customer/{{ customer_key }}"
"#;

const SUPPORT_ID: &str = "$['ia::result']['ia::error']['supportId']";

/// Acceptance 3: the left side runs twice against the same emulator, whose error answers
/// differ only in `supportId`; those paths are noise, and the real differences (another key in
/// the message, a customer production does not have) stay differences.
#[test]
fn noise_sets_support_ids_aside_and_keeps_the_real_differences() {
    let emulators = Emulators::start();
    let removed = scope_differences(DEFAULT_SEED)
        .into_iter()
        .find(|d| {
            d.object == "accounts-receivable/customer"
                && matches!(d.change, ScopeChange::RemovedInProduction)
        })
        .expect("production lacks a customer");
    let left_env = emulators.environment(Scope::NonProduction, "  missing_key: \"990001\"\n");
    let right_env = emulators.environment(Scope::Production, "  missing_key: \"990002\"\n");
    let dir = workspace(&[
        ("collections/errors.yaml", ERRORS),
        ("environments/left.yaml", &left_env),
        ("environments/right.yaml", &right_env),
    ]);
    let var = format!("customer_key={}", removed.key);
    let compare = |noise: bool| {
        let mut args = vec![
            "compare",
            "--left",
            "left",
            "--right",
            "right",
            "--var",
            &var,
            "--json",
            "report.json",
        ];
        if noise {
            args.push("--noise");
        }
        let out = run(dir.path(), &args);
        let (code, stdout, stderr) = parts(&out);
        assert_eq!(code, 1, "{stdout}\n{stderr}");
        (read_json(&dir.path().join("report.json")), stdout)
    };

    // Two fresh emulators with one seed number their error answers alike; put the right one a
    // step ahead, as two real companies never share a supportId.
    emulators.answer_an_error(Scope::Production);
    // Without --noise, the supportId is one more difference.
    let (plain, _) = compare(false);
    assert!(
        found(&plain).iter().any(|f| f.path == SUPPORT_ID),
        "{plain:#}"
    );

    let api = |scope| {
        emulators.stats(scope)["api_requests"]
            .as_u64()
            .expect("a count")
    };
    let before = (api(Scope::NonProduction), api(Scope::Production));
    let (report, stdout) = compare(true);
    // Both left runs reached the same emulator: twice the requests of the right side.
    assert_eq!(
        api(Scope::NonProduction) - before.0,
        2 * (api(Scope::Production) - before.1)
    );
    let pairs = report["pairs"].as_array().expect("pairs");
    let missing = &pairs[0];
    assert_eq!(missing["request"], "missing vendor");
    assert_eq!(missing["noise"], json!([SUPPORT_ID]));
    let paths: Vec<&str> = missing["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .map(|d| d["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        paths,
        [
            "$['ia::result']['ia::error']['message']",
            "$['ia::result']['ia::error']['additionalInfo']['placeholders']['KEY']",
        ]
    );
    assert!(stdout.contains(&format!("noise: {SUPPORT_ID}")), "{stdout}");

    let customer = &pairs[1];
    assert_eq!(customer["request"], "removed customer");
    assert_eq!(customer["noise"], json!([]));
    assert_eq!(customer["left_status"], 200);
    assert_eq!(customer["right_status"], 404);
    let differences = customer["differences"].as_array().expect("differences");
    assert_eq!(differences[0]["kind"], "status");
    assert!(differences.len() > 1, "the bodies differ too");

    assert!(found(&report).iter().all(|f| f.path != SUPPORT_ID));
}

const WRITES: &str = r#"name: Writes
auth: intacct
requests:
  - name: list vendors
    url: "{{ base_url }}/objects/accounts-payable/vendor"
  - name: create vendor
    method: POST
    url: "{{ base_url }}/objects/accounts-payable/vendor"
    json: { id: V-NEW, name: New }
"#;

/// Acceptance 4: a production side with a request that could write refuses to start, and
/// neither emulator sees a token request or an API call; `--read-only` then runs (so the
/// stats do count what is sent).
#[test]
fn a_production_side_that_could_write_sends_nothing_to_either_side() {
    let emulators = Emulators::start();
    let dir = workspace(&[
        ("collections/writes.yaml", WRITES),
        (
            "environments/sandbox.yaml",
            &emulators.environment(Scope::NonProduction, ""),
        ),
        (
            "environments/production.yaml",
            &emulators.environment(Scope::Production, ""),
        ),
    ]);
    let sent = |scope| {
        let stats = emulators.stats(scope);
        let tokens: u64 = stats["token_requests"]
            .as_object()
            .expect("token_requests")
            .values()
            .map(|v| v.as_u64().expect("a count"))
            .sum();
        tokens + stats["api_requests"].as_u64().expect("a count")
    };

    for (left, right) in [("sandbox", "production"), ("production", "sandbox")] {
        let out = run(dir.path(), &["compare", "--left", left, "--right", right]);
        let (code, stdout, stderr) = parts(&out);
        assert_eq!(code, 2, "{stdout}\n{stderr}");
        assert!(
            stderr.contains("refusing to run against the production environment `production`"),
            "{stderr}"
        );
        assert!(stderr.contains("Writes / create vendor"), "{stderr}");
        assert_eq!(sent(Scope::NonProduction), 0);
        assert_eq!(sent(Scope::Production), 0);
    }

    let out = run(
        dir.path(),
        &[
            "compare",
            "--left",
            "sandbox",
            "--right",
            "production",
            "--read-only",
        ],
    );
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "the vendor lists differ\n{stdout}\n{stderr}");
    assert!(
        stdout.ends_with("0 identical, 1 different, 1 skipped\n"),
        "{stdout}"
    );
    assert!(sent(Scope::NonProduction) > 0);
    assert!(sent(Scope::Production) > 0);
}

/// A pair skipped on one side only, and one skipped on both, beside the directory.
const SKIPS: &str = r#"name: Skips
auth: intacct
requests:
  - name: only outside production
    skip: "{{ env_scope == 'production' }}"
    url: "{{ base_url }}/objects/company-config/location"
  - name: create department
    method: POST
    url: "{{ base_url }}/objects/company-config/department"
    json: { id: D-NEW, name: New }
"#;

/// `--json` is the compare document of docs/reports.md, key for key, and its content is
/// pinned by a snapshot.
#[test]
fn the_json_report_is_the_spec_document() {
    let source = std::fs::read_to_string(directory().join("directory.yaml"))
        .expect("the example collection");
    let dir = workspace(&[
        ("collections/directory.yaml", &source),
        ("collections/skips.yaml", SKIPS),
    ]);
    let out = run(
        dir.path(),
        &[
            "compare",
            "--left",
            "local",
            "--right",
            "local-production",
            "--read-only",
            "--json",
            "-",
            "--junit",
            "junit.xml",
        ],
    );
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "{stderr}");
    // With `--json -` the report is standard output and the console report standard error.
    let report: Value = serde_json::from_str(&stdout).expect("standard output is the report");
    assert!(stderr.contains("identical,"), "{stderr}");

    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&report),
        ["left", "pairs", "right", "summary", "version"]
    );
    assert_eq!(report["version"], 2);
    crate::reports::assert_valid_report("compare --json", &report);
    assert_eq!(
        report["left"],
        json!({"name": "local", "scope": "non-production"})
    );
    assert_eq!(
        report["right"],
        json!({"name": "local-production", "scope": "production"})
    );
    assert_eq!(
        keys(&report["summary"]),
        ["different", "identical", "skipped"]
    );
    for pair in report["pairs"].as_array().expect("pairs") {
        assert_eq!(
            keys(pair),
            [
                "collection",
                "differences",
                "left_status",
                "noise",
                "request",
                "right_status",
                "skip_reason"
            ]
        );
        for d in pair["differences"].as_array().expect("differences") {
            assert_eq!(keys(d), ["kind", "left", "path", "right"]);
            let kind = d["kind"].as_str().expect("kind");
            assert!(
                ["changed", "added", "removed", "type_changed", "status"].contains(&kind),
                "{kind}"
            );
        }
    }
    // And the stable contract's type reads it back.
    let typed: courier_report::contract::CompareReport =
        serde_json::from_value(report.clone()).expect("the contract type");
    assert_eq!(
        typed.version,
        courier_report::contract::COMPARE_REPORT_VERSION
    );
    // Nothing in it varies between runs: the emulator's data is fixed by its seed.
    insta::assert_json_snapshot!("compare_report", report);

    // JUnit: a test case per pair, differences as failures of type `difference`.
    let xml = std::fs::read_to_string(dir.path().join("junit.xml")).expect("junit.xml");
    let pairs = report["pairs"].as_array().expect("pairs").len();
    assert_eq!(xml.matches("<testcase ").count(), pairs, "{xml}");
    assert_eq!(
        xml.matches(r#"<failure type="difference""#).count(),
        report["summary"]["different"].as_u64().expect("a count") as usize,
        "{xml}"
    );
    assert_eq!(
        xml.matches("<skipped ").count(),
        report["summary"]["skipped"].as_u64().expect("a count") as usize,
        "{xml}"
    );
}

/// docs/compare.md: without `--left` and `--right`, exit 2 listing the environments Courier can
/// see.
#[test]
fn without_both_sides_it_lists_the_environments() {
    let dir = workspace(&[
        ("collections/skips.yaml", SKIPS),
        ("environments/staging.yaml", "scope: non-production\n"),
    ]);
    for args in [
        &["compare"][..],
        &["compare", "--left", "local"][..],
        &["compare", "--right", "local"][..],
    ] {
        let (code, stdout, stderr) = parts(&run(dir.path(), args));
        assert_eq!(code, 2, "{args:?}: {stdout}\n{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("error: no environments to compare"),
            "{stderr}"
        );
        for env in ["staging", "local", "local-production"] {
            assert!(stderr.contains(env), "{env} is not listed: {stderr}");
        }
    }
}

/// Exit 3 when a side cannot be checked; the other side's answer is still shown.
#[test]
fn a_side_that_cannot_be_reached_exits_3() {
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let collection = "name: Ping\nrequests:\n  - name: ping\n    url: \"{{ base_url }}/ping\"\n";
    let env = |url: &str| format!("scope: non-production\nvars:\n  base_url: {url}\n");
    let emulators = Emulators::start();
    let dir = workspace(&[
        ("collections/ping.yaml", collection),
        (
            "environments/up.yaml",
            &env(&emulators.get(Scope::NonProduction).base_url()),
        ),
        (
            "environments/down.yaml",
            &env(&format!("http://127.0.0.1:{closed}")),
        ),
    ]);
    let (code, stdout, stderr) = parts(&run(
        dir.path(),
        &[
            "compare", "--left", "up", "--right", "down", "--color", "never",
        ],
    ));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stdout.contains("FAIL Ping / ping"), "{stdout}");
    assert!(stdout.contains("error: right:"), "{stdout}");
    assert!(
        stdout.ends_with("0 identical, 1 different, 0 skipped\n"),
        "{stdout}"
    );
}

/// Colour follows docs/cli.md, "Colour": `--color always` paints marks and kinds, `never` writes
/// none.
#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = workspace(&[]);
    let directory = directory();
    let args = |color: &'static str| {
        vec![
            "compare".to_owned(),
            directory.display().to_string(),
            "--left".to_owned(),
            "local".to_owned(),
            "--right".to_owned(),
            "local-production".to_owned(),
            "-k".to_owned(),
            "department".to_owned(),
            "--color".to_owned(),
            color.to_owned(),
        ]
    };
    let painted = crate::support::courier(dir.path())
        .args(args("always"))
        .output()
        .expect("runs");
    let plain = crate::support::courier(dir.path())
        .args(args("never"))
        .output()
        .expect("runs");
    let (painted, plain) = (parts(&painted).1, parts(&plain).1);
    assert!(painted.contains("\u{1b}[31m✗\u{1b}[0m"), "{painted}");
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(
        plain.contains("DIFF Company directory / company-config/department"),
        "{plain}"
    );
    // The last line is plain text either way.
    assert_eq!(painted.lines().last(), plain.lines().last());
    assert_eq!(
        plain.lines().last(),
        Some("0 identical, 1 different, 0 skipped")
    );
}

/// A report that cannot be written after both sides ran exits 3, as in `run`.
#[test]
fn a_report_that_cannot_be_written_after_the_runs_exits_3() {
    let dir = workspace(&[("collections/skips.yaml", SKIPS)]);
    let args = [
        "compare",
        "--left",
        "local",
        "--right",
        "local",
        "--json",
        "collections",
    ];
    let (code, stdout, stderr) = parts(&run(dir.path(), &args));
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: cannot write the JSON report"),
        "{stderr}"
    );
}

/// Invalid flags are exit 2 before anything starts: a bad `--ignore` query, and
/// `--read-only` with `--allow-production-writes`.
#[test]
fn invalid_flags_exit_2() {
    let dir = workspace(&[("collections/skips.yaml", SKIPS)]);
    let both = ["--left", "local", "--right", "local-production"];
    let cases: [(&[&str], &str); 2] = [
        (&["--ignore", "$['unclosed"], "--ignore `$['unclosed`"),
        (
            &["--read-only", "--allow-production-writes"],
            "cannot be used with",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["compare"];
        args.extend(both);
        args.extend(extra);
        let (code, stdout, stderr) = parts(&run(dir.path(), &args));
        assert_eq!(code, 2, "{args:?}: {stdout}\n{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(stderr.contains(message), "{stderr}");
    }
}

/// An empty selection compares nothing: exit 0 with a warning, and the report is still
/// written (CI steps read it either way).
#[test]
fn an_empty_selection_is_0_with_a_warning() {
    let dir = workspace(&[("collections/skips.yaml", SKIPS)]);
    let (code, stdout, stderr) = parts(&run(
        dir.path(),
        &[
            "compare",
            "--left",
            "local",
            "--right",
            "local-production",
            "-k",
            "no such request",
            "--allow-empty",
            "--json",
            "report.json",
        ],
    ));
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert_eq!(stdout, "0 identical, 0 different, 0 skipped\n");
    assert!(stderr.contains("warning: no requests selected"), "{stderr}");
    let report = read_json(&dir.path().join("report.json"));
    assert_eq!(report["pairs"], json!([]));
    assert_eq!(
        report["summary"],
        json!({"identical": 0, "different": 0, "skipped": 0})
    );
}

/// `--quiet` keeps the pairs that differ and the summary line, and leaves out identical and
/// skipped pairs that the full table shows (docs/cli.md#compare).
#[test]
fn quiet_shows_only_the_differing_pairs_and_the_summary() {
    let dir = workspace(&[]);
    let collections = root().join("collections");
    let compare = |quiet: bool| {
        let mut args = vec![
            "compare",
            collections.to_str().expect("a UTF-8 path"),
            "--left",
            "local",
            "--right",
            "local-production",
            "--read-only",
        ];
        if quiet {
            args.push("--quiet");
        }
        let (code, stdout, stderr) = parts(&run(dir.path(), &args));
        assert_eq!(code, 1, "{stdout}\n{stderr}");
        stdout
    };
    let full = compare(false);
    let quiet = compare(true);
    let marked = |text: &str, mark: &str| text.lines().filter(|l| l.starts_with(mark)).count();
    assert!(
        marked(&full, "SAME ") > 0 && marked(&full, "SKIP ") > 0,
        "{full}"
    );
    assert_eq!(marked(&quiet, "SAME "), 0, "{quiet}");
    assert_eq!(marked(&quiet, "SKIP "), 0, "{quiet}");
    assert_eq!(marked(&quiet, "DIFF "), marked(&full, "DIFF "), "{quiet}");
    assert!(marked(&quiet, "DIFF ") > 0, "{quiet}");
    assert_eq!(
        full.lines().last(),
        quiet.lines().last(),
        "the same summary line"
    );
}
