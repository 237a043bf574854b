//! JUnit XML (docs/reports.md#junit), valid against the Jenkins xUnit plugin's `junit-10.xsd`.
//!
//! [`JunitDocument`] is a small builder — suites of cases, each passed, failed, errored or
//! skipped — written with quick-xml. `courier run` fills it through [`JunitReporter`]
//! (a `testsuite` per collection, a `testcase` per request); `courier compare` builds one
//! itself, a case per pair:
//!
//! ```
//! use courier_report::junit::{CaseResult, JunitDocument, Problem, TestCase, TestSuite};
//!
//! let mut suite = TestSuite::new("Vendors");
//! suite.cases.push(TestCase {
//!     result: CaseResult::Failure(Problem::new(
//!         "difference",
//!         "1 difference",
//!         "$['ia::result']['name'] changed: \"Acme\" → \"Acme Ltd\"",
//!     )),
//!     ..TestCase::new("read vendor", "Vendors")
//! });
//! let doc = JunitDocument { suites: vec![suite], ..JunitDocument::new("courier compare") };
//! let xml = doc.to_xml().unwrap();
//! assert!(xml.contains(r#"<failure type="difference" message="1 difference">"#));
//! ```
//!
//! Why not quick-junit (what cargo-nextest uses): it writes a `skipped` attribute on
//! `<testsuites>`, which `junit-10.xsd` forbids, and CI servers that validate (Jenkins xUnit)
//! then reject the whole file. The format is small enough to write directly.
//!
//! A document holds text already redacted: its builders pass each piece of data (names,
//! values, errors, diffs) through the secrets set, field by field as the JSON report does, and
//! never Courier's own words (`expected:`, `snapshot changed`, the `type` attribute), which a
//! short secret would otherwise rewrite (docs/secrets.md). Characters that XML 1.0 cannot
//! carry at all (control characters from a response body) are written as `\u{..}`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as XmlEvent};

use courier_check::matcher::AssertOutcome;
use courier_check::snapshot::SnapshotOutcome;
use courier_core::diag::display_path;
use courier_core::secret::Secrets;
use courier_events::{Event, Outcome, Reporter, RequestResult};

use crate::console::show_value;
use crate::output::ReportTarget;
use crate::record::RunRecord;

mod from_report;
pub use from_report::document_of_report;

/// A whole JUnit file: `<testsuites>`.
#[derive(Debug, Clone, PartialEq)]
pub struct JunitDocument {
    pub name: String,
    pub time: Option<Duration>,
    pub suites: Vec<TestSuite>,
}

/// A `<testsuite>`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSuite {
    pub name: String,
    /// The collection file, relative to the working directory.
    pub file: Option<String>,
    /// When the run started (RFC 3339).
    pub timestamp: Option<String>,
    pub time: Option<Duration>,
    pub cases: Vec<TestCase>,
}

/// A `<testcase>`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TestCase {
    pub name: String,
    pub classname: String,
    pub time: Option<Duration>,
    pub result: CaseResult,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CaseResult {
    Passed,
    /// A check failed: `<failure type=…>` (`assertion`, `snapshot`, `difference`).
    Failure(Problem),
    /// Nothing could be checked: `<error type=…>` (`network`, `tls`, `timeout`, `auth`).
    Error(Problem),
    /// `<skipped message=…>`.
    Skipped {
        reason: String,
    },
}

/// The body of a `<failure>` or `<error>`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// The `type` attribute.
    pub kind: String,
    /// The `message` attribute: one line, what a CI summary shows.
    pub message: String,
    /// The element's text: every detail, several lines.
    pub detail: String,
}

impl Problem {
    pub fn new(
        kind: impl Into<String>,
        message: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: kind.into(),
            message: message.into(),
            detail: detail.into(),
        }
    }
}

impl JunitDocument {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            time: None,
            suites: Vec::new(),
        }
    }

    /// Totals over every suite: (tests, failures, errors, skipped).
    pub fn counts(&self) -> Counts {
        self.suites
            .iter()
            .fold(Counts::default(), |acc, s| acc + s.counts())
    }

    /// The XML text. The document's text is written as it is: whoever builds the document
    /// redacts its data (see the module documentation).
    pub fn to_xml(&self) -> Result<String, JunitError> {
        let mut bytes = Vec::new();
        let suites = self.suites.iter().map(|s| {
            let cases = s.cases.iter().cloned().map(Ok);
            Ok((s, s.counts(), cases))
        });
        write_document(&mut bytes, &self.name, self.time, self.counts(), suites)?;
        String::from_utf8(bytes).map_err(|_| JunitError::Encoding)
    }
}

/// Writes a whole document, a suite and a case at a time: `suites` gives each suite's head
/// (its `cases` are not read), its counts and its cases, so a run's cases can come from
/// where the reporter kept them rather than from memory. `counts` are the document's totals.
fn write_document<'s, C>(
    out: &mut dyn std::io::Write,
    name: &str,
    time: Option<Duration>,
    counts: Counts,
    suites: impl Iterator<Item = std::io::Result<(&'s TestSuite, Counts, C)>>,
) -> std::io::Result<()>
where
    C: Iterator<Item = std::io::Result<TestCase>>,
{
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(XmlEvent::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = vec![
        ("name", clean(name)),
        ("tests", counts.tests.to_string()),
        ("failures", counts.failures.to_string()),
        ("errors", counts.errors.to_string()),
    ];
    // No `skipped` here: junit-10.xsd allows it on <testsuite> only.
    if let Some(t) = time {
        root.push(("time", seconds(t)));
    }
    let mut suites = suites.peekable();
    let start = BytesStart::new("testsuites").with_attributes(attrs(&root));
    if suites.peek().is_none() {
        w.write_event(XmlEvent::Empty(start))?;
    } else {
        w.write_event(XmlEvent::Start(start))?;
        for suite in suites {
            let (s, c, cases) = suite?;
            write_suite(&mut w, s, c, cases)?;
        }
        w.write_event(XmlEvent::End(BytesEnd::new("testsuites")))?;
    }
    w.into_inner().write_all(b"\n")
}

fn attrs<'a>(pairs: &'a [(&'a str, String)]) -> impl Iterator<Item = (&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str()))
}

fn write_suite<W: std::io::Write>(
    w: &mut Writer<W>,
    s: &TestSuite,
    c: Counts,
    cases: impl Iterator<Item = std::io::Result<TestCase>>,
) -> std::io::Result<()> {
    let text = |v: &str| clean(v);
    let mut a = vec![
        ("name", text(&s.name)),
        ("tests", c.tests.to_string()),
        ("failures", c.failures.to_string()),
        ("errors", c.errors.to_string()),
        ("skipped", c.skipped.to_string()),
    ];
    if let Some(t) = s.time {
        a.push(("time", seconds(t)));
    }
    if let Some(ts) = &s.timestamp {
        a.push(("timestamp", text(ts)));
    }
    if let Some(f) = &s.file {
        a.push(("file", text(f)));
    }
    let start = BytesStart::new("testsuite").with_attributes(attrs(&a));
    if c.tests == 0 {
        w.write_event(XmlEvent::Empty(start))?;
        return Ok(());
    }
    w.write_event(XmlEvent::Start(start))?;
    for case in cases {
        write_case(w, &case?)?;
    }
    w.write_event(XmlEvent::End(BytesEnd::new("testsuite")))?;
    Ok(())
}

fn write_case<W: std::io::Write>(w: &mut Writer<W>, c: &TestCase) -> std::io::Result<()> {
    let text = |v: &str| clean(v);
    let mut a = vec![("name", text(&c.name)), ("classname", text(&c.classname))];
    if let Some(t) = c.time {
        a.push(("time", seconds(t)));
    }
    let el = w.create_element("testcase").with_attributes(attrs(&a));
    let (tag, problem) = match &c.result {
        CaseResult::Passed => {
            el.write_empty()?;
            return Ok(());
        }
        CaseResult::Skipped { reason } => {
            let reason = text(reason);
            el.write_inner_content(|w| {
                w.create_element("skipped")
                    .with_attribute(("message", reason.as_str()))
                    .write_empty()?;
                Ok(())
            })?;
            return Ok(());
        }
        CaseResult::Failure(p) => ("failure", p),
        CaseResult::Error(p) => ("error", p),
    };
    let kind = text(&problem.kind);
    let message = text(&problem.message);
    let detail = text(&problem.detail);
    el.write_inner_content(|w| {
        let inner = w
            .create_element(tag)
            .with_attribute(("type", kind.as_str()))
            .with_attribute(("message", message.as_str()));
        if detail.is_empty() {
            inner.write_empty()?;
        } else {
            // Only `<`, `>` and `&` need escaping in text; quotes stay readable.
            inner.write_text_content(BytesText::from_escaped(partial_escape(detail.as_str())))?;
        }
        Ok(())
    })?;
    Ok(())
}

impl TestSuite {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file: None,
            timestamp: None,
            time: None,
            cases: Vec::new(),
        }
    }

    pub fn counts(&self) -> Counts {
        self.cases.iter().fold(Counts::default(), |acc, case| {
            acc + Counts::of(&case.result)
        })
    }
}

impl TestCase {
    /// A passed case; set `result` for anything else.
    pub fn new(name: impl Into<String>, classname: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            classname: classname.into(),
            time: None,
            result: CaseResult::Passed,
        }
    }
}

/// Case counts of a suite or a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tests: usize,
    pub failures: usize,
    pub errors: usize,
    pub skipped: usize,
}

impl Counts {
    /// The counts of one case.
    pub fn of(result: &CaseResult) -> Self {
        let one = |n: bool| usize::from(n);
        Self {
            tests: 1,
            failures: one(matches!(result, CaseResult::Failure(_))),
            errors: one(matches!(result, CaseResult::Error(_))),
            skipped: one(matches!(result, CaseResult::Skipped { .. })),
        }
    }
}

impl std::ops::Add for Counts {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self {
            tests: self.tests + o.tests,
            failures: self.failures + o.failures,
            errors: self.errors + o.errors,
            skipped: self.skipped + o.skipped,
        }
    }
}

/// Why a JUnit file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    #[error("write the JUnit XML: {0}")]
    Io(#[from] std::io::Error),
    #[error("write the JUnit XML: the text is not UTF-8")]
    Encoding,
}

/// Seconds with milliseconds: the `SUREFIRE_TIME` pattern of the schema allows at most
/// three decimals.
fn seconds(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

/// `s` with the characters XML 1.0 cannot carry (even escaped) spelled out.
fn clean(s: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{fffe}' | '\u{ffff}'))
    };
    if s.chars().all(allowed) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if allowed(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    out
}

/// `courier run --junit FILE`: a suite per collection (rows of a data-driven collection are
/// cases named `name [row N]` in the same suite), a case per reported request.
pub struct JunitReporter {
    target: ReportTarget,
    secrets: Arc<Secrets>,
    record: RunRecord<TestCase>,
}

impl JunitReporter {
    pub fn new(target: ReportTarget, secrets: Arc<Secrets>) -> Self {
        let keep = Arc::clone(&secrets);
        Self {
            target,
            secrets,
            record: RunRecord::new(move |r| TestCase {
                name: data(&r.display_name(), &keep),
                classname: data(&r.collection.name.value, &keep),
                time: Some(r.duration.unwrap_or_default()),
                result: case_result(r, &keep),
            }),
        }
    }

    /// The document of the run so far, its data redacted; `None` before `RunStarted` or
    /// when the run's cases cannot be read back.
    pub fn document(&self) -> Option<JunitDocument> {
        let mut doc = self.head()?;
        let suites = self.suites().ok()?;
        for ((mut suite, _), c) in suites.into_iter().zip(self.record.collections()) {
            suite.cases = self.record.entries(c).collect::<Result<_, _>>().ok()?;
            doc.suites.push(suite);
        }
        Some(doc)
    }

    /// The document without its suites; `None` before `RunStarted`.
    fn head(&self) -> Option<JunitDocument> {
        self.record.environment.as_ref()?;
        let mut doc = JunitDocument::new("courier");
        doc.time = Some(self.record.duration);
        Some(doc)
    }

    /// Each collection's suite without its cases, with its counts, in run order: one pass
    /// over the kept cases.
    fn suites(&self) -> std::io::Result<Vec<(TestSuite, Counts)>> {
        let timestamp = self
            .record
            .started_at
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let mut suites = Vec::new();
        for c in self.record.collections() {
            let mut counts = Counts::default();
            let mut time = Duration::ZERO;
            for case in self.record.entries(c) {
                let case = case?;
                counts = counts + Counts::of(&case.result);
                time += case.time.unwrap_or_default();
            }
            let suite = TestSuite {
                name: data(&c.collection.name.value, &self.secrets),
                file: Some(data(c.collection.file.display(), &self.secrets)),
                timestamp: timestamp.clone(),
                time: Some(time),
                cases: Vec::new(),
            };
            suites.push((suite, counts));
        }
        Ok(suites)
    }

    /// Writes the document a case at a time, from where the run's cases were kept.
    fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let Some(doc) = self.head() else {
            return Ok(());
        };
        let suites = self.suites()?;
        let total = suites
            .iter()
            .fold(Counts::default(), |acc, (_, c)| acc + *c);
        let collections = self.record.collections();
        let suites = suites
            .iter()
            .zip(collections)
            .map(|((s, c), col)| Ok((s, *c, self.record.entries(col))));
        write_document(out, &doc.name, doc.time, total, suites)
    }
}

/// `text`, a piece of data, redacted.
fn data(text: &str, secrets: &Secrets) -> String {
    secrets.redact(text).into_owned()
}

/// A request's result as a JUnit case result, its data redacted.
///
/// A failed request has one `<failure>`: of type `assertion` when a check (an assertion, a
/// capture, a template rendered at run time) failed, else `snapshot`; its text lists every
/// failed check and the snapshot's state, so nothing is hidden behind the first.
pub fn case_result(r: &RequestResult, secrets: &Secrets) -> CaseResult {
    match r.outcome {
        Outcome::Passed => CaseResult::Passed,
        Outcome::Skipped => CaseResult::Skipped {
            reason: data(r.skip_reason.as_deref().unwrap_or_default(), secrets),
        },
        Outcome::Error => {
            let message = r
                .error
                .as_deref()
                .map_or_else(|| "no response".to_owned(), |e| data(e, secrets));
            // An error outcome always has a kind; `network` is the honest default for "no
            // response" should one ever come without.
            let kind = r.error_kind.map_or("network", |k| k.as_str());
            CaseResult::Error(Problem::new(kind, first_line(&message), message))
        }
        Outcome::Failed => CaseResult::Failure(failure(r, secrets)),
    }
}

fn failure(r: &RequestResult, secrets: &Secrets) -> Problem {
    let file = data(r.collection.file.display(), secrets);
    let failed: Vec<&AssertOutcome> = r.assertions.iter().filter(|a| !a.passed).collect();
    let mut detail = String::new();
    let mut messages = Vec::new();
    if let Some(e) = &r.error {
        let e = data(e, secrets);
        messages.push(first_line(&e));
        detail.push_str(&e);
        detail.push('\n');
    }
    for a in &failed {
        messages.push(assertion_summary(a, secrets));
        detail.push_str(&assertion_detail(&file, a, secrets));
    }
    let snapshot = snapshot_detail(r.snapshot.as_ref(), secrets);
    if let Some((summary, text)) = &snapshot {
        messages.push(summary.clone());
        detail.push_str(text);
    }
    let snapshot_only = r.error.is_none() && failed.is_empty() && snapshot.is_some();
    problem_of(messages, &detail, snapshot_only)
}

/// A `<failure>` from every failed part's summary and detail: its type is `snapshot` when only
/// the snapshot failed, `assertion` otherwise; its message is the first summary and a count of
/// the rest.
pub(crate) fn problem_of(mut messages: Vec<String>, detail: &str, snapshot_only: bool) -> Problem {
    let kind = if snapshot_only {
        "snapshot"
    } else {
        "assertion"
    };
    let message = match messages.len() {
        0 => "failed".to_owned(),
        1 => messages.swap_remove(0),
        n => format!("{} (and {} more)", messages[0], n - 1),
    };
    Problem::new(kind, message, detail.trim_end().to_owned())
}

/// `jsonpath $.id eq: expected "V-1", actual "V-2"` (or `status: expected …` where the
/// matcher is the kind): what a CI summary line shows.
fn assertion_summary(a: &AssertOutcome, secrets: &Secrets) -> String {
    let mut what = a.kind.as_str().to_owned();
    if let Some(p) = &a.path {
        what = format!("{what} {}", data(p, secrets));
    }
    if a.matcher != a.kind.as_str() {
        what = format!("{what} {}", data(&a.matcher, secrets));
    }
    let actual = a.actual.as_ref().map_or_else(
        || "(none)".to_owned(),
        |v| one_line(&v.to_string(), secrets),
    );
    format!(
        "{what}: expected {}, actual {actual}",
        one_line(&a.expected.to_string(), secrets)
    )
}

/// The console's failure detail, without colour: location, check, matcher, expected, actual.
fn assertion_detail(file: &str, a: &AssertOutcome, secrets: &Secrets) -> String {
    let what = match &a.path {
        Some(p) => format!("{} {}", a.kind.as_str(), data(p, secrets)),
        None => a.kind.as_str().to_owned(),
    };
    let mut out = format!(
        "{file}:{}:{}  {what}  {}\n",
        a.span.start.line,
        a.span.start.col,
        data(&a.matcher, secrets)
    );
    push_labelled(&mut out, "expected: ", &show_value(&a.expected, secrets));
    let actual = a
        .actual
        .as_ref()
        .map_or_else(|| "(none)".to_owned(), |v| show_value(v, secrets));
    push_labelled(&mut out, "actual:   ", &actual);
    if let Some(m) = &a.message {
        let _ = writeln!(out, "  {}", data(m, secrets));
    }
    out
}

fn push_labelled(out: &mut String, label: &str, value: &str) {
    let pad = " ".repeat(label.len());
    for (i, l) in value.lines().enumerate() {
        let head = if i == 0 { label } else { pad.as_str() };
        let _ = writeln!(out, "  {head}{l}");
    }
    if value.is_empty() {
        let _ = writeln!(out, "  {label}");
    }
}

fn snapshot_detail(s: Option<&SnapshotOutcome>, secrets: &Secrets) -> Option<(String, String)> {
    match s? {
        SnapshotOutcome::New { pending } => {
            let where_ = pending.as_deref().map_or_else(
                || "not written (check mode)".to_owned(),
                |p| format!("written to {}", data(&display_path(p), secrets)),
            );
            Some((
                "snapshot: no stored snapshot".to_owned(),
                format!("snapshot: no stored snapshot; the new one is {where_}\n"),
            ))
        }
        SnapshotOutcome::Changed { pending, diff } => {
            let where_ = pending.as_deref().map_or_else(String::new, |p| {
                format!(" (new: {})", data(&display_path(p), secrets))
            });
            Some((
                "snapshot changed".to_owned(),
                format!(
                    "snapshot changed{where_}:\n{}\n",
                    data(&diff.report(false), secrets)
                ),
            ))
        }
        SnapshotOutcome::Error { message } => Some((
            "snapshot not checked".to_owned(),
            format!("snapshot: {}\n", data(message, secrets)),
        )),
        SnapshotOutcome::Matched | SnapshotOutcome::Updated => None,
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_owned()
}

/// A compact JSON value (already one line), redacted and then cut: CI summaries show
/// attribute values whole, and a cut must not show the start of a secret (docs/secrets.md).
fn one_line(s: &str, secrets: &Secrets) -> String {
    const MAX: usize = 120;
    secrets.redact_and_cut(s, MAX)
}

impl Reporter for JunitReporter {
    fn on_event(&mut self, event: &Event) {
        self.record.on_event(event);
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if self.record.environment.is_none() {
            return Ok(());
        }
        self.record.kept()?;
        self.target
            .write_with(|out| self.write(out))
            .map_err(Into::into)
    }
}

#[cfg(test)]
mod tests;
