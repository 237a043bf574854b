//! Source files, positions and diagnostics: every error a user can make in a file carries the
//! file, a span in it, a message and an optional hint, and renders the way rustc and Hurl do —
//! `file:line:col`, the offending line and a caret under the span.
//!
//! We render ourselves rather than through miette's graphical handler: the output is plain
//! text that golden tests can pin byte for byte, it needs no terminal features, and it is the
//! same with and without colour.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A file that was loaded: its path for display (relative to the working directory, `/`
/// separators), the path to open it again, and its text.
#[derive(Debug)]
pub struct SourceFile {
    display: String,
    path: PathBuf,
    text: String,
    /// Where each line starts (byte offsets), built on first use: finding a line or a column
    /// by walking the text from its start made checks of a large file quadratic.
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Self> {
        let path = path.into();
        Arc::new(Self {
            display: display_path(&path),
            path,
            text: text.into(),
            line_starts: OnceLock::new(),
        })
    }

    /// The path as users see it in every output (docs/cli.md, "Paths in output": relative
    /// to the working directory when below it, `/` separators).
    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text of line `line` (1-based), without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|at| at + 1))
                .collect()
        });
        let index = line.checked_sub(1)?;
        let start = *starts.get(index)?;
        let end = starts
            .get(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        let l = &self.text[start..end];
        Some(l.strip_suffix('\r').unwrap_or(l))
    }

    /// The span of a scalar's content: inside the quotes of a quoted scalar, so that an
    /// offset into the value lands on the right column.
    pub fn content_span(&self, span: Span) -> Span {
        if span.start.line != span.end.line {
            return span;
        }
        let first = self
            .line_text(span.start.line as usize)
            .and_then(|line| line.chars().nth((span.start.col as usize).checked_sub(1)?));
        match first {
            Some('"' | '\'') => span.sub(
                1,
                span.end
                    .offset
                    .saturating_sub(span.start.offset)
                    .saturating_sub(1) as usize,
            ),
            _ => span,
        }
    }
}

/// The path relative to the working directory with `/` separators and no leading `./`, or the
/// path as given when it is not below the working directory.
pub fn display_path(path: &Path) -> String {
    // Asked once: Courier never changes its working directory, and `validate` of 10,000
    // files asked the kernel 20,000 times.
    static CWD: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let cwd = CWD.get_or_init(|| std::env::current_dir().ok());
    let rel = match cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    normalize_lexically(rel)
}

/// Lexical normalisation: `/` separators, no `.` components, `..` folded where it can be.
pub fn normalize_lexically(path: &Path) -> String {
    use std::path::Component;
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for component in path.components() {
        match component {
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::RootDir => absolute = true,
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|p| p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..".to_owned());
                }
            }
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// A position in a file: 1-based line and column (in characters), and the character offset.
/// `u32` rather than `usize`: every loaded value carries two of these, and a collection of
/// 10,000 requests is then a few megabytes smaller; no file Courier reads has four
/// billion characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
    pub offset: u32,
}

impl Pos {
    /// From `usize` counts (saturating: a count past `u32::MAX` stays there).
    pub fn new(line: usize, col: usize, offset: usize) -> Self {
        Self {
            line: narrow(line),
            col: narrow(col),
            offset: narrow(offset),
        }
    }
}

/// A `usize` count as `u32`, saturating.
pub fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A range of a file, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Self {
        Self { start, end }
    }

    pub fn point(pos: Pos) -> Self {
        Self {
            start: pos,
            end: pos,
        }
    }

    /// A sub-span `from..to` characters into this span, when it lies on one line (a template
    /// or JSONPath error inside a scalar); otherwise this span.
    #[must_use]
    pub fn sub(self, from: usize, to: usize) -> Self {
        if self.start.line != self.end.line || from > to {
            return self;
        }
        let width = self.end.offset.saturating_sub(self.start.offset) as usize;
        let from = narrow(from.min(width));
        let to = narrow(to.min(width));
        let at = |n: u32| Pos {
            line: self.start.line,
            col: self.start.col.saturating_add(n),
            offset: self.start.offset.saturating_add(n),
        };
        Self {
            start: at(from),
            end: at(to),
        }
    }
}

/// A value with the span it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl Spanned<std::borrow::Cow<'_, str>> {
    /// The text, owned, with its span: a YAML key kept in the model.
    pub fn to_owned_text(&self) -> Spanned<String> {
        Spanned::new(self.value.to_string(), self.span)
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// Where a diagnostic points: a span of a loaded file.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Location {
    pub fn new(file: &Arc<SourceFile>, span: Span) -> Self {
        Self {
            file: Arc::clone(file),
            span,
        }
    }

    /// `file:line:col`.
    pub fn short(&self) -> String {
        format!(
            "{}:{}:{}",
            self.file.display(),
            self.span.start.line,
            self.span.start.col
        )
    }
}

/// One problem found in a user's input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            location: None,
            help: None,
        }
    }

    pub fn at(message: impl Into<String>, file: &Arc<SourceFile>, span: Span) -> Self {
        Self {
            message: message.into(),
            location: Some(Location::new(file, span)),
            help: None,
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The rustc-style rendering: `error: …`, ` --> file:line:col`, the line and a caret.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", self.message);
        if let Some(loc) = &self.location {
            render_snippet(&mut out, loc);
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{}: {}", loc.short(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Writes ` --> file:line:col`, the source line and a caret line under the span.
pub fn render_snippet(out: &mut String, loc: &Location) {
    let line = loc.span.start.line;
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {}", loc.short());
    if let Some(text) = loc.file.line_text(line as usize) {
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line} | {text}");
        let col = loc.span.start.col.max(1) as usize;
        let end_col = loc.span.end.col as usize;
        let line_len = text.chars().count();
        let width = if loc.span.end.line == line && end_col > col {
            end_col - col
        } else {
            // A multi-line span: underline to the end of the first line.
            line_len.saturating_sub(col - 1).max(1)
        };
        let lead: String = text
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width.max(1)));
    }
}

/// The closest of `candidates` to `word` by edit distance, when close enough to be a typo
/// (Hurl's rule of thumb: at most a third of the word's length).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1) + 1;
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&word.to_lowercase(), c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_span() {
        let file = SourceFile::new("c.yaml", "name: x\nrequests:\n  - nme: y\n");
        let span = Span::new(
            Pos {
                line: 3,
                col: 5,
                offset: 22,
            },
            Pos {
                line: 3,
                col: 8,
                offset: 25,
            },
        );
        let d = Diagnostic::at("unknown key `nme`", &file, span).with_help("did you mean `name`?");
        assert_eq!(
            d.render(),
            "error: unknown key `nme`\n --> c.yaml:3:5\n  |\n3 |   - nme: y\n  |     ^^^\n  = help: did you mean `name`?\n"
        );
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let keys = ["expect", "capture", "snapshot"];
        assert_eq!(did_you_mean("expcet", keys), Some("expect"));
        assert_eq!(did_you_mean("zzzzzz", keys), None);
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(
            normalize_lexically(Path::new("./a/./b/../c.yaml")),
            "a/c.yaml"
        );
        assert_eq!(normalize_lexically(Path::new("../x")), "../x");
    }
}
