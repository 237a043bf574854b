//! `courier report merge` end to end: the JSON reports of `--shard 1/3`, `2/3` and `3/3`
//! merge into the report of the unsharded run of the same collections (timings aside), the
//! merged JUnit matches the unsharded run's, and what cannot be merged exits 2 naming why.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::path::Path;

use serde_json::Value;

use crate::reports::{MIXED, ROWS, ROWS_CSV, VENDORS, closed_port};
use crate::support::{parts, run, workspace};

/// Five collection files, so that every one of three shards has some: passing, failing,
/// erroring, skipped and data-driven requests.
pub(crate) fn sharded_workspace() -> tempfile::TempDir {
    workspace(&[
        ("collections/mixed.yaml", MIXED),
        ("collections/vendors.yaml", VENDORS),
        ("collections/rows.yaml", ROWS),
        ("collections/rows.csv", ROWS_CSV),
        (
            "collections/more/vendors-again.yaml",
            &VENDORS.replace("name: Vendors", "name: Vendors again"),
        ),
        (
            "collections/more/mixed-again.yaml",
            &MIXED.replace("name: Mixed bag", "name: Mixed again"),
        ),
    ])
}

/// Runs the collections of `dir` unsharded and as three shards, each with `--json` and
/// `--junit`; returns the closed port's `--var` and the exit codes (whole, shards).
pub(crate) fn run_whole_and_shards(dir: &Path) -> (i32, Vec<i32>) {
    let port = format!("closed_port={}", closed_port());
    let base = ["run", "--env", "local", "--var", port.as_str()];
    let whole = |extra: &[&str]| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(extra);
        let (code, stdout, stderr) = parts(&run(dir, &args));
        assert!(code == 1 || code == 3 || code == 0, "{stdout}{stderr}");
        code
    };
    let whole_code = whole(&["--json", "whole.json", "--junit", "whole.xml"]);
    let shards = (1..=3)
        .map(|k| {
            let shard = format!("{k}/3");
            let json = format!("shard-{k}.json");
            let xml = format!("shard-{k}.xml");
            whole(&["--shard", &shard, "--json", &json, "--junit", &xml])
        })
        .collect();
    (whole_code, shards)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The report without what differs between two runs of the same requests: when they ran and
/// how long they took.
fn without_timings(mut v: Value) -> Value {
    v["started_at"] = Value::Null;
    v["duration_ms"] = Value::Null;
    for c in v["collections"].as_array_mut().unwrap() {
        for r in c["requests"].as_array_mut().unwrap() {
            r["duration_ms"] = Value::Null;
            r["started_ms"] = Value::Null;
        }
    }
    v
}

fn merge(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["report", "merge"];
    all.extend(args);
    parts(&run(dir, &all))
}

#[test]
fn three_shards_merge_into_the_report_of_the_unsharded_run() {
    let dir = sharded_workspace();
    let (whole_code, shard_codes) = run_whole_and_shards(dir.path());
    // Every shard holds some of the five files.
    for k in 1..=3 {
        let shard = read_json(&dir.path().join(format!("shard-{k}.json")));
        assert!(
            !shard["collections"].as_array().unwrap().is_empty(),
            "shard {k} is empty"
        );
    }
    let (code, stdout, stderr) = merge(
        dir.path(),
        &[
            "shard-3.json",
            "shard-1.json",
            "shard-2.json",
            "--json",
            "merged.json",
            "--junit",
            "merged.xml",
            "--html",
            "merged.html",
        ],
    );
    assert_eq!(code, whole_code, "{stdout}{stderr}");
    assert_eq!(code, shard_codes.into_iter().max().unwrap());
    let whole = read_json(&dir.path().join("whole.json"));
    let merged = read_json(&dir.path().join("merged.json"));
    assert_eq!(merged["shard"], Value::Null);
    assert_eq!(
        without_timings(merged.clone()),
        without_timings(whole.clone())
    );
    assert_eq!(
        stdout.lines().last().unwrap(),
        format!(
            "{} passed, {} failed, {} skipped (merged from 3 reports)",
            whole["summary"]["passed"], whole["summary"]["failed"], whole["summary"]["skipped"]
        )
    );
    assert!(
        stdout.contains("FAIL Mixed bag / wrong status  (collections/mixed.yaml)"),
        "{stdout}"
    );

    // The JUnit of the merge is the unsharded run's but for times and the type of an error
    // (the JSON report does not keep whether it was the network, TLS, a timeout or a token).
    let junit = |name: &str| {
        let text = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let times = regex::Regex::new(r#" (time|timestamp)="[^"]*""#).unwrap();
        let kinds = regex::Regex::new(r#"<error type="[a-z]+""#).unwrap();
        let text = times.replace_all(&text, "").into_owned();
        kinds.replace_all(&text, r#"<error type="…""#).into_owned()
    };
    assert_eq!(junit("merged.xml"), junit("whole.xml"));
    let html = std::fs::read_to_string(dir.path().join("merged.html")).unwrap();
    assert!(
        html.contains("Mixed again"),
        "the HTML report shows every shard's collections"
    );
}

#[test]
fn reports_that_are_not_one_whole_run_are_refused_with_exit_2() {
    let dir = sharded_workspace();
    run_whole_and_shards(dir.path());
    let refused = |args: &[&str], expected: &str| {
        let (code, stdout, stderr) = merge(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(
            !dir.path().join("out.json").exists(),
            "{args:?} wrote a report"
        );
    };
    refused(
        &["shard-1.json", "shard-3.json", "--json", "out.json"],
        "missing shard 2: 2 of 3 given",
    );
    refused(
        &[
            "shard-1.json",
            "shard-2.json",
            "shard-2.json",
            "shard-3.json",
            "--json",
            "out.json",
        ],
        "shard-2.json and shard-2.json are both shard 2/3",
    );
    refused(
        &["whole.json", "shard-1.json", "--json", "out.json"],
        "whole.json is a whole run (no --shard)",
    );
    let mut v1 = read_json(&dir.path().join("shard-1.json"));
    v1["version"] = 1.into();
    std::fs::write(dir.path().join("v1.json"), v1.to_string()).unwrap();
    refused(
        &[
            "v1.json",
            "shard-2.json",
            "shard-3.json",
            "--json",
            "out.json",
        ],
        "v1.json: a version 1 report",
    );
    let mut other = read_json(&dir.path().join("shard-1.json"));
    other["tool"]["version"] = "0.0.1".into();
    std::fs::write(dir.path().join("old.json"), other.to_string()).unwrap();
    refused(
        &["old.json", "shard-2.json", "shard-3.json"],
        "old.json: written by Courier 0.0.1",
    );
    std::fs::write(dir.path().join("broken.json"), "{\"version\": 2,\n").unwrap();
    refused(&["broken.json"], "broken.json:2:0: not JSON");
    refused(&["nowhere.json"], "cannot read `nowhere.json`");
}
