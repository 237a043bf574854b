//! A validating scanner that finds where a singular query's value sits in a UTF-8 body, for
//! the common case of a well-formed response: it reads each byte once, allocates nothing, and
//! answers with the value's span (or "no such value"), which serde_json then parses alone.
//!
//! It accepts only documents that serde_json accepts too; anything it is not sure of (a syntax
//! error, a `\u` escape in the surrogate range, nesting deeper than [`MAX_DEPTH`], a number
//! large enough to overflow that serde_json refuses) is [`Unsure`], and the caller
//! runs serde_json's own pass, which gives the verdict and the error text. Being unsure costs
//! one more pass; accepting what serde_json refuses would turn an error into an answer, so
//! every rule here leans towards `Unsure`.
//!
//! Containers on the query's path are read by [`on_path`]; everything else by [`skip`], a loop
//! with the open containers kept as bits, since most of a body is off the path.

use std::ops::Range;

use super::Resolved;

/// The scanner cannot vouch for the document: serde_json's pass decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Unsure;

/// Nesting the scanner follows (one bit of a `u64` per level in [`skip`]); deeper documents go
/// to serde_json, whose limit is 128.
const MAX_DEPTH: u32 = 64;

/// Bytes that end the fast run through a string: the closing quote, an escape, and the
/// control characters serde_json refuses inside strings.
const STRING_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        stop[byte] = true;
        byte += 1;
    }
    stop[b'"' as usize] = true;
    stop[b'\\' as usize] = true;
    stop
};

/// The span of the value at `steps` in `text` (one JSON document), `Ok(None)` when the
/// document has no such value, [`Unsure`] when serde_json must decide.
pub(super) fn locate(steps: &[Resolved<'_>], text: &str) -> Result<Option<Range<usize>>, Unsure> {
    let (end, found) = on_path(text, steps, whitespace(text.as_bytes(), 0), 0)?;
    if whitespace(text.as_bytes(), end) == text.len() {
        Ok(found)
    } else {
        Err(Unsure)
    }
}

/// Reads the value at `pos`, which lies on the query's path with `steps` still to follow
/// and `depth` containers around it: where it ends, and the span found below it.
fn on_path(
    text: &str,
    steps: &[Resolved<'_>],
    pos: usize,
    depth: u32,
) -> Result<(usize, Option<Range<usize>>), Unsure> {
    let bytes = text.as_bytes();
    let Some((step, rest)) = steps.split_first() else {
        let end = skip(text, pos, depth)?;
        return Ok((end, Some(pos..end)));
    };
    let (close, wanted_name, wanted_index) = match (bytes.get(pos), *step) {
        (Some(b'{'), Resolved::Name(name)) => (b'}', Some(name), None),
        (Some(b'['), Resolved::Index(index)) => (b']', None, Some(index)),
        _ => return Ok((skip(text, pos, depth)?, None)),
    };
    let depth = depth + 1;
    if depth > MAX_DEPTH {
        return Err(Unsure);
    }
    let mut pos = whitespace(bytes, pos + 1);
    if bytes.get(pos) == Some(&close) {
        return Ok((pos + 1, None));
    }
    let mut found = None;
    let mut index = 0usize;
    loop {
        let matches = if let Some(name) = wanted_name {
            let (value, matches) = member_name(text, pos, Some(name))?;
            pos = value;
            matches
        } else {
            wanted_index == Some(index)
        };
        if matches {
            // Later duplicate names replace earlier ones, as in a full parse.
            (pos, found) = on_path(text, rest, pos, depth)?;
        } else {
            pos = skip(text, pos, depth)?;
        }
        index = index.saturating_add(1);
        pos = whitespace(bytes, pos);
        match bytes.get(pos) {
            Some(b',') => pos = whitespace(bytes, pos + 1),
            Some(&byte) if byte == close => return Ok((pos + 1, found)),
            _ => return Err(Unsure),
        }
    }
}

/// Reads the value at `pos` (whitespace before it already skipped), inside `depth`
/// containers: where it ends.
fn skip(text: &str, mut pos: usize, depth: u32) -> Result<usize, Unsure> {
    let bytes = text.as_bytes();
    // The containers opened here, innermost in the lowest bit: 1 for an object.
    let mut objects: u64 = 0;
    let mut open = 0u32;
    loop {
        match bytes.get(pos) {
            Some(&byte @ (b'{' | b'[')) => {
                open += 1;
                if depth + open > MAX_DEPTH {
                    return Err(Unsure);
                }
                let object = byte == b'{';
                objects = (objects << 1) | u64::from(object);
                pos = whitespace(bytes, pos + 1);
                let close = if object { b'}' } else { b']' };
                if bytes.get(pos) == Some(&close) {
                    pos += 1;
                    open -= 1;
                    objects >>= 1;
                } else {
                    if object {
                        pos = member_name(text, pos, None)?.0;
                    }
                    continue;
                }
            }
            Some(b'"') => pos = string(bytes, pos + 1)?,
            Some(b't') => pos = literal(bytes, pos, b"true")?,
            Some(b'f') => pos = literal(bytes, pos, b"false")?,
            Some(b'n') => pos = literal(bytes, pos, b"null")?,
            Some(b'-' | b'0'..=b'9') => pos = number(text, pos)?,
            _ => return Err(Unsure),
        }
        // A value ended: close containers until one goes on with a next element.
        loop {
            if open == 0 {
                return Ok(pos);
            }
            pos = whitespace(bytes, pos);
            let object = objects & 1 == 1;
            match (bytes.get(pos), object) {
                (Some(b','), _) => {
                    pos = whitespace(bytes, pos + 1);
                    if object {
                        pos = member_name(text, pos, None)?.0;
                    }
                    break;
                }
                (Some(b'}'), true) | (Some(b']'), false) => {
                    pos += 1;
                    open -= 1;
                    objects >>= 1;
                }
                _ => return Err(Unsure),
            }
        }
    }
}

/// The whitespace serde_json skips (space, tab, line feed, carriage return) from `pos`.
#[inline]
fn whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

/// Reads a member name at `pos` and the colon after it: where its value starts (whitespace
/// skipped), and whether the name is `wanted`.
#[expect(
    clippy::inline_always,
    reason = "called for every string of a body: inlined, its constants are set once per body, not once per string"
)]
#[inline(always)]
fn member_name(text: &str, pos: usize, wanted: Option<&str>) -> Result<(usize, bool), Unsure> {
    let bytes = text.as_bytes();
    if bytes.get(pos) != Some(&b'"') {
        return Err(Unsure);
    }
    let end = string(bytes, pos + 1)?;
    let matches = match wanted {
        None => false,
        Some(name) => {
            let raw = &bytes[pos + 1..end - 1];
            if raw.contains(&b'\\') {
                let key: String = serde_json::from_str(&text[pos..end]).map_err(|_| Unsure)?;
                key == name
            } else {
                raw == name.as_bytes()
            }
        }
    };
    let colon = whitespace(bytes, end);
    if bytes.get(colon) != Some(&b':') {
        return Err(Unsure);
    }
    Ok((whitespace(bytes, colon + 1), matches))
}

/// Reads a string's contents from `pos` (after its opening quote) past its closing quote:
/// where it ends.
#[expect(
    clippy::inline_always,
    reason = "called for every string of a body: inlined, its constants are set once per body, not once per string"
)]
#[inline(always)]
fn string(bytes: &[u8], mut pos: usize) -> Result<usize, Unsure> {
    loop {
        pos = string_run(bytes, pos);
        match bytes.get(pos) {
            Some(b'"') => return Ok(pos + 1),
            Some(b'\\') => pos = escape(bytes, pos)?,
            // A control character or the end of the body.
            _ => return Err(Unsure),
        }
    }
}

/// Where the run of plain string bytes from `pos` ends (at a [`STRING_STOP`] byte or the end
/// of the body), eight bytes at a time: most of a body is string contents.
#[inline(always)]
fn string_run(bytes: &[u8], mut pos: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH_BITS: u64 = u64::from_le_bytes([0x80; 8]);
    // The high bit of each byte that is zero; a byte above a marked one may be marked
    // wrongly (a borrow), so only the lowest mark is exact, and only it is used.
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGH_BITS;
    while let Some(&chunk) = bytes.get(pos..pos + 8).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_le_bytes(chunk);
        let stops = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            // Bytes below 0x20: the same borrow trick, against 0x20 instead of 1.
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGH_BITS);
        if stops != 0 {
            return pos + (stops.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    while let Some(&byte) = bytes.get(pos) {
        if STRING_STOP[usize::from(byte)] {
            break;
        }
        pos += 1;
    }
    pos
}

/// Reads one escape at `pos`, its backslash included: where it ends.
fn escape(bytes: &[u8], pos: usize) -> Result<usize, Unsure> {
    match bytes.get(pos + 1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(pos + 2),
        Some(b'u') => {
            let hex = bytes.get(pos + 2..pos + 6).ok_or(Unsure)?;
            let mut unit = 0u32;
            for &digit in hex {
                unit = unit * 16 + char::from(digit).to_digit(16).ok_or(Unsure)?;
            }
            // Surrogates (paired or lone) are rare; serde_json's rules for them decide.
            if (0xD800..=0xDFFF).contains(&unit) {
                Err(Unsure)
            } else {
                Ok(pos + 6)
            }
        }
        _ => Err(Unsure),
    }
}

fn literal(bytes: &[u8], pos: usize, word: &[u8]) -> Result<usize, Unsure> {
    if bytes[pos..].starts_with(word) {
        Ok(pos + word.len())
    } else {
        Err(Unsure)
    }
}

/// Reads a number by JSON's grammar (which serde_json enforces): where it ends. serde_json
/// refuses a number in grammar only when it overflows to infinity (`1e400`; too small a one
/// becomes zero), so a token whose integer digits and positive exponent add up to at most 300
/// is sure to be in range; any other is handed to serde_json alone, which refuses exactly the
/// tokens it refuses inside a document.
fn number(text: &str, start: usize) -> Result<usize, Unsure> {
    let bytes = text.as_bytes();
    let mut pos = start;
    if bytes.get(pos) == Some(&b'-') {
        pos += 1;
    }
    let digits_start = pos;
    match bytes.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => pos = digits(bytes, pos),
        _ => return Err(Unsure),
    }
    let mut magnitude = pos - digits_start;
    if bytes.get(pos) == Some(&b'.') {
        pos = required_digits(bytes, pos + 1)?;
    }
    if let Some(b'e' | b'E') = bytes.get(pos) {
        pos += 1;
        let negative = match bytes.get(pos) {
            Some(b'-') => {
                pos += 1;
                true
            }
            Some(b'+') => {
                pos += 1;
                false
            }
            _ => false,
        };
        let exponent_start = pos;
        pos = required_digits(bytes, pos)?;
        if !negative {
            // An exponent too long for a usize is surely over 300.
            let exponent = text[exponent_start..pos].parse().unwrap_or(usize::MAX);
            magnitude = magnitude.saturating_add(exponent);
        }
    }
    if magnitude > 300 {
        serde_json::from_str::<serde_json::Value>(&text[start..pos]).map_err(|_| Unsure)?;
    }
    Ok(pos)
}

fn digits(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

fn required_digits(bytes: &[u8], pos: usize) -> Result<usize, Unsure> {
    let end = digits(bytes, pos);
    if end == pos { Err(Unsure) } else { Ok(end) }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn at(steps: &[Resolved<'_>], text: &str) -> Result<Option<String>, Unsure> {
        locate(steps, text).map(|span| span.map(|span| text[span].to_owned()))
    }

    const NAME: &[Resolved<'static>] = &[Resolved::Name("ia::result"), Resolved::Name("name")];

    #[test]
    fn a_well_formed_response_is_answered_without_serde_json_s_pass() {
        let body = r#"{"ia::result": {"key": "7", "name": "Acme \"East\" \u00e9", "lines": [{"amount": 1.25, "n": -3e2}, true, null, false]}, "ia::meta": {"totalCount": 1}}"#;
        assert_eq!(
            at(NAME, body),
            Ok(Some(r#""Acme \"East\" \u00e9""#.to_owned()))
        );
        let line = [
            Resolved::Name("ia::result"),
            Resolved::Name("lines"),
            Resolved::Index(0),
        ];
        assert_eq!(
            at(&line, body),
            Ok(Some(r#"{"amount": 1.25, "n": -3e2}"#.to_owned()))
        );
        assert_eq!(at(&[Resolved::Name("missing")], body), Ok(None));
        assert_eq!(at(&[Resolved::Index(0)], body), Ok(None));
        assert_eq!(at(&[], " [] \r\n"), Ok(Some("[]".to_owned())));
        let deepest = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(at(&[], &deepest), Ok(Some(deepest.clone())));
    }

    #[test]
    fn member_names_are_compared_unescaped() {
        let body = r#"{"ia::res\u0075lt": {"name": 1}}"#;
        assert_eq!(at(NAME, body), Ok(Some("1".to_owned())));
    }

    #[test]
    fn what_serde_json_might_refuse_is_left_to_it() {
        let deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        for body in [
            "",
            " ",
            r#"{"a": 1e400}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": "\ud83d\ude00"}"#,
            "{\"a\": \"tab\there\"}",
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": -}"#,
            r#"{"a": .5}"#,
            r#"{"a": 1,}"#,
            "[1,]",
            r#"{"a" 1}"#,
            "{a: 1}",
            r#"{"a": tru}"#,
            r#"{"a": "\x"}"#,
            r#"{"a": "\u12"}"#,
            r#"{"a": 1} x"#,
            r#"{"a": "unterminated}"#,
            deep.as_str(),
        ] {
            assert_eq!(at(NAME, body), Err(Unsure), "{body}");
        }
    }

    #[test]
    fn numbers_in_range_are_accepted_whatever_their_length() {
        let long = format!("[{}]", "9".repeat(400));
        assert_eq!(at(&[], &long), Err(Unsure), "out of range as a float");
        for body in [
            "[123456789012345678901234567890]",
            "[-0]",
            "[0e400]",
            "[1E+2]",
            "[-1.5e-300]",
        ] {
            assert!(at(&[], body).is_ok(), "{body}");
        }
    }

    proptest! {
        #[test]
        fn a_string_run_ends_at_the_first_stop_byte(bytes in prop::collection::vec(prop_oneof![
            4 => 0x20u8..=0xff,
            1 => prop::sample::select(vec![b'"', b'\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc]),
        ], 0..40), start in 0usize..10) {
            let start = start.min(bytes.len());
            let expected = bytes[start..]
                .iter()
                .position(|&byte| STRING_STOP[usize::from(byte)])
                .map_or(bytes.len(), |run| start + run);
            prop_assert_eq!(string_run(&bytes, start), expected);
        }

        #[test]
        fn number_tokens_are_refused_exactly_when_serde_json_refuses_them(
            minus in any::<bool>(),
            integer in "0|[1-9][0-9]{0,320}",
            fraction in prop::option::of("[0-9]{1,3}"),
            exponent in prop::option::of(("[eE]", "[-+]?", 0u32..420)),
        ) {
            let mut token = format!("{}{integer}", if minus { "-" } else { "" });
            if let Some(fraction) = fraction {
                token.push('.');
                token.push_str(&fraction);
            }
            if let Some((e, sign, value)) = exponent {
                token.push_str(&e);
                token.push_str(&sign);
                token.push_str(&value.to_string());
            }
            let serde = serde_json::from_str::<serde_json::Value>(&token).is_ok();
            prop_assert_eq!(locate(&[], &token).is_ok(), serde, "{}", token);
        }
    }
}
