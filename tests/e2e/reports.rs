//! Reports for CI: `--junit` read back with quick-xml (counts and failure texts), `--json`
//! snapshot-tested and checked field by field against docs/reports.md, `--shard K/N` run
//! end to end, and plain bytes under `CI=true` without a terminal. Every run uses the
//! built-in `local` environment (the embedded emulator) in a temporary directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::support::{courier, normalize, parts, workspace};

/// A collection that passes against the emulator: vendor 84 is `V-0001` in every seed.
pub(crate) const VENDORS: &str = r#"name: Vendors
auth: intacct
requests:
  - name: list vendors
    url: "{{ base_url }}/objects/accounts-payable/vendor"
    expect:
      status: 200
      jsonpath:
        "$['ia::result']": { length: { gt: 0 } }
  - name: read vendor
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    expect:
      status: 2xx
      jsonpath:
        "$['ia::result'].id": V-0001
    capture:
      vendor_name: "$['ia::result'].name"
"#;

/// Two failed checks, a request to a closed port (an error of type network), a request
/// skipped because it needs that request's capture, and one skipped on purpose.
pub(crate) const MIXED: &str = r#"name: Mixed bag
auth: intacct
requests:
  - name: wrong status
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    expect:
      status: 404
  - name: wrong id
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    expect:
      status: 200
      jsonpath:
        "$['ia::result'].id": V-9999
  - name: closed port
    auth: none
    url: "http://127.0.0.1:{{ closed_port }}/nothing"
    capture:
      key: "$.key"
  - name: needs the key
    url: "{{ base_url }}/objects/accounts-payable/vendor/{{ key }}"
  - name: skipped on purpose
    skip: true
    url: "{{ base_url }}/objects/accounts-payable/vendor"
"#;

/// A data-driven collection: each row reads one vendor.
pub(crate) const ROWS: &str = r#"name: Vendor rows
auth: intacct
data: rows.csv
requests:
  - name: read by key
    url: "{{ base_url }}/objects/accounts-payable/vendor/{{ key }}"
    expect:
      status: 200
      jsonpath:
        "$['ia::result'].id": "{{ id }}"
"#;

pub(crate) const ROWS_CSV: &str = "key,id\n84,V-0001\n85,V-0002\n";

/// A port on which nothing listens (bound, then released).
pub(crate) fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("a local address").port()
}

/// Runs `courier run --env local` in `dir` with `args`; returns (exit code, stdout, stderr).
pub(crate) fn run_local(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = courier(dir)
        .args(["run", "--env", "local"])
        .args(args)
        .output()
        .expect("the courier binary runs");
    parts(&out)
}

/// The three runs of acceptance 1: (name, workspace, extra args, expected exit code).
pub(crate) fn junit_runs() -> Vec<(&'static str, tempfile::TempDir, Vec<String>, i32)> {
    let port = closed_port().to_string();
    vec![
        (
            "passing",
            workspace(&[("collections/vendors.yaml", VENDORS)]),
            vec![],
            0,
        ),
        (
            "mixed",
            workspace(&[
                ("collections/mixed.yaml", MIXED),
                ("collections/vendors.yaml", VENDORS),
            ]),
            vec!["--var".into(), format!("closed_port={port}")],
            3,
        ),
        (
            "empty",
            workspace(&[("collections/vendors.yaml", VENDORS)]),
            vec![
                "-k".into(),
                "no request is called this".into(),
                "--allow-empty".into(),
            ],
            0,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// A small XML tree, read with quick-xml independently of the writer under test.

#[derive(Debug, Default)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) attrs: BTreeMap<String, String>,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).map(String::as_str)
    }

    fn count(&self, name: &str) -> usize {
        self.attr(name)
            .unwrap_or_else(|| panic!("<{}> has no `{name}`", self.name))
            .parse()
            .unwrap_or_else(|_| panic!("<{}> `{name}` is not a number", self.name))
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Self> {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn child(&self, name: &str) -> Option<&Self> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Parses a whole document into its root element; panics on anything malformed.
pub(crate) fn parse_xml(xml: &str) -> Element {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    let open = |e: &quick_xml::events::BytesStart<'_>| Element {
        name: e.name().as_ref().to_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("a well-formed attribute");
                (
                    a.key.as_ref().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .expect("a well-formed attribute value")
                        .into_owned(),
                )
            })
            .collect(),
        ..Element::default()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let el = open(&e);
                stack.last_mut().expect("a parent").children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().expect("an open element");
                stack.last_mut().expect("a parent").children.push(el);
            }
            Event::Text(t) => stack
                .last_mut()
                .expect("an element")
                .text
                .push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().expect("a valid character reference") {
                    Some(c) => c,
                    None => match r.xml10_content().as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => panic!("unknown entity &{other};"),
                    },
                };
                stack.last_mut().expect("an element").text.push(c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().expect("the document");
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().expect("the root")
}

/// The counts of a `<testsuite>` or `<testsuites>` checked against its cases.
fn assert_counts_match_cases(suite: &Element) {
    let cases: Vec<&Element> = suite.children_named("testcase").collect();
    let with = |child: &str| cases.iter().filter(|c| c.child(child).is_some()).count();
    assert_eq!(suite.count("tests"), cases.len(), "{suite:#?}");
    assert_eq!(suite.count("failures"), with("failure"), "{suite:#?}");
    assert_eq!(suite.count("errors"), with("error"), "{suite:#?}");
    assert_eq!(suite.count("skipped"), with("skipped"), "{suite:#?}");
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is in the collection"))
        + 1
}

// ---------------------------------------------------------------------------------------
// Acceptance 1 (default suite): JUnit counts and failure texts.

#[test]
fn junit_of_a_passing_run_has_one_suite_per_collection_and_no_failures() {
    let dir = workspace(&[
        ("collections/vendors.yaml", VENDORS),
        ("collections/rows.yaml", ROWS),
        ("collections/rows.csv", ROWS_CSV),
    ]);
    let (code, stdout, stderr) = run_local(dir.path(), &["--junit", "out/junit.xml"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let xml = std::fs::read_to_string(dir.path().join("out/junit.xml")).expect("the JUnit file");
    let root = parse_xml(&xml);
    assert_eq!(root.name, "testsuites");
    assert_eq!(
        root.attr("skipped"),
        None,
        "junit-10.xsd forbids `skipped` here"
    );
    assert_eq!(
        (
            root.count("tests"),
            root.count("failures"),
            root.count("errors")
        ),
        (4, 0, 0)
    );
    let suites: Vec<&Element> = root.children_named("testsuite").collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attr("name").unwrap()).collect();
    // Sorted path order: rows.yaml before vendors.yaml.
    assert_eq!(names, ["Vendor rows", "Vendors"]);
    for s in &suites {
        assert_counts_match_cases(s);
    }
    let rows: Vec<&str> = suites[0]
        .children_named("testcase")
        .map(|c| c.attr("name").unwrap())
        .collect();
    assert_eq!(rows, ["read by key [row 1]", "read by key [row 2]"]);
    for case in suites[1].children_named("testcase") {
        assert_eq!(case.attr("classname"), Some("Vendors"));
        assert!(case.children.is_empty(), "{case:#?}");
    }
    assert_eq!(suites[1].attr("file"), Some("collections/vendors.yaml"));
}

#[test]
fn junit_of_a_run_with_failures_errors_and_skips_says_what_and_where() {
    let port = closed_port().to_string();
    let dir = workspace(&[("collections/mixed.yaml", MIXED)]);
    let var = format!("closed_port={port}");
    let (code, stdout, stderr) = run_local(dir.path(), &["--var", &var, "--junit", "junit.xml"]);
    assert_eq!(
        code, 3,
        "a request that could not be checked: {stdout}{stderr}"
    );
    let root = parse_xml(&std::fs::read_to_string(dir.path().join("junit.xml")).unwrap());
    assert_eq!(
        (
            root.count("tests"),
            root.count("failures"),
            root.count("errors")
        ),
        (5, 2, 1)
    );
    let suite = root.child("testsuite").expect("one suite");
    assert_eq!(suite.attr("name"), Some("Mixed bag"));
    assert_counts_match_cases(suite);
    assert_eq!(suite.count("skipped"), 2);
    let case = |name: &str| {
        suite
            .children_named("testcase")
            .find(|c| c.attr("name") == Some(name))
            .unwrap_or_else(|| panic!("a testcase `{name}`"))
    };

    let failure = case("wrong status").child("failure").expect("a failure");
    assert_eq!(failure.attr("type"), Some("assertion"));
    assert_eq!(
        failure.attr("message"),
        Some("status eq: expected 404, actual 200")
    );
    let at = format!("collections/mixed.yaml:{}:", line_of(MIXED, "status: 404"));
    assert!(
        failure.text.contains(&at),
        "location {at} in {:?}",
        failure.text
    );
    assert!(
        failure.text.contains("expected: 404\n"),
        "{:?}",
        failure.text
    );
    assert!(failure.text.contains("actual:   200"), "{:?}", failure.text);

    let failure = case("wrong id").child("failure").expect("a failure");
    assert_eq!(failure.attr("type"), Some("assertion"));
    assert_eq!(
        failure.attr("message"),
        Some(r#"jsonpath $['ia::result'].id eq: expected "V-9999", actual "V-0001""#)
    );
    let at = format!(
        "collections/mixed.yaml:{}:",
        line_of(MIXED, "\"$['ia::result'].id\": V-9999")
    );
    assert!(
        failure.text.contains(&at),
        "location {at} in {:?}",
        failure.text
    );
    assert!(
        failure.text.contains("jsonpath $['ia::result'].id  eq"),
        "{:?}",
        failure.text
    );

    let error = case("closed port").child("error").expect("an error");
    assert_eq!(error.attr("type"), Some("network"));
    assert!(
        error.attr("message").is_some_and(|m| m.contains(&port)),
        "{error:#?}"
    );

    let skipped = case("needs the key").child("skipped").expect("skipped");
    assert_eq!(
        skipped.attr("message"),
        Some(r#"needs key from "closed port" (failed)"#)
    );
    let skipped = case("skipped on purpose")
        .child("skipped")
        .expect("skipped");
    assert_eq!(skipped.attr("message"), Some("skip: true"));
    assert!(case("skipped on purpose").child("failure").is_none());
}

/// The three runs the external suite validates with xmllint, read back here: the root's
/// counts are the sums of its suites', and each suite's are its cases'.
#[test]
fn junit_counts_add_up_in_every_run_the_schema_test_validates() {
    for (name, dir, args, code) in junit_runs() {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--junit", "junit.xml"]);
        let (got, stdout, stderr) = run_local(dir.path(), &all);
        assert_eq!(got, code, "{name}: {stdout}{stderr}");
        let root = parse_xml(&std::fs::read_to_string(dir.path().join("junit.xml")).unwrap());
        let suites: Vec<&Element> = root.children_named("testsuite").collect();
        for s in &suites {
            assert_counts_match_cases(s);
        }
        for attr in ["tests", "failures", "errors"] {
            let sum: usize = suites.iter().map(|s| s.count(attr)).sum();
            assert_eq!(root.count(attr), sum, "{name}: testsuites {attr}");
        }
        let tests = root.count("tests");
        match name {
            "passing" => assert_eq!((tests, root.count("failures")), (2, 0)),
            "mixed" => assert_eq!(
                (tests, root.count("failures"), root.count("errors")),
                (7, 2, 1)
            ),
            _ => assert_eq!((tests, suites.len()), (0, 0), "{name}"),
        }
    }
}

#[test]
fn an_empty_selection_still_writes_both_reports_and_passes() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(
        dir.path(),
        &[
            "-k",
            "nothing matches this",
            "--allow-empty",
            "--junit",
            "j.xml",
            "--json",
            "r.json",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("warning"), "{stderr}");
    assert_eq!(stdout.lines().last(), Some("0 passed, 0 failed, 0 skipped"));
    let root = parse_xml(&std::fs::read_to_string(dir.path().join("j.xml")).unwrap());
    assert_eq!((root.count("tests"), root.children.len()), (0, 0));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(report["collections"], serde_json::json!([]));
    assert_eq!(
        report["summary"],
        serde_json::json!({"passed": 0, "failed": 0, "skipped": 0})
    );
}

/// A report that cannot be written after requests were sent exits 3 (their results are lost),
/// not 2 (which says nothing was sent); with nothing sent it stays 2.
#[test]
fn a_report_that_cannot_be_written_after_requests_were_sent_exits_3() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    for flag in ["--json", "--junit", "--html"] {
        // A folder where the report file should go: writing it fails.
        let (code, stdout, stderr) = run_local(dir.path(), &[flag, "collections"]);
        assert_eq!(code, 3, "{flag}: {stdout}{stderr}");
        assert!(
            stderr.contains("error: cannot write a report"),
            "{flag}: {stderr}"
        );
        let (code, stdout, stderr) = run_local(
            dir.path(),
            &[
                "-k",
                "nothing matches this",
                "--allow-empty",
                flag,
                "collections",
            ],
        );
        assert_eq!(code, 2, "{flag}: {stdout}{stderr}");
        assert!(
            stderr.contains("error: cannot write a report"),
            "{flag}: {stderr}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Acceptance 2: the JSON report.

/// The one insta wrapper of this module: replaces what varies between runs (start time,
/// durations, tool version, ports, the temporary directory) before comparing.
fn assert_report_snapshot(name: &str, report: &Value, tmp: &Path) {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    match k.as_str() {
                        "started_at" => *v = Value::from("[started_at]"),
                        "duration_ms" | "started_ms" if v.is_number() => {
                            *v = Value::from("[ms]");
                        }
                        _ => walk(v),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut report = report.clone();
    walk(&mut report);
    report["tool"]["version"] = Value::from("[version]");
    let text = normalize(&serde_json::to_string(&report).expect("JSON"), tmp);
    let report: Value = serde_json::from_str(&text).expect("still JSON after normalising");
    insta::assert_json_snapshot!(name, report);
}

#[test]
fn json_report_of_a_mixed_run() {
    let port = closed_port().to_string();
    let dir = workspace(&[
        ("collections/mixed.yaml", MIXED),
        ("collections/rows.yaml", ROWS),
        ("collections/rows.csv", ROWS_CSV),
        ("collections/vendors.yaml", VENDORS),
    ]);
    let var = format!("closed_port={port}");
    let (code, stdout, stderr) = run_local(dir.path(), &["--var", &var, "--json", "report.json"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .expect("the report is JSON");
    assert_valid_report("the mixed run", &report);
    assert_report_snapshot("json_report_of_a_mixed_run", &report, dir.path());
}

#[test]
fn json_report_to_standard_output_moves_the_console_to_standard_error() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(dir.path(), &["--json", "-"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("standard output is the report alone");
    assert_eq!(report["summary"]["passed"], 2);
    assert_eq!(stderr.lines().last(), Some("2 passed, 0 failed, 0 skipped"));
}

/// Checks one object has exactly the keys of docs/reports.md and each has the right type.
/// A field name and the check of its value.
type Field<'a> = (&'a str, &'a dyn Fn(&Value) -> bool);

fn assert_shape(what: &str, v: &Value, fields: &[Field<'_>]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is an object: {v}"));
    let keys: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, expected, "the keys of {what}");
    for (k, ok) in fields {
        assert!(ok(&obj[*k]), "{what}.{k} has the wrong type: {}", obj[*k]);
    }
}

fn is_count(v: &Value) -> bool {
    v.is_u64()
}

fn is_str(v: &Value) -> bool {
    v.is_string()
}

fn str_or_null(v: &Value) -> bool {
    v.is_string() || v.is_null()
}

fn one_of(options: &'static [&'static str]) -> impl Fn(&Value) -> bool {
    move |v| v.as_str().is_some_and(|s| options.contains(&s))
}

#[test]
fn json_report_has_every_field_of_the_spec_with_its_type() {
    let port = closed_port().to_string();
    let dir = workspace(&[
        ("collections/mixed.yaml", MIXED),
        ("collections/vendors.yaml", VENDORS),
    ]);
    let var = format!("closed_port={port}");
    let (code, stdout, stderr) = run_local(dir.path(), &["--var", &var, "--json", "r.json"]);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let text = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();

    let rfc3339 =
        regex::Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
            .unwrap();
    let version_is_2 = |v: &Value| v == 2;
    let is_time = |v: &Value| v.as_str().is_some_and(|s| rfc3339.is_match(s));
    let is_obj = |v: &Value| v.is_object();
    let is_arr = |v: &Value| v.is_array();
    assert_shape(
        "the report",
        &r,
        &[
            ("version", &version_is_2),
            ("tool", &is_obj),
            ("started_at", &is_time),
            ("duration_ms", &is_count),
            ("environment", &is_obj),
            ("shard", &Value::is_null),
            ("summary", &is_obj),
            ("collections", &is_arr),
        ],
    );
    let is_courier = |v: &Value| v == "courier";
    let is_our_version = |v: &Value| v == env!("CARGO_PKG_VERSION");
    assert_shape(
        "tool",
        &r["tool"],
        &[("name", &is_courier), ("version", &is_our_version)],
    );
    let is_local = |v: &Value| v == "local";
    let scope = one_of(&["non-production", "production"]);
    assert_shape(
        "environment",
        &r["environment"],
        &[("name", &is_local), ("scope", &scope)],
    );
    assert_eq!(r["environment"]["scope"], "non-production");
    assert_shape(
        "summary",
        &r["summary"],
        &[
            ("passed", &is_count),
            ("failed", &is_count),
            ("skipped", &is_count),
        ],
    );

    let outcome = one_of(&["passed", "failed", "skipped", "error"]);
    let snapshot = one_of(&["none", "matched", "new", "changed", "updated"]);
    let kind = one_of(&[
        "status", "header", "jsonpath", "body", "duration", "capture", "schema", "repeat", "poll",
    ]);
    let status_or_null =
        |v: &Value| v.is_null() || v.as_u64().is_some_and(|s| (100..600).contains(&s));
    let count_or_null = |v: &Value| v.is_null() || v.is_u64();
    let strings = |v: &Value| v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
    let any = |_: &Value| true;
    let is_bool = |v: &Value| v.is_boolean();
    let position = |v: &Value| v.as_u64().is_some_and(|n| n >= 1);

    let mut seen_outcomes = BTreeSet::new();
    let mut counted = BTreeMap::<&str, u64>::new();
    let collections = r["collections"].as_array().unwrap();
    let files: Vec<&str> = collections
        .iter()
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        ["collections/mixed.yaml", "collections/vendors.yaml"],
        "run order"
    );
    for c in collections {
        assert_shape(
            "a collection",
            c,
            &[("name", &is_str), ("file", &is_str), ("requests", &is_arr)],
        );
        for q in c["requests"].as_array().unwrap() {
            assert_shape(
                "a request",
                q,
                &[
                    ("name", &is_str),
                    ("row", &count_or_null),
                    ("page", &Value::is_null),
                    ("outcome", &outcome),
                    ("skip_reason", &str_or_null),
                    ("status", &status_or_null),
                    ("duration_ms", &count_or_null),
                    ("attempts", &is_count),
                    ("started_ms", &count_or_null),
                    ("tags", &strings),
                    ("assertions", &is_arr),
                    ("captures", &strings),
                    ("snapshot", &snapshot),
                    ("snapshot_diff", &Value::is_null),
                    ("error", &str_or_null),
                ],
            );
            let o = q["outcome"].as_str().unwrap();
            seen_outcomes.insert(o.to_owned());
            *counted
                .entry(if o == "error" { "failed" } else { o })
                .or_default() += 1;
            assert_eq!(q["skip_reason"].is_string(), o == "skipped", "{q}");
            assert_eq!(
                q["status"].is_null(),
                matches!(o, "skipped" | "error"),
                "{q}"
            );
            assert_eq!(q["error"].is_string(), o == "error", "{q}");
            // Skipped requests never started; the others did, and were sent once.
            assert_eq!(q["started_ms"].is_null(), o == "skipped", "{q}");
            assert_eq!(q["attempts"], u64::from(o != "skipped"), "{q}");
            for a in q["assertions"].as_array().unwrap() {
                // `actual` and `message` only on failed checks.
                let mut fields: Vec<Field<'_>> = vec![
                    ("kind", &kind),
                    ("path", &str_or_null),
                    ("matcher", &is_str),
                    ("expected", &any),
                    ("passed", &is_bool),
                    ("line", &position),
                    ("column", &position),
                ];
                if a["passed"] == false {
                    fields.push(("actual", &any));
                    fields.push(("message", &is_str));
                }
                assert_shape("an assertion", a, &fields);
            }
        }
    }
    assert_eq!(
        seen_outcomes,
        ["error", "failed", "passed", "skipped"]
            .into_iter()
            .map(String::from)
            .collect(),
        "the run covers every outcome"
    );
    for k in ["passed", "failed", "skipped"] {
        assert_eq!(
            r["summary"][k],
            counted.get(k).copied().unwrap_or(0),
            "summary.{k}"
        );
    }
    // The captures of a passing request are listed by name.
    let read = &collections[1]["requests"][1];
    assert_eq!(read["captures"], serde_json::json!(["vendor_name"]));
    // And the contract type reads the file back with nothing left over.
    let typed: courier_report::contract::RunReport =
        serde_json::from_str(&text).expect("the contract type reads the report");
    assert_eq!(typed.version, 2);
    assert_valid_report("the mixed run", &r);
}

/// Validates `report` against `schemas/report.schema.json`, naming every violation.
pub(crate) fn assert_valid_report(what: &str, report: &Value) {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::root().join("schemas/report.schema.json"))
            .expect("schemas/report.schema.json"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{report:#}");
}

#[test]
fn a_passing_runs_report_holds_no_response_values_unless_asked() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(dir.path(), &["--json", "r.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let text = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_valid_report("a passing run", &r);
    assert!(!text.contains("\"actual\""), "{text}");
    let (code, stdout, stderr) = run_local(
        dir.path(),
        &["--json", "all.json", "--report-values", "all"],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("all.json")).unwrap())
            .unwrap();
    assert_valid_report("--report-values all", &all);
    let read = &all["collections"][0]["requests"][1]["assertions"];
    assert_eq!(read[0]["actual"], 200, "{read}");
    assert_eq!(read[1]["actual"], "V-0001", "{read}");
}

#[test]
fn the_report_schema_rejects_what_version_2_forbids() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(dir.path(), &["--json", "r.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let good: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::support::root().join("schemas/report.schema.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&good));
    let mut v1 = good.clone();
    v1["version"] = Value::from(1);
    let mut no_attempts = good.clone();
    no_attempts["collections"][0]["requests"][0]
        .as_object_mut()
        .unwrap()
        .remove("attempts");
    let mut failed_without_message = good.clone();
    failed_without_message["collections"][0]["requests"][0]["assertions"][0]["passed"] =
        Value::Bool(false);
    for (what, bad) in [
        ("version 1", v1),
        ("no attempts", no_attempts),
        (
            "a failed check without actual and message",
            failed_without_message,
        ),
    ] {
        assert!(!validator.is_valid(&bad), "the schema accepted {what}");
    }
}

#[test]
fn secrets_never_reach_the_json_or_junit_report() {
    const SECRET: &str = "sk-live-4f7a9c2e11d0";
    let env = r#"scope: non-production
emulator: intacct
secrets:
  api_key: REPORTS_API_KEY
auth:
  intacct:
    type: oauth2
    grant: client_credentials
    token_url: "{{ base_url }}/oauth2/token"
    client_id: "{{ client_id }}"
    client_secret: "{{ client_secret }}"
    token_params: { username: "{{ ws_user }}" }
"#;
    let collection = r#"name: Leaky
auth: intacct
requests:
  - name: compare with the key
    url: "{{ base_url }}/objects/accounts-payable/vendor/84"
    headers: { X-Api-Key: "{{ api_key }}" }
    expect:
      jsonpath:
        "$['ia::result'].id": "{{ api_key }}"
"#;
    let dir = workspace(&[
        ("environments/leaky.yaml", env),
        ("collections/leaky.yaml", collection),
    ]);
    let out = courier(dir.path())
        .args([
            "run", "--env", "leaky", "--json", "r.json", "--junit", "j.xml", "--html", "r.html",
        ])
        .env("REPORTS_API_KEY", SECRET)
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    let xml = std::fs::read_to_string(dir.path().join("j.xml")).unwrap();
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains("[REDACTED]"), "{html}");
    for (what, text) in [
        ("json", &json),
        ("junit", &xml),
        ("html", &html),
        ("stdout", &stdout),
    ] {
        assert!(!text.contains(SECRET), "{what} leaks the secret:\n{text}");
    }
    let r: Value = serde_json::from_str(&json).unwrap();
    assert_valid_report("the leaky run", &r);
    let check = &r["collections"][0]["requests"][0]["assertions"][0];
    assert_eq!(check["expected"], "[REDACTED]");
    // A version 2 failed check carries the actual value and a message; the secret is in
    // neither (the message quotes the expected value).
    assert_eq!(check["actual"], "V-0001");
    assert!(
        check["message"].as_str().unwrap().contains("[REDACTED]"),
        "{check}"
    );
    assert!(xml.contains("[REDACTED]"), "{xml}");
}

// ---------------------------------------------------------------------------------------
// Acceptance 3: sharding end to end.

/// Shard K of N of `files`, written out here from the words of docs/cli.md, "Sharding".
fn expected_shard(files: &[String], k: usize, n: usize) -> BTreeSet<String> {
    let mut keyed: Vec<(u64, &String)> = files
        .iter()
        .map(|f| (courier_core::plan::fnv1a64(f.as_bytes()), f))
        .collect();
    keyed.sort();
    let m = keyed.len();
    keyed[(k - 1) * m / n..k * m / n]
        .iter()
        .map(|(_, f)| (*f).clone())
        .collect()
}

#[test]
fn shards_run_disjoint_sets_that_cover_every_collection() {
    let files: Vec<String> = (0..11)
        .map(|i| format!("collections/group-{}/c{i:02}.yaml", i % 3))
        .collect();
    let texts: Vec<String> = (0..11)
        .map(|i| {
            format!(
                "name: Collection {i}\nauth: intacct\nrequests:\n  - name: list\n    url: \"{{{{ base_url }}}}/objects/accounts-payable/vendor\"\n    expect: {{ status: 200 }}\n"
            )
        })
        .collect();
    let contents: Vec<(&str, &str)> = files
        .iter()
        .zip(&texts)
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let dir = workspace(&contents);
    let n = 4;
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for k in 1..=n {
        let shard = format!("{k}/{n}");
        let report = format!("shard-{k}.json");
        let (code, stdout, stderr) = run_local(dir.path(), &["--shard", &shard, "--json", &report]);
        assert_eq!(code, 0, "shard {shard}: {stdout}{stderr}");
        let r: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join(&report)).unwrap())
                .unwrap();
        let ran: BTreeSet<String> = r["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["file"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ran, expected_shard(&files, k, n), "shard {shard}");
        assert_eq!(
            stdout.lines().last(),
            Some(format!("{} passed, 0 failed, 0 skipped", ran.len()).as_str())
        );
        for f in ran {
            *seen.entry(f).or_default() += 1;
        }
    }
    let all: BTreeMap<String, usize> = files.iter().map(|f| (f.clone(), 1)).collect();
    assert_eq!(seen, all, "every collection runs in exactly one shard");
}

#[test]
fn an_empty_shard_passes_with_a_warning() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    // One file over three shards: two of them are empty.
    let mut empty = 0;
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let (code, stdout, stderr) = run_local(dir.path(), &["--shard", &shard]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        if stdout.lines().last() == Some("0 passed, 0 failed, 0 skipped") {
            assert!(stderr.contains("warning"), "{stderr}");
            empty += 1;
        }
    }
    assert_eq!(empty, 2);
}

// ---------------------------------------------------------------------------------------
// Acceptance 4: plain output under CI without a terminal.

#[test]
fn under_ci_without_a_terminal_the_output_is_plain_bytes() {
    let port = closed_port().to_string();
    let dir = workspace(&[
        ("collections/mixed.yaml", MIXED),
        ("collections/vendors.yaml", VENDORS),
    ]);
    let var = format!("closed_port={port}");
    let run = |extra: &[&str]| {
        courier(dir.path())
            .args(["run", "--env", "local", "--var", &var])
            .args(extra)
            .env("CI", "true")
            .output()
            .unwrap()
    };
    let out = run(&[]);
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 3, "{stdout}{stderr}");
    for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{what} has an escape code: {bytes:?}"
        );
        // indicatif redraws with carriage returns; its template says `requests`.
        assert!(!bytes.contains(&b'\r'), "{what} has a carriage return");
    }
    assert!(
        !stderr.contains("requests"),
        "a progress bar on stderr: {stderr}"
    );
    for mark in ["✓", "✗"] {
        assert!(
            !stdout.contains(mark),
            "coloured marks without colour: {stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("PASS Vendors / list vendors  200  "))
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL Mixed bag / wrong status  200  "))
    );
    assert!(
        stdout
            .lines()
            .any(|l| l == "SKIP Mixed bag / skipped on purpose  skipped: skip: true")
    );
    assert_eq!(stdout.lines().last(), Some("2 passed, 3 failed, 2 skipped"));

    // The same check sees escape codes when there are some: colour forced on.
    let coloured = run(&["--color", "always"]);
    assert!(
        coloured.stdout.contains(&0x1b),
        "--color always colours the marks"
    );
}

/// The whole output (standard output and error share the terminal) of `courier run --env
/// local` in a pseudo-terminal, with `CI=true` or without it.
fn output_in_a_terminal(dir: &Path, ci: bool) -> Vec<u8> {
    use expectrl::{Eof, Expect as _, Session};
    let mut cmd = courier(dir);
    cmd.args(["run", "--env", "local"]);
    if ci {
        cmd.env("CI", "true");
    }
    let mut session = Session::spawn(cmd).expect("spawn in a pty");
    session.set_expect_timeout(Some(std::time::Duration::from_mins(1)));
    let all = session.expect(Eof).expect("the run ends");
    all.as_bytes().to_vec()
}

/// `CI` alone turns colour and the progress bar off, even when the output is a terminal
/// (some CI runners allocate one).
#[test]
fn under_ci_even_a_terminal_gets_plain_output() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let plain = output_in_a_terminal(dir.path(), true);
    let text = String::from_utf8_lossy(&plain);
    assert!(!plain.contains(&0x1b), "escape codes under CI: {text:?}");
    assert!(text.contains("PASS Vendors / read vendor"), "{text:?}");
    assert!(text.contains("2 passed, 0 failed, 0 skipped"), "{text:?}");
    // Without CI the same terminal gets colour: the check above can fail.
    let coloured = output_in_a_terminal(dir.path(), false);
    assert!(
        coloured.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&coloured)
    );
}

/// A run whose standard output closes (`| head -1`, a full disk) still runs every request,
/// writes its report files and exits 3: requests were sent, so not 2 (docs/cli.md#exit-codes).
#[test]
fn a_run_into_a_closed_pipe_finishes_writes_its_reports_and_exits_3() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = crate::support::courier(dir.path())
        .args([
            "run",
            "--env",
            "local",
            "--json",
            "out/r.json",
            "--junit",
            "out/r.xml",
        ])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("courier runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/r.json")).expect("the JSON report"),
    )
    .expect("valid JSON");
    assert_eq!(
        report["summary"]["passed"], 2,
        "every request ran: {report}"
    );
    assert!(dir.path().join("out/r.xml").is_file());
}

/// Two reports on one file, or a report over a collection of the run, are refused before
/// anything is sent (exit 2), naming the flags.
#[test]
fn report_paths_that_collide_are_refused_before_anything_is_sent() {
    let dir = workspace(&[("collections/vendors.yaml", VENDORS)]);
    let (code, stdout, stderr) = run_local(
        dir.path(),
        &["--json", "out/r", "--junit", "./out/../out/r"],
    );
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("--junit and --json both name `out/r`"),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    let (code, _, stderr) = run_local(dir.path(), &["--html", "collections/vendors.yaml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--html `collections/vendors.yaml` is a collection file of this run"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("collections/vendors.yaml")).unwrap(),
        VENDORS,
        "the collection is untouched"
    );
    // `--html -` is not standard output: a page needs a file (and `-` must not become one).
    let (code, stdout, stderr) = run_local(dir.path(), &["--html", "-"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("--html - : the HTML report"), "{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    assert!(!dir.path().join("-").exists(), "no file named `-`");
}

/// A token endpoint that cannot be reached is a `network` error in JUnit, not `auth`: the
/// message names the token request, the type keeps the class of what failed.
#[test]
fn an_unreachable_token_endpoint_is_a_network_error_naming_the_token_request() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = format!(
        "scope: non-production\nvars:\n  base_url: http://127.0.0.1:{port}\nauth:\n  intacct:\n    type: oauth2\n    grant: client_credentials\n    token_url: \"{{{{ base_url }}}}/oauth2/token\"\n    client_id: id\n    client_secret: a-long-enough-secret\n"
    );
    let collection = "name: Unreachable\nauth: intacct\nrequests:\n  - name: read\n    url: \"{{ base_url }}/objects/accounts-payable/vendor\"\n";
    let dir = workspace(&[
        ("environments/down.yaml", env.as_str()),
        ("collections/down.yaml", collection),
    ]);
    let out = courier(dir.path())
        .args(["run", "--env", "down", "--junit", "r.xml"])
        .output()
        .unwrap();
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let xml = std::fs::read_to_string(dir.path().join("r.xml")).unwrap();
    assert!(xml.contains("type=\"network\""), "{xml}");
    assert!(!xml.contains("type=\"auth\""), "{xml}");
    assert!(
        xml.contains("the token request of auth profile `intacct` failed"),
        "{xml}"
    );
}
