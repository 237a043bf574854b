//! A parser of our own for the queries collections are mostly made of — `$`, then `.name`,
//! `['name']`, `["name"]` and `[index]` segments, such as `$['ia::result'].lines[0].id` —
//! giving the engine's own query tree. The engine's parser (a PEG) spent about 45,000
//! instructions on each such query: with a dozen distinct queries, a fifth of `courier
//! validate` of one file (docs/performance.md#start-up).
//!
//! It answers only when it is sure: ASCII names, no whitespace, no escapes, indices the
//! engine's grammar takes. Anything else (`None`) goes to the engine, which also gives every
//! error message.

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};

/// The query tree of `text` when it has the simple shape, `None` otherwise.
pub(super) fn parse(text: &str) -> Option<JpQuery> {
    let mut rest = text.strip_prefix('$')?.as_bytes();
    let mut segments = Vec::new();
    while let Some((&first, after)) = rest.split_first() {
        let (selector, next) = match first {
            b'.' => shorthand(after)?,
            b'[' => bracketed(after)?,
            _ => return None,
        };
        segments.push(Segment::Selector(selector));
        rest = next;
    }
    Some(JpQuery::new(segments))
}

/// `name` after a `.`: an ASCII identifier (the engine takes more; what it takes beyond is
/// left to it).
fn shorthand(bytes: &[u8]) -> Option<(Selector, &[u8])> {
    let first = *bytes.first()?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let len = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .unwrap_or(bytes.len());
    let (name, rest) = bytes.split_at(len);
    Some((Selector::Name(ascii(name)?), rest))
}

/// What follows a `[`: a quoted name or an index, then `]`.
fn bracketed(bytes: &[u8]) -> Option<(Selector, &[u8])> {
    let (selector, rest) = match *bytes.first()? {
        quote @ (b'\'' | b'"') => {
            let body = &bytes[1..];
            // Printable ASCII without quotes of either kind or backslashes: no escapes to read.
            let len = body
                .iter()
                .position(|&b| !(b' '..=b'~').contains(&b) || matches!(b, b'\'' | b'"' | b'\\'))?;
            let (name, after) = body.split_at(len);
            if *after.first()? != quote {
                return None;
            }
            (Selector::Name(ascii(name)?), &after[1..])
        }
        b'0'..=b'9' | b'-' => {
            let len = bytes
                .iter()
                .position(|&b| !(b.is_ascii_digit() || b == b'-'))?;
            let (digits, after) = bytes.split_at(len);
            (Selector::Index(index(digits)?), after)
        }
        _ => return None,
    };
    let rest = rest.strip_prefix(b"]")?;
    Some((selector, rest))
}

/// `0`, or an optional `-` and one to fifteen digits without a leading zero: well inside the
/// grammar's integers (up to 2^53 - 1), so never one it refuses.
fn index(digits: &[u8]) -> Option<i64> {
    let magnitude = digits.strip_prefix(b"-").unwrap_or(digits);
    let plain = digits == b"0"
        || (matches!(magnitude.first(), Some(b'1'..=b'9'))
            && magnitude.len() <= 15
            && magnitude.iter().all(u8::is_ascii_digit));
    if !plain {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn ascii(bytes: &[u8]) -> Option<String> {
    std::str::from_utf8(bytes).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonpath_rust::parser::parse_json_path;
    use proptest::prelude::*;

    #[test]
    fn the_common_shapes_are_read_here() {
        for text in [
            "$",
            "$.name",
            "$['ia::result'].key",
            "$[\"ia::result\"][0].id",
            "$['ia::result'].lines[-1].dimensions.department.id",
            "$['ia::meta'].totalCount",
            "$[12].a_b",
        ] {
            let ours = parse(text).unwrap_or_else(|| panic!("`{text}` is simple"));
            assert_eq!(ours, parse_json_path(text).unwrap(), "{text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_engine() {
        for text in [
            "",
            "name",
            "$.",
            "$..id",
            "$.*",
            "$[*]",
            "$[0,1]",
            "$[1:2]",
            "$[?@.a]",
            "$[ 0]",
            "$['a' ]",
            "$['a\\'b']",
            "$[01]",
            "$[-0]",
            "$[1234567890123456]",
            "$.é",
            "$['a']x",
            "$['a\"]",
            "$.1a",
            "$[0",
            "$['a'",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    /// Pieces of queries, valid and not, for the property below.
    const PIECES: &[&str] = &[
        ".a",
        ".name",
        "._x1",
        ".1",
        ".",
        "..",
        "['ia::result']",
        "[\"a b\"]",
        "['it''s']",
        "['a\"b']",
        "[\"a'b\"]",
        "['\\n']",
        "[0]",
        "[-1]",
        "[007]",
        "[-0]",
        "[999999999999999]",
        "[9007199254740991]",
        "[9007199254740992]",
        "[ 1]",
        "[1 ]",
        "[*]",
        "[1:2]",
        "[0,1]",
        "[?@.a]",
        " ",
        "$",
        "[",
        "]",
        "'",
        "\"",
        "-",
        "é",
        "['é']",
        "[~]",
        "['~']",
        ".a b",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whenever this parser answers, the engine parses the same text to the same tree.
        #[test]
        fn an_answer_is_the_engine_s_answer(
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..6),
            root in proptest::bool::weighted(0.9),
        ) {
            let text = format!("{}{}", if root { "$" } else { "" }, pieces.concat());
            if let Some(ours) = parse(&text) {
                let engine = parse_json_path(&text);
                prop_assert_eq!(Some(ours), engine.ok(), "{}", text);
            }
        }
    }
}
