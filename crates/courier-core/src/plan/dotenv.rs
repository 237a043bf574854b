//! The `.env` file of the working directory: read with the input checks every file gets
//! (a regular file, under its size cap) and parsed by `dotenvy`, so quotes, escapes, `export `,
//! comments after a value and `${NAME}` follow the dotenv conventions users already know
//! (docs/environments.md#the-env-file). A line it cannot parse is an error at `file:line:col`
//! that never shows the line itself: it may hold a secret.

use std::cell::Cell;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

use crate::diag::{Diagnostic, Pos, SourceFile, Span, display_path};
use crate::fs::{InputKind, ReadError, read_text};

/// The `.env` file at `path`, parsed; a missing one is empty. One that is there but is not a
/// regular file, is over its cap, cannot be read or holds a line that does not parse is an
/// error: a FIFO or a link to `/dev/zero` must not hang or fill memory (docs/inputs.md), and a
/// silently dropped line would turn into a confusing "missing secret" later.
pub fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, Diagnostic> {
    match read_text(path, InputKind::DotEnv) {
        Ok(text) => parse_dotenv(&display_path(path), &text),
        Err(ReadError::Missing { .. }) => Ok(HashMap::new()),
        Err(e) => Err(Diagnostic::new(e.to_string())),
    }
}

/// Parses the text of a `.env` file named `name` (for messages). A name set twice takes its
/// last value, as a shell sourcing the file would.
pub fn parse_dotenv(name: &str, text: &str) -> Result<HashMap<String, String>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let fed = Rc::new(Cell::new(0));
    let reader = LineByLine {
        text: text.as_bytes(),
        fed: Rc::clone(&fed),
    };
    let mut out = HashMap::new();
    for item in dotenvy::from_read_iter(reader) {
        match item {
            Ok((key, value)) => {
                out.insert(key, value);
            }
            Err(dotenvy::Error::LineParse(logical, index)) => {
                return Err(line_error(name, text, &text[..fed.get()], &logical, index));
            }
            Err(e) => return Err(Diagnostic::new(format!("cannot read `{name}`: {e}"))),
        }
    }
    Ok(out)
}

/// Hands the parser one line per read, so that when it reports a bad line, everything fed so
/// far ends with that line: its position in the file is then known (`dotenvy` gives only the
/// text of the line and an index in it).
struct LineByLine<'a> {
    text: &'a [u8],
    fed: Rc<Cell<usize>>,
}

impl Read for LineByLine<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.text[self.fed.get()..];
        let line = rest
            .iter()
            .position(|b| *b == b'\n')
            .map_or(rest.len(), |p| p + 1);
        let n = line.min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.fed.set(self.fed.get() + n);
        Ok(n)
    }
}

/// The diagnostic for a line `dotenvy` refused: `logical` is the text it parsed (a whole line,
/// a value, or several lines of an unclosed quote) and `index` the character it stopped at.
fn line_error(name: &str, text: &str, fed: &str, logical: &str, index: usize) -> Diagnostic {
    let start = fed.rfind(logical).unwrap_or(0);
    let unclosed_at_end = index >= logical.chars().count() && fed.len() == text.len();
    let open_brace = logical
        .rfind("${")
        .filter(|&b| !logical[b..].contains('}') && index + 1 >= logical.chars().count());
    let at = if unclosed_at_end {
        // The quote is never closed: point at the line that opened it.
        start
    } else if let Some(b) = open_brace {
        start + b
    } else {
        start
            + logical
                .char_indices()
                .nth(index)
                .map_or(logical.len(), |(i, _)| i)
    };
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |p| p + 1)..]
        .chars()
        .count()
        + 1;
    let what = if unclosed_at_end {
        "a quoted value is not closed before the end of the file".to_owned()
    } else if open_brace.is_some() {
        "`${` is not closed by `}`".to_owned()
    } else {
        describe(text, at)
    };
    // An empty source: the location is shown without the line, which may hold a secret.
    let file = SourceFile::new(name, "");
    let pos = Pos::new(line, col, at);
    Diagnostic::at(format!("bad `.env` line: {what}"), &file, Span::point(pos)).with_help(
        "a line is `NAME=value`, `export NAME=value`, `NAME=` or a `# comment`; quote a value \
         that holds spaces (`NAME=\"a b\"`), and use single quotes to keep `$` and `\\` as they are",
    )
}

/// What is wrong at byte `at` of `text`, from the character there and the one before it.
fn describe(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let head = &text[line_start..at];
    let here = text[at..].chars().next();
    let prev = head.chars().last();
    match (prev, here) {
        (Some('\\'), Some(c)) => format!(
            "unknown escape `\\{c}` (a double-quoted or bare value knows `\\n`, `\\\\`, `\\\"`, `\\'`, `\\$` and `\\ `)"
        ),
        (Some(' ' | '\t'), Some(_)) if head.contains('=') => {
            "a value with a space must be quoted".to_owned()
        }
        _ if !head.contains('=') && head.trim_start().is_empty() => {
            "a name starts with a letter or `_`".to_owned()
        }
        _ if !head.contains('=') => "expected `=` after the name".to_owned(),
        _ => "this character cannot stand here".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> HashMap<String, String> {
        parse_dotenv(".env", text).unwrap()
    }

    fn error(text: &str) -> String {
        parse_dotenv(".env", text).unwrap_err().to_string()
    }

    #[test]
    fn conventions() {
        let env = parse(
            "# c\nA=1\nexport B=\"two words\"\nC='x'\nD=v # note\nE=\nF=\"a\\nb\"\nG='$A'\nH=${A}2\nA=last\n",
        );
        assert_eq!(env["A"], "last");
        assert_eq!(env["B"], "two words");
        assert_eq!(env["C"], "x");
        assert_eq!(env["D"], "v");
        assert_eq!(env["E"], "");
        assert_eq!(env["F"], "a\nb");
        assert_eq!(env["G"], "$A");
        assert_eq!(env["H"], "12");
        assert_eq!(env.len(), 8);
    }

    #[test]
    fn multi_line_quotes_keep_line_numbers() {
        let e = error("A=\"one\ntwo\"\nB=ok\nbad line\n");
        assert!(
            e.starts_with(".env:4:5: bad `.env` line: expected `=`"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_line_and_column() {
        assert_eq!(
            error("A=1\nB=two words\n"),
            ".env:2:7: bad `.env` line: a value with a space must be quoted"
        );
        assert_eq!(
            error("A=1\n\n9X=1\n"),
            ".env:3:1: bad `.env` line: a name starts with a letter or `_`"
        );
        assert_eq!(
            error("KEY value\n"),
            ".env:1:5: bad `.env` line: expected `=` after the name"
        );
        assert!(
            error("A=\"\\q\"\n").starts_with(".env:1:5: bad `.env` line: unknown escape `\\q`")
        );
        assert_eq!(
            error("HOST=x\nURL=${HOST\n"),
            ".env:2:5: bad `.env` line: `${` is not closed by `}`"
        );
        assert_eq!(
            error("A=1\nB=\"open\nC=2\n"),
            ".env:2:1: bad `.env` line: a quoted value is not closed before the end of the file"
        );
    }

    #[test]
    fn a_bad_line_is_not_shown() {
        let d = parse_dotenv(".env", "TOKEN=s3cr3t value\n").unwrap_err();
        assert!(!d.render().contains("s3cr3t"), "{}", d.render());
    }
}
