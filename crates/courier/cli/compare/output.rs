//! What `courier compare` writes: the console report (a summary table, then the differences
//! per request, and the last line `N identical, N different, N skipped`), the JSON report of
//! docs/reports.md#compare-report (types from the stable contract) and the JUnit file (a test case per pair, through
//! the report crate's JUnit builder). Everything printed or written passes through both sides'
//! secrets.

use std::fmt::Write as _;
use std::sync::Arc;

use courier_check::diff::{DiffKind, Difference};
use courier_core::model::Environment;
use courier_core::secret::Secrets;
use courier_report::contract::{
    COMPARE_REPORT_VERSION, CompareDifference, CompareDifferenceKind, ComparePair, CompareReport,
    CompareSummary, ReportEnvironment,
};
use courier_report::junit::{CaseResult, JunitDocument, Problem, TestCase, TestSuite};
use owo_colors::Style;
use serde_json::Value;

use super::pairs::{Counts, Pair, Verdict};

/// Longest value shown on a difference line of the console.
const MAX_VALUE_CHARS: usize = 120;
/// Longest value shown in a JUnit failure, where CI shows the whole text on demand.
const MAX_JUNIT_VALUE_CHARS: usize = 2_000;
/// Widest the first column of the table grows; longer titles push their row out.
const MAX_TITLE_WIDTH: usize = 70;

const RED: Style = Style::new().red();
const GREEN: Style = Style::new().green();
const YELLOW: Style = Style::new().yellow();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// The secrets of both sides: a value secret on either side is hidden everywhere.
pub(super) struct Redactor(pub(super) Vec<Arc<Secrets>>);

impl Redactor {
    pub(super) fn text(&self, text: &str) -> String {
        self.0
            .iter()
            .fold(text.to_owned(), |acc, s| s.redact(&acc).into_owned())
    }

    /// Data text redacted, then cut after `max` characters: a cut never shows the start of a
    /// secret (docs/secrets.md).
    fn cut(&self, text: &str, max: usize) -> String {
        courier_core::cut::chars(&self.text(text), max).into_owned()
    }

    pub(super) fn value(&self, value: &Value) -> Value {
        let mut v = value.clone();
        for s in &self.0 {
            s.redact_json(&mut v);
        }
        v
    }
}

/// The console report, colour codes included when `color`. Data (titles, reasons, paths,
/// values) is redacted piece by piece; Courier's own words and counts never are. `quiet`
/// (docs/cli.md#compare) leaves identical and skipped pairs out of the table: only what needs
/// a look, then the summary line.
pub(super) fn console(
    pairs: &[Pair],
    counts: Counts,
    color: bool,
    quiet: bool,
    redactor: &Redactor,
) -> String {
    let paint = |code: Style, text: &str| {
        if color {
            code.style(text).to_string()
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    let shown: Vec<&Pair> = pairs
        .iter()
        .filter(|p| !quiet || matches!(p.verdict, Verdict::Different | Verdict::Failed { .. }))
        .collect();
    if shown.is_empty() && quiet && !pairs.is_empty() {
        let _ = writeln!(
            out,
            "{} identical, {} different, {} skipped",
            counts.identical, counts.different, counts.skipped
        );
        return out;
    }
    let pairs = shown;
    if pairs.is_empty() {
        let _ = writeln!(out, "0 identical, 0 different, 0 skipped");
        return out;
    }
    let titles: Vec<String> = pairs.iter().map(|p| redactor.text(&p.title())).collect();
    let width = titles
        .iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0)
        .clamp("collection / request".len(), MAX_TITLE_WIDTH);
    let mark_width = if color { 1 } else { 4 };
    let _ = writeln!(
        out,
        "{:mark_width$} {:width$}  {:>5}  {:>5}  differences",
        "", "collection / request", "left", "right"
    );
    for (pair, title) in pairs.iter().zip(&titles) {
        let (mark, code) = mark(&pair.verdict, color);
        let status = |s: Option<u16>| s.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let what = match &pair.verdict {
            Verdict::Identical => "identical".to_owned(),
            Verdict::Different => match pair.differences.len() {
                1 => "1 difference".to_owned(),
                n => format!("{n} differences"),
            },
            Verdict::Skipped(reason) => format!("skipped: {}", redactor.text(reason)),
            Verdict::Failed { message, .. } => format!("error: {}", redactor.text(message)),
        };
        let pad = width.saturating_sub(title.chars().count());
        let _ = writeln!(
            out,
            "{} {title}{:pad$}  {:>5}  {:>5}  {what}",
            paint(code, &format!("{mark:mark_width$}")),
            "",
            status(pair.left_status),
            status(pair.right_status),
        );
    }

    for (pair, title) in pairs
        .iter()
        .zip(&titles)
        .filter(|(p, _)| !p.differences.is_empty() || !p.noise.is_empty())
    {
        let (mark, code) = mark(&pair.verdict, color);
        let _ = writeln!(out, "\n{} {}", paint(code, mark), paint(BOLD, title));
        for d in &pair.differences {
            let _ = writeln!(
                out,
                "    {}",
                difference_line(d, color, MAX_VALUE_CHARS, redactor)
            );
        }
        for path in &pair.noise {
            let path = redactor.text(path);
            let _ = writeln!(out, "    {}", paint(DIM, &format!("noise: {path}")));
        }
    }
    let _ = writeln!(
        out,
        "\n{} identical, {} different, {} skipped",
        counts.identical, counts.different, counts.skipped
    );
    out
}

fn mark(verdict: &Verdict, color: bool) -> (&'static str, Style) {
    match (verdict, color) {
        (Verdict::Identical, true) => ("✓", GREEN),
        (Verdict::Identical, false) => ("SAME", GREEN),
        (Verdict::Different | Verdict::Failed { .. }, true) => ("✗", RED),
        (Verdict::Different, false) => ("DIFF", RED),
        (Verdict::Failed { .. }, false) => ("FAIL", RED),
        (Verdict::Skipped(_), true) => ("-", YELLOW),
        (Verdict::Skipped(_), false) => ("SKIP", YELLOW),
    }
}

/// `path  kind  left → right`, values as compact JSON (cut after `max` characters), `(none)`
/// for the side that lacks the value.
fn difference_line(d: &Difference, color: bool, max: usize, redactor: &Redactor) -> String {
    let paint = |code: Style, text: String| {
        if color {
            code.style(text).to_string()
        } else {
            text
        }
    };
    let kind_code = match d.kind {
        DiffKind::Added => GREEN,
        DiffKind::Removed => RED,
        DiffKind::Changed | DiffKind::TypeChanged | DiffKind::Status => YELLOW,
    };
    let value = |v: Option<&Value>| {
        v.map_or_else(
            || "(none)".to_owned(),
            |v| redactor.cut(&v.to_string(), max),
        )
    };
    format!(
        "{}  {}  {} → {}",
        redactor.text(&d.path),
        paint(kind_code, d.kind.as_str().to_owned()),
        paint(RED, value(d.left.as_ref())),
        paint(GREEN, value(d.right.as_ref())),
    )
}

fn environment(env: &Environment) -> ReportEnvironment {
    ReportEnvironment {
        name: env.identity.clone(),
        scope: env.scope,
    }
}

/// The JSON report (docs/reports.md#compare-report), secrets redacted.
pub(super) fn report(
    left: &Environment,
    right: &Environment,
    pairs: &[Pair],
    counts: Counts,
    redactor: &Redactor,
) -> CompareReport {
    CompareReport {
        version: COMPARE_REPORT_VERSION,
        left: environment(left),
        right: environment(right),
        summary: CompareSummary {
            identical: counts.identical,
            different: counts.different,
            skipped: counts.skipped,
        },
        pairs: pairs
            .iter()
            .map(|p| ComparePair {
                collection: p.collection.name.value.clone(),
                request: p.display_request(),
                left_status: p.left_status,
                right_status: p.right_status,
                skip_reason: match &p.verdict {
                    Verdict::Skipped(reason) => Some(redactor.text(reason)),
                    _ => None,
                },
                differences: p
                    .differences
                    .iter()
                    .map(|d| CompareDifference {
                        path: redactor.text(&d.path),
                        kind: kind(d.kind),
                        left: d.left.as_ref().map(|v| kept(redactor, v)),
                        right: d.right.as_ref().map(|v| kept(redactor, v)),
                    })
                    .collect(),
                noise: p.noise.iter().map(|n| redactor.text(n)).collect(),
            })
            .collect(),
    }
}

/// A difference's value redacted with both sides' secrets, then cut as a run report's
/// `actual` is (docs/reports-v2.md).
fn kept(redactor: &Redactor, v: &Value) -> Value {
    courier_report::json::kept_value(&redactor.value(v), &Secrets::default())
}

fn kind(k: DiffKind) -> CompareDifferenceKind {
    match k {
        DiffKind::Changed => CompareDifferenceKind::Changed,
        DiffKind::Added => CompareDifferenceKind::Added,
        DiffKind::Removed => CompareDifferenceKind::Removed,
        DiffKind::TypeChanged => CompareDifferenceKind::TypeChanged,
        DiffKind::Status => CompareDifferenceKind::Status,
    }
}

/// The JUnit document: a suite per collection, a case per pair; a pair that differs is a
/// `failure` of type `difference` listing every difference, a side that could not be checked
/// an `error`, a skipped pair `skipped`. Its data (names, paths, values, messages) is redacted
/// here with both sides' secrets, piece by piece, so that Courier's own words stay whole
/// (docs/secrets.md).
pub(super) fn junit(
    left: &Environment,
    right: &Environment,
    pairs: &[Pair],
    redactor: &Redactor,
) -> JunitDocument {
    let mut doc = JunitDocument::new(format!(
        "courier compare {} {}",
        left.identity, right.identity
    ));
    for pair in pairs {
        let name = &redactor.text(&pair.collection.name.value);
        let file = redactor.text(pair.collection.file.display());
        let at = doc
            .suites
            .iter()
            .position(|s| s.name == *name && s.file.as_deref() == Some(file.as_str()));
        let at = at.unwrap_or_else(|| {
            let mut suite = TestSuite::new(name.clone());
            suite.file = Some(file);
            doc.suites.push(suite);
            doc.suites.len() - 1
        });
        let suite = &mut doc.suites[at];
        let mut case = TestCase::new(redactor.text(&pair.display_request()), name.clone());
        case.result = match &pair.verdict {
            Verdict::Identical => CaseResult::Passed,
            Verdict::Skipped(reason) => CaseResult::Skipped {
                reason: redactor.text(reason),
            },
            Verdict::Different => {
                let n = pair.differences.len();
                let mut detail = String::new();
                for d in &pair.differences {
                    let _ = writeln!(
                        detail,
                        "{}",
                        difference_line(d, false, MAX_JUNIT_VALUE_CHARS, redactor)
                    );
                }
                for path in &pair.noise {
                    let _ = writeln!(detail, "noise: {}", redactor.text(path));
                }
                CaseResult::Failure(Problem::new(
                    "difference",
                    format!(
                        "{n} difference{} between {} and {}",
                        if n == 1 { "" } else { "s" },
                        left.identity,
                        right.identity
                    ),
                    detail,
                ))
            }
            Verdict::Failed {
                message,
                error_kind: Some(kind),
            } => {
                let message = redactor.text(message);
                CaseResult::Error(Problem::new(kind.as_str(), message.clone(), message))
            }
            Verdict::Failed {
                message,
                error_kind: None,
            } => {
                let message = redactor.text(message);
                CaseResult::Failure(Problem::new("difference", message.clone(), message))
            }
        };
        suite.cases.push(case);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    use courier_core::diag::SourceFile;
    use courier_core::model::Collection;

    const SECRET: &str = "tok-0123456789abcdefghijklmnopqrstuvwxyz";

    fn pair(left: Value) -> Pair {
        let file = SourceFile::new(
            "c.yaml",
            "name: C\nrequests:\n  - name: one\n    url: http://x/1\n".to_owned(),
        );
        let collection: Collection =
            courier_core::load::parse_collection(&file).expect("a valid collection");
        Pair {
            collection: Arc::new(collection),
            request_index: 0,
            row: None,
            left_status: Some(200),
            right_status: Some(200),
            verdict: Verdict::Different,
            differences: vec![Difference {
                path: "$.token".to_owned(),
                kind: DiffKind::Changed,
                left: Some(left),
                right: Some(Value::from(1)),
            }],
            noise: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The JUnit file hides each side's secrets, in names, values and noise paths alike, and
    /// never rewrites Courier's own words (`changed`, `noise:`, the failure's type).
    #[test]
    fn junit_redacts_both_sides_data_and_none_of_courier_s_words() {
        let (left_secrets, right_secrets) = (Secrets::new(), Secrets::new());
        left_secrets.add(SECRET);
        right_secrets.add("right-side-token");
        for word in ["changed", "noise", "difference", "between"] {
            left_secrets.add(word);
        }
        let redactor = Redactor(vec![left_secrets, right_secrets]);
        let mut p = pair(Value::String(format!("left {SECRET}")));
        p.differences[0].right = Some(Value::String("right-side-token".to_owned()));
        p.noise.push("$['right-side-token']".to_owned());
        let env = |name: &str| {
            let file =
                SourceFile::new(format!("{name}.yaml"), "scope: non-production\n".to_owned());
            courier_core::load::parse_environment(&file, name).expect("a valid environment")
        };
        let doc = junit(&env("left"), &env("right"), &[p], &redactor);
        let xml = doc.to_xml().expect("XML");
        assert!(
            !xml.contains(SECRET) && !xml.contains("right-side-token"),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<failure type="difference" message="1 difference between left and right">"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains("$.token  changed  \"left [REDACTED]\" → \"[REDACTED]\""),
            "{xml}"
        );
        assert!(xml.contains("noise: $['[REDACTED]']"), "{xml}");
    }

    #[test]
    fn values_are_redacted_before_the_cut_and_courier_s_words_never_are() {
        let secrets = Secrets::new();
        secrets.add(SECRET);
        // A secret that is also a word of the last line (the user is warned about it).
        secrets.add("identical");
        let redactor = Redactor(vec![secrets]);
        let counts = Counts {
            different: 1,
            ..Counts::default()
        };
        for at in 100..=MAX_VALUE_CHARS + 2 {
            let value = Value::String(format!("{}{SECRET}{}", "x".repeat(at), "y".repeat(300)));
            let text = console(&[pair(value)], counts, false, false, &redactor);
            assert!(
                !(5..=SECRET.len()).any(|n| text.contains(&SECRET[..n])),
                "offset {at}: {text}"
            );
            assert!(text.contains("more characters)"), "offset {at}: {text}");
            assert!(
                text.ends_with("\n0 identical, 1 different, 0 skipped\n"),
                "{text}"
            );
        }
    }
}
