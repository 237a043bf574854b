//! The fast reader against saphyr-parser: whenever the fast reader reads a text to its end,
//! saphyr must read the same events with the same spans, and no error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use saphyr_parser::{Event, Parser, Span};

use super::Fast;

type Events<'a> = Vec<(Event<'a>, Span)>;

fn fast(text: &str) -> Option<Events<'_>> {
    let mut reader = Fast::new(text)?;
    let mut out = Vec::new();
    loop {
        let ev = reader.next().ok()?;
        let end = matches!(ev.0, Event::StreamEnd);
        out.push(ev);
        if end {
            return Some(out);
        }
    }
}

fn saphyr(text: &str) -> Result<Events<'_>, String> {
    let mut parser = Parser::new_from_str(text);
    let mut out = Vec::new();
    while let Some(ev) = parser.next_event() {
        let ev = ev.map_err(|e| e.to_string())?;
        let end = matches!(ev.0, Event::StreamEnd);
        out.push(ev);
        if end {
            break;
        }
    }
    Ok(out)
}

/// Whether the fast reader read `text`; panics when it disagrees with saphyr.
fn agrees(text: &str) -> bool {
    let Some(events) = fast(text) else {
        return false;
    };
    match saphyr(text) {
        Ok(expected) => {
            if let Some(i) =
                (0..events.len().max(expected.len())).find(|&i| events.get(i) != expected.get(i))
            {
                panic!(
                    "event {i} differs for {text:?}:\n fast:   {:?}\n saphyr: {:?}\n before: {:?}",
                    events.get(i),
                    expected.get(i),
                    i.checked_sub(1).and_then(|j| expected.get(j)),
                );
            }
            true
        }
        Err(e) => panic!("the fast reader read {text:?}, which saphyr refuses: {e}"),
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                yaml_files(&path, out);
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(path);
        }
    }
}

/// Every YAML file of this repository: collections, environments, examples, the broken
/// corpus, test data.
fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|t| (p, t)))
        .collect()
}

#[test]
fn reads_what_saphyr_reads_across_the_repository() {
    let files = corpus();
    assert!(files.len() > 100, "only {} YAML files found", files.len());
    let read = files.iter().filter(|(_, text)| agrees(text)).count();
    // Most of the files are the plain shapes this reader is for.
    assert!(
        read * 10 >= files.len() * 8,
        "the fast reader read only {read} of {} files",
        files.len()
    );
}

#[test]
fn reads_the_shapes_of_a_collection() {
    let text = "\
# A comment
name: Vendor lifecycle
tags: [bench, vendor, crud]
vars:
  base_url: https://api.example.test/ia/api/v1   # trailing comment
  item_id: \"X-{{ uuid()[:8] | upper }}-0\"
  page_size: 50
defaults:
  headers: { Accept: application/json, X-Bench: \"0\" }
  retries: { count: 2, on: [429, 503, network], backoff: 250ms }
requests:
  - name: create vendor
    json:
      tags: [bench, \"{{ now('%Y') }}\"]
      filters: [{ \"$eq\": { status: active } }]
    expect:
      jsonpath:
        \"$['ia::result'].key\": { exists: true, matches: \"^[0-9]+$\" }
        \"$['ia::result'].audit\": { matches: \"^\\\\d{4}-\\\\d{2}\" }
        note: 'it''s'
        empty:
      status: [200, 4xx]
  -
    name: second
    list:
    - a
    - - b
      - c
    - k: v
      j:
    after: ~
";
    assert!(agrees(text), "the fast reader left a collection to saphyr");
}

#[test]
fn leaves_what_it_does_not_know_to_saphyr() {
    for text in [
        "",
        "# only a comment\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |2\n  text\n",
        "a: >\n  text\n    more\n",
        "a: |\n\n  text\n",
        "a: |\n  text",
        "a: plain\n  continued\n",
        "a: \"two\n  lines\"\n",
        "a: {b: c,\n  d: e}\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "a:\tb\n",
        "a: caf\u{e9}\n",
        "a: b\r\n",
        "? complex\n: key\n",
        "a: \"\\u00e9\"\n",
        "[a, b]\n",
        "scalar\n",
        "a: [b, ]\n",
        "a: {b}\n",
        "a: [b: c]\n",
        "-\n- a\n",
    ] {
        assert!(fast(text).is_none(), "the fast reader read {text:?}");
    }
}

const LINES: &[&str] = &[
    "k: v",
    "k:",
    "k: ",
    "- v",
    "-",
    "- k: v",
    "- - v",
    "- k:",
    "k: [a, 'b', \"c\"]",
    "k: {a: b, c: [d, {e: f}]}",
    "k: []",
    "k: {}",
    "\"q k\": 'it''s'",
    "'k': \"a\\\\b\\\"c\"",
    "# comment",
    "",
    "k: v # c",
    "k: v#c",
    "k: a: b",
    "k: -1",
    "k: -x",
    "k: ~",
    "k: 'x' y",
    "k: [a] b",
    "k: [a]: b",
    "k: x:y",
    "k: {a: b}#c",
    "- [a, b]",
    "- {a: b}",
    "w",
    "k : v",
    "k: {a: }",
    "k: [a,b]",
    "k: {a:b}",
    "k: [a, [b, [c]]]",
    "---",
    "...",
    "k: \"\\x41\"",
    "<<: {a: b}",
    "k: --x",
    "- ---",
    "- -",
    "k: {u: http://x:1/y, v: a:b}",
    "k: [a:b, c]",
    "k: [a:, b]",
    "k: [a:[b]]",
    "k: |",
    "k: >-",
    "k: |+",
    "k: > # c",
    "- |-",
    "k: |2",
    "  text",
    "    more text",
    "   ",
];

fn document() -> impl Strategy<Value = String> {
    let line = (
        proptest::sample::select(&[0usize, 0, 0, 1, 2, 2, 2, 3, 4, 4, 6][..]),
        proptest::sample::select(LINES),
    )
        .prop_map(|(indent, line)| format!("{}{line}", " ".repeat(indent)));
    (proptest::collection::vec(line, 1..12), any::<bool>()).prop_map(|(lines, newline)| {
        let mut text = lines.join("\n");
        if newline {
            text.push('\n');
        }
        text
    })
}

/// A repository file with a few of its bytes changed: deleted, doubled or replaced by a
/// byte YAML cares about.
fn mutated() -> impl Strategy<Value = String> {
    let files: Vec<String> = corpus()
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| t.len() < 20_000 && fast(t).is_some())
        .collect();
    let edit = (
        any::<prop::sample::Index>(),
        0usize..4,
        proptest::sample::select(
            &[
                " ", "\n", ":", "-", "#", "[", "]", "{", "}", ",", "'", "\"", "\\", "  ", "- ",
                ": ",
            ][..],
        ),
    );
    (
        proptest::sample::select(files),
        proptest::collection::vec(edit, 1..4),
    )
        .prop_map(|(mut text, edits)| {
            for (at, kind, piece) in edits {
                let i = at.index(text.len().max(1)).min(text.len());
                match kind {
                    0 if i < text.len() => {
                        text.remove(i);
                    }
                    1 if i < text.len() => {
                        let c = text.as_bytes()[i] as char;
                        text.insert(i, c);
                    }
                    _ => text.insert_str(i, piece),
                }
            }
            text
        })
}

/// Builds a document of the shapes the fast reader knows from a list of choices, so that
/// most generated texts are read by it (the line generator above mostly makes texts it
/// leaves to saphyr).
struct Shapes<'c> {
    choices: std::slice::Iter<'c, u8>,
    out: String,
}

const SCALARS: &[&str] = &[
    "a",
    "b c",
    "-1",
    "2.5",
    "~",
    "true",
    "'q'",
    "'i''t'",
    "\"d\"",
    "\"e\\\\s\\n\"",
    "\"\"",
    "''",
    "x:y",
    "http://h:1/p",
    "--v",
    "a#b",
    "\"{{ t }}\"",
    "$['k'].v",
];

impl Shapes<'_> {
    fn pick(&mut self, n: usize) -> usize {
        self.choices.next().map_or(0, |&c| usize::from(c) % n)
    }

    fn scalar(&mut self) -> &'static str {
        SCALARS[self.pick(SCALARS.len())]
    }

    fn spaces(&mut self) -> &'static str {
        ["", "", "", " ", "  "][self.pick(5)]
    }

    fn flow(&mut self, depth: usize) -> String {
        let n = self.pick(4);
        let map = self.pick(2) == 0;
        let mut items = Vec::new();
        for _ in 0..n {
            let value = if depth < 2 && self.pick(4) == 0 {
                self.flow(depth + 1)
            } else {
                self.scalar().replace("x:y", "xy").replace("--v", "v")
            };
            let s = self.spaces();
            items.push(if map {
                format!("{}: {value}{s}", ["k", "\"k\"", "'k'", "l m"][self.pick(4)])
            } else {
                format!("{value}{s}")
            });
        }
        let (open, close) = if map { ("{", "}") } else { ("[", "]") };
        let s = self.spaces();
        format!(
            "{open}{s}{}{close}",
            items.join(&format!(",{}", self.spaces()))
        )
    }

    fn tail(&mut self) -> &'static str {
        ["", "", "", "  ", " # note"][self.pick(5)]
    }

    fn blank_lines(&mut self) {
        match self.pick(8) {
            0 => self.out.push('\n'),
            1 => self.out.push_str("# c\n"),
            2 => self.out.push_str("    # c\n"),
            _ => {}
        }
    }

    /// A value after `key:` or `- `, the line's start at column `indent`.
    fn value(&mut self, indent: usize, depth: usize) {
        match self.pick(if depth < 4 { 7 } else { 3 }) {
            0 => {
                let t = self.tail();
                let v = self.flow(0);
                let _ = writeln!(self.out, " {v}{t}");
            }
            1 => {
                let header = ["|", ">", "|-", ">-", "|+", "> # c"][self.pick(6)];
                let _ = writeln!(self.out, " {header}");
                let lines = 1 + self.pick(3);
                for i in 0..lines {
                    if i > 0 && self.pick(3) == 0 {
                        self.out.push('\n');
                    }
                    let more = if header.starts_with('|') && self.pick(3) == 0 {
                        "  "
                    } else {
                        ""
                    };
                    let pad = " ".repeat(indent + 2);
                    let _ = writeln!(self.out, "{pad}{more}line {i}");
                }
                if self.pick(3) == 0 {
                    self.out.push('\n');
                }
            }
            2 => {
                let t = self.tail();
                let v = self.scalar();
                let _ = writeln!(self.out, " {v}{t}");
            }
            3 => {
                let t = self.tail();
                let _ = writeln!(self.out, "{t}");
                let inner = indent + 1 + self.pick(3);
                self.map(inner, depth + 1);
            }
            4 => {
                let t = self.tail();
                let _ = writeln!(self.out, "{t}");
                let inner = indent + self.pick(3);
                self.seq(inner, depth + 1);
            }
            5 => self.out.push('\n'),
            _ => {
                let t = self.tail();
                let _ = writeln!(self.out, "{t}");
                let inner = indent + 2;
                self.map(inner, depth + 1);
            }
        }
    }

    fn map(&mut self, indent: usize, depth: usize) {
        let n = 1 + self.pick(4);
        for i in 0..n {
            self.blank_lines();
            let key = ["k", "key two", "\"q\"", "'s'", "k2", "200"][self.pick(6)];
            let pad = " ".repeat(indent);
            let _ = write!(self.out, "{pad}{key}{i}:");
            self.value(indent, depth);
        }
    }

    fn seq(&mut self, indent: usize, depth: usize) {
        let n = 1 + self.pick(4);
        for _ in 0..n {
            self.blank_lines();
            let pad = " ".repeat(indent);
            let _ = write!(self.out, "{pad}-");
            match self.pick(4) {
                // A map that starts on the dash's line.
                0 if depth < 4 => {
                    let gap = 1 + self.pick(2);
                    self.out.push_str(&" ".repeat(gap));
                    let inner = indent + 1 + gap;
                    let mut rest = Shapes {
                        choices: self.choices.clone(),
                        out: String::new(),
                    };
                    rest.map(inner, depth + 1);
                    self.choices = rest.choices;
                    self.out.push_str(rest.out.trim_start());
                }
                _ => self.value(indent, depth),
            }
        }
    }
}

fn shaped() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
    )
        .prop_map(|(choices, seq)| {
            let mut shapes = Shapes {
                choices: choices.iter(),
                out: String::new(),
            };
            if seq {
                shapes.seq(0, 0);
            } else {
                shapes.map(0, 0);
            }
            shapes.out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_byte_check_takes_what_a_plain_loop_takes(
        bytes in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(0x7f), Just(b' '), Just(b'~'), Just(0x1f), any::<u8>()],
            0..40,
        ),
    ) {
        let expected = bytes.iter().all(|&b| (b' '..0x7f).contains(&b) || b == b'\n');
        prop_assert_eq!(super::scalar::plain_ascii(&bytes), expected);
    }

    #[test]
    fn documents_of_the_known_shapes_read_alike(text in shaped()) {
        agrees(&text);
    }

    #[test]
    fn generated_documents_read_alike(text in document()) {
        agrees(&text);
    }

    #[test]
    fn edited_repository_files_read_alike(text in mutated()) {
        agrees(&text);
    }
}
