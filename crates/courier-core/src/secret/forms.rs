//! The encodings of one secret that the redactor searches for: what the secret looks like after
//! the serializers a request or a response is likely to pass it through (see
//! docs/secrets.md for the list and why each is there).

use std::fmt::Write as _;

use base64::Engine as _;
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{COMPONENT, MIN_SECRET_LEN};

/// Some encoders leave `/`, `:` and `@` alone in paths and queries.
const LOOSE: &AsciiSet = &COMPONENT.remove(b'/').remove(b':').remove(b'@');

/// JavaScript's `encodeURIComponent`: also leaves `!*'()` alone.
const URI_COMPONENT: &AsciiSet = &COMPONENT
    .remove(b'!')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `application/x-www-form-urlencoded` as browsers and the `url` crate write it: only
/// `*-._` and alphanumerics are left alone (a space becomes `+`, `~` is escaped).
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// A whole-URL serializer (JavaScript's `encodeURI`): RFC 3986's reserved characters
/// (`:/?#[]@!$&'()*+,;=`) are left as they are, everything else but the unreserved set is
/// escaped. `hunter 2+x` becomes `hunter%202+x`.
const RESERVED_KEPT: &AsciiSet = &URI_COMPONENT
    .remove(b':')
    .remove(b'/')
    .remove(b'?')
    .remove(b'#')
    .remove(b'[')
    .remove(b']')
    .remove(b'@')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');

/// The WHATWG URL query set (what the `url` crate, and so Courier itself, writes in a query).
const URL_QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'\'');

/// The WHATWG URL path set.
const URL_PATH: &AsciiSet = &URL_QUERY
    .remove(b'\'')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// The WHATWG URL userinfo set (a secret in `https://user:secret@host`).
const URL_USERINFO: &AsciiSet = &URL_PATH
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');

/// Every form of `secret` that is worth searching for, without repeats and without forms
/// shorter than [`MIN_SECRET_LEN`] bytes.
pub(super) fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    url_forms(secret, &mut out);
    json_forms(secret, &mut out);
    base64_forms(secret, &mut out);
    out.retain(|p| p.len() >= MIN_SECRET_LEN);
    out.sort();
    out.dedup();
    out
}

/// Percent-encodings: the component, loose, form, `encodeURIComponent`, `encodeURI` and
/// WHATWG sets, each with `%20` and with `+` for a space, and with upper- and lowercase hex.
fn url_forms(secret: &str, out: &mut Vec<String>) {
    for set in [
        COMPONENT,
        LOOSE,
        URI_COMPONENT,
        FORM,
        RESERVED_KEPT,
        URL_QUERY,
        URL_PATH,
        URL_USERINFO,
    ] {
        let pct = utf8_percent_encode(secret, set).to_string();
        if pct == secret {
            continue;
        }
        let plus = pct.replace("%20", "+");
        for form in [pct, plus] {
            let lower = lowercase_hex(&form);
            if lower != form {
                out.push(lower);
            }
            out.push(form);
        }
    }
}

/// How a JSON encoder may write one character.
#[derive(Clone, Copy)]
struct JsonStyle {
    /// `\/` for `/` (PHP's default).
    solidus: bool,
    /// `\u00e4` for every non-ASCII character (Python's `ensure_ascii`, PHP's default).
    non_ascii: bool,
    /// `\u003c` for `<`, `>`, `&` and `'` (Go's HTML-safe default, PHP's `JSON_HEX_*`).
    html: bool,
    /// `\uXXXX` for every character.
    all: bool,
    upper: bool,
}

/// The JSON string forms: serde_json's own, and the escapes that other encoders choose.
fn json_forms(secret: &str, out: &mut Vec<String>) {
    let mut styles = Vec::new();
    for upper in [false, true] {
        for solidus in [false, true] {
            for non_ascii in [false, true] {
                for html in [false, true] {
                    styles.push(JsonStyle {
                        solidus,
                        non_ascii,
                        html,
                        all: false,
                        upper,
                    });
                }
            }
        }
        styles.push(JsonStyle {
            solidus: false,
            non_ascii: false,
            html: false,
            all: true,
            upper,
        });
    }
    for style in styles {
        out.push(json_escape(secret, style));
    }
}

fn json_escape(secret: &str, style: JsonStyle) -> String {
    let mut out = String::with_capacity(secret.len() + 8);
    let mut units = [0u16; 2];
    for c in secret.chars() {
        let escape_u = style.all
            || (style.non_ascii && !c.is_ascii())
            || (style.html && matches!(c, '<' | '>' | '&' | '\''))
            || (c < ' ' && !matches!(c, '\n' | '\r' | '\t' | '\u{8}' | '\u{c}'));
        if escape_u {
            for unit in c.encode_utf16(&mut units).iter() {
                if style.upper {
                    let _ = write!(out, "\\u{unit:04X}");
                } else {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if style.solidus => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c => out.push(c),
        }
    }
    out
}

/// Base64 (standard and URL-safe) at every byte offset: a secret inside a Basic
/// `Authorization` header is Base64 of `user:secret`, so its encoding depends on where it
/// starts. The characters that depend on the secret's bytes alone are searched for, for each
/// of the three alignments.
fn base64_forms(secret: &str, out: &mut Vec<String>) {
    let bytes = secret.as_bytes();
    for engine in [
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ] {
        for k in 0..3usize {
            let mut buf = vec![0u8; k];
            buf.extend_from_slice(bytes);
            let encoded = engine.encode(&buf);
            let start = (8 * k).div_ceil(6);
            let end = (8 * (k + bytes.len())) / 6;
            if end > start && end - start >= MIN_SECRET_LEN {
                out.push(encoded[start..end].to_owned());
            }
        }
    }
}

/// `%2F` → `%2f`: some encoders write lowercase hex digits.
fn lowercase_hex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
    }
    out
}
