//! Targeted extraction: the value a singular query names, read straight from the response
//! bytes without building the rest of the document (on a 100 KB body a full parse is
//! most of the cost of checking `$['ia::result'].name`). The answer is exactly what
//! `serde_json::from_slice` followed by `select` gives, errors included.
//!
//! A UTF-8 body is first read by [`scan`], our own validating scanner: it finds the value's
//! span and serde_json parses only that span. What the scanner cannot vouch for (invalid
//! JSON, surrogate escapes, deep nesting) goes through the serde pass below, so verdicts
//! and error texts are always serde_json's.
//!
//! The serde pass is a chain of [`DeserializeSeed`]s that follows the query's steps and skips
//! everything off the path. Skipping goes through `deserialize_any` rather than serde's
//! `IgnoredAny`: serde_json's `IgnoredAny` fast path checks only the syntax, so it accepts
//! documents a full parse refuses (a number out of range such as `1e400`, a lone surrogate
//! escape, invalid UTF-8 inside a string, nesting beyond serde_json's limit of 128). The
//! benchmark `jsonpath` measures the scanner, a full parse and the `IgnoredAny` reference.
//!
//! Duplicate member names behave as in a full parse: the last one wins. Negative indices need
//! the array's length, which a single forward pass does not know when it reaches the
//! element, so each negative index costs one more serde pass that only counts.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

mod scan;

/// One step of a singular query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Name(String),
    Index(i64),
}

/// A step whose index is known to be non-negative.
#[derive(Debug, Clone, Copy)]
enum Resolved<'s> {
    Name(&'s str),
    Index(usize),
}

/// Reads the value at `steps` from `body` (one JSON document), or `None` when there is none.
pub(super) fn extract(steps: &[Step], body: &[u8]) -> Result<Option<Value>, serde_json::Error> {
    let mut resolved = Vec::with_capacity(steps.len());
    for step in steps {
        match step {
            Step::Name(name) => resolved.push(Resolved::Name(name)),
            Step::Index(index) => {
                if let Ok(index) = usize::try_from(*index) {
                    resolved.push(Resolved::Index(index));
                } else {
                    // A negative index counts from the end: learn the length first.
                    let from_end = index.unsigned_abs();
                    let Some(len) = run(&resolved, Want::Length, body)?.into_length() else {
                        return Ok(None);
                    };
                    let Some(index) = usize::try_from(from_end)
                        .ok()
                        .and_then(|from_end| len.checked_sub(from_end))
                    else {
                        return Ok(None);
                    };
                    resolved.push(Resolved::Index(index));
                }
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(body)
        && let Ok(span) = scan::locate(&resolved, text)
    {
        let Some(span) = span else { return Ok(None) };
        // The scanner validated the whole document, so this parse of the span alone succeeds;
        // were it ever to fail, the full pass below decides.
        if let Ok(value) = serde_json::from_str(&text[span]) {
            return Ok(Some(value));
        }
    }
    Ok(run(&resolved, Want::Value, body)?.into_value())
}

/// What a pass reads at the end of its steps.
#[derive(Debug, Clone, Copy)]
enum Want {
    Value,
    Length,
}

#[derive(Debug, Default)]
enum Found {
    #[default]
    Nothing,
    Value(Value),
    Length(usize),
}

impl Found {
    fn into_value(self) -> Option<Value> {
        match self {
            Found::Value(value) => Some(value),
            Found::Nothing | Found::Length(_) => None,
        }
    }

    fn into_length(self) -> Option<usize> {
        match self {
            Found::Length(len) => Some(len),
            Found::Nothing | Found::Value(_) => None,
        }
    }
}

/// One validating pass over the whole document.
fn run(steps: &[Resolved<'_>], want: Want, body: &[u8]) -> Result<Found, serde_json::Error> {
    // A body that is UTF-8 throughout is read as text, so that serde_json does not check the
    // UTF-8 of each string again: one check of the whole body costs far less than one per
    // string (a quarter of this pass on a 100 KB body). A body that is not UTF-8 cannot be
    // JSON; the byte reader finds and reports the same error a full parse does.
    let target = Target { steps, want };
    match std::str::from_utf8(body) {
        Ok(text) => pass(target, serde_json::Deserializer::from_str(text)),
        Err(_) => pass(target, serde_json::Deserializer::from_slice(body)),
    }
}

/// One pass of `target` over a whole document.
fn pass<'de, R: serde_json::de::Read<'de>>(
    target: Target<'_, '_>,
    mut deserializer: serde_json::Deserializer<R>,
) -> Result<Found, serde_json::Error> {
    let found = target.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(found)
}

/// The seed for the value at `steps` below the current position.
#[derive(Debug, Clone, Copy)]
struct Target<'s, 'p> {
    steps: &'p [Resolved<'s>],
    want: Want,
}

impl<'de> DeserializeSeed<'de> for Target<'_, '_> {
    type Value = Found;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Found, D::Error> {
        match (self.steps.split_first(), self.want) {
            (None, Want::Value) => Value::deserialize(deserializer).map(Found::Value),
            (None, Want::Length) => deserializer.deserialize_any(LengthVisitor),
            (Some((step, rest)), want) => deserializer.deserialize_any(StepVisitor {
                step: *step,
                rest: Target { steps: rest, want },
            }),
        }
    }
}

/// Looks for one step in the current container; anything else found here is skipped.
struct StepVisitor<'s, 'p> {
    step: Resolved<'s>,
    rest: Target<'s, 'p>,
}

impl<'de> Visitor<'de> for StepVisitor<'_, '_> {
    type Value = Found;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut found = Found::Nothing;
        match self.step {
            Resolved::Name(name) => {
                while let Some(matches) = map.next_key_seed(KeyIs(name))? {
                    if matches {
                        // Later duplicates replace earlier ones, as in a full parse.
                        found = map.next_value_seed(self.rest)?;
                    } else {
                        map.next_value::<Skip>()?;
                    }
                }
            }
            Resolved::Index(_) => while map.next_entry::<Skip, Skip>()?.is_some() {},
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        let mut found = Found::Nothing;
        match self.step {
            Resolved::Index(wanted) => {
                let mut index = 0usize;
                loop {
                    if index == wanted {
                        match seq.next_element_seed(self.rest)? {
                            Some(value) => found = value,
                            None => break,
                        }
                    } else if seq.next_element::<Skip>()?.is_none() {
                        break;
                    }
                    index = index.saturating_add(1);
                }
            }
            Resolved::Name(_) => while seq.next_element::<Skip>()?.is_some() {},
        }
        Ok(found)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
}

/// Counts the elements of an array; anything else is skipped.
struct LengthVisitor;

impl<'de> Visitor<'de> for LengthVisitor {
    type Value = Found;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Found, A::Error> {
        let mut len = 0usize;
        while seq.next_element::<Skip>()?.is_some() {
            len = len.saturating_add(1);
        }
        Ok(Found::Length(len))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Found::Nothing)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Found, E> {
        Ok(Found::Nothing)
    }
}

/// Compares a member name with the wanted one without allocating (serde_json hands over
/// unescaped names borrowed from the input).
#[derive(Clone, Copy)]
struct KeyIs<'s>(&'s str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
}

/// Skips one value while validating it exactly as deserializing a `Value` would.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Skip, D::Error> {
        deserializer.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Skip, E> {
        Ok(Skip)
    }
}
