//! The page of a run: the summary (counts, duration, environment, shard), the filters, the
//! failures first (each failed check with its `file:line:col`, expected, actual and message;
//! errors; snapshot diffs), a timeline per collection from `started_ms`, then every request
//! per collection with its checks.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::contract::{ReportAssertion, ReportOutcome, ReportRequest, RunReport};

use super::{Page, diff_block, escape, human_ms, page_head, page_tail, ratio_bar, show_json};

/// What a page is made from: the report's head, and its collections' requests, which the
/// page reads several times over, one request at a time, so that a run's requests need not
/// be in memory all at once (docs/reports.md#memory). Its text must already be redacted.
pub(crate) trait RunSource {
    /// The report; its `collections` are not read.
    fn head(&self) -> &RunReport;
    /// The collections, in run order.
    fn collections(&self) -> &[CollectionHead];
    /// The requests of the `index`th collection, in run order.
    fn requests(&self, index: usize) -> Box<dyn Iterator<Item = ReportRequest> + '_>;
}

/// A collection of the page without its requests.
#[derive(Debug)]
pub(crate) struct CollectionHead {
    pub(crate) name: String,
    pub(crate) file: String,
    pub(crate) len: usize,
}

/// A whole report in memory (a merged or read-back JSON report) as a page's source.
struct Whole<'a> {
    report: &'a RunReport,
    collections: Vec<CollectionHead>,
}

impl RunSource for Whole<'_> {
    fn head(&self) -> &RunReport {
        self.report
    }

    fn collections(&self) -> &[CollectionHead] {
        &self.collections
    }

    fn requests(&self, index: usize) -> Box<dyn Iterator<Item = ReportRequest> + '_> {
        Box::new(self.report.collections[index].requests.iter().cloned())
    }
}

fn whole(report: &RunReport) -> Whole<'_> {
    let collections = report
        .collections
        .iter()
        .map(|c| CollectionHead {
            name: c.name.clone(),
            file: c.file.clone(),
            len: c.requests.len(),
        })
        .collect();
    Whole {
        report,
        collections,
    }
}

/// The HTML report of a run. `report` must already be redacted (as
/// [`crate::json::build_report`] returns it): this only escapes.
pub fn render_run(report: &RunReport) -> String {
    // Without a file nothing is written, so nothing can fail to be.
    make_page(Page::new(None), &whole(report)).unwrap_or_default()
}

/// [`render_run`] written to `out` as it is made, a chunk at a time.
pub fn write_run(out: &mut dyn std::io::Write, report: &RunReport) -> std::io::Result<()> {
    write_source(out, &whole(report))
}

/// The page of `source`, written to `out` as it is made.
pub(crate) fn write_source(
    out: &mut dyn std::io::Write,
    source: &dyn RunSource,
) -> std::io::Result<()> {
    make_page(Page::new(Some(out)), source).map(drop)
}

/// What the page needs of every request before it shows any: one pass over the run.
struct Overview {
    tags: BTreeSet<String>,
    failed: usize,
    /// When the last request ended, the timelines' common scale.
    end: u64,
}

fn overview(source: &dyn RunSource) -> Overview {
    let mut o = Overview {
        tags: BTreeSet::new(),
        failed: 0,
        end: source.head().duration_ms,
    };
    for i in 0..source.collections().len() {
        for r in source.requests(i) {
            if is_failure(&r) {
                o.failed += 1;
            }
            if let Some(s) = r.started_ms {
                o.end = o.end.max(s + r.duration_ms.unwrap_or(0));
            }
            o.tags.extend(r.tags);
        }
    }
    o.end = o.end.max(1);
    o
}

fn is_failure(r: &ReportRequest) -> bool {
    matches!(r.outcome, ReportOutcome::Failed | ReportOutcome::Error)
}

fn make_page(mut body: Page<'_>, source: &dyn RunSource) -> std::io::Result<String> {
    let report = source.head();
    let overview = overview(source);
    let s = &report.summary;
    let title = format!(
        "Courier · {} · {} passed, {} failed, {} skipped",
        report.environment.name, s.passed, s.failed, s.skipped
    );
    body.push_str(&page_head(&title));
    header(&mut body, report);
    body.push_str("<main>\n");
    filters(&mut body, &overview.tags);
    failures(&mut body, source, overview.failed);
    timelines(&mut body, source, overview.end);
    requests(&mut body, source);
    let _ = write!(
        body,
        "<footer>{} {} · JSON report version {}</footer>\n</main>",
        escape(&report.tool.name),
        escape(&report.tool.version),
        report.version
    );
    body.push_str(&page_tail());
    body.finish()
}

fn outcome_class(o: ReportOutcome) -> &'static str {
    match o {
        ReportOutcome::Passed => "passed",
        ReportOutcome::Failed => "failed",
        ReportOutcome::Skipped => "skipped",
        ReportOutcome::Error => "error",
    }
}

fn mark(o: ReportOutcome) -> String {
    let (class, text) = match o {
        ReportOutcome::Passed => ("passed", "PASS"),
        ReportOutcome::Failed => ("failed", "FAIL"),
        ReportOutcome::Skipped => ("skipped", "SKIP"),
        ReportOutcome::Error => ("error", "ERROR"),
    };
    format!("<span class=\"mark {class}\">{text}</span>")
}

fn header(out: &mut String, report: &RunReport) {
    let s = &report.summary;
    let scope = report.environment.scope.as_str();
    let total = s.passed + s.failed + s.skipped;
    let _ = write!(
        out,
        "<header class=\"top\"><div class=\"inner\">\n<h1>Courier run report</h1>\n\
         <div class=\"meta\"><span>environment <strong>{env}</strong> \
         <span class=\"badge {scope}\">{scope}</span></span><span>started {started}</span>\
         <span>took {took}</span>",
        env = escape(&report.environment.name),
        started = escape(&report.started_at),
        took = human_ms(report.duration_ms),
    );
    if let Some(shard) = report.shard {
        let _ = write!(out, "<span>shard {} of {}</span>", shard.index, shard.total);
    }
    out.push_str("</div>\n<div class=\"summary\">");
    for (class, n) in [
        ("passed", s.passed),
        ("failed", s.failed),
        ("skipped", s.skipped),
    ] {
        let _ = write!(
            out,
            "<div class=\"stat {class}\"><span class=\"n\" data-count=\"{class}\">{n}</span>\
             <span class=\"l\">{class}</span></div>"
        );
    }
    let _ = writeln!(
        out,
        "<div class=\"stat\"><span class=\"n\" data-count=\"total\">{total}</span>\
         <span class=\"l\">requests</span></div>\
         <div class=\"stat\"><span class=\"n\" data-count=\"duration\">{}</span>\
         <span class=\"l\">duration</span></div></div>",
        human_ms(report.duration_ms)
    );
    out.push_str(&ratio_bar(&[
        ("passed", s.passed),
        ("failed", s.failed),
        ("skipped", s.skipped),
    ]));
    out.push_str("</div></header>\n");
}

fn filters(out: &mut String, tags: &BTreeSet<String>) {
    out.push_str(
        "<nav class=\"filters\" aria-label=\"filters\"><span class=\"label\">outcome</span>",
    );
    for (value, label) in [
        ("all", "all"),
        ("failed", "failed"),
        ("passed", "passed"),
        ("skipped", "skipped"),
    ] {
        let _ = write!(
            out,
            "<button type=\"button\" data-filter-outcome=\"{value}\" aria-pressed=\"{}\">{label}</button>",
            value == "all"
        );
    }
    if !tags.is_empty() {
        out.push_str("<span class=\"label\">tags</span>");
        for t in tags {
            let t = escape(t);
            let _ = write!(
                out,
                "<button type=\"button\" data-filter-tag=\"{t}\" aria-pressed=\"false\">{t}</button>"
            );
        }
    }
    out.push_str("<span class=\"shown\"></span></nav>\n");
}

/// `data-outcome` and `data-tags` for the filters.
fn filter_attrs(r: &ReportRequest) -> String {
    format!(
        "data-outcome=\"{}\" data-tags=\"{}\"",
        outcome_class(r.outcome),
        escape(&r.tags.join(" "))
    )
}

fn failures(out: &mut Page<'_>, source: &dyn RunSource, failed: usize) {
    let _ = writeln!(out, "<section id=\"failures\"><h2>Failures ({failed})</h2>");
    if failed == 0 {
        out.push_str("<div class=\"card none\">Nothing failed.</div>");
    }
    for (i, c) in source.collections().iter().enumerate() {
        for r in source.requests(i).filter(is_failure) {
            failure(out, c, &r);
            out.spill();
        }
    }
    out.push_str("</section>\n");
}

/// One failed request: where, and each failed check, error or snapshot change.
fn failure(out: &mut String, c: &CollectionHead, r: &ReportRequest) {
    let _ = write!(
        out,
        "<article class=\"card failure\" {attrs}><div class=\"head\">{mark}<h3>{coll} / {name}</h3>{status}\
         <span class=\"where mono muted\">{file}</span></div><div class=\"body\">",
        attrs = filter_attrs(r),
        mark = mark(r.outcome),
        coll = escape(&c.name),
        name = escape(&r.name),
        status = status_text(r),
        file = escape(&c.file),
    );
    if let Some(e) = &r.error {
        let _ = write!(out, "<pre class=\"error-text\">{}</pre>", escape(e));
    }
    for a in r.assertions.iter().filter(|a| !a.passed) {
        check(out, &c.file, a);
    }
    if let Some(diff) = &r.snapshot_diff {
        out.push_str("<div class=\"check\"><span class=\"muted\">snapshot changed</span>");
        out.push_str(&diff_block(diff));
        out.push_str("</div>");
    } else if r.snapshot == crate::contract::ReportSnapshot::New {
        out.push_str(
            "<div class=\"check muted\">snapshot: no stored snapshot; review the new one with <code>courier snapshots review</code></div>",
        );
    }
    out.push_str("</div></article>\n");
}

/// `200 · 12 ms · 3 attempts`, or the skip reason.
fn status_text(r: &ReportRequest) -> String {
    let mut parts = Vec::new();
    if let Some(s) = r.status {
        parts.push(format!("<strong>{s}</strong>"));
    }
    if let Some(ms) = r.duration_ms {
        parts.push(human_ms(ms));
    }
    if r.attempts > 1 {
        parts.push(format!("{} attempts", r.attempts));
    }
    if let Some(reason) = &r.skip_reason {
        parts.push(format!("skipped: {}", escape(reason)));
    }
    format!("<span class=\"muted\">{}</span>", parts.join(" · "))
}

/// One check: where, what, expected, actual, why.
fn check(out: &mut String, file: &str, a: &ReportAssertion) {
    let kind = serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let what = match &a.path {
        Some(p) => format!("{kind} {p}"),
        None => kind,
    };
    let _ = write!(
        out,
        "<div class=\"check\"><span class=\"at mono\">{file}:{line}:{col}</span> \
         <code>{what}</code> <span class=\"muted\">{matcher}</span><div class=\"kv\">\
         <span class=\"k\">expected</span><pre class=\"expected\">{expected}</pre>",
        file = escape(file),
        line = a.line,
        col = a.column,
        what = escape(&what),
        matcher = escape(&a.matcher),
        expected = escape(&show_json(&a.expected)),
    );
    if let Some(actual) = &a.actual {
        let _ = write!(
            out,
            "<span class=\"k\">actual</span><pre class=\"actual\">{}</pre>",
            escape(&show_json(actual))
        );
    }
    out.push_str("</div>");
    if let Some(m) = &a.message {
        let _ = write!(out, "<div class=\"message\">{}</div>", escape(m));
    }
    out.push_str("</div>");
}

/// Height of one timeline row, and the share of the width the labels take.
const ROW: usize = 22;
const LABEL_SHARE: f64 = 30.0;
const LABEL_CHARS: usize = 44;

fn timelines(out: &mut Page<'_>, source: &dyn RunSource, end: u64) {
    out.push_str("<section id=\"timeline\"><h2>Timeline</h2>\n");
    // One scale for every collection (`end`), so bars compare across them.
    for (i, c) in source.collections().iter().enumerate() {
        timeline(out, c, source.requests(i), source.requests(i), end);
        out.spill();
    }
    if source.collections().is_empty() {
        out.push_str("<div class=\"card none\">No request ran.</div>");
    }
    out.push_str("</section>\n");
}

/// The timeline of `c`, whose requests are read twice: for the labels, then for the bars.
fn timeline(
    out: &mut Page<'_>,
    c: &CollectionHead,
    labels: impl Iterator<Item = ReportRequest>,
    bars: impl Iterator<Item = ReportRequest>,
    end: u64,
) {
    let rows = c.len;
    let height = (rows + 1) * ROW + 6;
    let pct = |ms: u64| ms as f64 * 100.0 / end as f64;
    let _ = write!(
        out,
        "<div class=\"card timeline-card\"><h3>{}</h3>\
         <svg class=\"timeline\" height=\"{height}\" role=\"img\" aria-label=\"timeline of {}\">",
        escape(&c.name),
        escape(&c.name)
    );
    for (i, r) in labels.enumerate() {
        let y = i * ROW;
        let label = if r.name.chars().count() > LABEL_CHARS {
            let kept: String = r.name.chars().take(LABEL_CHARS - 1).collect();
            format!("{kept}…")
        } else {
            r.name.clone()
        };
        let _ = write!(
            out,
            "<text x=\"0\" y=\"{ty}\"><title>{full}</title>{label}</text>",
            ty = y + 15,
            full = escape(&r.name),
            label = escape(&label),
        );
        out.spill();
    }
    let _ = write!(
        out,
        "<svg x=\"{LABEL_SHARE}%\" width=\"{:.0}%\" height=\"{height}\" overflow=\"visible\">",
        100.0 - LABEL_SHARE
    );
    for i in 0..rows {
        let _ = write!(
            out,
            "<rect class=\"lane\" x=\"0\" y=\"{}\" width=\"100%\" height=\"{}\"></rect>",
            i * ROW + 2,
            ROW - 4
        );
        out.spill();
    }
    for q in 0..=4u64 {
        let ms = end * q / 4;
        let x = pct(ms);
        let anchor = match q {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            out,
            "<line class=\"grid\" x1=\"{x:.3}%\" x2=\"{x:.3}%\" y1=\"0\" y2=\"{y}\"></line>\
             <text class=\"tick\" x=\"{x:.3}%\" y=\"{ty}\" text-anchor=\"{anchor}\">{label}</text>",
            y = rows * ROW,
            ty = rows * ROW + 16,
            label = human_ms(ms),
        );
    }
    for (i, r) in bars.enumerate() {
        let Some(start) = r.started_ms else { continue };
        let took = r.duration_ms.unwrap_or(0);
        let x = pct(start);
        // A request too quick to see still gets a sliver.
        let w = pct(took).max(0.4);
        let retried = if r.attempts > 1 { " retried" } else { "" };
        let mut tip = format!(
            "{} — {} · started at {} · took {}",
            r.name,
            outcome_class(r.outcome),
            human_ms(start),
            human_ms(took)
        );
        if r.attempts > 1 {
            let _ = write!(tip, " · {} attempts", r.attempts);
        }
        let _ = write!(
            out,
            "<rect class=\"bar {class}{retried}\" x=\"{x:.3}%\" y=\"{y}\" width=\"{w:.3}%\" height=\"{h}\" {attrs}>\
             <title>{tip}</title></rect>",
            class = outcome_class(r.outcome),
            y = i * ROW + 5,
            h = ROW - 10,
            attrs = filter_attrs(&r),
            tip = escape(&tip),
        );
        if r.attempts > 1 {
            let _ = write!(
                out,
                "<text class=\"retries\" x=\"{:.3}%\" y=\"{}\" dx=\"4\">×{}</text>",
                x + w,
                i * ROW + 15,
                r.attempts
            );
        }
        out.spill();
    }
    out.push_str("</svg></svg></div>\n");
}

fn requests(out: &mut Page<'_>, source: &dyn RunSource) {
    out.push_str("<section id=\"requests\"><h2>All requests</h2>\n");
    for (i, c) in source.collections().iter().enumerate() {
        let _ = write!(
            out,
            "<div class=\"card collection\" data-group><div class=\"head\"><h3>{}</h3>\
             <span class=\"file mono muted\">{}</span></div>\
             <table class=\"requests\"><thead><tr><th></th><th>request</th><th>tags</th>\
             <th class=\"num\">status</th><th class=\"num\">time</th><th class=\"num\">started</th>\
             <th class=\"num\">attempts</th></tr></thead><tbody>",
            escape(&c.name),
            escape(&c.file)
        );
        for r in source.requests(i) {
            request_row(out, c, &r);
            out.spill();
        }
        out.push_str("</tbody></table></div>\n");
    }
    out.push_str("</section>\n");
}

fn request_row(out: &mut String, c: &CollectionHead, r: &ReportRequest) {
    let mut tags = String::new();
    for t in &r.tags {
        let _ = write!(tags, "<span class=\"tag\">{}</span>", escape(t));
    }
    let _ = write!(
        out,
        "<tr class=\"request\" {attrs}><td>{mark}</td><td>",
        attrs = filter_attrs(r),
        mark = mark(r.outcome)
    );
    let detail = !r.assertions.is_empty() || r.skip_reason.is_some() || r.error.is_some();
    if detail {
        let _ = write!(out, "<details><summary>{}</summary>", escape(&r.name));
        if let Some(reason) = &r.skip_reason {
            let _ = write!(
                out,
                "<div class=\"muted\">skipped: {}</div>",
                escape(reason)
            );
        }
        if let Some(e) = &r.error {
            let _ = write!(out, "<pre class=\"error-text\">{}</pre>", escape(e));
        }
        for a in &r.assertions {
            if a.passed {
                passed_check(out, &c.file, a);
            } else {
                check(out, &c.file, a);
            }
        }
        if !r.captures.is_empty() {
            let _ = write!(
                out,
                "<div class=\"muted\">captured: {}</div>",
                escape(&r.captures.join(", "))
            );
        }
        out.push_str("</details>");
    } else {
        out.push_str(&escape(&r.name));
    }
    let cell = |v: Option<String>| v.unwrap_or_else(|| "–".to_owned());
    let _ = write!(
        out,
        "</td><td>{tags}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
        cell(r.status.map(|s| s.to_string())),
        cell(r.duration_ms.map(human_ms)),
        cell(r.started_ms.map(human_ms)),
        r.attempts
    );
}

/// A passing check, one line: where, what, and its value when the report kept it.
fn passed_check(out: &mut String, file: &str, a: &ReportAssertion) {
    let kind = serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<div class=\"check\"><span class=\"mark passed\">ok</span> <span class=\"at mono\">{}:{}:{}</span> \
         <code>{} {}</code> <span class=\"muted\">{} {}</span>",
        escape(file),
        a.line,
        a.column,
        escape(&kind),
        escape(a.path.as_deref().unwrap_or("")),
        escape(&a.matcher),
        escape(&a.expected.to_string()),
    );
    if let Some(actual) = &a.actual {
        let _ = write!(
            out,
            "<div class=\"kv\"><span class=\"k\">actual</span><pre>{}</pre></div>",
            escape(&show_json(actual))
        );
    }
    out.push_str("</div>");
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use courier_check::snapshot::{SnapshotDiff, SnapshotOutcome};
    use courier_core::secret::Secrets;
    use courier_events::{Reporter as _, RequestResult};
    use serde_json::json;

    use crate::html::{HtmlReporter, SCRIPT, STYLE, csp_hash};
    use crate::json::ReportOptions;
    use crate::record::fixtures::{collection, errored, failed, result, run, skipped};

    const XSS: &str =
        "</script><img src=x onerror=\"window.__xss=true\"><script>window.__xss=true</script>";

    fn page(results: Vec<RequestResult>, secrets: Arc<Secrets>) -> String {
        let mut r = HtmlReporter::new("unused.html".into(), secrets, ReportOptions::default());
        for e in run(results) {
            r.on_event(&e);
        }
        r.render().unwrap()
    }

    fn between<'a>(text: &'a str, open: &str, close: &str) -> Vec<&'a str> {
        text.split(open)
            .skip(1)
            .map(|rest| rest.split(close).next().unwrap())
            .collect()
    }

    /// A page written to a file a chunk at a time is the page rendered whole.
    #[test]
    fn the_written_page_is_the_rendered_one() {
        let c = collection("c.yaml", "C", &["get"]);
        let results = (0..3000)
            .map(|n| RequestResult {
                row: Some(n + 1),
                ..if n % 7 == 0 {
                    failed(&c, 0, 0)
                } else {
                    result(&c, 0, 0)
                }
            })
            .collect();
        let mut json =
            crate::json::JsonReporter::new(crate::output::ReportTarget::Stdout, Secrets::new());
        for e in run(results) {
            json.on_event(&e);
        }
        let report = json.report().unwrap();
        let mut written = Vec::new();
        super::write_run(&mut written, &report).unwrap();
        assert!(written.len() > 2 * super::Page::CHUNK, "{}", written.len());
        assert_eq!(
            String::from_utf8(written).unwrap(),
            super::render_run(&report)
        );
    }

    #[test]
    fn the_inline_blocks_are_exactly_the_ones_the_policy_allows() {
        let c = collection("c.yaml", "C", &["a", "b"]);
        let html = page(vec![result(&c, 0, 0), failed(&c, 0, 1)], Secrets::new());
        let styles = between(&html, "<style>", "</style>");
        let scripts = between(&html, "<script>", "</script>");
        assert_eq!(styles, [STYLE]);
        assert_eq!(scripts, [SCRIPT]);
        let csp = between(
            &html,
            "http-equiv=\"Content-Security-Policy\" content=\"",
            "\"",
        );
        assert_eq!(csp.len(), 1);
        let csp = csp[0].replace("&#39;", "'");
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        assert!(
            csp.contains(&format!("style-src {}", csp_hash(styles[0]))),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("script-src {}", csp_hash(scripts[0]))),
            "{csp}"
        );
        // Inline style attributes and event handlers would need 'unsafe-inline': none exist.
        assert!(!html.contains(" style=\""), "a style attribute");
        let handler = event_handler_attribute(&html);
        assert!(handler.is_none(), "an event handler attribute: {handler:?}");
        // Nothing is fetched: no external URL in any src or href.
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    }

    /// The first ` on…=` attribute in a tag, if any (a tiny scan; no regex crate here).
    fn event_handler_attribute(html: &str) -> Option<String> {
        let mut in_tag = false;
        let bytes: Vec<char> = html.chars().collect();
        for (i, c) in bytes.iter().enumerate() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                ' ' if in_tag => {
                    let rest: String = bytes[i + 1..].iter().take(20).collect();
                    let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
                    if name.len() > 2
                        && name.starts_with("on")
                        && rest[name.len()..].starts_with('=')
                    {
                        return Some(rest);
                    }
                }
                _ => {}
            }
        }
        None
    }

    #[test]
    fn response_text_is_escaped_everywhere_it_appears() {
        let c = collection("c.yaml", "C", &["a"]);
        let mut r = failed(&c, 0, 0);
        r.assertions[1].actual = Some(json!({"body": XSS}));
        r.assertions[1].expected = json!(XSS);
        r.error = Some(XSS.to_owned());
        r.snapshot = Some(SnapshotOutcome::Changed {
            pending: None,
            diff: SnapshotDiff::new("old\n", &format!("{XSS}\n")),
        });
        let html = page(vec![r], Secrets::new());
        assert!(
            !html.contains("<img"),
            "markup from a response reached the page"
        );
        assert!(!html.contains("onerror=\""), "an attribute from a response");
        assert_eq!(
            html.matches("<script>").count(),
            1,
            "only the page's own script"
        );
        assert!(
            html.contains("&lt;/script&gt;&lt;img src=x onerror="),
            "the text shows"
        );
    }

    #[test]
    fn secrets_are_redacted_as_on_the_console() {
        let secrets = Secrets::new();
        secrets.add("hunter2-secret");
        let c = collection("c.yaml", "C", &["a"]);
        let mut r = failed(&c, 0, 0);
        r.assertions[1].actual = Some(json!({"token": "Bearer hunter2-secret"}));
        r.error = Some("token hunter2-secret refused".to_owned());
        let html = page(vec![r], secrets);
        assert!(!html.contains("hunter2"), "{html}");
        assert!(html.contains("Bearer [REDACTED]"));
    }

    #[test]
    fn the_page_shows_counts_failures_first_and_a_timeline_bar_per_request_that_ran() {
        let c = collection(
            "collections/c.yaml",
            "Vendors",
            &["list", "read", "down", "later"],
        );
        let html = page(
            vec![
                result(&c, 0, 0),
                failed(&c, 0, 1),
                errored(&c, 0, 2),
                skipped(&c, 0, 3),
            ],
            Secrets::new(),
        );
        assert!(html.contains("data-count=\"passed\">1<"));
        assert!(html.contains("data-count=\"failed\">2<"));
        assert!(html.contains("data-count=\"skipped\">1<"));
        let failures = html.find("id=\"failures\"").unwrap();
        let timeline = html.find("id=\"timeline\"").unwrap();
        let all = html.find("id=\"requests\"").unwrap();
        assert!(failures < timeline && timeline < all, "failures come first");
        // The failed check with its place in the file, expected and actual.
        assert!(html.contains("collections/c.yaml:7:9"));
        assert!(html.contains("expected eq &quot;V-0001&quot;, got &quot;V-0002&quot;"));
        assert!(html.contains("connection refused (127.0.0.1:9)"));
        // Bars for the three that started; the skipped one has none. The error made 3 sends.
        assert_eq!(html.matches("<rect class=\"bar ").count(), 3);
        assert!(html.contains("3 attempts"));
        assert_eq!(html.matches("<tr class=\"request\"").count(), 4);
    }
}
