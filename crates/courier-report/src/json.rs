//! The JSON report of `courier run --json FILE` (docs/reports-v2.md): the types are the
//! stable contract's [`RunReport`]; this module fills them from the run's events (the HTML
//! report renders the same document) and writes the file (atomically) or standard output at
//! the end. Every string passes through the run's secrets set before it is written, and a
//! long `actual` is cut after it is redacted, so a cut never splits a secret.

use std::collections::BTreeSet;
use std::sync::Arc;

use courier_check::matcher::{AssertKind, AssertOutcome};
use courier_check::snapshot::SnapshotOutcome;
use courier_core::secret::{REDACTED, Secrets};
use courier_events::{Event, Outcome, Reporter, RequestResult};
use serde_json::Value;

use crate::contract::{
    AssertionKind, CUT_MARK, MAX_ACTUAL_BYTES, RUN_REPORT_VERSION, ReportAssertion,
    ReportCollection, ReportEnvironment, ReportOutcome, ReportRequest, ReportShard, ReportSnapshot,
    ReportSummary, RunReport, Tool,
};
use crate::output::ReportTarget;
use crate::record::RunRecord;

/// Which assertions keep their `actual` value in a report (`--report-values`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportValues {
    /// Failed assertions only: a passing run's report holds no response data.
    #[default]
    Failed,
    /// Every assertion.
    All,
}

/// What a report is asked to hold beyond the run's events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportOptions {
    pub values: ReportValues,
    /// `--shard K/N`.
    pub shard: Option<ReportShard>,
}

/// Collects the run and writes the JSON report in `finish()`.
pub struct JsonReporter {
    target: ReportTarget,
    secrets: Arc<Secrets>,
    record: RunRecord<ReportRequest>,
    options: ReportOptions,
}

impl JsonReporter {
    pub fn new(target: ReportTarget, secrets: Arc<Secrets>) -> Self {
        let options = ReportOptions::default();
        Self {
            target,
            record: report_record(options, &secrets),
            secrets,
            options,
        }
    }

    /// Sets what the report holds; before the run's first event.
    #[must_use]
    pub fn with_options(mut self, options: ReportOptions) -> Self {
        self.options = options;
        self.record = report_record(options, &self.secrets);
        self
    }

    /// The report of the run so far, secrets redacted; `None` before `RunStarted`.
    pub fn report(&self) -> Option<RunReport> {
        build_report(&self.record, self.options, &self.secrets)
    }

    /// The report as written: pretty JSON with a final newline, secrets redacted.
    ///
    /// [`build_report`] redacts the report's data field by field; the document as a whole is
    /// not run through the secrets again, so a secret such as `version` or `passed` never
    /// renames a key of the report (docs/secrets.md).
    pub fn render(&self) -> Option<String> {
        Some(render_report(&self.report()?))
    }
}

/// A report as written: pretty JSON with a final newline. The report's data must be redacted
/// already ([`build_report`] does it field by field).
pub fn render_report(report: &impl serde::Serialize) -> String {
    // Serialising plain structs of strings, numbers and JSON values cannot fail; an empty
    // object keeps the output valid JSON if that ever changes.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}

/// A record of the run that keeps each request as the report shows it, redacted: what the
/// JSON and HTML reporters write from.
pub(crate) fn report_record(
    options: ReportOptions,
    secrets: &Arc<Secrets>,
) -> RunRecord<ReportRequest> {
    let secrets = Arc::clone(secrets);
    RunRecord::new(move |r| {
        let mut req = request(r, options.values, &secrets);
        redact_request(&mut req, &secrets);
        req
    })
}

/// The report document of a run (the JSON report; the HTML report renders it), every string
/// in it redacted with `secrets`; `None` before `RunStarted` or when the run's entries cannot
/// be read back. The whole document in memory: reporters write from the record instead
/// ([`write_report`]).
pub fn build_report(
    record: &RunRecord<ReportRequest>,
    options: ReportOptions,
    secrets: &Secrets,
) -> Option<RunReport> {
    let mut report = report_head(record, options)?;
    for c in record.collections() {
        report.collections.push(ReportCollection {
            name: c.collection.name.value.clone(),
            file: c.collection.file.display().to_owned(),
            requests: record.entries(c).collect::<std::io::Result<_>>().ok()?,
        });
    }
    redact_report(&mut report, secrets);
    Some(report)
}

/// Redacts every string of `report` in place (names, reasons, errors, paths, messages,
/// diffs, tags, and every string inside `expected` and `actual`).
pub fn redact_report(report: &mut RunReport, secrets: &Secrets) {
    redact_text(&mut report.environment.name, secrets);
    for c in &mut report.collections {
        redact_text(&mut c.name, secrets);
        redact_text(&mut c.file, secrets);
        for r in &mut c.requests {
            redact_request(r, secrets);
        }
    }
}

fn redact_text(s: &mut String, secrets: &Secrets) {
    if let std::borrow::Cow::Owned(r) = secrets.redact(s) {
        *s = r;
    }
}

/// Redacts every string of one request of a report in place.
fn redact_request(r: &mut ReportRequest, secrets: &Secrets) {
    let text = |s: &mut String| redact_text(s, secrets);
    let opt = |s: &mut Option<String>| {
        if let Some(s) = s {
            text(s);
        }
    };
    text(&mut r.name);
    opt(&mut r.skip_reason);
    opt(&mut r.error);
    opt(&mut r.snapshot_diff);
    r.tags.iter_mut().for_each(text);
    r.captures.iter_mut().for_each(text);
    for a in &mut r.assertions {
        opt(&mut a.path);
        text(&mut a.matcher);
        opt(&mut a.message);
        secrets.redact_json(&mut a.expected);
        if let Some(v) = &mut a.actual {
            secrets.redact_json(v);
        }
    }
}

/// Writes the report of `record` to `out` byte for byte as [`render_report`] of
/// [`build_report`] would, one request at a time: a run of 100,000 requests is never held
/// as one document and one string as well (docs/reports-v2.md#json-report-of-run-version-2).
/// Nothing is written before `RunStarted`.
pub fn write_report(
    out: &mut dyn std::io::Write,
    record: &RunRecord<ReportRequest>,
    options: ReportOptions,
    secrets: &Secrets,
) -> std::io::Result<()> {
    // The document without its collections, as serde writes it: `"collections": []` last.
    let Some(head) = report_head_redacted(record, options, secrets) else {
        return Ok(());
    };
    let text = serde_json::to_string_pretty(&head).map_err(std::io::Error::other)?;
    let mut collections = record.collections().peekable();
    let (Some(prefix), true) = (text.strip_suffix("[]\n}"), collections.peek().is_some()) else {
        out.write_all(text.as_bytes())?;
        return out.write_all(b"\n");
    };
    let json = |s: &str| serde_json::to_string(s).map_err(std::io::Error::other);
    out.write_all(prefix.as_bytes())?;
    out.write_all(b"[\n")?;
    for (i, c) in collections.enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        let name = json(&secrets.redact(&c.collection.name.value))?;
        let file = json(&secrets.redact(c.collection.file.display()))?;
        write!(
            out,
            "    {{\n      \"name\": {name},\n      \"file\": {file},\n      \"requests\": ["
        )?;
        for (j, req) in record.entries(c).enumerate() {
            out.write_all(if j == 0 { b"\n" } else { b",\n" })?;
            let text = serde_json::to_string_pretty(&req?).map_err(std::io::Error::other)?;
            // Pretty JSON holds no raw newline inside a string: each line is indented alone.
            for (k, line) in text.split('\n').enumerate() {
                if k > 0 {
                    out.write_all(b"\n")?;
                }
                out.write_all(b"        ")?;
                out.write_all(line.as_bytes())?;
            }
        }
        out.write_all(if c.is_empty() {
            b"]\n    }"
        } else {
            b"\n      ]\n    }"
        })?;
    }
    out.write_all(b"\n  ]\n}\n")
}

/// The report's fields other than its collections, redacted; `None` before `RunStarted`.
pub(crate) fn report_head_redacted<T>(
    record: &RunRecord<T>,
    options: ReportOptions,
    secrets: &Secrets,
) -> Option<RunReport> {
    let mut head = report_head(record, options)?;
    redact_report(&mut head, secrets);
    Some(head)
}

/// The report's fields other than its collections; `None` before `RunStarted`.
fn report_head<T>(record: &RunRecord<T>, options: ReportOptions) -> Option<RunReport> {
    let environment = record.environment.as_ref()?;
    let started_at = record.started_at?;
    Some(RunReport {
        version: RUN_REPORT_VERSION,
        tool: Tool::current(),
        started_at: started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: millis(record.duration),
        environment: ReportEnvironment {
            name: environment.name.clone(),
            scope: environment.scope,
        },
        shard: options.shard,
        summary: ReportSummary {
            passed: record.summary.passed,
            failed: record.summary.failed,
            skipped: record.summary.skipped,
        },
        collections: Vec::new(),
    })
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn request(r: &RequestResult, values: ReportValues, secrets: &Secrets) -> ReportRequest {
    let spec = &r.collection.requests[r.request_index];
    let tags: BTreeSet<String> = r
        .collection
        .tags
        .iter()
        .chain(&spec.tags)
        .map(|t| t.value.clone())
        .collect();
    ReportRequest {
        name: r.display_name(),
        row: r.row,
        page: r.page,
        outcome: match r.outcome {
            Outcome::Passed => ReportOutcome::Passed,
            Outcome::Failed => ReportOutcome::Failed,
            Outcome::Skipped => ReportOutcome::Skipped,
            Outcome::Error => ReportOutcome::Error,
        },
        skip_reason: r.skip_reason.clone(),
        status: r.status,
        duration_ms: r.duration.map(millis),
        attempts: r.attempts,
        started_ms: r.started.map(millis),
        tags: tags.into_iter().collect(),
        assertions: r
            .assertions
            .iter()
            .map(|a| assertion(a, values, secrets))
            .collect(),
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
        snapshot_diff: match &r.snapshot {
            Some(SnapshotOutcome::Changed { diff, .. }) => Some(diff.report(false)),
            _ => None,
        },
        error: r.error.clone().or_else(|| match &r.snapshot {
            Some(SnapshotOutcome::Error { message }) => Some(message.clone()),
            _ => None,
        }),
    }
}

fn assertion(a: &AssertOutcome, values: ReportValues, secrets: &Secrets) -> ReportAssertion {
    let keep = !a.passed || values == ReportValues::All;
    ReportAssertion {
        kind: match a.kind {
            AssertKind::Status => AssertionKind::Status,
            AssertKind::Header => AssertionKind::Header,
            AssertKind::JsonPath => AssertionKind::JsonPath,
            AssertKind::Body => AssertionKind::Body,
            AssertKind::Duration => AssertionKind::Duration,
            AssertKind::Capture => AssertionKind::Capture,
            AssertKind::Repeat => AssertionKind::Repeat,
            AssertKind::Poll => AssertionKind::Poll,
            AssertKind::Schema => AssertionKind::Schema,
        },
        path: a.path.clone(),
        matcher: a.matcher.clone(),
        expected: a.expected.clone(),
        actual: keep.then(|| {
            a.actual
                .as_ref()
                .map_or(Value::Null, |v| kept_value(v, secrets))
        }),
        message: (!a.passed).then(|| failure_message(a)),
        passed: a.passed,
        line: a.span.start.line as usize,
        column: a.span.start.col as usize,
    }
}

/// Why an assertion failed, in words: the matcher's own message, or `no match` when there was
/// nothing to compare, or what was expected and what came.
fn failure_message(a: &AssertOutcome) -> String {
    if let Some(m) = &a.message {
        return m.clone();
    }
    match &a.actual {
        None => "no match".to_owned(),
        Some(actual) => format!(
            "expected {} {}, got {}",
            a.matcher,
            short(&a.expected),
            short(actual)
        ),
    }
}

/// Compact JSON for a message, cut to a line's length.
pub(crate) fn short(v: &Value) -> String {
    const MAX: usize = 200;
    let text = v.to_string();
    if text.len() <= MAX {
        text
    } else {
        cut_text(&text, MAX)
    }
}

/// `value` redacted, and when its compact JSON is longer than [`MAX_ACTUAL_BYTES`], that JSON
/// cut to a string of at most that many bytes ending [`CUT_MARK`].
pub fn kept_value(value: &Value, secrets: &Secrets) -> Value {
    let mut v = value.clone();
    secrets.redact_json(&mut v);
    let text = v.to_string();
    if text.len() <= MAX_ACTUAL_BYTES {
        v
    } else {
        Value::String(cut_text(&text, MAX_ACTUAL_BYTES))
    }
}

/// `text` (already redacted) cut to at most `max` bytes, [`CUT_MARK`] included: on a
/// character boundary, and before a `[REDACTED]` marker rather than inside it, so a reader
/// never sees half a marker (or takes a marker's start for data).
pub fn cut_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(CUT_MARK.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    for (start, _) in text.match_indices(REDACTED) {
        if start >= end {
            break;
        }
        if end < start + REDACTED.len() {
            end = start;
        }
    }
    format!("{}{CUT_MARK}", &text[..end])
}

impl Reporter for JsonReporter {
    fn on_event(&mut self, event: &Event) {
        self.record.on_event(event);
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if self.record.environment.is_none() {
            return Ok(());
        }
        self.record.kept()?;
        let (record, options, secrets) = (&self.record, self.options, &*self.secrets);
        self.target
            .write_with(|out| write_report(out, record, options, secrets))
            .map_err(Into::into)
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
        assert_eq!(value["version"], 2);
        assert_eq!(value["shard"], Value::Null);
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
                   "expected": "V-0001", "actual": "V-0002",
                   "message": "expected eq \"V-0001\", got \"V-0002\"",
                   "passed": false, "line": 7, "column": 9})
        );
        // The passing check beside it keeps no response data.
        assert_eq!(
            c0["requests"][1]["assertions"][0],
            json!({"kind": "jsonpath", "path": "$['ia::result'].id", "matcher": "eq",
                   "expected": "V-0001", "passed": true, "line": 7, "column": 9})
        );
        let read = &c0["requests"][1];
        assert_eq!(read["attempts"], 1);
        assert_eq!(read["started_ms"], 3);
        assert_eq!(read["row"], Value::Null);
        assert_eq!(read["page"], Value::Null);
        assert_eq!(read["tags"], json!([]));
        assert_eq!(read["snapshot_diff"], Value::Null);
        assert_eq!(c0["requests"][2]["attempts"], 3);
        assert_eq!(c0["requests"][3]["attempts"], 0);
        assert_eq!(c0["requests"][3]["started_ms"], Value::Null);
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
    fn secrets_that_are_report_keys_rename_no_key_and_data_stays_redacted() {
        let secrets = Secrets::new();
        for word in ["version", "passed", "collections", "expected", "V-0002"] {
            secrets.add(word);
        }
        let c = collection("c.yaml", "C", &["read"]);
        let r = reporter_after(&run(vec![failed(&c, 0, 0)]), secrets);
        let text = r.render().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["version"], 2, "{text}");
        assert_eq!(value["summary"]["passed"], 0, "{text}");
        let a = &value["collections"][0]["requests"][0]["assertions"][1];
        assert_eq!(a["expected"], "V-0001", "{text}");
        assert_eq!(a["actual"], "[REDACTED]", "{text}");
        assert!(!text.contains("V-0002"), "{text}");
        // The contract type still reads it back.
        let _: RunReport = serde_json::from_value(value).unwrap();
    }

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
            poll_attempts: None,
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
    fn report_values_all_keeps_passing_actuals_and_shard_is_reported() {
        let c = collection("c.yaml", "C", &["a"]);
        let events = run(vec![failed(&c, 0, 0)]);
        let mut r =
            JsonReporter::new(ReportTarget::Stdout, Secrets::new()).with_options(ReportOptions {
                values: ReportValues::All,
                shard: Some(ReportShard { index: 2, total: 3 }),
            });
        for e in &events {
            r.on_event(e);
        }
        let value: Value = serde_json::from_str(&r.render().unwrap()).unwrap();
        let a = &value["collections"][0]["requests"][0]["assertions"];
        assert_eq!(a[0]["actual"], "V-0001");
        assert_eq!(a[0].get("message"), None, "a passing check has no message");
        assert_eq!(value["shard"], json!({"index": 2, "total": 3}));
    }

    #[test]
    fn no_match_is_a_null_actual_with_a_message_and_reads_back_as_present() {
        let c = collection("c.yaml", "C", &["a"]);
        let mut r = failed(&c, 0, 0);
        r.assertions[1].actual = None;
        let reporter = reporter_after(&run(vec![r]), Secrets::new());
        let text = reporter.render().unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let a = &value["collections"][0]["requests"][0]["assertions"][1];
        assert_eq!(a["actual"], Value::Null);
        assert!(a.as_object().unwrap().contains_key("actual"));
        assert_eq!(a["message"], "no match");
        let typed: RunReport = serde_json::from_str(&text).unwrap();
        let ta = &typed.collections[0].requests[0].assertions;
        assert_eq!(ta[1].actual, Some(Value::Null));
        assert_eq!(ta[0].actual, None);
    }

    #[test]
    fn tags_are_the_requests_and_its_collections_sorted_once() {
        let text = "name: T\ntags: [smoke, vendors]\nrequests:\n  - name: a\n    url: http://x\n    tags: [read, smoke]\n";
        let c = Arc::new(
            courier_core::load::parse_collection(&courier_core::diag::SourceFile::new(
                "t.yaml", text,
            ))
            .unwrap(),
        );
        let report = reporter_after(&run(vec![result(&c, 0, 0)]), Secrets::new())
            .report()
            .unwrap();
        assert_eq!(
            report.collections[0].requests[0].tags,
            ["read", "smoke", "vendors"]
        );
    }

    #[test]
    fn a_changed_snapshot_carries_its_plain_diff() {
        let c = collection("c.yaml", "C", &["a"]);
        let r = RequestResult {
            outcome: Outcome::Failed,
            snapshot: Some(SnapshotOutcome::Changed {
                pending: None,
                diff: courier_check::snapshot::SnapshotDiff::new("old\n", "new\n"),
            }),
            ..result(&c, 0, 0)
        };
        let report = reporter_after(&run(vec![r]), Secrets::new())
            .report()
            .unwrap();
        let q = &report.collections[0].requests[0];
        assert_eq!(q.snapshot, ReportSnapshot::Changed);
        let diff = q.snapshot_diff.as_deref().unwrap();
        assert!(diff.contains("-old\n") && diff.contains("+new\n"), "{diff}");
        assert!(!diff.contains('\u{1b}'), "a plain diff: {diff:?}");
    }

    #[test]
    fn a_long_actual_is_cut_to_4096_bytes_after_redaction_never_inside_a_marker() {
        let secret = "topsecret-value-123";
        let secrets = Secrets::new();
        secrets.add(secret);
        // Move the secret across the cut point byte by byte: whatever the offset, no part of
        // it survives and the marker is whole or absent.
        for shift in 0..40 {
            let mut s = "x".repeat(4070 + shift);
            s.push_str(secret);
            s.push_str(&"y".repeat(200));
            let kept = kept_value(&Value::String(s), &secrets);
            let text = kept.as_str().unwrap();
            assert!(text.len() <= MAX_ACTUAL_BYTES, "{shift}: {}", text.len());
            assert!(text.ends_with(CUT_MARK), "{shift}");
            assert!(
                !text.contains("topsecret") && !text.contains("value-123"),
                "{shift}"
            );
            let body = text.strip_suffix(CUT_MARK).unwrap();
            assert_eq!(
                body.matches('[').count(),
                body.matches(REDACTED).count(),
                "{shift}: a marker was split: …{}",
                &body[body.len() - 20..]
            );
        }
        // Multi-byte characters are never split either.
        let wide = Value::String("é".repeat(3000));
        let kept = kept_value(&wide, &secrets);
        assert!(kept.as_str().unwrap().len() <= MAX_ACTUAL_BYTES);
        // A short value stays the value.
        assert_eq!(kept_value(&json!({"a": 1}), &secrets), json!({"a": 1}));
    }

    /// The report written a request at a time is the document rendered whole, byte for byte:
    /// several collections out of order, data rows, every outcome, a secret, and no collection.
    #[test]
    fn the_written_report_is_the_rendered_one_byte_for_byte() {
        let a = collection("a.yaml", "A", &["one", "two"]);
        let b = collection("b.yaml", "B \"quoted\"", &["one"]);
        let row = |n| RequestResult {
            row: Some(n),
            ..failed(&a, 0, 1)
        };
        let secrets = Secrets::new();
        secrets.add("V-0002");
        let runs = [
            run(vec![
                result(&b, 1, 0),
                result(&a, 0, 0),
                row(1),
                row(2),
                skipped(&a, 0, 0),
                errored(&b, 1, 0),
            ]),
            run(Vec::new()),
        ];
        for events in runs {
            let r = reporter_after(&events, Arc::clone(&secrets));
            let mut written = Vec::new();
            write_report(&mut written, &r.record, r.options, &secrets).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), r.render().unwrap());
        }
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
