//! The console reporter (docs/reports.md#console): one line per request, the failure details under it, and
//! the last line `{p} passed, {f} failed, {s} skipped`. Marks are `✓ ✗ -` with colour and
//! `PASS FAIL SKIP` without. Under `--parallel`, a collection's lines are printed together
//! when it finishes. The progress bar (colour only), `-v` exchanges and warnings go to
//! standard error. Every piece of data passes through the secrets set before it is written;
//! values are redacted before they are cut, and Courier's own words (marks, labels, the
//! summary line) are never redacted (docs/secrets.md).

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use owo_colors::OwoColorize as _;
use serde_json::Value;

use courier_check::matcher::AssertOutcome;
use courier_check::snapshot::SnapshotOutcome;
use courier_core::diag::display_path;
use courier_core::secret::Secrets;
use courier_events::Reporter;
use courier_events::{Event, Outcome, RequestResult, Summary};

/// Longest single-line value shown in a failure detail.
const MAX_VALUE_CHARS: usize = 300;
/// Most lines of a pretty-printed value shown.
const MAX_VALUE_LINES: usize = 30;

pub struct ConsoleReporter {
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    color: bool,
    progress: Option<indicatif::ProgressBar>,
    parallel: bool,
    buffers: HashMap<(usize, Option<usize>), Vec<String>>,
    secrets: Arc<Secrets>,
    summary: Summary,
    quiet: bool,
}

impl ConsoleReporter {
    /// `out` receives the report (standard output, or standard error under `--json -`);
    /// `err` the `-v` exchanges and warnings. `progress` shows a bar on standard error.
    pub fn new(
        out: Box<dyn Write + Send>,
        err: Box<dyn Write + Send>,
        color: bool,
        progress: bool,
        secrets: Arc<Secrets>,
    ) -> Self {
        let progress = (progress && color).then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr(),
            );
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos}/{len} requests {wide_bar} {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            out,
            err,
            color,
            progress,
            parallel: false,
            buffers: HashMap::new(),
            secrets,
            summary: Summary::default(),
            quiet: false,
        }
    }

    /// `--quiet`: only failed and errored requests (with their details) and the summary line
    /// (docs/cli.md#console-output).
    #[must_use]
    pub fn quiet(mut self, quiet: bool) -> Self {
        self.quiet = quiet;
        self
    }

    fn write_lines(&mut self, lines: &[String]) {
        let print = |out: &mut Box<dyn Write + Send>| {
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
        };
        match &self.progress {
            Some(bar) => {
                // The bar redraws after `suspend`: the lines must be out before it does.
                let out = &mut self.out;
                bar.suspend(|| {
                    print(out);
                    let _ = out.flush();
                });
            }
            // Flushed in `on_idle`: one write for every line the reporter has caught up with
            // rather than one per request (a write per request cost measurable CPU at thousands a second).
            None => print(&mut self.out),
        }
    }

    fn mark(&self, outcome: Outcome) -> String {
        match (outcome, self.color) {
            (Outcome::Passed, true) => "✓".green().to_string(),
            (Outcome::Failed | Outcome::Error, true) => "✗".red().to_string(),
            (Outcome::Skipped, true) => "-".yellow().to_string(),
            (Outcome::Passed, false) => "PASS".to_owned(),
            (Outcome::Failed | Outcome::Error, false) => "FAIL".to_owned(),
            (Outcome::Skipped, false) => "SKIP".to_owned(),
        }
    }

    /// The lines of one request: its line and, when it failed, the details. Each piece of
    /// data (names, paths, values, messages) is redacted on its own and Courier's words are
    /// left whole, so a secret that is also one of them (`FAIL`, `expected`) cannot rewrite
    /// the line (docs/secrets.md).
    pub fn request_lines(&self, r: &RequestResult) -> Vec<String> {
        let mut lines = Vec::new();
        let data = |text: &str| self.secrets.redact(text).into_owned();
        let title = format!(
            "{} / {}",
            data(&r.collection.name.value),
            data(&r.display_name())
        );
        let mark = self.mark(r.outcome);
        // Every send after the first (retries, a resend after a renewed token), so a pass
        // after two 503s does not look like a first-time pass (docs/cli.md#console-output).
        // An error's message already says `(after N retries)`.
        // A polled request counts its attempts too; sends beyond one per attempt were retries
        // (docs/collections-language.md#polling).
        let retries = r.attempts.saturating_sub(r.poll_attempts.unwrap_or(1));
        let retried = match retries {
            0 => String::new(),
            1 => "1 retry".to_owned(),
            n => format!("{n} retries"),
        };
        let resent = match (r.poll_attempts, retried.is_empty()) {
            (Some(n), true) => format!(" ({n} attempts)"),
            (Some(n), false) => format!(" ({n} attempts, {retried})"),
            (None, true) => String::new(),
            (None, false) => format!(" ({retried})"),
        };
        let head = match (r.outcome, r.status) {
            (Outcome::Skipped, _) => format!(
                "{mark} {title}  skipped: {}",
                data(r.skip_reason.as_deref().unwrap_or(""))
            ),
            (_, Some(status)) => {
                let ms = r.duration.map_or(0, |d| d.as_millis());
                format!("{mark} {title}  {status}  {ms} ms{resent}")
            }
            (_, None) => format!(
                "{mark} {title}  error: {}",
                r.error
                    .as_deref()
                    .map_or_else(|| "no response".to_owned(), data)
            ),
        };
        lines.push(head);
        if !matches!(r.outcome, Outcome::Failed | Outcome::Error) {
            return lines;
        }
        if r.status.is_some()
            && let Some(e) = &r.error
        {
            lines.push(format!("    {}", data(e)));
        }
        let file = data(r.collection.file.display());
        for a in r.assertions.iter().filter(|a| !a.passed) {
            lines.extend(self.assertion_lines(&file, a));
        }
        match &r.snapshot {
            Some(SnapshotOutcome::New { pending }) => {
                let where_ = pending.as_deref().map_or_else(
                    || "not written (check mode)".to_owned(),
                    |p| format!("written to {}", data(&display_path(p))),
                );
                lines.push(format!(
                    "    snapshot: no stored snapshot; the new one is {where_}"
                ));
                lines.push("    review it with `courier snapshots review`".to_owned());
            }
            Some(SnapshotOutcome::Changed { pending, diff }) => {
                let where_ = pending.as_deref().map_or_else(String::new, |p| {
                    format!(" (new: {})", data(&display_path(p)))
                });
                lines.push(format!("    snapshot changed{where_}:"));
                for l in diff.report(self.color).lines() {
                    lines.push(format!("      {}", data(l)));
                }
            }
            Some(SnapshotOutcome::Error { message }) => {
                lines.push(format!("    snapshot: {}", data(message)));
            }
            _ => {}
        }
        lines
    }

    fn assertion_lines(&self, file: &str, a: &AssertOutcome) -> Vec<String> {
        let at = format!("{file}:{}:{}", a.span.start.line, a.span.start.col);
        let what = match &a.path {
            Some(p) => format!("{} {}", a.kind.as_str(), self.secrets.redact(p)),
            None => a.kind.as_str().to_owned(),
        };
        let at = if self.color {
            at.dimmed().to_string()
        } else {
            at
        };
        let mut lines = vec![format!(
            "    {at}  {what}  {}",
            self.secrets.redact(&a.matcher)
        )];
        let expected = show_value(&a.expected, &self.secrets);
        let actual = a
            .actual
            .as_ref()
            .map_or_else(|| "(none)".to_owned(), |v| show_value(v, &self.secrets));
        let (expected, actual) = if self.color {
            (expected.green().to_string(), actual.red().to_string())
        } else {
            (expected, actual)
        };
        push_labelled(&mut lines, "expected: ", &expected);
        push_labelled(&mut lines, "actual:   ", &actual);
        if let Some(m) = &a.message {
            lines.push(format!("      {}", self.secrets.redact(m)));
        }
        lines
    }

    fn summary_line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.summary.passed, self.summary.failed, self.summary.skipped
        )
    }
}

fn push_labelled(lines: &mut Vec<String>, label: &str, value: &str) {
    let mut it = value.lines();
    let first = it.next().unwrap_or("");
    lines.push(format!("      {label}{first}"));
    let pad = " ".repeat(label.len());
    for l in it {
        lines.push(format!("      {pad}{l}"));
    }
}

/// A value for a failure detail: JSON, pretty-printed when it is a container, each line
/// redacted and then cut when long, so a cut never shows the start of a secret.
pub fn show_value(v: &Value, secrets: &Secrets) -> String {
    let text = match v {
        Value::Array(a) if !a.is_empty() => serde_json::to_string_pretty(v).unwrap_or_default(),
        Value::Object(o) if !o.is_empty() => serde_json::to_string_pretty(v).unwrap_or_default(),
        _ => v.to_string(),
    };
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| secrets.redact_and_cut(l, MAX_VALUE_CHARS))
        .collect();
    if lines.len() > MAX_VALUE_LINES {
        let more = lines.len() - MAX_VALUE_LINES;
        lines.truncate(MAX_VALUE_LINES);
        lines.push(format!("… ({more} more lines)"));
    }
    lines.join("\n")
}

impl Reporter for ConsoleReporter {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                planned, parallel, ..
            } => {
                self.parallel = *parallel > 1;
                if let Some(bar) = &self.progress {
                    bar.set_length(*planned as u64);
                }
            }
            Event::RequestFinished(r) => {
                self.summary.add(r.outcome);
                if let Some(bar) = &self.progress {
                    bar.inc(1);
                }
                if let Some(x) = &r.exchange {
                    // Earlier lines first: standard output is buffered, standard error not.
                    let _ = self.out.flush();
                    let secrets = Arc::clone(&self.secrets);
                    let text = format!("{}{}", x.request, x.response);
                    let err = &mut self.err;
                    let write = |err: &mut Box<dyn Write + Send>| {
                        let _ = writeln!(err, "{}", secrets.redact(&text));
                    };
                    match &self.progress {
                        Some(bar) => bar.suspend(|| write(err)),
                        None => write(err),
                    }
                }
                let shown = !self.quiet || matches!(r.outcome, Outcome::Failed | Outcome::Error);
                let lines = if shown {
                    self.request_lines(r)
                } else {
                    Vec::new()
                };
                if self.parallel {
                    self.buffers
                        .entry((r.collection_id, r.row))
                        .or_default()
                        .extend(lines);
                } else {
                    self.write_lines(&lines);
                }
            }
            Event::CollectionFinished {
                collection_id, row, ..
            } => {
                if let Some(lines) = self.buffers.remove(&(*collection_id, *row)) {
                    self.write_lines(&lines);
                }
            }
            Event::Notice(text) => {
                let _ = self.out.flush();
                let line = format!("warning: {}", self.secrets.redact(text));
                let err = &mut self.err;
                let _ = writeln!(err, "{line}");
            }
            Event::RunFinished { .. } => {
                if let Some(bar) = self.progress.take() {
                    bar.finish_and_clear();
                }
                let leftovers: Vec<Vec<String>> = self.buffers.drain().map(|(_, v)| v).collect();
                for lines in leftovers {
                    self.write_lines(&lines);
                }
                // Counts and fixed words only: redacting it would turn a secret `pass` into
                // `1 [REDACTED]ed` (docs/secrets.md).
                let last = self.summary_line();
                let _ = writeln!(self.out, "{last}");
            }
            Event::CollectionStarted { .. } | Event::RequestStarted { .. } => {}
        }
    }

    fn on_idle(&mut self) {
        let _ = self.out.flush();
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()?;
        self.err.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::record::fixtures::{collection, failed, result, run};

    const SECRET: &str = "tok-0123456789abcdefghijklmnopqrstuvwxyz";

    /// Every prefix of the secret long enough to mean something (5 characters and more).
    fn shows_part_of_secret(text: &str) -> bool {
        (5..=SECRET.len()).any(|n| text.contains(&SECRET[..n]))
    }

    #[test]
    fn a_value_is_redacted_before_it_is_cut_at_every_offset_around_the_secret() {
        let secrets = Secrets::new();
        secrets.add(SECRET);
        for at in 0..=MAX_VALUE_CHARS + 5 {
            let value = Value::String(format!("{}{SECRET}{}", "x".repeat(at), "y".repeat(400)));
            let shown = show_value(&value, &secrets);
            assert!(!shows_part_of_secret(&shown), "offset {at}: {shown}");
            assert!(shown.contains("more characters)"), "offset {at}: {shown}");
        }
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("not poisoned").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_summary_line_is_courier_s_own_words_and_never_redacted() {
        let secrets = Secrets::new();
        // A short secret that is also a word of the summary line (the user is warned about it).
        secrets.add("pass");
        secrets.add(SECRET);
        let out = Shared::default();
        let mut console = ConsoleReporter::new(
            Box::new(out.clone()),
            Box::new(std::io::sink()),
            false,
            false,
            Arc::clone(&secrets),
        );
        let c = collection("c.yaml", "C", &["pass it on", "b"]);
        let mut bad = failed(&c, 0, 1);
        bad.assertions[1].actual = Some(Value::String(format!("{SECRET} pass")));
        for e in run(vec![result(&c, 0, 0), bad]) {
            console.on_event(&e);
        }
        console.finish().expect("flushed");
        let text = String::from_utf8(out.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        assert!(text.ends_with("1 passed, 1 failed, 0 skipped\n"), "{text}");
        // Data is still redacted: the request's name and the value.
        assert!(text.contains("C / [REDACTED] it on"), "{text}");
        assert!(text.contains("\"[REDACTED] [REDACTED]\""), "{text}");
        assert!(!text.contains(SECRET), "{text}");
    }

    #[test]
    fn a_secret_that_is_one_of_courier_s_words_leaves_request_lines_whole() {
        let secrets = Secrets::new();
        // Words of Courier's own request lines, each also a secret here.
        for word in ["FAIL", "SKIP", "expected", "actual", "skipped", "error"] {
            secrets.add(word);
        }
        secrets.add(SECRET);
        let out = Shared::default();
        let mut console = ConsoleReporter::new(
            Box::new(out.clone()),
            Box::new(std::io::sink()),
            false,
            false,
            Arc::clone(&secrets),
        );
        let c = collection("c.yaml", "C", &["read the expected vendor", "b", "c"]);
        let mut bad = failed(&c, 0, 0);
        bad.assertions[1].actual = Some(Value::String(format!("{SECRET} actual")));
        bad.assertions[1].message = Some(format!("see {SECRET}"));
        let mut skip = crate::record::fixtures::skipped(&c, 0, 1);
        skip.skip_reason = Some(format!("captured {SECRET} was never made"));
        let mut err = crate::record::fixtures::errored(&c, 0, 2);
        err.error = Some(format!("error from {SECRET}"));
        for e in run(vec![bad, skip, err]) {
            console.on_event(&e);
        }
        console.finish().expect("flushed");
        let text = String::from_utf8(out.0.lock().expect("not poisoned").clone()).expect("UTF-8");
        assert!(
            text.contains("FAIL C / read the [REDACTED] vendor  200  12 ms\n"),
            "{text}"
        );
        assert!(text.contains("      expected: \"V-0001\"\n"), "{text}");
        assert!(
            text.contains("      actual:   \"[REDACTED] [REDACTED]\"\n"),
            "{text}"
        );
        assert!(text.contains("      see [REDACTED]\n"), "{text}");
        assert!(
            text.contains("SKIP C / b  skipped: captured [REDACTED] was never made\n"),
            "{text}"
        );
        assert!(
            text.contains("FAIL C / c  error: [REDACTED] from [REDACTED]"),
            "{text}"
        );
        assert!(!text.contains(SECRET), "{text}");
    }
}
