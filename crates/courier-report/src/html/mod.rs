//! The HTML report (`--html FILE`, docs/reports-v2.md): one self-contained page rendered from
//! the report document (the same data as the JSON report, secrets already redacted), for
//! people opening a CI artifact. It fetches nothing: its one stylesheet and one script are
//! inline, allowed by their SHA-256 hashes in a `Content-Security-Policy` of
//! `default-src 'none'`, and every text from a run (names, values, diffs) is HTML-escaped, so
//! a response holding markup shows as text and runs nothing.

mod compare;
mod run;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use courier_core::secret::Secrets;
use courier_events::{Event, Reporter};
use sha2::Digest as _;

use crate::contract::{ReportRequest, RunReport};
use crate::json::{ReportOptions, build_report, report_head_redacted, report_record};
use crate::output::write_atomic_with;
use crate::record::{CollectionRecord, RunRecord};
use run::{CollectionHead, RunSource};

pub use compare::render_compare;
pub use run::{render_run, write_run};

/// The page's stylesheet and script, kept as files of their own so they read as CSS and JS.
pub const STYLE: &str = include_str!("report.css");
pub const SCRIPT: &str = include_str!("report.js");

/// Collects the run and writes the HTML report in `finish()`.
pub struct HtmlReporter {
    path: PathBuf,
    secrets: Arc<Secrets>,
    record: RunRecord<ReportRequest>,
    options: ReportOptions,
}

impl HtmlReporter {
    pub fn new(path: PathBuf, secrets: Arc<Secrets>, options: ReportOptions) -> Self {
        Self {
            path,
            record: report_record(options, &secrets),
            secrets,
            options,
        }
    }

    /// The page of the run so far; `None` before `RunStarted`.
    pub fn render(&self) -> Option<String> {
        build_report(&self.record, self.options, &self.secrets).map(|r| render_run(&r))
    }
}

impl Reporter for HtmlReporter {
    fn on_event(&mut self, event: &Event) {
        self.record.on_event(event);
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let Some(head) = report_head_redacted(&self.record, self.options, &self.secrets) else {
            return Ok(());
        };
        self.record.kept()?;
        let collections: Vec<&CollectionRecord> = self.record.collections().collect();
        let source = Kept {
            heads: collections
                .iter()
                .map(|c| CollectionHead {
                    name: self.secrets.redact(&c.collection.name.value).into_owned(),
                    file: self
                        .secrets
                        .redact(c.collection.file.display())
                        .into_owned(),
                    len: c.len(),
                })
                .collect(),
            head,
            collections,
            record: &self.record,
            error: std::cell::RefCell::new(None),
        };
        write_atomic_with(&self.path, |out| {
            run::write_source(out, &source)?;
            source.error.take().map_or(Ok(()), Err)
        })
        .map_err(Into::into)
    }
}

/// The run as the reporter kept it, as a page's source: each request is read back from the
/// record every time the page needs it.
struct Kept<'a> {
    head: RunReport,
    heads: Vec<CollectionHead>,
    collections: Vec<&'a CollectionRecord>,
    record: &'a RunRecord<ReportRequest>,
    /// The first request that could not be read back: the page is then not written.
    error: std::cell::RefCell<Option<std::io::Error>>,
}

impl RunSource for Kept<'_> {
    fn head(&self) -> &RunReport {
        &self.head
    }

    fn collections(&self) -> &[CollectionHead] {
        &self.heads
    }

    fn requests(&self, index: usize) -> Box<dyn Iterator<Item = ReportRequest> + '_> {
        Box::new(
            self.record
                .entries(self.collections[index])
                .map_while(|r| match r {
                    Ok(r) => Some(r),
                    Err(e) => {
                        self.error.borrow_mut().get_or_insert(e);
                        None
                    }
                }),
        )
    }
}

/// `text` safe inside an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (terminal escapes in a body) would show as boxes or vanish.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The CSP source of an inline block: `'sha256-…'` of its exact text.
pub fn csp_hash(block: &str) -> String {
    let digest = sha2::Sha256::digest(block.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The policy of every report page: nothing from anywhere, except the page's own stylesheet
/// and script (by hash) and images written into it as `data:` URLs (none today).
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// A whole page around `body` (already HTML).
fn page(title: &str, body: &str) -> String {
    format!("{}{body}{}", page_head(title), page_tail())
}

/// A page up to its body.
fn page_head(title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\" data-js=\"off\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{title}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n",
        csp = escape(&content_security_policy()),
        title = escape(title),
    )
}

/// A page after its body.
fn page_tail() -> String {
    format!("\n<script>{SCRIPT}</script>\n</body>\n</html>\n")
}

/// Text of a page being made: held in memory, or handed to a file a chunk at a time
/// ([`Page::spill`]), so a report of many requests is never held whole.
pub(crate) struct Page<'a> {
    text: String,
    sink: Option<&'a mut dyn std::io::Write>,
    error: Option<std::io::Error>,
}

impl<'a> Page<'a> {
    pub(crate) const CHUNK: usize = 256 * 1024;

    fn new(sink: Option<&'a mut dyn std::io::Write>) -> Self {
        Self {
            text: String::new(),
            sink,
            error: None,
        }
    }

    /// Writes what is held to the file, once it is a chunk or more.
    fn spill(&mut self) {
        if self.text.len() >= Self::CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if let Some(sink) = self.sink.as_mut() {
            if self.error.is_none()
                && let Err(e) = sink.write_all(self.text.as_bytes())
            {
                self.error = Some(e);
            }
            self.text.clear();
        }
    }

    /// The text held (all of it without a file), or the first write error.
    fn finish(mut self) -> std::io::Result<String> {
        self.flush();
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.text),
        }
    }
}

impl std::ops::Deref for Page<'_> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.text
    }
}

impl std::ops::DerefMut for Page<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.text
    }
}

/// `1234` → `1.23 s`, `87` → `87 ms`.
fn human_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.2} s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}

/// A JSON value as a person reads it: strings bare when they are the whole value, containers
/// pretty-printed.
fn show_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(a) if !a.is_empty() => {
            serde_json::to_string_pretty(v).unwrap_or_default()
        }
        serde_json::Value::Object(o) if !o.is_empty() => {
            serde_json::to_string_pretty(v).unwrap_or_default()
        }
        _ => v.to_string(),
    }
}

/// A unified diff with its lines classed for colour, escaped.
fn diff_block(diff: &str) -> String {
    let mut out = String::from("<pre class=\"diff\">");
    for line in diff.lines() {
        let class = if line.starts_with("@@") {
            Some("hunk")
        } else if line.starts_with('+') && !line.starts_with("+++") {
            Some("add")
        } else if line.starts_with('-') && !line.starts_with("---") {
            Some("del")
        } else {
            None
        };
        match class {
            Some(c) => {
                let _ = writeln!(out, "<span class=\"{c}\">{}</span>", escape(line));
            }
            None => {
                let _ = writeln!(out, "{}", escape(line));
            }
        }
    }
    out.push_str("</pre>");
    out
}

/// The stacked bar under the summary counts: each part as wide as its share.
fn ratio_bar(parts: &[(&str, usize)]) -> String {
    let total: usize = parts.iter().map(|(_, n)| n).sum();
    let mut out =
        String::from("<div class=\"ratio\"><svg width=\"100%\" height=\"8\" aria-hidden=\"true\">");
    if total > 0 {
        let mut x = 0.0;
        for (class, n) in parts {
            let w = *n as f64 * 100.0 / total as f64;
            let _ = write!(
                out,
                "<rect class=\"{class}\" x=\"{x:.3}%\" width=\"{w:.3}%\" height=\"8\"></rect>"
            );
            x += w;
        }
    }
    out.push_str("</svg></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape(r#"</script><img src=x onerror="alert('x')">&"#),
            "&lt;/script&gt;&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(escape("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(escape("line\n\ttab"), "line\n\ttab");
    }

    #[test]
    fn the_policy_names_the_hashes_of_the_inline_blocks() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"), "{csp}");
        // The hash of an empty string is a known value: the digest is SHA-256, base64.
        assert_eq!(
            csp_hash(""),
            "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
        );
        assert!(csp.contains(&csp_hash(STYLE)) && csp.contains(&csp_hash(SCRIPT)));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_ms(87), "87 ms");
        assert_eq!(human_ms(1234), "1.23 s");
        assert_eq!(human_ms(125_000), "2m 05s");
    }
}
