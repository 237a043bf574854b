//! Cutting long values for display, after redaction: a cut never ends inside a `[REDACTED]`
//! marker (it moves back to just before it), so a value redacted first and cut after shows no
//! part of a secret at any offset. Use [`crate::secret::Secrets::redact_and_cut`] on raw data;
//! the functions here take text that is already redacted.

use std::borrow::Cow;

use crate::secret::REDACTED;

/// `text` cut after `max` characters, followed by `… (N more characters)`; unchanged when it
/// is not longer than `max`.
pub fn chars(text: &str, max: usize) -> Cow<'_, str> {
    let Some((cut, _)) = text.char_indices().nth(max) else {
        return Cow::Borrowed(text);
    };
    let end = outside_marker(text, cut);
    let kept = &text[..end];
    let more = text[end..].chars().count();
    Cow::Owned(format!("{kept}… ({more} more characters)"))
}

/// The suffix [`bytes`] ends a cut text with.
pub const BYTES_MARK: &str = "…[cut]";

/// `text` cut so that, with [`BYTES_MARK`] after it, it is at most `max` bytes; unchanged
/// when it is not longer than `max` bytes. The cut falls on a character boundary and outside
/// any `[REDACTED]`.
pub fn bytes(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max.saturating_sub(BYTES_MARK.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = outside_marker(text, end);
    Cow::Owned(format!("{}{BYTES_MARK}", &text[..end]))
}

/// `at` moved back to the start of the `[REDACTED]` it falls strictly inside, if any.
fn outside_marker(text: &str, at: usize) -> usize {
    let mut from = at.saturating_sub(REDACTED.len() - 1);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (at + REDACTED.len()).min(text.len());
    while !text.is_char_boundary(to) {
        to += 1;
    }
    text[from..to]
        .match_indices(REDACTED)
        .map(|(i, _)| from + i)
        .find(|&start| start < at && at < start + REDACTED.len())
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secrets;

    /// The secret's letters appear nowhere in the filler, the marker or the cut suffix.
    const SECRET: &str = "QZJWQZJWQZJWQZJW";

    fn shows_part_of_secret(out: &str) -> bool {
        out.contains(['Q', 'Z', 'J', 'W'])
    }

    #[test]
    fn redact_then_cut_never_shows_a_prefix_at_any_offset() {
        let secrets = Secrets::new();
        secrets.add(SECRET);
        for before in 0..24 {
            let text = format!("{}{SECRET}{}", "x".repeat(before), "y".repeat(8));
            for max in 0..text.chars().count() + 2 {
                let out = secrets.redact_and_cut(&text, max);
                assert!(!shows_part_of_secret(&out), "{before}/{max}: {out}");
                // Never half a marker: every `[` starts a whole one.
                for (i, _) in out.match_indices('[') {
                    assert!(out[i..].starts_with(REDACTED), "{before}/{max}: {out}");
                }
            }
        }
    }

    /// What the console did before: cut, then redact. Pins why the order matters.
    #[test]
    fn cutting_first_would_show_a_prefix() {
        let secrets = Secrets::new();
        secrets.add(SECRET);
        let text = format!("token {SECRET}");
        let cut_first = chars(&text, 12);
        let out = secrets.redact(&cut_first);
        assert!(shows_part_of_secret(&out), "{out}");
        assert!(!shows_part_of_secret(&secrets.redact_and_cut(&text, 12)));
    }

    #[test]
    fn cut_counts_the_characters_left() {
        assert_eq!(chars("abcdef", 10), "abcdef");
        assert_eq!(chars("abcdef", 4), "abcd… (2 more characters)");
        assert_eq!(chars("äöüß", 2), "äö… (2 more characters)");
        // Inside a marker: back to its start, and the marker counts as left.
        assert_eq!(chars("ab[REDACTED]cd", 5), "ab… (12 more characters)");
        assert_eq!(
            chars("ab[REDACTED]cd", 12),
            "ab[REDACTED]… (2 more characters)"
        );
    }

    #[test]
    fn byte_cuts_stay_within_the_limit_and_outside_markers() {
        let text = format!("{}{REDACTED}{}", "é".repeat(10), "z".repeat(40));
        for max in 0..text.len() + 2 {
            let out = bytes(&text, max);
            if text.len() <= max {
                assert_eq!(out, text);
                continue;
            }
            assert!(out.ends_with(BYTES_MARK), "{out}");
            assert!(out.len() <= max.max(BYTES_MARK.len()), "{max}: {out}");
            let body = &out[..out.len() - BYTES_MARK.len()];
            assert!(
                !body.contains('[') || body.contains(REDACTED),
                "{max}: {out}"
            );
        }
    }
}
