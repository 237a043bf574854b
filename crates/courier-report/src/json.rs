//! The JSON report of `courier run --json FILE` (docs/reports.md#json-report): the types are the stable
//! contract's [`RunReport`]; this module fills them from the run's events and writes the
//! file (atomically) or standard output at the end. Every string passes through the run's
//! secrets set before it is written.

use std::sync::Arc;

use courier_check::matcher::{AssertKind, AssertOutcome};
use courier_check::snapshot::SnapshotOutcome;
use courier_core::secret::Secrets;
use courier_events::{Event, Outcome, Reporter, RequestResult};

use crate::contract::{
    AssertionKind, RUN_REPORT_VERSION, ReportAssertion, ReportCollection, ReportEnvironment,
    ReportOutcome, ReportRequest, ReportSnapshot, ReportSummary, RunReport, Tool,
};
use crate::output::ReportTarget;
use crate::record::RunRecord;

/// Collects the run and writes the JSON report in `finish()`.
pub struct JsonReporter {
    target: ReportTarget,
    secrets: Arc<Secrets>,
    record: RunRecord,
}

impl JsonReporter {
    pub fn new(target: ReportTarget, secrets: Arc<Secrets>) -> Self {
        Self {
            target,
            secrets,
            record: RunRecord::default(),
        }
    }

    /// The report of the run so far; `None` before `RunStarted`.
    pub fn report(&self) -> Option<RunReport> {
        build_report(&self.record)
    }

    /// The report as written: pretty JSON with a final newline, secrets redacted.
    pub fn render(&self) -> Option<String> {
        let report = self.report()?;
        Some(render_redacted(&report, &self.secrets))
    }
}

/// Serialises `report` and redacts every string in it (keys included).
pub fn render_redacted(report: &impl serde::Serialize, secrets: &Secrets) -> String {
    // Serialising plain structs of strings, numbers and JSON values cannot fail; an empty
    // object keeps the output valid JSON if that ever changes.
    let mut value = serde_json::to_value(report).unwrap_or_default();
    secrets.redact_json(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

fn build_report(record: &RunRecord) -> Option<RunReport> {
    let environment = record.environment.as_ref()?;
    let started_at = record.started_at?;
    Some(RunReport {
        version: RUN_REPORT_VERSION,
        tool: Tool::current(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: millis(record.duration),
        environment: ReportEnvironment {
            name: environment.name.clone(),
            scope: environment.scope.into(),
        },
        summary: ReportSummary {
            passed: record.summary.passed,
            failed: record.summary.failed,
            skipped: record.summary.skipped,
        },
        collections: record
            .collections()
            .map(|c| ReportCollection {
                name: c.collection.name.value.clone(),
                file: c.collection.file.display().to_owned(),
                requests: c.results.iter().map(|r| request(r)).collect(),
            })
            .collect(),
    })
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn request(r: &RequestResult) -> ReportRequest {
    ReportRequest {
        name: r.display_name(),
        outcome: match r.outcome {
            Outcome::Passed => ReportOutcome::Passed,
            Outcome::Failed => ReportOutcome::Failed,
            Outcome::Skipped => ReportOutcome::Skipped,
            Outcome::Error => ReportOutcome::Error,
        },
        skip_reason: r.skip_reason.clone(),
        status: r.status,
        duration_ms: r.duration.map(millis),
        assertions: r.assertions.iter().map(assertion).collect(),
        captures: r.captures.clone(),
        snapshot: match r.snapshot {
            None => ReportSnapshot::None,
            Some(SnapshotOutcome::Matched) => ReportSnapshot::Matched,
            Some(SnapshotOutcome::New { .. }) => ReportSnapshot::New,
            // The report's `snapshot` values are fixed (docs/reports.md#json-report): a snapshot
            // that could not be checked fails as `changed`, and `error` says why.
            Some(SnapshotOutcome::Changed { .. } | SnapshotOutcome::Error { .. }) => {
                ReportSnapshot::Changed
            }
            Some(SnapshotOutcome::Updated) => ReportSnapshot::Updated,
        },
        error: r.error.clone().or_else(|| match &r.snapshot {
            Some(SnapshotOutcome::Error { message }) => Some(message.clone()),
            _ => None,
        }),
    }
}

fn assertion(a: &AssertOutcome) -> ReportAssertion {
    ReportAssertion {
        kind: match a.kind {
            AssertKind::Status => AssertionKind::Status,
            AssertKind::Header => AssertionKind::Header,
            AssertKind::JsonPath => AssertionKind::JsonPath,
            AssertKind::Body => AssertionKind::Body,
            AssertKind::Duration => AssertionKind::Duration,
            AssertKind::Capture => AssertionKind::Capture,
            AssertKind::Repeat => AssertionKind::Repeat,
        },
        path: a.path.clone(),
        matcher: a.matcher.clone(),
        expected: a.expected.clone(),
        actual: a.actual.clone().unwrap_or(serde_json::Value::Null),
        passed: a.passed,
        line: a.span.start.line as usize,
        column: a.span.start.col as usize,
    }
}

impl Reporter for JsonReporter {
    fn on_event(&mut self, event: &Event) {
        self.record.on_event(event);
    }

    fn finish(&mut self) -> std::io::Result<()> {
        match self.render() {
            Some(text) => self.target.write(text.as_bytes()).map_err(Into::into),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::fixtures::{collection, errored, failed, result, run, skipped};
    use serde_json::{Value, json};

    fn reporter_after(events: &[Event], secrets: Arc<Secrets>) -> JsonReporter {
        let mut r = JsonReporter::new(ReportTarget::Stdout, secrets);
        for e in events {
            r.on_event(e);
        }
        r
    }

    #[test]
    fn a_run_becomes_the_report_of_the_spec() {
        let c = collection(
            "collections/vendors.yaml",
            "Vendors",
            &["list", "read", "down", "later"],
        );
        let events = run(vec![
            result(&c, 0, 0),
            failed(&c, 0, 1),
            errored(&c, 0, 2),
            skipped(&c, 0, 3),
        ]);
        let r = reporter_after(&events, Secrets::new());
        let value: Value = serde_json::from_str(&r.render().unwrap()).unwrap();
        assert_eq!(value["version"], 1);
        assert_eq!(
            value["tool"],
            json!({"name": "courier", "version": TOOL_VERSION_FOR_TEST})
        );
        assert_eq!(value["started_at"], "2025-03-04T05:06:07.089Z");
        assert_eq!(value["duration_ms"], 1234);
        assert_eq!(
            value["environment"],
            json!({"name": "local", "scope": "non-production"})
        );
        assert_eq!(
            value["summary"],
            json!({"passed": 1, "failed": 2, "skipped": 1})
        );
        let c0 = &value["collections"][0];
        assert_eq!(c0["name"], "Vendors");
        assert_eq!(c0["file"], "collections/vendors.yaml");
        let outcomes: Vec<&str> = c0["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["outcome"].as_str().unwrap())
            .collect();
        assert_eq!(outcomes, ["passed", "failed", "error", "skipped"]);
        assert_eq!(
            c0["requests"][1]["assertions"][1],
            json!({"kind": "jsonpath", "path": "$['ia::result'].id", "matcher": "eq",
                   "expected": "V-0001", "actual": "V-0002", "passed": false, "line": 7, "column": 9})
        );
        let err = &c0["requests"][2];
        assert_eq!(err["status"], Value::Null);
        assert_eq!(err["duration_ms"], Value::Null);
        assert_eq!(err["error"], "connection refused (127.0.0.1:9)");
        assert_eq!(c0["requests"][3]["skip_reason"], "skip: true");
        assert_eq!(c0["requests"][0]["snapshot"], "none");
        // The contract type reads back what was written, with nothing left over.
        let typed: RunReport = serde_json::from_value(value).unwrap();
        assert_eq!(typed, r.report().unwrap());
    }

    const TOOL_VERSION_FOR_TEST: &str = env!("CARGO_PKG_VERSION");

    #[test]
    fn collections_are_in_run_order_whatever_order_they_finish_in() {
        let a = collection("a.yaml", "A", &["one"]);
        let b = collection("b.yaml", "B", &["one"]);
        // Under --parallel, B (planned second) can finish first.
        let events = run(vec![result(&b, 1, 0), result(&a, 0, 0)]);
        let report = reporter_after(&events, Secrets::new()).report().unwrap();
        let names: Vec<&str> = report.collections.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn data_rows_are_requests_of_one_collection_named_with_their_row() {
        let c = collection("c.yaml", "Rows", &["get"]);
        let row = |n| RequestResult {
            row: Some(n),
            page: None,
            attempts: None,
            ..result(&c, 0, 0)
        };
        let report = reporter_after(&run(vec![row(1), row(2)]), Secrets::new())
            .report()
            .unwrap();
        assert_eq!(report.collections.len(), 1);
        let names: Vec<&str> = report.collections[0]
            .requests
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["get [row 1]", "get [row 2]"]);
    }

    #[test]
    fn secrets_are_redacted_everywhere_in_the_report() {
        let secrets = Secrets::new();
        secrets.add("hunter2-secret");
        let c = collection("c.yaml", "C", &["a"]);
        let mut r = failed(&c, 0, 0);
        r.assertions[1].expected = json!({"token": "Bearer hunter2-secret"});
        r.error = Some("token hunter2-secret refused".to_owned());
        let text = reporter_after(&run(vec![r]), secrets).render().unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("Bearer [REDACTED]"), "{text}");
    }

    #[test]
    fn a_run_that_never_started_writes_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let mut r = JsonReporter::new(ReportTarget::File(path.clone()), Secrets::new());
        r.finish().unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn finish_writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let mut r = JsonReporter::new(ReportTarget::File(path.clone()), Secrets::new());
        for e in run(Vec::new()) {
            r.on_event(&e);
        }
        r.finish().unwrap();
        let written: RunReport =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(written.collections.is_empty());
        assert_eq!(written.summary, ReportSummary::default());
    }
}
