//! Secrets: the [`Secret`] newtype that never prints its value, and the [`Secrets`] set that
//! every reporter runs its text through as a last line of defence (SPEC §3).
//!
//! A secret is hidden in every form it is likely to travel in: plain, percent- and
//! form-encoded, JSON-escaped, and Base64 (standard and URL-safe) at any byte offset — a
//! secret inside a Basic `Authorization` header is Base64 of `user:secret`, so its encoding
//! depends on where it starts. For Base64 we search for the characters that depend on the
//! secret's bytes alone, for each of the three alignments.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a secret shows as.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not searched for in text: a two-letter value would redact
/// half of every line. `validate` warns about them.
pub const MIN_SECRET_LEN: usize = 4;

/// Characters percent-encoded by the `urlencode` filter and form bodies: all but RFC 3986's
/// unreserved set.
pub const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A secret value: `Debug` and `Display` print `[REDACTED]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The set of secret values known to a run, shared by everything that prints or writes.
/// Values are added as they become known (a token is issued, `env()` is called).
#[derive(Default)]
pub struct Secrets {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    values: Vec<String>,
    matcher: Option<Arc<AhoCorasick>>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.inner.read().map_or(0, |i| i.values.len());
        write!(f, "Secrets({n} values)")
    }
}

impl Secrets {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Adds a value; short or already-known values are ignored.
    pub fn add(&self, value: &str) {
        if value.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        if inner.values.iter().any(|v| v == value) {
            return;
        }
        inner.values.push(value.to_owned());
        let patterns: Vec<String> = inner.values.iter().flat_map(|v| forms(v)).collect();
        inner.matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok()
            .map(Arc::new);
    }

    pub fn is_empty(&self) -> bool {
        self.inner.read().map_or(true, |i| i.values.is_empty())
    }

    /// Whether `value` is one of the secrets (exactly).
    pub fn contains(&self, value: &str) -> bool {
        self.inner
            .read()
            .is_ok_and(|i| i.values.iter().any(|v| v == value))
    }

    /// `text` with every form of every secret replaced by `[REDACTED]`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let matcher = match self.inner.read() {
            Ok(inner) => inner.matcher.clone(),
            Err(_) => None,
        };
        let Some(matcher) = matcher else {
            return Cow::Borrowed(text);
        };
        if !matcher.is_match(text) {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in matcher.find_iter(text) {
            out.push_str(&text[last..m.start()]);
            out.push_str(REDACTED);
            last = m.end();
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// Redacts every string inside a JSON value (keys included).
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        if self.is_empty() {
            return;
        }
        match value {
            serde_json::Value::String(s) => {
                if let Cow::Owned(r) = self.redact(s) {
                    *s = r;
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    self.redact_json(&mut v);
                    map.insert(self.redact(&k).into_owned(), v);
                }
            }
            _ => {}
        }
    }
}

/// Some encoders leave `/`, `:` and `@` alone in paths and queries.
const LOOSE: &AsciiSet = &COMPONENT.remove(b'/').remove(b':').remove(b'@');

/// The encodings of one secret that are searched for.
fn forms(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    let pct = utf8_percent_encode(secret, COMPONENT).to_string();
    out.push(pct.clone());
    out.push(pct.to_lowercase_hex());
    out.push(pct.replace("%20", "+"));
    out.push(utf8_percent_encode(secret, LOOSE).to_string());
    if let Ok(json) = serde_json::to_string(secret) {
        out.push(json[1..json.len() - 1].to_owned());
    }
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
    out.retain(|p| p.len() >= MIN_SECRET_LEN);
    out.sort();
    out.dedup();
    out
}

trait LowerHex {
    fn to_lowercase_hex(&self) -> String;
}

impl LowerHex for String {
    /// `%2F` → `%2f`: some encoders write lowercase hex digits.
    fn to_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut chars = self.chars();
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};

    const S: &str = "s3cr3t/v@lue+with spaces\"q";

    fn redacted(text: &str) -> String {
        let secrets = Secrets::new();
        secrets.add(S);
        secrets.redact(text).into_owned()
    }

    #[test]
    fn plain_and_encoded_forms_are_hidden() {
        let pct = utf8_percent_encode(S, COMPONENT).to_string();
        let json = serde_json::to_string(S).unwrap();
        for text in [
            format!("token={S}"),
            format!("q={pct}&x=1"),
            format!("q={}", pct.replace("%20", "+")),
            format!("{{\"v\":{json}}}"),
        ] {
            let out = redacted(&text);
            assert!(out.contains(REDACTED), "{text} -> {out}");
            assert!(!out.contains(S), "{out}");
            assert!(!out.contains(&pct), "{out}");
        }
    }

    #[test]
    fn base64_at_every_offset_is_hidden() {
        for prefix in ["", "u:", "us:", "use:"] {
            for engine in [&STANDARD, &URL_SAFE] {
                let encoded = engine.encode(format!("{prefix}{S}"));
                let out = redacted(&format!("Authorization: Basic {encoded}"));
                assert!(out.contains(REDACTED), "{prefix}: {out}");
                // What is left must not decode back to the secret.
                assert!(!out.contains(&encoded), "{out}");
            }
        }
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "[REDACTED] [REDACTED]");
    }

    #[test]
    fn short_values_are_not_searched() {
        let secrets = Secrets::new();
        secrets.add("ab");
        assert_eq!(secrets.redact("abcabc"), "abcabc");
    }
}
