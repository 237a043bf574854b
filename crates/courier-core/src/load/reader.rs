//! Helpers that read the positioned YAML tree into the model with precise errors: a map
//! reader that knows the keys it was asked for (so unknown keys get did-you-mean suggestions),
//! and readers for scalars, durations, templates and JSONPaths that report where they failed.
//! Errors are collected, not returned: one file reports all of its problems at once.

use std::sync::Arc;
use std::time::Duration;

use crate::diag::{Diagnostic, SourceFile, Span, Spanned, did_you_mean};
use crate::jsonpath::JsonPath;
use crate::model::{PathExpr, STemplate, TemplateValue};
use crate::template::Template;
use crate::yaml::{Key, Node, Value};

/// The file being read and the errors found so far.
pub(crate) struct Cx<'a> {
    pub(crate) file: &'a Arc<SourceFile>,
    pub(crate) diags: Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(file: &'a Arc<SourceFile>) -> Self {
        Self {
            file,
            diags: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::at(message, self.file, span));
    }

    pub(crate) fn error_help(
        &mut self,
        span: Span,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.diags
            .push(Diagnostic::at(message, self.file, span).with_help(help));
    }

    /// The span of a scalar's content: see [`crate::diag::SourceFile::content_span`].
    pub(crate) fn content_span(&self, span: Span) -> Span {
        self.file.content_span(span)
    }
}

/// Reads a map, remembering the keys asked for; [`MapReader::finish`] reports the others.
pub(crate) struct MapReader<'n> {
    entries: &'n [(Key<'n>, Node<'n>)],
    pub(crate) span: Span,
    what: &'static str,
    /// The keys asked for, in order (with repeats): only read when a key is unknown.
    known: Vec<&'static str>,
    /// Which of the first 128 entries a `get` found, so `finish` need not compare strings
    /// for the keys that were read (most of them).
    used: u128,
    hide_lines: bool,
}

impl<'n> MapReader<'n> {
    /// `None` (with an error) when the node is not a map.
    pub(crate) fn new(node: &'n Node<'n>, what: &'static str, cx: &mut Cx<'_>) -> Option<Self> {
        if let Value::Map(entries) = &node.value {
            Some(Self {
                entries,
                span: node.span,
                what,
                known: Vec::with_capacity(32),
                used: 0,
                hide_lines: false,
            })
        } else {
            cx.error(
                node.span,
                format!("expected {what} to be a map, found {}", node.type_name()),
            );
            None
        }
    }

    /// The value under `key`, if present. Every key asked for counts as known.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'n Node<'n>> {
        self.known.push(key);
        let at = self.entries.iter().position(|(k, _)| k.value == key)?;
        if at < 128 {
            self.used |= 1 << at;
        }
        Some(&self.entries[at].1)
    }

    /// The span of `key` itself, if present.
    pub(crate) fn key_span(&self, key: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.value == key)
            .map(|(k, _)| k.span)
    }

    /// Like [`MapReader::get`], with an error when the key is missing.
    pub(crate) fn required(&mut self, key: &'static str, cx: &mut Cx<'_>) -> Option<&'n Node<'n>> {
        let node = self.get(key);
        if node.is_none() {
            cx.error(
                self.span,
                format!("{} is missing the required key `{key}`", self.what),
            );
        }
        node
    }

    /// Reports every key that was never asked for, with a suggestion.
    pub(crate) fn finish(mut self, cx: &mut Cx<'_>) {
        let mut deduped = false;
        for (at, (key, _)) in self.entries.iter().enumerate() {
            if (at < 128 && self.used & (1 << at) != 0) || self.known.contains(&&*key.value) {
                continue;
            }
            if !deduped {
                let mut seen = Vec::with_capacity(self.known.len());
                self.known.retain(|k| {
                    let first = !seen.contains(k);
                    seen.push(*k);
                    first
                });
                deduped = true;
            }
            let message = match did_you_mean(&key.value, self.known.iter().copied()) {
                Some(s) => format!(
                    "unknown key `{}` in {}, did you mean `{s}`?",
                    key.value, self.what
                ),
                None => format!("unknown key `{}` in {}", key.value, self.what),
            };
            let help = format!("the keys of {} are: {}", self.what, self.known.join(", "));
            if self.hide_lines {
                // The location alone: the line may hold a credential (see `hiding_lines`).
                let file = SourceFile::new(cx.file.path(), "");
                cx.diags
                    .push(Diagnostic::at(message, &file, key.span).with_help(help));
            } else {
                cx.error_help(key.span, message, help);
            }
        }
    }

    /// Unknown keys are reported without their line: in an auth profile a misspelt key's value
    /// is likely a credential (a literal `pasword: …`), which must not reach a CI log.
    pub(crate) fn hiding_lines(mut self) -> Self {
        self.hide_lines = true;
        self
    }
}

/// A map of user-chosen keys (headers, variables, JSONPaths) with their value nodes.
pub(crate) fn entries<'n>(
    node: &'n Node<'n>,
    what: &str,
    cx: &mut Cx<'_>,
) -> &'n [(Key<'n>, Node<'n>)] {
    match &node.value {
        Value::Map(entries) => entries,
        Value::Null => &[],
        _ => {
            cx.error(
                node.span,
                format!("expected {what} to be a map, found {}", node.type_name()),
            );
            &[]
        }
    }
}

/// A list; a null node is an empty list.
pub(crate) fn list<'n>(node: &'n Node<'n>, what: &str, cx: &mut Cx<'_>) -> &'n [Node<'n>] {
    match &node.value {
        Value::Seq(items) => items,
        Value::Null => &[],
        _ => {
            cx.error(
                node.span,
                format!("expected {what} to be a list, found {}", node.type_name()),
            );
            &[]
        }
    }
}

/// A string; other scalars (numbers, booleans) are taken as their text.
pub(crate) fn text(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<Spanned<String>> {
    match &node.value {
        Value::Null | Value::Seq(_) | Value::Map(_) => {
            cx.error(
                node.span,
                format!("expected {what} to be a string, found {}", node.type_name()),
            );
            None
        }
        _ => node.scalar_text().map(|t| Spanned::new(t, node.span)),
    }
}

/// A non-empty string.
pub(crate) fn nonempty_text(
    node: &Node<'_>,
    what: &str,
    cx: &mut Cx<'_>,
) -> Option<Spanned<String>> {
    let t = text(node, what, cx)?;
    if t.value.trim().is_empty() {
        cx.error(node.span, format!("{what} must not be empty"));
        return None;
    }
    Some(t)
}

pub(crate) fn boolean(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<bool> {
    if let Value::Bool(b) = node.value {
        Some(b)
    } else {
        cx.error_help(
            node.span,
            format!(
                "expected {what} to be a boolean, found {}",
                node.type_name()
            ),
            "write `true` or `false` (without quotes)",
        );
        None
    }
}

/// A non-negative integer no larger than `max`.
pub(crate) fn integer(node: &Node<'_>, what: &str, max: u64, cx: &mut Cx<'_>) -> Option<u64> {
    match node.value {
        Value::Int(i) if i >= 0 && i.unsigned_abs() <= max => Some(i.unsigned_abs()),
        Value::Int(i) => {
            cx.error(
                node.span,
                format!("{what} must be between 0 and {max}, found {i}"),
            );
            None
        }
        _ => {
            cx.error(
                node.span,
                format!(
                    "expected {what} to be a whole number, found {}",
                    node.type_name()
                ),
            );
            None
        }
    }
}

/// A number (integer or float).
pub(crate) fn number(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<f64> {
    match node.value {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) if f.is_finite() => Some(f),
        _ => {
            cx.error(
                node.span,
                format!("expected {what} to be a number, found {}", node.type_name()),
            );
            None
        }
    }
}

/// `250ms`, `30s`, `1.5s`, `2m`, `1h`: the one duration grammar of `courier-units`, with its
/// messages as text.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    courier_units::parse_duration(text).map_err(|error| error.to_string())
}

pub(crate) fn duration(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<Spanned<Duration>> {
    let Some(text) = node.as_str() else {
        let hint = match node.value {
            Value::Int(i) => format!("write `{i}ms` or `{i}s`"),
            _ => "write a number and a unit, like `250ms`, `30s` or `2m`".to_owned(),
        };
        cx.error_help(
            node.span,
            format!(
                "expected {what} to be a duration, found {}",
                node.type_name()
            ),
            hint,
        );
        return None;
    };
    match parse_duration(text) {
        Ok(d) => Some(Spanned::new(d, node.span)),
        Err(e) => {
            cx.error(node.span, format!("bad {what}: {e}"));
            None
        }
    }
}

/// A scalar compiled as a template.
pub(crate) fn template(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<STemplate> {
    // A string is compiled where it is, not from a copy of it (most templates of a file).
    if let Value::String(source) = &node.value {
        return compile_template(source, node, cx);
    }
    let source = text(node, what, cx)?;
    compile_template(&source.value, node, cx)
}

pub(crate) fn compile_template(
    source: &str,
    node: &Node<'_>,
    cx: &mut Cx<'_>,
) -> Option<STemplate> {
    match Template::compile(source) {
        Ok(t) => Some(Spanned::new(t, node.span)),
        Err(e) => {
            let content = cx.content_span(node.span);
            let span = e
                .range
                .map_or(content, |(a, b)| content.sub(a, b.max(a + 1)));
            cx.error(span, format!("bad template: {}", e.message));
            None
        }
    }
}

/// Any YAML value as a template tree.
pub(crate) fn template_value(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<TemplateValue> {
    Some(match &node.value {
        Value::Null => TemplateValue::Null,
        Value::Bool(b) => TemplateValue::Bool(*b),
        Value::Int(i) => TemplateValue::Number((*i).into()),
        Value::Float(f) => {
            if let Some(n) = serde_json::Number::from_f64(*f) {
                TemplateValue::Number(n)
            } else {
                cx.error(node.span, "JSON has no NaN or infinity");
                return None;
            }
        }
        Value::String(s) => TemplateValue::String(compile_template(s, node, cx)?),
        Value::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut ok = true;
            for item in items {
                match template_value(item, cx) {
                    Some(v) => out.push(v),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            TemplateValue::Array(out)
        }
        Value::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            let mut ok = true;
            for (k, v) in entries {
                match template_value(v, cx) {
                    Some(v) => out.push((k.value.to_string(), v)),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
            TemplateValue::Object(out)
        }
    })
}

/// Where the caret of a bad JSONPath goes: on the character at fault, or under the whole path
/// when the fault is its end (an unfinished path); never past the path's own text.
fn fault_span(content: Span, path: &str, offset: Option<usize>) -> Span {
    let len = path.chars().count();
    match offset {
        Some(o) if o < len => content.sub(o, o + 1),
        _ => content.sub(0, len),
    }
}

/// A JSONPath compiled from a string (a value or a key).
pub(crate) fn jsonpath(
    text: &Spanned<impl AsRef<str>>,
    cx: &mut Cx<'_>,
) -> Option<Spanned<JsonPath>> {
    let (source, span) = (text.value.as_ref(), text.span);
    match JsonPath::compile(source) {
        Ok(p) => Some(Spanned::new(p, span)),
        Err(e) => {
            let span = fault_span(cx.content_span(span), source, e.offset);
            cx.error_help(
                span,
                format!("bad JSONPath `{}`: {}", source, e.message),
                "JSONPath is RFC 9535: `$['ia::result'].name`, `$.items[0]`, `$..id`",
            );
            None
        }
    }
}

/// A JSONPath of a check, capture, snapshot or schema: templated when it holds `{{`
/// (docs/collections-language.md#templated-jsonpath-keys), else compiled now.
pub(crate) fn path_expr(
    text: &Spanned<impl AsRef<str>>,
    cx: &mut Cx<'_>,
) -> Option<Spanned<PathExpr>> {
    let (source, span) = (text.value.as_ref(), text.span);
    if !source.contains("{{") {
        return jsonpath(text, cx).map(|p| Spanned::new(PathExpr::Fixed(p.value), p.span));
    }
    let content = cx.content_span(span);
    let template = match Template::compile(source) {
        Ok(t) => t,
        Err(e) => {
            let span = e
                .range
                .map_or(content, |(a, b)| content.sub(a, b.max(a + 1)));
            cx.error(span, format!("bad template: {}", e.message));
            return None;
        }
    };
    if let Err(e) = crate::path_expr::check_templated(source) {
        let span = fault_span(content, source, e.offset);
        cx.error_help(
            span,
            format!("bad JSONPath `{}`: {}", source, e.message),
            "a `{{ … }}` in a JSONPath stands for a name, an index, a number or text inside quotes: `$['{{ id }}']`, `$.items[{{ i }}]`",
        );
        return None;
    }
    Some(Spanned::new(
        PathExpr::Templated(Spanned::new(template, span)),
        span,
    ))
}

pub(crate) fn path_expr_node(
    node: &Node<'_>,
    what: &str,
    cx: &mut Cx<'_>,
) -> Option<Spanned<PathExpr>> {
    let t = text(node, what, cx)?;
    path_expr(&t, cx)
}

pub(crate) fn jsonpath_node(
    node: &Node<'_>,
    what: &str,
    cx: &mut Cx<'_>,
) -> Option<Spanned<JsonPath>> {
    let t = text(node, what, cx)?;
    jsonpath(&t, cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_mins(2)));
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("3 fortnights")
                .unwrap_err()
                .contains("not a duration unit")
        );
        assert!(parse_duration("fast").is_err());
    }
}
