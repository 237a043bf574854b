//! insta's `.snap` file format, read and written byte for byte as insta 1.4x does it, and the
//! atomic write that every snapshot file goes through.
//!
//! insta writes `---`, the metadata as a YAML mapping (`source` then `expression`, plain
//! scalars unless YAML needs quotes, then double-quoted with JSON-style escapes), `---`, then
//! the body with its trailing whitespace trimmed and one `\n`. It writes no `snapshot_kind` for
//! text snapshots (1.40–1.42 wrote `snapshot_kind: text`; 1.43 dropped it). Our bodies end in
//! exactly one newline, so for JSON snapshots a file we write is the file insta would write.
//! The quoting rules below are a copy of insta's vendored emitter (`need_quotes`,
//! `escape_str`) so that the header is the same too; the test `insta_reads_and_rewrites_our_file`
//! holds us to it.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use courier_core::yaml::{self, Value};

use super::SnapshotMeta;

/// Why a file is not a `.snap` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("does not start with a `---` line")]
    NoHeader,
    #[error("the header is not closed by a second `---` line")]
    UnclosedHeader,
    #[error("the header is not valid YAML: {0}")]
    Yaml(String),
    #[error("the header is not a YAML mapping")]
    NotAMapping,
}

/// The file text of a snapshot: insta's header, then `body` (given a final newline if it
/// lacks one).
pub fn serialize(meta: &SnapshotMeta, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    out.push_str("---\nsource: ");
    push_scalar(&mut out, &meta.source);
    out.push_str("\nexpression: ");
    push_scalar(&mut out, &meta.expression);
    out.push_str("\n---\n");
    out.push_str(body);
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Reads a `.snap` (or `.snap.new`) file: its header and its body (everything after the second
/// `---` line, as written). Unknown header keys (insta's `assertion_line`, `snapshot_kind`,
/// `info`, ...) are ignored; a missing `source` or `expression` reads as empty.
pub fn read_snap(path: &Path) -> io::Result<(SnapshotMeta, String)> {
    let text = read_text(path)?;
    parse(&text).map_err(|e| invalid(path, &e))
}

/// A snapshot file's text through core's checked read: a regular file under the snapshot cap
/// (docs/inputs.md). A missing file keeps the `NotFound` kind callers test for; the other
/// errors carry core's message, which names the file and what was wrong.
pub(crate) fn read_text(path: &Path) -> io::Result<String> {
    use courier_core::fs::{InputKind, ReadError};
    courier_core::fs::read_text(path, InputKind::Snapshot).map_err(|e| match e {
        ReadError::Missing { .. } => io::Error::new(io::ErrorKind::NotFound, e.to_string()),
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    })
}

/// Writes a snapshot file atomically.
pub fn write_snap(path: &Path, meta: &SnapshotMeta, body: &str) -> io::Result<()> {
    write_atomic(path, serialize(meta, body).as_bytes())
}

/// Writes a snapshot file through the one atomic writer, with an ordinary file's mode
/// (snapshots are committed).
pub fn write_atomic(path: &Path, contents: &[u8]) -> io::Result<()> {
    courier_core::fs::write_atomic(path, contents, courier_core::fs::Mode::Ordinary)
}

pub(super) fn invalid(path: &Path, e: &FormatError) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "`{}` is not a snapshot file in insta's format: {e}",
            path.display()
        ),
    )
}

pub(super) fn parse(text: &str) -> Result<(SnapshotMeta, String), FormatError> {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or(FormatError::NoHeader)?;
    if first.trim_end() != "---" {
        return Err(FormatError::NoHeader);
    }
    let mut offset = first.len();
    let header_start = offset;
    let mut header_end = None;
    for line in lines {
        if line.trim_end() == "---" {
            header_end = Some(offset);
            offset += line.len();
            break;
        }
        offset += line.len();
    }
    let header_end = header_end.ok_or(FormatError::UnclosedHeader)?;
    let header = &text[header_start..header_end];
    let body = text[offset..].to_owned();

    let node = yaml::parse(header).map_err(|e| FormatError::Yaml(e.message))?;
    let mut meta = SnapshotMeta::default();
    match node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                let text = value.scalar_text().unwrap_or_default();
                match &*key.value {
                    "source" => meta.source = text,
                    "expression" => meta.expression = text,
                    _ => {}
                }
            }
        }
        // An empty header is a snapshot without metadata; insta reads it too.
        Value::Null => {}
        _ => return Err(FormatError::NotAMapping),
    }
    Ok((meta, body))
}

/// A YAML scalar as insta's emitter writes a string: plain when YAML allows, else quoted.
fn push_scalar(out: &mut String, s: &str) {
    if need_quotes(s) {
        escape_str(out, s);
    } else {
        out.push_str(s);
    }
}

/// insta's `need_quotes` (vendored yaml-rust emitter), rule for rule.
fn need_quotes(string: &str) -> bool {
    string.is_empty()
        || string.starts_with(' ')
        || string.ends_with(' ')
        || string.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@'])
        || string.contains(|c: char| {
            matches!(
                c,
                ':' | '{'
                    | '}'
                    | '['
                    | ']'
                    | ','
                    | '#'
                    | '`'
                    | '"'
                    | '\''
                    | '\\'
                    | '\0'..='\x06'
                    | '\t'
                    | '\n'
                    | '\r'
                    | '\x0e'..='\x1a'
                    | '\x1c'..='\x1f'
            )
        })
        || [
            "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE",
            "false", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
        ]
        .contains(&string)
        || string.starts_with('.')
        || string.starts_with("0x")
        || string.parse::<i64>().is_ok()
        || string.parse::<f64>().is_ok()
}

/// insta's `escape_str`: a double-quoted scalar with JSON-style escapes.
fn escape_str(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(source: &str, expression: &str) -> SnapshotMeta {
        SnapshotMeta {
            source: source.to_owned(),
            expression: expression.to_owned(),
        }
    }

    #[test]
    fn header_layout_plain_and_quoted() {
        assert_eq!(
            serialize(&meta("vendors.yaml", "read vendor $"), "{}\n"),
            "---\nsource: vendors.yaml\nexpression: read vendor $\n---\n{}\n"
        );
        assert_eq!(
            serialize(&meta("vendors.yaml", "read vendor $['ia::result']"), "{}"),
            "---\nsource: vendors.yaml\nexpression: \"read vendor $['ia::result']\"\n---\n{}\n"
        );
        assert_eq!(
            serialize(&meta("", "say \"hi\"\tnow\u{1}"), "x\n"),
            "---\nsource: \"\"\nexpression: \"say \\\"hi\\\"\\tnow\\u0001\"\n---\nx\n"
        );
    }

    #[test]
    fn parse_reads_back_what_serialize_writes() {
        for (source, expression, body) in [
            ("vendors.yaml", "read vendor $", "{\n  \"a\": 1\n}\n"),
            ("a b.yml", "get: it $['ia::result'][*]", "text\n---\nmore\n"),
            ("", "true", ""),
            ("x.yaml", "quote \" and \\ and \n newline", "\n"),
            ("0x1.yaml", "- starts with a dash", "a\r\nb\r\n"),
        ] {
            let m = meta(source, expression);
            let text = serialize(&m, body);
            let (back, back_body) = parse(&text).expect("parses");
            assert_eq!(back, m, "{text}");
            let expected_body = if body.ends_with('\n') {
                body.to_owned()
            } else {
                format!("{body}\n")
            };
            assert_eq!(back_body, expected_body);
        }
    }

    #[test]
    fn parse_ignores_insta_only_keys_and_refuses_other_files() {
        let text = "---\nsource: tests/x.rs\nassertion_line: 12\nexpression: value\nsnapshot_kind: text\ninfo:\n  a: 1\n---\nbody\n";
        let (m, body) = parse(text).expect("parses");
        assert_eq!(m, meta("tests/x.rs", "value"));
        assert_eq!(body, "body\n");
        assert_eq!(parse("{}"), Err(FormatError::NoHeader));
        assert_eq!(parse("---\nsource: x\n"), Err(FormatError::UnclosedHeader));
        assert_eq!(parse("---\n- a\n---\n"), Err(FormatError::NotAMapping));
        assert!(matches!(
            parse("---\nsource: [\n---\n"),
            Err(FormatError::Yaml(_))
        ));
    }
}
