use super::*;
use crate::record::fixtures::{collection, errored, failed, result, run, skipped};
use quick_xml::events::Event as X;

fn unused() -> ReportTarget {
    ReportTarget::File(std::path::PathBuf::from("unused.xml"))
}

fn document(results: Vec<RequestResult>) -> JunitDocument {
    let mut r = JunitReporter::new(unused(), Secrets::new());
    for e in run(results) {
        r.on_event(&e);
    }
    r.document().unwrap()
}

/// (element name, attributes) of every start or empty element, read back with quick-xml:
/// also proves the text is well-formed.
fn elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().unwrap() {
            X::Start(e) | X::Empty(e) => {
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            a.key.as_ref().to_owned(),
                            a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect();
                out.push((e.name().as_ref().to_owned(), attrs));
            }
            X::Eof => break,
            _ => {}
        }
    }
    out
}

fn attr<'a>(el: &'a (String, Vec<(String, String)>), name: &str) -> Option<&'a str> {
    el.1.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_suite_per_collection_a_case_per_request() {
    let a = collection(
        "collections/a.yaml",
        "Vendors",
        &["list", "read", "down", "later"],
    );
    let b = collection("collections/b.yaml", "Customers", &["list"]);
    let doc = document(vec![
        result(&a, 0, 0),
        failed(&a, 0, 1),
        errored(&a, 0, 2),
        skipped(&a, 0, 3),
        result(&b, 1, 0),
    ]);
    let xml = doc.to_xml().unwrap();
    let els = elements(&xml);
    let root = &els[0];
    assert_eq!(root.0, "testsuites");
    assert_eq!(attr(root, "tests"), Some("5"));
    assert_eq!(attr(root, "failures"), Some("1"));
    assert_eq!(attr(root, "errors"), Some("1"));
    assert_eq!(
        attr(root, "skipped"),
        None,
        "junit-10.xsd forbids it on <testsuites>"
    );
    assert_eq!(attr(root, "time"), Some("1.234"));
    let suites: Vec<_> = els.iter().filter(|e| e.0 == "testsuite").collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(attr(suites[0], "name"), Some("Vendors"));
    assert_eq!(attr(suites[0], "skipped"), Some("1"));
    assert_eq!(attr(suites[0], "file"), Some("collections/a.yaml"));
    assert_eq!(attr(suites[0], "timestamp"), Some("2025-03-04T05:06:07Z"));
    let cases: Vec<_> = els.iter().filter(|e| e.0 == "testcase").collect();
    assert_eq!(cases.len(), 5);
    assert_eq!(attr(cases[1], "classname"), Some("Vendors"));
    assert_eq!(attr(cases[1], "time"), Some("0.012"));
    let failure = els.iter().find(|e| e.0 == "failure").unwrap();
    assert_eq!(attr(failure, "type"), Some("assertion"));
    assert_eq!(
        attr(failure, "message"),
        Some(r#"jsonpath $['ia::result'].id eq: expected "V-0001", actual "V-0002""#)
    );
    let error = els.iter().find(|e| e.0 == "error").unwrap();
    assert_eq!(attr(error, "type"), Some("network"));
    let skip = els.iter().find(|e| e.0 == "skipped").unwrap();
    assert_eq!(attr(skip, "message"), Some("skip: true"));
    // The failure text carries the YAML location, matcher, expected and actual.
    assert!(
        xml.contains("collections/a.yaml:7:9  jsonpath $['ia::result'].id  eq\n  expected: \"V-0001\"\n  actual:   \"V-0002\"</failure>"),
        "{xml}"
    );
}

#[test]
fn a_snapshot_only_failure_has_type_snapshot() {
    let c = collection("c.yaml", "C", &["a"]);
    let r = RequestResult {
        outcome: Outcome::Failed,
        snapshot: Some(SnapshotOutcome::Changed {
            pending: Some("__snapshots__/c__a.snap.new".into()),
            diff: courier_check::snapshot::SnapshotDiff::new("old\n", "new\n"),
        }),
        ..result(&c, 0, 0)
    };
    let CaseResult::Failure(p) = case_result(&r, &Secrets::default()) else {
        panic!("a failure")
    };
    assert_eq!(p.kind, "snapshot");
    assert_eq!(p.message, "snapshot changed");
    assert!(
        p.detail.contains("-old\n+new") && !p.detail.contains('\u{1b}'),
        "{}",
        p.detail
    );
    // With an assertion failing too, the type says `assertion` and the text has both.
    let both = RequestResult {
        assertions: vec![crate::record::fixtures::assertion(false)],
        ..r
    };
    let CaseResult::Failure(p) = case_result(&both, &Secrets::default()) else {
        panic!("a failure")
    };
    assert_eq!(p.kind, "assertion");
    assert!(p.message.ends_with("(and 1 more)"), "{}", p.message);
    assert!(p.detail.contains("snapshot changed"));
}

/// The XML text of `results` as the run's reporter writes it, with `secrets`.
fn xml_with(results: Vec<RequestResult>, secrets: &Arc<Secrets>) -> String {
    let mut junit = JunitReporter::new(unused(), Arc::clone(secrets));
    for e in run(results) {
        junit.on_event(&e);
    }
    junit.document().unwrap().to_xml().unwrap()
}

#[test]
fn secrets_and_control_characters_never_reach_the_file() {
    let secrets = Secrets::new();
    secrets.add("s3cret-value");
    let c = collection("c.yaml", "Suite s3cret-value", &["case s3cret-value", "b"]);
    let mut down = errored(&c, 0, 0);
    down.error = Some("token s3cret-value refused\nbody: \u{1b}[1m s3cret-value \u{0}".into());
    let mut bad = failed(&c, 0, 1);
    bad.assertions[1].actual = Some(serde_json::json!("s3cret-value"));
    bad.assertions[1].message = Some("s3cret-value is not V-0001".to_owned());
    let xml = xml_with(vec![down, bad], &secrets);
    assert!(!xml.contains("s3cret"), "{xml}");
    assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}'), "{xml}");
    assert!(xml.contains(r"body: \u{1b}[1m [REDACTED] \u{0}"), "{xml}");
    let els = elements(&xml);
    let suite = els.iter().find(|e| e.0 == "testsuite").unwrap();
    assert_eq!(attr(suite, "name"), Some("Suite [REDACTED]"));
    let error = els.iter().find(|e| e.0 == "error").unwrap();
    assert_eq!(attr(error, "message"), Some("token [REDACTED] refused"));
    assert!(xml.contains("[REDACTED] is not V-0001"), "{xml}");
}

/// Short secrets that are also words Courier writes (the user is warned about them) leave
/// those words whole; the data around them is still redacted.
#[test]
fn secrets_never_rewrite_courier_s_own_words() {
    let secrets = Secrets::new();
    for word in [
        "assertion",
        "expected",
        "actual",
        "snapshot",
        "failed",
        "network",
        "more",
        "courier",
    ] {
        secrets.add(word);
    }
    let c = collection("c.yaml", "C", &["a", "b", "c"]);
    let mut bad = failed(&c, 0, 0);
    bad.assertions
        .push(crate::record::fixtures::assertion(false));
    bad.assertions[2].actual = Some(serde_json::json!("actual value"));
    bad.snapshot = Some(SnapshotOutcome::Changed {
        pending: None,
        diff: courier_check::snapshot::SnapshotDiff::new("old\n", "new\n"),
    });
    let xml = xml_with(vec![bad, errored(&c, 0, 1)], &secrets);
    let els = elements(&xml);
    assert_eq!(attr(&els[0], "name"), Some("courier"), "{xml}");
    let failure = els.iter().find(|e| e.0 == "failure").unwrap();
    assert_eq!(attr(failure, "type"), Some("assertion"));
    assert_eq!(
        attr(failure, "message"),
        Some(r#"jsonpath $['ia::result'].id eq: expected "V-0001", actual "V-0002" (and 2 more)"#)
    );
    assert!(
        xml.contains("\n  expected: \"V-0001\"\n  actual:   \"V-0002\"\n"),
        "{xml}"
    );
    // Data is still redacted: the value that holds a secret word.
    assert!(xml.contains("actual:   \"[REDACTED] value\""), "{xml}");
    assert!(xml.contains("snapshot changed:\n"), "{xml}");
    let error = els.iter().find(|e| e.0 == "error").unwrap();
    assert_eq!(attr(error, "type"), Some("network"));
}

#[test]
fn values_are_redacted_before_they_are_cut_at_every_offset_around_a_secret() {
    const SECRET: &str = "tok-0123456789abcdefghijklmnopqrstuvwxyz";
    let secrets = Secrets::new();
    secrets.add(SECRET);
    let c = collection("c.yaml", "C", &["a"]);
    // The summary cuts at 120 characters, the detail at 300: cover both.
    for at in (100..130).chain(280..310) {
        let mut r = failed(&c, 0, 0);
        let long = format!("{}{SECRET}{}", "x".repeat(at), "y".repeat(400));
        r.assertions[1].actual = Some(serde_json::Value::String(long));
        let xml = xml_with(vec![r], &secrets);
        let leaks = (5..=SECRET.len()).any(|n| xml.contains(&SECRET[..n]));
        assert!(!leaks, "offset {at}: {xml}");
    }
}

#[test]
fn an_empty_run_is_an_empty_testsuites() {
    let xml = document(Vec::new()).to_xml().unwrap();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"courier\" tests=\"0\" failures=\"0\" errors=\"0\" time=\"1.234\"/>\n"
    );
}

#[test]
fn times_have_at_most_three_decimals() {
    assert_eq!(seconds(Duration::from_micros(1_234_567)), "1.234");
    assert_eq!(seconds(Duration::ZERO), "0.000");
}

#[test]
fn multi_line_messages_keep_their_line_breaks_escaped() {
    let mut doc = JunitDocument::new("n");
    let mut s = TestSuite::new("s");
    s.cases.push(TestCase {
        result: CaseResult::Skipped {
            reason: "a\nb".to_owned(),
        },
        ..TestCase::new("c", "s")
    });
    doc.suites.push(s);
    let xml = doc.to_xml().unwrap();
    let els = elements(&xml);
    let skip = els.iter().find(|e| e.0 == "skipped").unwrap();
    assert_eq!(attr(skip, "message"), Some("a\nb"));
}

#[test]
fn the_reporter_writes_its_file_at_finish() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let c = collection("c.yaml", "C", &["a"]);
    let mut r = JunitReporter::new(ReportTarget::File(path.clone()), Secrets::new());
    for e in run(vec![result(&c, 0, 0)]) {
        r.on_event(&e);
    }
    r.finish().unwrap();
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(
        xml.contains("<testcase name=\"a\" classname=\"C\" time=\"0.012\"/>"),
        "{xml}"
    );
}

#[test]
fn the_written_file_is_the_document_byte_for_byte_whatever_order_collections_finish_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    let a = collection("a.yaml", "A", &["one", "two", "three"]);
    let b = collection("b.yaml", "B", &["x", "y"]);
    let empty = collection("e.yaml", "E", &["never"]);
    let mut r = JunitReporter::new(ReportTarget::File(path.clone()), Secrets::new());
    // Collection 1 finishes first and the rows of 0 arrive interleaved with it, as under
    // `--parallel`; collection 2 starts and reports nothing.
    let mut events = run(vec![
        failed(&b, 1, 0),
        result(&a, 0, 0),
        skipped(&b, 1, 1),
        errored(&a, 0, 1),
        failed(&a, 0, 2),
    ]);
    events.insert(
        1,
        Event::CollectionStarted {
            collection_id: 2,
            collection: Arc::clone(&empty),
            row: None,
        },
    );
    for e in &events {
        r.on_event(e);
    }
    r.finish().unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let doc = r.document().unwrap();
    assert_eq!(written, doc.to_xml().unwrap());
    let names: Vec<&str> = doc.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["A", "B"],
        "run order, without the collection that reported nothing"
    );
    assert_eq!(
        doc.counts(),
        Counts {
            tests: 5,
            failures: 2,
            errors: 1,
            skipped: 1
        }
    );
    assert!(
        written.contains(r#"<testsuites name="courier" tests="5" failures="2" errors="1""#),
        "{written}"
    );
}
