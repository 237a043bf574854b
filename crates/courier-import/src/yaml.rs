//! Writes YAML text by hand: scalars quoted whenever a plain scalar could be read as anything
//! but the same string, JSON values as block mappings and sequences, and comment lines. Every
//! document the importers write goes through here, so quoting is decided in one place.

use std::fmt::Write as _;

use serde_json::Value;

/// Words a YAML 1.1 or 1.2 reader could take for a boolean or null: always quoted.
const RESERVED: [&str; 11] = [
    "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "",
];

/// Whether `s` can be written as a plain scalar and read back as the same string.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return false;
    }
    if s.ends_with(' ') || RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ' ' | '(' | ')'))
}

/// A string as a YAML scalar on one line: plain when that is safe, else double-quoted with
/// JSON-compatible escapes (YAML's double-quoted style is a superset of JSON strings).
pub(crate) fn scalar(s: &str) -> String {
    if plain_ok(s) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            // Line and paragraph separators and the BOM would be read as line breaks or
            // dropped: escape them.
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether a multi-line string can be written as a literal block scalar (`|`) and read back
/// unchanged: no carriage returns or other control characters, and no line that starts with
/// whitespace before the first non-empty one (which would confuse indentation detection).
fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
        && !s.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'])
        && s.lines()
            .find(|l| !l.is_empty())
            .is_some_and(|l| !l.starts_with([' ', '\t']))
        && !s.lines().any(|l| l.trim().is_empty() && !l.is_empty())
}

/// An accumulating YAML document.
#[derive(Debug, Default)]
pub(crate) struct Doc {
    out: String,
}

impl Doc {
    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn pad(&mut self, indent: usize) {
        for _ in 0..indent {
            self.out.push(' ');
        }
    }

    /// A comment line, each line of `text` prefixed with `# `.
    pub(crate) fn comment(&mut self, indent: usize, text: &str) {
        for line in text.split('\n') {
            self.pad(indent);
            let line = line.trim_end();
            if line.is_empty() {
                self.out.push_str("#\n");
            } else {
                self.out.push_str("# ");
                self.out.push_str(line);
                self.out.push('\n');
            }
        }
    }

    /// `key:` opening a nested block.
    pub(crate) fn open(&mut self, indent: usize, key: &str) {
        self.pad(indent);
        self.out.push_str(&scalar(key));
        self.out.push_str(":\n");
    }

    /// `- ` opening a sequence item whose first key follows on the same line; returns the
    /// indent of the item's keys.
    pub(crate) fn item(&mut self, indent: usize) -> usize {
        self.pad(indent);
        self.out.push_str("- ");
        indent + 2
    }

    /// `key: value` (a nested block when `value` is a non-empty map or list). After
    /// [`Doc::item`], pass `inline = true` for the first key, which continues the `- ` line.
    pub(crate) fn kv_inline(&mut self, indent: usize, key: &str, value: &Value, inline: bool) {
        if !inline {
            self.pad(indent);
        }
        self.out.push_str(&scalar(key));
        self.out.push(':');
        self.value_after_key(indent, value);
    }

    pub(crate) fn kv(&mut self, indent: usize, key: &str, value: &Value) {
        self.kv_inline(indent, key, value, false);
    }

    pub(crate) fn kv_str(&mut self, indent: usize, key: &str, value: &str) {
        self.kv(indent, key, &Value::String(value.to_owned()));
    }

    fn value_after_key(&mut self, indent: usize, value: &Value) {
        if let Some(flow) = flow(value) {
            self.out.push(' ');
            self.out.push_str(&flow);
            self.out.push('\n');
            return;
        }
        match value {
            Value::Object(m) if !m.is_empty() => {
                self.out.push('\n');
                for (k, v) in m {
                    self.kv(indent + 2, k, v);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                self.out.push('\n');
                for v in a {
                    self.seq_item(indent + 2, v);
                }
            }
            Value::String(s) if block_ok(s) => {
                self.out.push(' ');
                self.block(indent + 2, s);
            }
            other => {
                self.out.push(' ');
                self.out.push_str(&inline(other));
                self.out.push('\n');
            }
        }
    }

    fn seq_item(&mut self, indent: usize, value: &Value) {
        self.pad(indent);
        self.out.push('-');
        if let Some(flow) = flow(value) {
            self.out.push(' ');
            self.out.push_str(&flow);
            self.out.push('\n');
            return;
        }
        match value {
            Value::Object(m) if !m.is_empty() => {
                self.out.push(' ');
                for (i, (k, v)) in m.iter().enumerate() {
                    self.kv_inline(indent + 2, k, v, i == 0);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                self.out.push('\n');
                for v in a {
                    self.seq_item(indent + 2, v);
                }
            }
            Value::String(s) if block_ok(s) => {
                self.out.push(' ');
                self.block(indent + 2, s);
            }
            other => {
                self.out.push(' ');
                self.out.push_str(&inline(other));
                self.out.push('\n');
            }
        }
    }

    /// A literal block scalar with the chomping indicator that keeps `s` exactly.
    fn block(&mut self, indent: usize, s: &str) {
        let trailing = s.len() - s.trim_end_matches('\n').len();
        let chomp = match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        };
        self.out.push('|');
        self.out.push_str(chomp);
        self.out.push('\n');
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            if !line.is_empty() {
                self.pad(indent);
                self.out.push_str(line);
            }
            self.out.push('\n');
        }
    }
}

/// A short map or list of one-line scalars in flow style (`{ exists: true }`, `[200, 201]`).
/// Flow style is safe for every scalar [`scalar`] writes plain: it allows none of `,[]{}`.
fn flow(v: &Value) -> Option<String> {
    let one_line = |v: &Value| match v {
        Value::String(s) => !s.contains('\n'),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => true,
    };
    let text = match v {
        Value::Object(m) if !m.is_empty() && m.values().all(one_line) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", scalar(k), inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) if !a.is_empty() && a.iter().all(one_line) => {
            format!("[{}]", a.iter().map(inline).collect::<Vec<_>>().join(", "))
        }
        _ => return None,
    };
    (text.len() <= 60).then_some(text)
}

/// A scalar, or an empty map or list, on one line.
fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar(s),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Object(m) if m.is_empty() => "{}".to_owned(),
        // Non-empty containers are written as blocks by the callers.
        Value::Array(_) | Value::Object(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_only_when_unambiguous() {
        assert_eq!(scalar("Acme Supplies"), "Acme Supplies");
        assert_eq!(scalar("application/json"), "application/json");
        for tricky in [
            "true", "No", "null", "~", "", "123", "1e5", "-1", "a: b", "a #b", "{{ x }}", "*x",
            "&a", "!t", "'q'", "\"q\"", "% x", "@x", "`x", "x ", " x", "[a]", "- a", "? a", "|",
            ">", "$.a", "http://x",
        ] {
            let s = scalar(tricky);
            assert!(s.starts_with('"'), "`{tricky}` must be quoted, got {s}");
        }
        assert_eq!(scalar("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\x01""#);
    }

    #[test]
    fn blocks_keep_trailing_newlines() {
        let mut d = Doc::default();
        d.kv(0, "a", &json!("x\ny"));
        d.kv(0, "b", &json!("x\ny\n"));
        d.kv(0, "c", &json!("x\n\ny\n\n"));
        assert_eq!(
            d.finish(),
            "a: |-\n  x\n  y\nb: |\n  x\n  y\nc: |+\n  x\n\n  y\n\n"
        );
    }

    #[test]
    fn nested_values() {
        let mut d = Doc::default();
        d.kv(
            0,
            "json",
            &json!({"a": [1, {"b": null, "c": [{"x": "y\nz"}]}], "d": {}, "e": [[true]], "f": {"exists": true}}),
        );
        assert_eq!(
            d.finish(),
            "json:\n  a:\n    - 1\n    - b: null\n      c:\n        - x: |-\n            y\n            z\n  d: {}\n  e:\n    - [true]\n  f: { exists: true }\n"
        );
    }
}
