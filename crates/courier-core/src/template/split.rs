//! Reading a template's text before anything is compiled: whether it has template syntax at
//! all, whether it is one lone `{{ expr }}`, and its text and `{{ … }}` pieces.

use super::{TemplateError, char_index};

/// Whether `source` holds `{{`, `{%` or `{#`: one pass over the text, where three searches
/// for each pair cost more than the rest of compiling a literal (most strings of a file).
pub(super) fn has_template_syntax(source: &str) -> bool {
    let bytes = source.as_bytes();
    let mut from = 0;
    while let Some(at) = bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| *b == b'{'))
    {
        let at = from + at;
        if matches!(bytes.get(at + 1), Some(b'{' | b'%' | b'#')) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// `{{ expr }}` and nothing else (no other tags, no text outside).
pub(super) fn lone_expression(source: &str) -> Option<&str> {
    let inner = source.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") || inner.contains("{#")
    {
        return None;
    }
    if inner.starts_with('-') || inner.ends_with('-') {
        return None;
    }
    Some(inner)
}

pub(super) enum Piece<'a> {
    Text(String),
    Expr { text: &'a str, offset: usize },
}

/// Splits `a {{ x }} b` into text and expression pieces, honouring quotes inside expressions
/// and the `{{-` / `-}}` whitespace controls. Offsets are in characters.
pub(super) fn split(source: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut rest = source;
    let mut consumed = 0usize; // bytes of `source` before `rest`
    while let Some(open) = rest.find("{{") {
        text.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let (trim_left, body_start) = if after.starts_with('-') {
            (true, 1)
        } else {
            (false, 0)
        };
        let body = &after[body_start..];
        let Some(close) = find_close(body) else {
            return Err(TemplateError {
                message: "unterminated `{{`: add the closing `}}`".to_owned(),
                range: Some((
                    char_index(source, consumed + open),
                    char_index(source, source.len()),
                )),
            });
        };
        let (expr_text, trim_right) = match body[..close].strip_suffix('-') {
            Some(e) => (e, true),
            None => (&body[..close], false),
        };
        if trim_left {
            let kept = text.trim_end().len();
            text.truncate(kept);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
        }
        let expr_byte = consumed + open + 2 + body_start;
        pieces.push(Piece::Expr {
            text: expr_text,
            offset: char_index(source, expr_byte),
        });
        let next = open + 2 + body_start + close + 2;
        consumed += next;
        rest = &rest[next..];
        if trim_right {
            let trimmed = rest.trim_start();
            consumed += rest.len() - trimmed.len();
            rest = trimmed;
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The character ranges of each `{{ … }}` of `source`, braces included, in order; `None` when
/// a `{{` is not closed. What a templated JSONPath key substitutes placeholders into.
pub fn expression_ranges(source: &str) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = source[from..].find("{{") {
        let start = from + open;
        let close = find_close(&source[start + 2..])?;
        let end = start + 2 + close + 2;
        out.push((char_index(source, start), char_index(source, end)));
        from = end;
    }
    Some(out)
}

/// The byte index of the `}}` that closes an expression, outside string literals.
fn find_close(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => {
                if b == b'"' || b == b'\'' {
                    quote = Some(b);
                } else if b == b'}' && bytes.get(i + 1) == Some(&b'}') {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}
