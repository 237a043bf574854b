//! The JUnit document of a run rebuilt from its JSON report (`courier report merge --junit`):
//! the same suites, cases and failure texts as [`super::JunitReporter`] writes from the run's
//! events, from what the report keeps. The report does not keep why a request had no
//! response, so an error's `type` is `error` (docs/reports-v2.md#merging-shards).

use std::fmt::Write as _;
use std::time::Duration;

use crate::console::show_value;
use crate::contract::{ReportAssertion, ReportOutcome, ReportRequest, ReportSnapshot, RunReport};
use crate::json::short;

use super::{
    CaseResult, JunitDocument, Problem, TestCase, TestSuite, first_line, one_line, problem_of,
    push_labelled,
};

/// No secrets: a report was redacted when its run wrote it, and merging adds no data.
static NONE: std::sync::LazyLock<courier_core::secret::Secrets> =
    std::sync::LazyLock::new(courier_core::secret::Secrets::default);

/// A suite per collection, a case per reported request, as `courier run --junit` writes them.
pub fn document_of_report(report: &RunReport) -> JunitDocument {
    let timestamp = chrono::DateTime::parse_from_rfc3339(&report.started_at)
        .ok()
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
    let mut doc = JunitDocument::new("courier");
    doc.time = Some(Duration::from_millis(report.duration_ms));
    for c in &report.collections {
        let time = c
            .requests
            .iter()
            .filter_map(|r| r.duration_ms)
            .map(Duration::from_millis)
            .sum();
        doc.suites.push(TestSuite {
            name: c.name.clone(),
            file: Some(c.file.clone()),
            timestamp: timestamp.clone(),
            time: Some(time),
            cases: c
                .requests
                .iter()
                .map(|r| TestCase {
                    name: r.name.clone(),
                    classname: c.name.clone(),
                    time: Some(Duration::from_millis(r.duration_ms.unwrap_or_default())),
                    result: case_result(&c.file, r),
                })
                .collect(),
        });
    }
    doc
}

fn case_result(file: &str, r: &ReportRequest) -> CaseResult {
    match r.outcome {
        ReportOutcome::Passed => CaseResult::Passed,
        ReportOutcome::Skipped => CaseResult::Skipped {
            reason: r.skip_reason.clone().unwrap_or_default(),
        },
        ReportOutcome::Error => {
            let message = r.error.clone().unwrap_or_else(|| "no response".to_owned());
            CaseResult::Error(Problem::new("error", first_line(&message), message))
        }
        ReportOutcome::Failed => CaseResult::Failure(failure(file, r)),
    }
}

/// One `<failure>` listing every failed check and the snapshot's state, typed `assertion`
/// unless only the snapshot failed (as the run's own JUnit does).
fn failure(file: &str, r: &ReportRequest) -> Problem {
    let failed: Vec<&ReportAssertion> = r.assertions.iter().filter(|a| !a.passed).collect();
    let mut detail = String::new();
    let mut messages = Vec::new();
    if let Some(e) = &r.error {
        messages.push(first_line(e));
        detail.push_str(e);
        detail.push('\n');
    }
    for a in &failed {
        messages.push(summary(a));
        detail.push_str(&assertion_detail(file, a));
    }
    let snapshot = match r.snapshot {
        ReportSnapshot::New => Some((
            "snapshot: no stored snapshot".to_owned(),
            "snapshot: no stored snapshot\n".to_owned(),
        )),
        ReportSnapshot::Changed => Some((
            "snapshot changed".to_owned(),
            format!(
                "snapshot changed:\n{}\n",
                r.snapshot_diff.as_deref().unwrap_or_default()
            ),
        )),
        ReportSnapshot::None | ReportSnapshot::Matched | ReportSnapshot::Updated => None,
    };
    if let Some((summary, text)) = &snapshot {
        messages.push(summary.clone());
        detail.push_str(text);
    }
    let snapshot_only = r.error.is_none() && failed.is_empty() && snapshot.is_some();
    problem_of(messages, &detail, snapshot_only)
}

/// The assertion's `kind` as the report spells it (`jsonpath`, `status`, …).
fn kind_name(a: &ReportAssertion) -> String {
    serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn summary(a: &ReportAssertion) -> String {
    let kind = kind_name(a);
    let mut what = kind.clone();
    if let Some(p) = &a.path {
        what = format!("{what} {p}");
    }
    if a.matcher != kind {
        what = format!("{what} {}", a.matcher);
    }
    let actual =
        actual_of(a).map_or_else(|| "(none)".to_owned(), |v| one_line(&v.to_string(), &NONE));
    format!(
        "{what}: expected {}, actual {actual}",
        one_line(&a.expected.to_string(), &NONE)
    )
}

fn assertion_detail(file: &str, a: &ReportAssertion) -> String {
    let kind = kind_name(a);
    let what = match &a.path {
        Some(p) => format!("{kind} {p}"),
        None => kind,
    };
    let mut out = format!("{file}:{}:{}  {what}  {}\n", a.line, a.column, a.matcher);
    push_labelled(&mut out, "expected: ", &show_value(&a.expected, &NONE));
    let actual = actual_of(a).map_or_else(|| "(none)".to_owned(), |v| show_value(v, &NONE));
    push_labelled(&mut out, "actual:   ", &actual);
    if let Some(m) = own_message(a) {
        let _ = writeln!(out, "  {m}");
    }
    out
}

/// What the response held; `None` when nothing matched (the report's `null` with the message
/// `no match`), as the run's JUnit shows it.
fn actual_of(a: &ReportAssertion) -> Option<&serde_json::Value> {
    match (&a.actual, a.message.as_deref()) {
        (Some(serde_json::Value::Null), Some("no match")) => None,
        (actual, _) => actual.as_ref(),
    }
}

/// The matcher's own message; `None` when the report's `message` only repeats what the
/// JUnit text already says (`no match`, `expected … got …`, made by the JSON report).
fn own_message(a: &ReportAssertion) -> Option<&str> {
    let m = a.message.as_deref()?;
    let made = a.actual.as_ref().map(|actual| {
        format!(
            "expected {} {}, got {}",
            a.matcher,
            short(&a.expected),
            short(actual)
        )
    });
    (m != "no match" && made.as_deref() != Some(m)).then_some(m)
}
