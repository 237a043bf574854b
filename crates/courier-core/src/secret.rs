//! Secrets: the [`Secret`] newtype that never prints its value, and the [`Secrets`] set that
//! every reporter runs the data it prints through (docs/secrets.md).
//!
//! A secret is hidden in every form it is likely to travel in: plain, percent- and
//! form-encoded as the common URL serializers write it, JSON-escaped as the common JSON
//! encoders write it, and Base64 (standard and URL-safe) at any byte offset (the `forms`
//! module). Values are redacted first and cut after ([`Secrets::redact_and_cut`]), so a cut
//! never shows the start of a secret.

mod forms;
mod matcher;

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

pub use matcher::BuildWork;

/// What a secret shows as.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not searched for in text: a two-letter value would redact
/// half of every line.
pub const MIN_SECRET_LEN: usize = 4;

/// Secrets shorter than this are searched for, but adding one gives a [`ShortSecret`]
/// warning: a five-letter value is likely to be an ordinary word of a response too. Rendered
/// values shorter than this are not tainted ([`Secrets::add_rendered`]).
pub const WARN_SECRET_LEN: usize = 6;

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

    /// The value itself, for the places that must send or store it (a header, a token
    /// request, the token cache). Never format it for a person.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
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
/// Values are added as they become known (a token is issued, `env()` is called, a template
/// renders a value from a secret).
///
/// Redaction is for data: values from requests, responses and templates. Courier's own words
/// (summary lines, report keys, messages) are never run through it: redact each value before
/// it is formatted into fixed text, so that a secret `pass` never rewrites `1 passed`.
#[derive(Default)]
pub struct Secrets {
    inner: RwLock<Inner>,
    /// Searches since a secret was last added: at [`PROMOTE_AFTER`] the matchers are rebuilt
    /// for speed (`matcher::Levels::promote`).
    searches: AtomicUsize,
}

/// Searches after which the faster matchers repay their build (about 10,000 instructions
/// saved per search against 12 million for the build of one token's forms): a run of a few
/// hundred requests never builds them, a long one builds them once per new secret.
const PROMOTE_AFTER: usize = 4096;

#[derive(Default)]
struct Inner {
    values: HashSet<Box<str>>,
    levels: matcher::Levels,
    searchers: Vec<matcher::Searcher>,
    /// Values too short to search for, kept so that each warns once.
    too_short: HashSet<Box<str>>,
}

/// The warning for a secret shorter than [`WARN_SECRET_LEN`] characters, given by the call
/// that adds it (once per value: adding it again gives nothing) for the program to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortSecret {
    /// The secret's length in characters (never the secret itself).
    pub chars: usize,
}

impl fmt::Display for ShortSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.chars;
        if n < MIN_SECRET_LEN {
            write!(
                f,
                "a secret is only {n} character{} long: secrets shorter than {MIN_SECRET_LEN} \
                 characters are not hidden in output; use a longer secret",
                if n == 1 { "" } else { "s" }
            )
        } else {
            write!(
                f,
                "a secret is only {n} characters long: it is hidden in output, but so is every \
                 other occurrence of those {n} characters in the data shown; secrets of at \
                 least {WARN_SECRET_LEN} characters avoid this"
            )
        }
    }
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

    /// Adds a value; an already-known value is ignored, and one shorter than
    /// [`MIN_SECRET_LEN`] is not searched for. A new value shorter than [`WARN_SECRET_LEN`]
    /// characters gives a warning for the caller to print, naming where the secret comes from.
    ///
    /// Adding costs a matcher build over this secret's forms plus, now and then, a merge of
    /// earlier ones (the `matcher` module): n adds cost O(n log n), not O(n²).
    pub fn add(&self, value: &str) -> Option<ShortSecret> {
        let chars = value.chars().count();
        if value.is_empty() {
            return None;
        }
        let Ok(mut inner) = self.inner.write() else {
            return None;
        };
        if chars < MIN_SECRET_LEN {
            let new = inner.too_short.insert(value.into());
            return new.then_some(ShortSecret { chars });
        }
        if !inner.values.insert(value.into()) {
            return None;
        }
        let warning = (chars < WARN_SECRET_LEN).then_some(ShortSecret { chars });
        let patterns = forms::forms(value)
            .into_iter()
            .map(matcher::Pattern::new)
            .collect();
        inner.levels.push(patterns);
        inner.searchers = inner.levels.searchers();
        self.searches.store(0, Ordering::Relaxed);
        warning
    }

    /// Counts one search; the one that reaches [`PROMOTE_AFTER`] rebuilds the matchers.
    fn searched(&self) {
        if self.searches.fetch_add(1, Ordering::Relaxed) + 1 != PROMOTE_AFTER {
            return;
        }
        if let Ok(mut inner) = self.inner.write()
            && inner.levels.promote()
        {
            inner.searchers = inner.levels.searchers();
        }
    }

    /// Adds a value rendered from a template that read a secret (a transformed secret:
    /// `{{ key | upper }}`), when it could give the secret away: strings of at least
    /// [`WARN_SECRET_LEN`] characters. Numbers, booleans, null and shorter strings are left
    /// alone (`{{ key | length }}` does not make `12` a secret); arrays and objects have
    /// their strings added.
    pub fn add_rendered(&self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(s) => self.add_rendered_text(s),
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.add_rendered(v)),
            serde_json::Value::Object(map) => map.values().for_each(|v| self.add_rendered(v)),
            _ => {}
        }
    }

    /// [`Secrets::add_rendered`] for rendered text.
    pub fn add_rendered_text(&self, text: &str) {
        if text.chars().count() >= WARN_SECRET_LEN && !is_number_or_bool(text) {
            self.add(text);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.inner.read().map_or(true, |i| i.values.is_empty())
    }

    /// Whether `value` is one of the secrets (exactly).
    pub fn contains(&self, value: &str) -> bool {
        self.inner.read().is_ok_and(|i| i.values.contains(value))
    }

    /// Whether `text` holds any form of any secret.
    pub fn mentions(&self, text: &str) -> bool {
        let found = match self.inner.read() {
            Ok(inner) if !inner.searchers.is_empty() => matcher::any(&inner.searchers, text),
            _ => return false,
        };
        // Counted once the read lock is released: the count may take the write lock.
        self.searched();
        found
    }

    /// The work done so far building matchers (for tests that pin the cost of adding).
    pub fn build_work(&self) -> BuildWork {
        self.inner
            .read()
            .map(|i| i.levels.work())
            .unwrap_or_default()
    }

    /// Data text with every form of every secret replaced by `[REDACTED]`. Overlapping
    /// secrets become one `[REDACTED]`.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let searchers = match self.inner.read() {
            Ok(inner) if !inner.searchers.is_empty() => inner.searchers.clone(),
            _ => return Cow::Borrowed(text),
        };
        self.searched();
        let spans = matcher::spans(&searchers, text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in spans {
            out.push_str(&text[last..start]);
            out.push_str(REDACTED);
            last = end;
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }

    /// Data text redacted, then cut after `max_chars` characters with
    /// `… (N more characters)`; the cut never falls inside a `[REDACTED]`, so no part of a
    /// secret is ever shown, whatever the offset. See [`crate::cut`].
    pub fn redact_and_cut(&self, text: &str, max_chars: usize) -> String {
        crate::cut::chars(&self.redact(text), max_chars).into_owned()
    }

    /// Redacts every string inside a JSON document of data (a response body, a captured
    /// value), keys included: a key of data is data. Not for Courier's own reports, whose keys
    /// are Courier's words: redact their data fields one by one.
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

/// `12`, `-3.5`, `1e9`, `true`, `false`: rendered values that are numbers or booleans.
fn is_number_or_bool(text: &str) -> bool {
    let t = text.trim();
    matches!(t, "true" | "false" | "True" | "False")
        || serde_json::from_str::<serde_json::Number>(t).is_ok()
}

#[cfg(test)]
mod tests;
