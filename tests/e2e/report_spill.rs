//! Reports of a run too big to keep in memory (docs/reports.md#memory): every report holds
//! every request, in run order, whether its entries went through a temporary file or, when
//! none can be made, stayed in memory; and the temporary file leaves nothing behind.

use serde_json::Value;

use crate::support::{courier, parts, workspace};

/// Rows of the data file: with a long name, their entries add up to several megabytes,
/// more than a reporter holds in memory before it writes to its temporary file.
const ROWS: usize = 1_500;

fn run_with_tmpdir(tmpdir: &std::path::Path) -> (Value, String, String) {
    let name = format!("{}end", "a request named at length ".repeat(40));
    let rows: Vec<String> = (1..=ROWS).map(|i| i.to_string()).collect();
    let data = format!("n\n{}\n", rows.join("\n"));
    let tmp = workspace(&[
        (
            "collections/big.yaml",
            &format!(
                "name: big\nrequests:\n  - name: \"{name}\"\n    url: http://127.0.0.1:9/\n    skip: true\n"
            ),
        ),
        ("rows.csv", &data),
    ]);
    let out = courier(tmp.path())
        .env("TMPDIR", tmpdir)
        .args([
            "run",
            "collections",
            "--env",
            "local",
            "--data",
            "rows.csv",
            "--json",
            "out/r.json",
            "--junit",
            "out/j.xml",
            "--html",
            "out/r.html",
        ])
        .output()
        .expect("runs");
    let (code, stdout, stderr) = parts(&out);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let read = |f: &str| std::fs::read_to_string(tmp.path().join("out").join(f)).expect("report");
    let json: Value = serde_json::from_str(&read("r.json")).expect("JSON");
    (json, read("j.xml"), read("r.html"))
}

fn assert_whole((json, junit, html): &(Value, String, String)) {
    let requests = json["collections"][0]["requests"]
        .as_array()
        .expect("requests");
    assert_eq!(requests.len(), ROWS);
    for (i, r) in requests.iter().enumerate() {
        let name = r["name"].as_str().expect("name");
        assert!(name.ends_with(&format!("end [row {}]", i + 1)), "{name}");
        assert_eq!(r["outcome"], "skipped");
    }
    assert_eq!(junit.matches("<testcase ").count(), ROWS);
    assert!(
        junit.contains(&format!("tests=\"{ROWS}\"")),
        "{}",
        &junit[..300]
    );
    assert!(junit.contains(&format!("[row {ROWS}]\"")));
    // Each request has its row in the list and its bar label in the timeline.
    assert_eq!(html.matches("<tr class=\"request\"").count(), ROWS);
    assert!(html.contains(&format!("[row {ROWS}]</title>")));
}

#[test]
fn every_report_holds_every_request_through_a_temporary_file_that_leaves_nothing_behind() {
    let tmpdir = tempfile::tempdir().expect("tmp");
    let reports = run_with_tmpdir(tmpdir.path());
    assert_whole(&reports);
    let left: Vec<_> = std::fs::read_dir(tmpdir.path()).expect("tmpdir").collect();
    assert!(left.is_empty(), "left behind in $TMPDIR: {left:?}");
}

#[test]
fn without_a_usable_temporary_folder_the_reports_are_still_whole() {
    let tmpdir = tempfile::tempdir().expect("tmp");
    let missing = tmpdir.path().join("no-such-folder");
    let (json, junit, html) = run_with_tmpdir(&missing);
    assert_whole(&(json.clone(), junit, html));
    // The same reports as with a temporary file, but for the run's times.
    let (other, _, _) = run_with_tmpdir(tmpdir.path());
    let names = |v: &Value| -> Vec<Value> {
        v["collections"][0]["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| r["name"].clone())
            .collect()
    };
    assert_eq!(names(&json), names(&other));
}
