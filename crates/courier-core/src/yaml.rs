//! The one place that parses YAML. It turns a file into a tree of [`Node`]s, each with the span
//! it was read from, so that every later error — a bad JSONPath inside a value, a duplicate
//! request name, the line of a failing assertion at run time — can point at `file:line:col`.
//!
//! Decision: we do not deserialize user files with serde_yaml. It is deprecated upstream and
//! reports positions only for its own syntax and type errors, never for values; pairing it with
//! a second, position-only parse would mean two parsers that must agree on every corner of
//! YAML. Instead we read the event stream of `saphyr-parser` (the maintained successor of
//! yaml-rust, a pure-Rust YAML 1.2 parser that gives a span for every event) and build our own
//! positioned tree, resolving plain scalars by the YAML 1.2 core schema (so `yes` stays a
//! string and `"200"` stays a string while `200` is a number). The loader then interprets the
//! tree by hand, with precise errors and did-you-mean suggestions, rather than through
//! `#[serde(untagged)]` shapes. The events come first from a faster reader of our
//! own for the plain shapes collections use (`yaml/fast.rs`), which hands the file to
//! saphyr-parser at anything else (docs/performance.md#yaml).
//!
//! Limits that keep hostile input from hanging or exhausting the process: nesting deeper than
//! [`MAX_DEPTH`] and documents that expand (through aliases) past [`MAX_NODES`] nodes are
//! errors. Anchors, aliases and merge keys (`<<`) work as in YAML 1.1 tooling.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};

use crate::diag::{Pos, Span, Spanned};

mod fast;

/// Deeper nesting than this is refused (the loader recurses over the tree).
pub const MAX_DEPTH: usize = 100;
/// More nodes than this, counting alias expansions, are refused ("billion laughs").
pub const MAX_NODES: usize = 1_000_000;

/// A YAML node with its span. Its strings borrow from the text it was read from where the
/// text holds them as they are (most of a collection's keys and values): a tree that owned
/// each of them cost an allocation and a free per key and scalar (docs/performance.md#yaml).
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub value: Value<'a>,
    pub span: Span,
}

/// The value of a node. Mapping keys are scalars, kept as text with their spans.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Key<'a>, Node<'a>)>),
}

/// A map key: its text, with its span.
pub type Key<'a> = Spanned<Cow<'a, str>>;

impl Node<'_> {
    /// What the node is, for "expected …, found …" messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node as JSON. Floats that JSON cannot hold (NaN, infinities) become null.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.value.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The scalar's text as a user wrote it (for keys and messages).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::String(s) => Some(s.to_string()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

/// A YAML syntax or structure error, with where it happened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

fn pos(marker: saphyr_parser::Marker) -> Pos {
    Pos::new(marker.line(), marker.col() + 1, marker.index())
}

fn span(s: YSpan) -> Span {
    Span::new(pos(s.start), pos(s.end))
}

/// Parses one YAML document. An empty file is a null node; a second document is an error,
/// and so is a duplicate key (the first one found).
pub fn parse(text: &str) -> Result<Node<'_>, YamlError> {
    strict(build(text, None))
}

/// The tree and the problems that did not stop the parse: a duplicate key is reported and
/// its second value dropped, so that the rest of the file is still read and checked
/// (docs/validate.md: every problem at once).
pub type Parsed<'a> = (Node<'a>, Vec<YamlError>);

fn strict(parsed: Result<Parsed<'_>, YamlError>) -> Result<Node<'_>, YamlError> {
    let (node, mut soft) = parsed?;
    if soft.is_empty() {
        Ok(node)
    } else {
        Err(soft.swap_remove(0))
    }
}

/// Like [`parse`], but each item of the top-level list under `key` goes to `on_item` as soon
/// as it is built instead of into the tree, where that list stays empty (with its span). A
/// collection of 10,000 requests then never holds its whole tree and its whole model at once:
/// that was the peak memory of a large run.
///
/// Problems that do not stop the parse (a duplicate key) come back beside the tree.
pub fn parse_streaming<'a>(
    text: &'a str,
    key: &str,
    on_item: &mut dyn FnMut(Node<'a>),
) -> Result<Parsed<'a>, YamlError> {
    build(text, Some((key, on_item)))
}

fn build<'a>(
    text: &'a str,
    stream: Option<(&str, &mut dyn FnMut(Node<'a>))>,
) -> Result<Parsed<'a>, YamlError> {
    let mut stream = stream.map(|(key, sink)| Stream {
        key,
        sink,
        handed: 0,
        skip: 0,
    });
    if let Some(fast) = fast::Fast::new(text)
        && let Ok(done) = read(text, Source::Fast(fast), stream.as_mut())
    {
        return done;
    }
    // The fast reader may hand out items before it finds something it leaves to saphyr: the
    // second reading skips the items already handed out (both readings give the same ones).
    if let Some(stream) = stream.as_mut() {
        stream.skip = stream.handed;
    }
    // saphyr-parser is never unsure; an error rather than a panic all the same.
    read(text, Source::slow(text), stream.as_mut()).unwrap_or_else(|Unsure| {
        Err(YamlError {
            message: "invalid YAML".to_owned(),
            span: Span::point(clamp(Pos::new(1, 1, 0), text)),
        })
    })
}

/// The top-level key whose list items are handed out as they are built, and where they go.
struct Stream<'k, 'a> {
    key: &'k str,
    sink: &'k mut dyn FnMut(Node<'a>),
    /// Items handed out so far.
    handed: usize,
    /// Items to build but not hand out again (a second reading of the text).
    skip: usize,
}

impl<'a> Stream<'_, 'a> {
    fn hand(&mut self, item: Node<'a>) {
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            self.handed += 1;
            (self.sink)(item);
        }
    }
}

/// The fast reader met something it leaves to saphyr-parser.
struct Unsure;

/// Builds the tree from one source of events.
fn read<'a>(
    text: &str,
    source: Source<'a>,
    stream: Option<&mut Stream<'_, 'a>>,
) -> Result<Result<Parsed<'a>, YamlError>, Unsure> {
    let mut builder = Builder {
        source,
        unsure: false,
        anchors: HashMap::new(),
        nodes: 0,
        expanded: 0,
        stream,
        soft: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
    };
    let result = builder.document();
    if builder.unsure {
        return Err(Unsure);
    }
    Ok(match result {
        Ok(node) => Ok((node, builder.soft)),
        Err(mut e) => {
            e.span = Span::point(clamp(e.span.start, text));
            Err(e)
        }
    })
}

/// Where the events come from: the fast reader for the plain shapes (`yaml/fast.rs`), or
/// saphyr-parser for everything.
enum Source<'a> {
    Fast(fast::Fast<'a>),
    Slow(Box<Parser<'a, saphyr_parser::StrInput<'a>>>),
}

impl<'a> Source<'a> {
    fn slow(text: &'a str) -> Self {
        Source::Slow(Box::new(Parser::new_from_str(text)))
    }
}

/// The parser sometimes reports an error past the end of the input (a line or two below the
/// last one): point at the end of the file instead, where the caret can be shown.
fn clamp(pos: Pos, text: &str) -> Pos {
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().max(1);
    let line = pos.line as usize;
    if line >= 1 && line <= last {
        let len = lines.get(line - 1).map_or(0, |l| l.chars().count());
        return Pos {
            col: pos.col.clamp(1, crate::diag::narrow(len + 1)),
            ..pos
        };
    }
    let len = lines.last().map_or(0, |l| l.chars().count());
    Pos::new(last, len + 1, text.chars().count())
}

struct Builder<'a, 's, 'k> {
    source: Source<'a>,
    /// Set when the fast reader gave up: the result is thrown away and saphyr reads the text.
    unsure: bool,
    anchors: HashMap<usize, Node<'a>>,
    nodes: usize,
    /// How many of `nodes` come from expanding aliases.
    expanded: usize,
    /// The top-level key whose list items are handed out as they are built.
    stream: Option<&'s mut Stream<'k, 'a>>,
    /// Problems found that do not stop the parse, in the file's order.
    soft: Vec<YamlError>,
    /// The items of the lists being built, innermost last: each list collects its items on
    /// top of this stack and takes them off in one vector of the exact size when it ends.
    /// Growing a vector per list and shrinking it at the end cost an allocation per doubling
    /// plus one to shrink, for every list and map of the file.
    items: Vec<Node<'a>>,
    /// The same for the entries of the maps being built.
    entries: Vec<(Key<'a>, Node<'a>)>,
}

impl<'a> Builder<'a, '_, '_> {
    fn next(&mut self) -> Result<(Event<'a>, YSpan), YamlError> {
        let next = match &mut self.source {
            Source::Fast(fast) => {
                let Ok(ev) = fast.next() else {
                    self.unsure = true;
                    return Err(YamlError {
                        message: String::new(),
                        span: Span::default(),
                    });
                };
                Some(Ok(ev))
            }
            Source::Slow(parser) => parser.next_event(),
        };
        match next {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => {
                let p = pos(*e.marker());
                let message = if e.info().contains("recursion limit") {
                    format!("nesting is too deep (more than {MAX_DEPTH} levels)")
                } else {
                    format!("invalid YAML: {}", e.info())
                };
                Err(YamlError {
                    message,
                    span: Span::point(p),
                })
            }
            None => Err(YamlError {
                message: "invalid YAML: unexpected end of input".to_owned(),
                span: Span::default(),
            }),
        }
    }

    fn document(&mut self) -> Result<Node<'a>, YamlError> {
        let mut root: Option<Node<'a>> = None;
        loop {
            let (event, sp) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    if let Some(first) = &root {
                        return Err(YamlError {
                            message: "a file holds one YAML document, found a second one"
                                .to_owned(),
                            span: if first.span.end.line > 0 {
                                span(sp)
                            } else {
                                first.span
                            },
                        });
                    }
                    let node = self.node(0)?;
                    root = Some(node);
                }
                Event::StreamEnd => {
                    return Ok(root.unwrap_or(Node {
                        value: Value::Null,
                        span: Span::point(Pos {
                            line: 1,
                            col: 1,
                            offset: 0,
                        }),
                    }));
                }
                _ => {
                    return Err(YamlError {
                        message: "invalid YAML: unexpected event outside a document".to_owned(),
                        span: span(sp),
                    });
                }
            }
        }
    }

    fn count(&mut self, sp: Span) -> Result<(), YamlError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            // Only a document that aliases made this large is called an alias expansion.
            let message = if self.expanded > 0 {
                format!(
                    "the document is too large: more than {MAX_NODES} values after expanding aliases"
                )
            } else {
                format!("the document is too large: more than {MAX_NODES} values")
            };
            return Err(YamlError { message, span: sp });
        }
        Ok(())
    }

    fn node(&mut self, depth: usize) -> Result<Node<'a>, YamlError> {
        let (event, sp) = self.next()?;
        self.node_from(event, sp, depth)
    }

    /// The node that starts with `event`, already read (by a loop looking for its end).
    fn node_from(
        &mut self,
        event: Event<'a>,
        sp: YSpan,
        depth: usize,
    ) -> Result<Node<'a>, YamlError> {
        let sp = span(sp);
        if depth > MAX_DEPTH {
            return Err(YamlError {
                message: format!("nesting is too deep (more than {MAX_DEPTH} levels)"),
                span: sp,
            });
        }
        self.count(sp)?;
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(text, style, tag.as_deref())
                    .map_err(|message| YamlError { message, span: sp })?;
                let node = Node { value, span: sp };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError {
                        message: "alias to an unknown or unfinished anchor".to_owned(),
                        span: sp,
                    });
                };
                let size = count_nodes(&target);
                self.nodes += size;
                self.expanded += size;
                self.count(sp)?;
                Ok(Node {
                    value: target.value,
                    span: sp,
                })
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "seq", sp)?;
                let base = self.items.len();
                let end = loop {
                    let (ev, esp) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break span(esp);
                    }
                    let item = self.node_from(ev, esp, depth + 1)?;
                    self.items.push(item);
                };
                // The tree of a large file is big (a 10,000-request collection: 18 MB of it in
                // the spare capacity of growing vectors): each list holds exactly its items.
                let items: Vec<Node<'a>> = self.items.drain(base..).collect();
                let node = Node {
                    value: Value::Seq(items),
                    span: Span::new(sp.start, end.end.max(sp.end)),
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_deref(), "map", sp)?;
                let base = self.entries.len();
                let mut merges: Vec<Node<'a>> = Vec::new();
                let end = loop {
                    let (ev, esp) = self.next()?;
                    if matches!(ev, Event::MappingEnd) {
                        break span(esp);
                    }
                    let is_merge =
                        matches!(&ev, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
                    let key = self.node_from(ev, esp, depth + 1)?;
                    let streamed = depth == 0
                        && self
                            .stream
                            .as_ref()
                            .is_some_and(|st| key.as_str() == Some(st.key));
                    let value = if streamed {
                        self.streamed_list(depth + 1)?
                    } else {
                        self.node(depth + 1)?
                    };
                    if is_merge {
                        merges.push(value);
                        continue;
                    }
                    let key_span = key.span;
                    let text = match key_text(key) {
                        Ok(text) => text,
                        Err(key) => {
                            return Err(YamlError {
                                message: format!(
                                    "a map key must be a plain value, found {}",
                                    key.type_name()
                                ),
                                span: key.span,
                            });
                        }
                    };
                    if let Some((first, _)) =
                        self.entries[base..].iter().find(|(k, _)| k.value == text)
                    {
                        self.soft.push(YamlError {
                            message: format!(
                                "duplicate key `{text}` (first at line {})",
                                first.span.start.line
                            ),
                            span: key_span,
                        });
                        continue;
                    }
                    self.entries.push((Spanned::new(text, key_span), value));
                };
                // Exactly the map's entries (see `items` for the list's case).
                let mut entries: Vec<(Key<'a>, Node<'a>)> = self.entries.drain(base..).collect();
                for merge in merges {
                    apply_merge(&mut entries, merge)?;
                }
                entries.shrink_to_fit();
                let node = Node {
                    value: Value::Map(entries),
                    span: Span::new(sp.start, end.end.max(sp.end)),
                };
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::SequenceEnd | Event::MappingEnd => Err(YamlError {
                message: "invalid YAML: unexpected end of a collection".to_owned(),
                span: sp,
            }),
            _ => Err(YamlError {
                message: "invalid YAML: unexpected document boundary".to_owned(),
                span: sp,
            }),
        }
    }

    /// The value of the streamed key: when it is a plain list (no anchor, no tag), each item
    /// goes to the sink and the list in the tree stays empty; anything else is built as usual.
    fn streamed_list(&mut self, depth: usize) -> Result<Node<'a>, YamlError> {
        let (event, sp) = self.next()?;
        if !matches!(event, Event::SequenceStart(0, None)) {
            return self.node_from(event, sp, depth);
        }
        let start = span(sp);
        self.count(start)?;
        let end = loop {
            let (ev, esp) = self.next()?;
            if matches!(ev, Event::SequenceEnd) {
                break span(esp);
            }
            let item = self.node_from(ev, esp, depth + 1)?;
            if let Some(stream) = self.stream.as_mut() {
                stream.hand(item);
            }
        };
        Ok(Node {
            value: Value::Seq(Vec::new()),
            span: Span::new(start.start, end.end.max(start.end)),
        })
    }

    fn remember(&mut self, anchor: usize, node: &Node<'a>) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }
}

/// A map key's text, as [`Node::scalar_text`] gives it, taken out of the key rather than
/// copied; the key back when it is a list or a map.
fn key_text(key: Node<'_>) -> Result<Cow<'_, str>, Node<'_>> {
    match key.value {
        Value::String(s) => Ok(s),
        _ => key.scalar_text().map(Cow::Owned).ok_or(key),
    }
}

fn count_nodes(node: &Node<'_>) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(_, v)| 1 + count_nodes(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// `<<: *base` or `<<: [*a, *b]`: keys of the merged maps that the map does not set itself.
fn apply_merge<'a>(
    entries: &mut Vec<(Key<'a>, Node<'a>)>,
    merge: Node<'a>,
) -> Result<(), YamlError> {
    let sources = match merge.value {
        Value::Map(m) => vec![m],
        Value::Seq(items) => {
            let mut maps = Vec::new();
            for item in items {
                match item.value {
                    Value::Map(m) => maps.push(m),
                    _ => {
                        return Err(YamlError {
                            message: "a merge key (`<<`) takes a map or a list of maps".to_owned(),
                            span: item.span,
                        });
                    }
                }
            }
            maps
        }
        _ => {
            return Err(YamlError {
                message: "a merge key (`<<`) takes a map or a list of maps".to_owned(),
                span: merge.span,
            });
        }
    };
    for source in sources {
        for (k, v) in source {
            if !entries.iter().any(|(e, _)| e.value == k.value) {
                entries.push((k, v));
            }
        }
    }
    Ok(())
}

fn check_collection_tag(
    tag: Option<&saphyr_parser::Tag>,
    kind: &str,
    sp: Span,
) -> Result<(), YamlError> {
    match tag {
        None => Ok(()),
        Some(t) if t.handle == "tag:yaml.org,2002:" && t.suffix == kind => Ok(()),
        Some(t) => Err(YamlError {
            message: format!("unsupported YAML tag `{}{}`", t.handle, t.suffix),
            span: sp,
        }),
    }
}

/// YAML 1.2 core schema for plain scalars; quoted scalars are strings; `!!str`, `!!int`,
/// `!!float`, `!!bool` and `!!null` force a type.
fn resolve_scalar<'a>(
    text: Cow<'a, str>,
    style: ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
) -> Result<Value<'a>, String> {
    // A string value keeps the text as the reader handed it over: lent from the file by the
    // fast reader, owned when saphyr-parser built it; never copied here.
    if let Some(tag) = tag {
        if tag.handle != "tag:yaml.org,2002:" {
            return Err(format!(
                "unsupported YAML tag `{}{}`",
                tag.handle, tag.suffix
            ));
        }
        return match tag.suffix.as_str() {
            "str" => Ok(Value::String(text)),
            "null" => Ok(Value::Null),
            "bool" => parse_bool(&text)
                .map(Value::Bool)
                .ok_or_else(|| format!("`{text}` is not a boolean")),
            "int" => parse_int(&text)
                .map(Value::Int)
                .ok_or_else(|| format!("`{text}` is not an integer")),
            "float" => parse_float(&text)
                .or_else(|| parse_int(&text).map(|i| i as f64))
                .map(Value::Float)
                .ok_or_else(|| format!("`{text}` is not a number")),
            other => Err(format!("unsupported YAML tag `!!{other}`")),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text));
    }
    let typed = match &*text {
        "" | "~" | "null" | "Null" | "NULL" => Some(Value::Null),
        // Every boolean, integer and float of the core schema starts with one of these: most
        // plain scalars (names, URLs, words) are strings, known without trying each form.
        t if !t.starts_with(|c: char| {
            c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 't' | 'T' | 'f' | 'F')
        }) =>
        {
            None
        }
        t => parse_bool(t)
            .map(Value::Bool)
            .or_else(|| parse_int(t).map(Value::Int))
            .or_else(|| parse_float(t).map(Value::Float)),
    };
    Ok(typed.unwrap_or(Value::String(text)))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let digits = |s: &str, radix: u32| !s.is_empty() && s.chars().all(|c| c.is_digit(radix));
    if let Some(oct) = text.strip_prefix("0o") {
        return if digits(oct, 8) {
            i64::from_str_radix(oct, 8).ok()
        } else {
            None
        };
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return if digits(hex, 16) {
            i64::from_str_radix(hex, 16).ok()
        } else {
            None
        };
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits(body, 10) {
        text.parse().ok()
    } else {
        None
    }
}

fn parse_float(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    match body {
        ".inf" | ".Inf" | ".INF" => {
            return Some(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        ".nan" | ".NaN" | ".NAN" if body.len() == text.len() => return Some(f64::NAN),
        _ => {}
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (mantissa, None),
    };
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => all_digits(int) && all_digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && all_digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    if mantissa_ok && exponent_ok {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
