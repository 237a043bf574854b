//! The external suite (cargo feature `external`, run by `.ci/run` after installing the
//! tools): the JUnit files of a passing run, a run with failures, errors and skips, an empty
//! selection, and the JUnit merged from three shards validate with `xmllint --schema` against
//! the Jenkins xUnit plugin's `junit-10.xsd` (tests/data/). A missing `xmllint` fails these tests: a silent skip
//! would let CI pass having checked nothing.

use std::path::Path;
use std::process::Command;

use crate::reports::{junit_runs, run_local};
use crate::support::root;

/// Runs `xmllint --noout --schema junit-10.xsd FILE`; (success, its output).
fn xmllint(file: &Path) -> (bool, String) {
    let schema = root().join("tests/data/junit-10.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(file)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "xmllint is needed by the external suite ({e}): install it (Debian: apt-get install -y libxml2-utils)"
            )
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn junit_reports_validate_against_the_jenkins_schema() {
    for (name, dir, args, code) in junit_runs() {
        let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
        all.extend(["--junit", "junit.xml"]);
        let (got, stdout, stderr) = run_local(dir.path(), &all);
        assert_eq!(got, code, "{name}: {stdout}{stderr}");
        let file = dir.path().join("junit.xml");
        let (ok, output) = xmllint(&file);
        assert!(
            ok,
            "{name}: junit.xml does not validate:\n{output}\n{}",
            std::fs::read_to_string(&file).unwrap_or_default()
        );
    }
}

/// Guards the test above: the schema check rejects what quick-junit writes (`skipped` on
/// `<testsuites>`), so a pass means something.
#[test]
fn xmllint_rejects_a_skipped_attribute_on_testsuites() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.xml");
    std::fs::write(
        &file,
        "<?xml version=\"1.0\"?>\n<testsuites tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\"/>\n",
    )
    .unwrap();
    let (ok, output) = xmllint(&file);
    assert!(!ok, "xmllint accepted an invalid file: {output}");
}

/// The JUnit that `courier report merge` writes from three shards' JSON reports validates too.
#[test]
fn a_merged_junit_report_validates_against_the_jenkins_schema() {
    let dir = crate::merge::sharded_workspace();
    crate::merge::run_whole_and_shards(dir.path());
    let out = crate::support::run(
        dir.path(),
        &[
            "report",
            "merge",
            "shard-1.json",
            "shard-2.json",
            "shard-3.json",
            "--junit",
            "merged.xml",
        ],
    );
    let (code, stdout, stderr) = crate::support::parts(&out);
    assert_eq!(code, 3, "{stdout}{stderr}");
    let file = dir.path().join("merged.xml");
    let (ok, output) = xmllint(&file);
    assert!(
        ok,
        "merged.xml does not validate:\n{output}\n{}",
        std::fs::read_to_string(&file).unwrap_or_default()
    );
}
