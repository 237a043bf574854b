//! The pairing walk: both documents at once, locations kept as borrowed steps on a stack, a
//! path string built only when a difference or warning is recorded.

use std::collections::HashMap;
use std::fmt::Write as _;

use courier_core::jsonpath::{EvalError, JsonPath, PathElement, write_quoted_name};
use serde_json::{Map, Number, Value};

use super::DiffKind;

/// The arrays `match_by` selects in one document, as a trie of their locations: the walk
/// follows it alongside the document and leaves it as soon as no selected array lies below.
#[derive(Debug, Default)]
pub(super) struct KeyTrie {
    names: HashMap<String, KeyTrie>,
    indices: HashMap<usize, KeyTrie>,
    /// The key field when the array here is selected.
    field: Option<String>,
}

impl KeyTrie {
    pub(super) fn build(
        doc: &Value,
        match_by: &[(JsonPath, String)],
    ) -> Result<KeyTrie, EvalError> {
        let mut root = KeyTrie::default();
        for (query, field) in match_by {
            for (location, node) in query.try_query_located(doc)? {
                if !node.is_array() {
                    continue;
                }
                let mut at = &mut root;
                for element in location.elements() {
                    at = match element {
                        PathElement::Name(name) => at.names.entry(name.clone()).or_default(),
                        PathElement::Index(index) => at.indices.entry(*index).or_default(),
                    };
                }
                // The first query that selects an array decides its key.
                at.field.get_or_insert_with(|| field.clone());
            }
        }
        Ok(root)
    }

    fn name(&self, name: &str) -> Option<&KeyTrie> {
        self.names.get(name)
    }

    fn index(&self, index: usize) -> Option<&KeyTrie> {
        self.indices.get(&index)
    }
}

/// One step of the display path.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Name(&'a str),
    Index(usize),
    /// An element paired by key: `[?@['field']==key]`.
    Keyed {
        field: &'a str,
        key: &'a Value,
    },
}

/// One step of a location in one document.
#[derive(Debug, Clone, Copy)]
enum Loc<'a> {
    Name(&'a str),
    Index(usize),
}

/// One level of the walk: the display step and where it is on each side (`None` on the side
/// that lacks the node).
#[derive(Debug, Clone, Copy)]
struct Frame<'a> {
    step: Step<'a>,
    left: Option<Loc<'a>>,
    right: Option<Loc<'a>>,
}

/// A recorded difference's locations, for ignores: on each side, the node's own location, or
/// its nearest paired ancestor's where that side lacks it.
#[derive(Debug)]
pub(super) struct Anchors {
    pub(super) left: Vec<PathElement>,
    pub(super) right: Vec<PathElement>,
}

#[derive(Debug)]
pub(super) struct RawDifference<'a> {
    pub(super) path: String,
    pub(super) kind: DiffKind,
    pub(super) left: Option<&'a Value>,
    pub(super) right: Option<&'a Value>,
    pub(super) at: Anchors,
}

#[derive(Debug)]
pub(super) struct RawWarning {
    pub(super) message: String,
    pub(super) at: Anchors,
}

#[derive(Debug, Default)]
pub(super) struct Found<'a> {
    pub(super) differences: Vec<RawDifference<'a>>,
    pub(super) warnings: Vec<RawWarning>,
}

pub(super) fn walk<'a>(
    left: &'a Value,
    right: &'a Value,
    left_keys: &'a KeyTrie,
    right_keys: &'a KeyTrie,
) -> Found<'a> {
    let mut walker = Walker {
        frames: Vec::new(),
        found: Found::default(),
    };
    walker.value(left, right, Some(left_keys), Some(right_keys));
    walker.found
}

struct Walker<'a> {
    frames: Vec<Frame<'a>>,
    found: Found<'a>,
}

impl<'a> Walker<'a> {
    fn value(
        &mut self,
        left: &'a Value,
        right: &'a Value,
        left_keys: Option<&'a KeyTrie>,
        right_keys: Option<&'a KeyTrie>,
    ) {
        match (left, right) {
            (Value::Null, Value::Null) => {}
            (Value::Bool(l), Value::Bool(r)) => {
                if l != r {
                    self.record(DiffKind::Changed, Some(left), Some(right));
                }
            }
            (Value::Number(l), Value::Number(r)) => {
                if !numbers_equal(l, r) {
                    self.record(DiffKind::Changed, Some(left), Some(right));
                }
            }
            (Value::String(l), Value::String(r)) => {
                if l != r {
                    self.record(DiffKind::Changed, Some(left), Some(right));
                }
            }
            (Value::Object(l), Value::Object(r)) => self.objects(l, r, left_keys, right_keys),
            (Value::Array(l), Value::Array(r)) => self.arrays(l, r, left_keys, right_keys),
            _ => self.record(DiffKind::TypeChanged, Some(left), Some(right)),
        }
    }

    fn objects(
        &mut self,
        left: &'a Map<String, Value>,
        right: &'a Map<String, Value>,
        left_keys: Option<&'a KeyTrie>,
        right_keys: Option<&'a KeyTrie>,
    ) {
        // Responses of one API usually list members in the same order: walk both in step
        // while the names agree, and look names up only after the first disagreement.
        let mut right_in_order = right.iter();
        let mut aligned = true;
        for (name, left_value) in left {
            let right_value = if aligned {
                match right_in_order.next() {
                    Some((right_name, right_value)) if right_name == name => Some(right_value),
                    _ => {
                        aligned = false;
                        right.get(name)
                    }
                }
            } else {
                right.get(name)
            };
            let at = Loc::Name(name);
            match right_value {
                Some(right_value) => {
                    self.frames.push(Frame {
                        step: Step::Name(name),
                        left: Some(at),
                        right: Some(at),
                    });
                    self.value(
                        left_value,
                        right_value,
                        left_keys.and_then(|keys| keys.name(name)),
                        right_keys.and_then(|keys| keys.name(name)),
                    );
                    self.frames.pop();
                }
                None => self.unpaired(Step::Name(name), Some(at), None, left_value),
            }
        }
        if aligned && left.len() == right.len() {
            return;
        }
        for (name, right_value) in right {
            if !left.contains_key(name) {
                self.unpaired(Step::Name(name), None, Some(Loc::Name(name)), right_value);
            }
        }
    }

    fn arrays(
        &mut self,
        left: &'a [Value],
        right: &'a [Value],
        left_keys: Option<&'a KeyTrie>,
        right_keys: Option<&'a KeyTrie>,
    ) {
        let field = left_keys
            .and_then(|keys| keys.field.as_deref())
            .or_else(|| right_keys.and_then(|keys| keys.field.as_deref()));
        if let Some(field) = field {
            match (index_by_key(left, field), index_by_key(right, field)) {
                (Ok(left_index), Ok(right_index)) => {
                    self.keyed(
                        left,
                        right,
                        field,
                        &left_index,
                        &right_index,
                        left_keys,
                        right_keys,
                    );
                    return;
                }
                (Err(problem), _) => self.warn_fallback(field, "left", &problem),
                (_, Err(problem)) => self.warn_fallback(field, "right", &problem),
            }
        }
        self.by_index(left, right, left_keys, right_keys);
    }

    fn by_index(
        &mut self,
        left: &'a [Value],
        right: &'a [Value],
        left_keys: Option<&'a KeyTrie>,
        right_keys: Option<&'a KeyTrie>,
    ) {
        for (index, (left_item, right_item)) in left.iter().zip(right).enumerate() {
            self.frames.push(Frame {
                step: Step::Index(index),
                left: Some(Loc::Index(index)),
                right: Some(Loc::Index(index)),
            });
            self.value(
                left_item,
                right_item,
                left_keys.and_then(|keys| keys.index(index)),
                right_keys.and_then(|keys| keys.index(index)),
            );
            self.frames.pop();
        }
        for (index, item) in left.iter().enumerate().skip(right.len()) {
            self.unpaired(Step::Index(index), Some(Loc::Index(index)), None, item);
        }
        for (index, item) in right.iter().enumerate().skip(left.len()) {
            self.unpaired(Step::Index(index), None, Some(Loc::Index(index)), item);
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the walk's state for one array pair"
    )]
    fn keyed(
        &mut self,
        left: &'a [Value],
        right: &'a [Value],
        field: &'a str,
        left_index: &HashMap<Key<'a>, usize>,
        right_index: &HashMap<Key<'a>, usize>,
        left_keys: Option<&'a KeyTrie>,
        right_keys: Option<&'a KeyTrie>,
    ) {
        for (index, item) in left.iter().enumerate() {
            // Every element has a valid key: `index_by_key` succeeded.
            let Some((key_value, key)) = key_of(item, field) else {
                continue;
            };
            let step = Step::Keyed {
                field,
                key: key_value,
            };
            match right_index.get(&key) {
                Some(&right_at) => {
                    self.frames.push(Frame {
                        step,
                        left: Some(Loc::Index(index)),
                        right: Some(Loc::Index(right_at)),
                    });
                    self.value(
                        item,
                        &right[right_at],
                        left_keys.and_then(|keys| keys.index(index)),
                        right_keys.and_then(|keys| keys.index(right_at)),
                    );
                    self.frames.pop();
                }
                None => self.unpaired(step, Some(Loc::Index(index)), None, item),
            }
        }
        for (index, item) in right.iter().enumerate() {
            let Some((key_value, key)) = key_of(item, field) else {
                continue;
            };
            if !left_index.contains_key(&key) {
                let step = Step::Keyed {
                    field,
                    key: key_value,
                };
                self.unpaired(step, None, Some(Loc::Index(index)), item);
            }
        }
    }

    /// Records a member or element present on one side only.
    fn unpaired(
        &mut self,
        step: Step<'a>,
        left: Option<Loc<'a>>,
        right: Option<Loc<'a>>,
        value: &'a Value,
    ) {
        self.frames.push(Frame { step, left, right });
        if left.is_some() {
            self.record(DiffKind::Removed, Some(value), None);
        } else {
            self.record(DiffKind::Added, None, Some(value));
        }
        self.frames.pop();
    }

    fn record(&mut self, kind: DiffKind, left: Option<&'a Value>, right: Option<&'a Value>) {
        self.found.differences.push(RawDifference {
            path: self.display_path(),
            kind,
            left,
            right,
            at: self.anchors(),
        });
    }

    fn warn_fallback(&mut self, field: &str, side: &str, problem: &KeyProblem) {
        let mut message = format!("{}: cannot pair by `{field}`: ", self.display_path());
        match problem {
            KeyProblem::Missing(index) => {
                let _ = write!(
                    message,
                    "element {index} of the {side} array has no `{field}` string or number"
                );
            }
            KeyProblem::Duplicate(key) => {
                let _ = write!(message, "`{field}` {key} appears twice in the {side} array");
            }
        }
        message.push_str("; paired by index");
        self.found.warnings.push(RawWarning {
            message,
            at: self.anchors(),
        });
    }

    fn display_path(&self) -> String {
        let mut path = String::with_capacity(16 * (self.frames.len() + 1));
        path.push('$');
        for frame in &self.frames {
            // Writing to a String cannot fail.
            let _ = write_step(&mut path, frame.step);
        }
        path
    }

    fn anchors(&self) -> Anchors {
        let side = |pick: fn(&Frame<'a>) -> Option<Loc<'a>>| {
            self.frames
                .iter()
                .map_while(pick)
                .map(|loc| match loc {
                    Loc::Name(name) => PathElement::Name(name.to_owned()),
                    Loc::Index(index) => PathElement::Index(index),
                })
                .collect()
        };
        Anchors {
            left: side(|frame| frame.left),
            right: side(|frame| frame.right),
        }
    }
}

fn write_step(out: &mut String, step: Step<'_>) -> std::fmt::Result {
    match step {
        Step::Name(name) => {
            out.push('[');
            write_quoted_name(out, name)?;
            out.push(']');
        }
        Step::Index(index) => write!(out, "[{index}]")?,
        Step::Keyed { field, key } => {
            out.push_str("[?@[");
            write_quoted_name(out, field)?;
            out.push_str("]==");
            match key {
                Value::String(text) => write_quoted_name(out, text)?,
                // A JSON number is a valid RFC 9535 number literal as serde_json writes it.
                other => write!(out, "{other}")?,
            }
            out.push(']');
        }
    }
    Ok(())
}

/// A match key, comparable across representations: numbers by value, so `1` and `1.0` are
/// the same key (the filter path `[?@['id']==1]` selects both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    Text(&'a str),
    Integer(i128),
    /// A number with a fractional part, by its bits (never -0.0: that is the integer 0).
    Float(u64),
}

#[derive(Debug)]
enum KeyProblem {
    /// The index of an element without a usable key.
    Missing(usize),
    /// The key, as it would appear in a path.
    Duplicate(String),
}

fn key_of<'a>(item: &'a Value, field: &str) -> Option<(&'a Value, Key<'a>)> {
    let value = item.as_object()?.get(field)?;
    let key = match value {
        Value::String(text) => Key::Text(text),
        Value::Number(number) => number_key(number)?,
        _ => return None,
    };
    Some((value, key))
}

fn number_key(number: &Number) -> Option<Key<'static>> {
    if let Some(integer) = integer(number) {
        return Some(Key::Integer(integer));
    }
    let float = number.as_f64()?;
    Some(match exact_integer(float) {
        Some(integer) => Key::Integer(integer),
        None => Key::Float(float.to_bits()),
    })
}

fn index_by_key<'a>(
    items: &'a [Value],
    field: &str,
) -> Result<HashMap<Key<'a>, usize>, KeyProblem> {
    let mut index = HashMap::with_capacity(items.len());
    for (at, item) in items.iter().enumerate() {
        let (value, key) = key_of(item, field).ok_or(KeyProblem::Missing(at))?;
        if index.insert(key, at).is_some() {
            let mut shown = String::new();
            let _ = match value {
                Value::String(text) => write_quoted_name(&mut shown, text),
                other => write!(shown, "{other}"),
            };
            return Err(KeyProblem::Duplicate(shown));
        }
    }
    Ok(index)
}

fn integer(number: &Number) -> Option<i128> {
    number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from))
}

/// The integer a float holds exactly, if it holds one that an `i128` can.
fn exact_integer(float: f64) -> Option<i128> {
    // 2^127: every f64 with no fractional part below this magnitude converts exactly.
    const LIMIT: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    (float.fract() == 0.0 && float.abs() < LIMIT).then_some(float as i128)
}

/// Numbers by value: integers exactly, an integer and a float equal only when the float holds
/// exactly that integer, two floats by `==`.
fn numbers_equal(left: &Number, right: &Number) -> bool {
    match (integer(left), integer(right)) {
        (Some(l), Some(r)) => l == r,
        (Some(i), None) | (None, Some(i)) => {
            let float = if integer(left).is_some() { right } else { left };
            float.as_f64().and_then(exact_integer) == Some(i)
        }
        (None, None) => left.as_f64() == right.as_f64(),
    }
}
