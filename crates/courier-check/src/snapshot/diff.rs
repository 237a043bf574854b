//! The diff shown when a snapshot changed: line-based (the `similar` crate), cut down to the
//! changed regions with three lines of context, `-` for the stored snapshot and `+` for the
//! new value, red and green when colour is on. For JSON snapshots it also names the changed
//! fields as normalized paths, so a one-line failure message can say what moved.

use std::fmt::Write as _;

use courier_core::jsonpath::{NormalizedPath, PathElement};
use owo_colors::Style;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// Lines of unchanged context shown around each change.
pub const CONTEXT_LINES: usize = 3;

/// The longest line a diff shows, in characters; the rest is counted, not printed, so a
/// 100 MB single-line body cannot flood a terminal or a CI log (docs/snapshots.md).
pub(crate) const MAX_LINE_CHARS: usize = 1_000;

const RED: Style = Style::new().red();
const GREEN: Style = Style::new().green();
const CYAN: Style = Style::new().cyan();

/// The difference between a stored snapshot and a new value. Both are kept after insta's
/// normalisation (trailing whitespace trimmed, CRLF as LF), so the diff shows exactly what the
/// comparison saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotDiff {
    old: String,
    new: String,
}

/// What a line of a hunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffLineKind {
    /// Unchanged context.
    Context,
    /// Only in the stored snapshot.
    Removed,
    /// Only in the new value.
    Added,
}

/// One line of a hunk, without its newline; line numbers count from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: DiffLineKind,
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    pub text: String,
}

impl SnapshotDiff {
    /// The diff from `old` (the stored snapshot's body) to `new`. An empty `old` shows the
    /// whole new value as added.
    pub fn new(old: &str, new: &str) -> Self {
        SnapshotDiff {
            old: normalized(old),
            new: normalized(new),
        }
    }

    /// The stored body, normalized.
    pub fn old(&self) -> &str {
        &self.old
    }

    /// The changed regions, each with up to [`CONTEXT_LINES`] lines of context on either side;
    /// regions closer than twice that share a hunk.
    pub fn hunks(&self) -> Vec<Vec<DiffLine>> {
        let diff = TextDiff::from_lines(self.old.as_str(), self.new.as_str());
        diff.grouped_ops(CONTEXT_LINES)
            .iter()
            .map(|group| {
                group
                    .iter()
                    .flat_map(|op| diff.iter_changes(op))
                    .map(|change| DiffLine {
                        kind: match change.tag() {
                            ChangeTag::Equal => DiffLineKind::Context,
                            ChangeTag::Delete => DiffLineKind::Removed,
                            ChangeTag::Insert => DiffLineKind::Added,
                        },
                        old_line: change.old_index().map(|i| i + 1),
                        new_line: change.new_index().map(|i| i + 1),
                        // Both sides are redacted before they get here (the new value when
                        // it is rendered, the stored one when it was written), so the cut
                        // cannot reveal part of a secret.
                        text: courier_core::cut::chars(
                            change.value().trim_end_matches('\n'),
                            MAX_LINE_CHARS,
                        )
                        .into_owned(),
                    })
                    .collect()
            })
            .collect()
    }

    /// The diff as text: per hunk an `@@ -start,len +start,len @@` line, then its lines marked
    /// ` ` (context), `-` (stored snapshot) and `+` (new value). With `color`, removed lines
    /// are red, added lines green and hunk headers cyan. Ends with a newline unless empty.
    pub fn render(&self, color: bool) -> String {
        let mut out = String::new();
        for hunk in self.hunks() {
            let header = hunk_header(&hunk);
            if color {
                let _ = writeln!(out, "{}", CYAN.style(&header));
            } else {
                let _ = writeln!(out, "{header}");
            }
            for line in &hunk {
                let (mark, paint) = match line.kind {
                    DiffLineKind::Context => (' ', None),
                    DiffLineKind::Removed => ('-', Some(RED)),
                    DiffLineKind::Added => ('+', Some(GREEN)),
                };
                match paint {
                    Some(code) if color => {
                        let _ =
                            writeln!(out, "{}", code.style(format_args!("{mark}{}", line.text)));
                    }
                    _ => {
                        let _ = writeln!(out, "{mark}{}", line.text);
                    }
                }
            }
        }
        out
    }

    /// What reporters print for a changed snapshot: the [summary](Self::summary) line, then
    /// the hunks, coloured when `color` is on.
    pub fn report(&self, color: bool) -> String {
        format!("{}{}", self.summary(), self.render(color))
    }

    /// `changed: $['a'], $['b']` (at most five, then how many more) and a newline, or
    /// nothing for text: the line reporters print above the diff.
    pub fn summary(&self) -> String {
        const SHOWN: usize = 5;
        let fields = self.changed_fields();
        if fields.is_empty() {
            return String::new();
        }
        let mut line = format!("changed: {}", fields[..fields.len().min(SHOWN)].join(", "));
        if fields.len() > SHOWN {
            let _ = write!(line, " and {} more", fields.len() - SHOWN);
        }
        line.push('\n');
        line
    }

    /// For JSON snapshots, the normalized paths (`$['ia::result']['name']`) of the values that
    /// differ, were added or were removed, object keys in sorted order (a stored snapshot's
    /// order); empty when either side is not JSON (text snapshots) or nothing differs
    /// structurally.
    pub fn changed_fields(&self) -> Vec<String> {
        let (Ok(old), Ok(new)) = (
            serde_json::from_str::<Value>(&self.old),
            serde_json::from_str::<Value>(&self.new),
        ) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut path = NormalizedPath::root();
        walk(&old, &new, &mut path, &mut out);
        out
    }
}

fn normalized(body: &str) -> String {
    let mut s = body.trim_end().replace("\r\n", "\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

fn hunk_header(hunk: &[DiffLine]) -> String {
    let range = |lines: Vec<usize>| -> String {
        match (lines.first(), lines.len()) {
            (Some(first), len) => format!("{first},{len}"),
            // An empty side: unified diffs name the line before the hunk.
            (None, _) => "0,0".to_owned(),
        }
    };
    let old: Vec<usize> = hunk.iter().filter_map(|l| l.old_line).collect();
    let new: Vec<usize> = hunk.iter().filter_map(|l| l.new_line).collect();
    format!("@@ -{} +{} @@", range(old), range(new))
}

fn walk(old: &Value, new: &Value, path: &mut NormalizedPath, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .collect();
            keys.sort();
            for key in keys {
                path.push(PathElement::Name(key.clone()));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => walk(x, y, path, out),
                    _ => out.push(path.to_string()),
                }
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                path.push(PathElement::Index(i));
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => walk(x, y, path, out),
                    _ => out.push(path.to_string()),
                }
                path.pop();
            }
        }
        (a, b) if a != b => out.push(path.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_huge_line_is_cut_and_counted() {
        let old = format!("{{\"a\": \"{}\"}}", "x".repeat(5_000_000));
        let new = format!("{{\"a\": \"{}\"}}", "y".repeat(5_000_000));
        let text = SnapshotDiff::new(&old, &new).render(false);
        assert!(text.len() < 4 * MAX_LINE_CHARS, "{} bytes", text.len());
        assert!(text.contains("more characters)"), "{text}");
        assert!(
            text.contains("-{\"a\": \"xxx") && text.contains("+{\"a\": \"yyy"),
            "{text}"
        );
    }

    use super::*;

    fn numbered(n: usize) -> String {
        let mut out = String::new();
        for i in 1..=n {
            let _ = writeln!(out, "line {i}");
        }
        out
    }

    #[test]
    fn only_changed_regions_with_three_lines_of_context() {
        let old = numbered(30);
        let new = old
            .replace("line 10\n", "line ten\n")
            .replace("line 25\n", "line 25b\n");
        let diff = SnapshotDiff::new(&old, &new);
        let text = diff.render(false);
        assert_eq!(
            text,
            "@@ -7,7 +7,7 @@\n line 7\n line 8\n line 9\n-line 10\n+line ten\n line 11\n line 12\n line 13\n\
             @@ -22,7 +22,7 @@\n line 22\n line 23\n line 24\n-line 25\n+line 25b\n line 26\n line 27\n line 28\n"
        );
        assert!(
            !text.contains("line 1\n"),
            "unchanged lines far from a change are left out"
        );
        assert!(
            !text.contains("line 17"),
            "the middle between two hunks is left out"
        );
    }

    #[test]
    fn color_paints_removed_red_and_added_green() {
        let diff = SnapshotDiff::new("a\nb\n", "a\nc\n");
        let text = diff.render(true);
        assert!(text.contains("\x1b[31m-b\x1b[0m\n"), "{text:?}");
        assert!(text.contains("\x1b[32m+c\x1b[0m\n"), "{text:?}");
        assert!(!diff.render(false).contains('\x1b'));
    }

    #[test]
    fn a_new_snapshot_is_all_added() {
        let diff = SnapshotDiff::new("", "{\n  \"a\": 1\n}\n");
        assert_eq!(diff.render(false), "@@ -0,0 +1,3 @@\n+{\n+  \"a\": 1\n+}\n");
    }

    #[test]
    fn crlf_and_trailing_whitespace_do_not_show_as_changes() {
        let diff = SnapshotDiff::new("a\r\nb\r\n\n\n", "a\nb\n");
        assert!(diff.hunks().is_empty());
        assert_eq!(diff.render(false), "");
    }

    #[test]
    fn changed_fields_name_json_paths() {
        let old =
            "{\"ia::result\": {\"name\": \"Acme\", \"id\": \"1\", \"gone\": 1, \"list\": [1, 2]}}";
        let new = "{\"ia::result\": {\"name\": \"Bolt\", \"id\": \"1\", \"added\": true, \"list\": [1, 3, 4]}}";
        let diff = SnapshotDiff::new(old, new);
        assert_eq!(
            diff.changed_fields(),
            [
                "$['ia::result']['added']",
                "$['ia::result']['gone']",
                "$['ia::result']['list'][1]",
                "$['ia::result']['list'][2]",
                "$['ia::result']['name']",
            ]
        );
        assert!(
            SnapshotDiff::new("plain\n", "text\n")
                .changed_fields()
                .is_empty()
        );
    }

    #[test]
    fn the_summary_names_at_most_five_changed_fields() {
        let object = |v: u8| {
            let fields: Vec<String> = (0..8).map(|i| format!("\"f{i}\": {v}")).collect();
            format!("{{{}}}", fields.join(","))
        };
        let diff = SnapshotDiff::new(&object(0), &object(1));
        assert_eq!(
            diff.summary(),
            "changed: $['f0'], $['f1'], $['f2'], $['f3'], $['f4'] and 3 more\n"
        );
        assert_eq!(SnapshotDiff::new("a\n", "b\n").summary(), "");
    }
}
