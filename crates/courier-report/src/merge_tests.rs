use courier_core::secret::Secrets;
use courier_events::{Event, Exit, Reporter as _, RequestResult};
use serde_json::{Value, json};

use super::*;
use crate::contract::ReportShard;
use crate::json::{JsonReporter, ReportOptions};
use crate::output::ReportTarget;
use crate::record::fixtures::{collection, errored, failed, result, run};

/// The JSON text `courier run --json` writes for `results`, as shard `shard` (K, N).
fn report_text(results: Vec<RequestResult>, shard: Option<(u32, u32)>) -> String {
    let mut r =
        JsonReporter::new(ReportTarget::Stdout, Secrets::new()).with_options(ReportOptions {
            shard: shard.map(|(index, total)| ReportShard { index, total }),
            ..ReportOptions::default()
        });
    let events: Vec<Event> = run(results);
    for e in &events {
        r.on_event(e);
    }
    r.render().unwrap()
}

fn read(file: &str, text: &str) -> ShardReport {
    read_report(file, text).unwrap()
}

/// Three collections split over two shards, b.yaml in the first.
fn two_shards() -> (ShardReport, ShardReport) {
    let a = collection("collections/a.yaml", "A", &["one", "two"]);
    let b = collection("collections/b.yaml", "B", &["three"]);
    let c = collection("collections/c.yaml", "C", &["four"]);
    let first = report_text(vec![result(&b, 0, 0)], Some((1, 2)));
    let second = report_text(
        vec![result(&c, 0, 0), failed(&a, 1, 0), result(&a, 1, 1)],
        Some((2, 2)),
    );
    (read("r1.json", &first), read("r2.json", &second))
}

#[test]
fn shards_merge_into_one_run_in_path_order() {
    let (first, mut second) = two_shards();
    // The second shard started 500 ms after the first.
    second.report.started_at = "2025-03-04T05:06:07.589Z".to_owned();
    let merged = merge(&[second, first]).unwrap();
    let files: Vec<&str> = merged.collections.iter().map(|c| c.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "collections/a.yaml",
            "collections/b.yaml",
            "collections/c.yaml"
        ]
    );
    assert_eq!(merged.shard, None);
    assert_eq!(
        (
            merged.summary.passed,
            merged.summary.failed,
            merged.summary.skipped
        ),
        (3, 1, 0)
    );
    assert_eq!(merged.started_at, "2025-03-04T05:06:07.089Z");
    // Each shard ran 1234 ms: the merged run ends with the later one.
    assert_eq!(merged.duration_ms, 1734);
    assert_eq!(merged.collections[0].requests[0].started_ms, Some(503));
    assert_eq!(merged.collections[1].requests[0].started_ms, Some(3));
    assert_eq!(exit_of(&merged), Exit::Failed);
}

#[test]
fn the_exit_code_is_the_runs() {
    let a = collection("collections/a.yaml", "A", &["one"]);
    let passing = read("p.json", &report_text(vec![result(&a, 0, 0)], None));
    assert_eq!(exit_of(&merge(&[passing]).unwrap()), Exit::Success);
    let down = read("e.json", &report_text(vec![errored(&a, 0, 0)], None));
    assert_eq!(exit_of(&merge(&[down]).unwrap()), Exit::Unchecked);
}

fn set(text: &str, pointer: &str, value: Value) -> String {
    let mut v: Value = serde_json::from_str(text).unwrap();
    *v.pointer_mut(pointer).unwrap() = value;
    v.to_string()
}

#[test]
fn reports_of_other_versions_are_refused_by_name() {
    let a = collection("collections/a.yaml", "A", &["one"]);
    let text = report_text(vec![result(&a, 0, 0)], None);
    let e = read_report("old.json", &set(&text, "/version", json!(1))).unwrap_err();
    assert!(matches!(e, MergeError::Version1 { .. }), "{e}");
    assert!(
        e.to_string().starts_with("old.json: a version 1 report"),
        "{e}"
    );
    let e = read_report("new.json", &set(&text, "/version", json!(3))).unwrap_err();
    assert_eq!(
        e,
        MergeError::OtherVersion {
            file: "new.json".into(),
            version: 3
        }
    );
    let e = read_report("c.json", &set(&text, "/tool/version", json!("0.0.1"))).unwrap_err();
    assert!(e.to_string().contains("written by Courier 0.0.1"), "{e}");
}

#[test]
fn what_is_not_a_run_report_is_refused() {
    let e = read_report("x.json", "{\n  \"version\": 2,\n  oops }").unwrap_err();
    assert!(
        matches!(
            e,
            MergeError::NotJson {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{e:?}"
    );
    let compare = json!({"version": 2, "left": {}, "right": {}, "summary": {}, "pairs": []});
    let e = read_report("cmp.json", &compare.to_string()).unwrap_err();
    assert!(e.to_string().contains("`courier compare`"), "{e}");
}

#[test]
fn missing_overlapping_and_mismatched_shards_are_refused() {
    let (first, second) = two_shards();
    let e = merge(std::slice::from_ref(&second)).unwrap_err();
    assert_eq!(
        e,
        MergeError::Missing {
            total: 2,
            missing: vec![1]
        }
    );
    assert!(
        e.to_string().starts_with("missing shard 1: 1 of 2 given"),
        "{e}"
    );

    let e = merge(&[first.clone(), second.clone(), second.clone()]).unwrap_err();
    assert!(
        e.to_string()
            .contains("r2.json and r2.json are both shard 2/2"),
        "{e}"
    );

    let mut renamed = first.clone();
    renamed.report.collections = second.report.collections.clone();
    let e = merge(&[renamed, second.clone()]).unwrap_err();
    assert!(
        e.to_string()
            .contains("holds results of collections/c.yaml"),
        "{e}"
    );

    let mut other_n = first.clone();
    other_n.report.shard = Some(ReportShard { index: 1, total: 3 });
    let e = merge(&[other_n, second.clone()]).unwrap_err();
    assert!(matches!(e, MergeError::ShardCounts { .. }), "{e}");

    let mut whole = first.clone();
    whole.report.shard = None;
    let e = merge(&[whole, second.clone()]).unwrap_err();
    assert!(e.to_string().contains("a whole run"), "{e}");

    let mut elsewhere = first;
    elsewhere.report.environment.name = "sandbox".into();
    let e = merge(&[elsewhere, second]).unwrap_err();
    assert!(e.to_string().contains("different environments"), "{e}");
}
