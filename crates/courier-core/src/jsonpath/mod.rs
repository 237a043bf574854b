//! JSONPath (RFC 9535) behind one small module of ours: every query in a collection — matcher
//! paths, captures, snapshot paths and redactions, compare ignores and `match_by` — is compiled
//! here once at load time and evaluated many times, so the engine can be swapped without
//! touching the rest of Courier.
//!
//! What this module owns:
//! - [`JsonPath::compile`]: parse, then the RFC 9535 checks the engine leaves out (function
//!   extensions must be known and well-typed, see `check`), and singular-query detection. It
//!   never panics and never hangs, whatever the text: lengths and nesting are bounded before the
//!   engine sees the text, and a panic in the engine (in compiling or evaluating) is caught as a
//!   last line of defence. The process-wide panic hook is left alone, so such a panic would
//!   still print its message; none is known (400,000 random query texts, release and debug
//!   builds, raised none), which is why silencing the hook was not worth its global effect.
//! - Evaluation: [`JsonPath::select`] (a singular query yields its one value or "no match",
//!   anything else its node list, as docs/collections.md, "JSONPath" says),
//!   [`JsonPath::query`],
//!   [`JsonPath::query_located`] with [`NormalizedPath`]s, and [`JsonPath::replace_all`] for
//!   snapshot redactions. Singular queries are walked directly; queries of only name, index
//!   and wildcard selectors (child or descendant, such as `$..id`) run on our own small
//!   evaluator (`structural`); the others go through the engine, with the ordering fix and
//!   stack guard of `eval`.
//! - [`JsonPath::extract_from_slice`]: the value a singular query names, read from the body's
//!   bytes by a targeted pass that skips everything else (on large bodies a full parse was
//!   most of the cost of a check), with exactly the answer of a full parse followed by
//!   [`JsonPath::select`].
//!
//! # Why jsonpath-rust
//!
//! Measured on the RFC 9535 Compliance Test Suite (703 cases, `tests/data/jsonpath-cts.json`,
//! run by `cargo test -p courier-core --test integration jsonpath_cts`), node lists and
//! normalized paths both checked:
//!
//! | engine | CTS passed |
//! |---|---|
//! | jsonpath-rust 1.0.12 alone | 694 |
//! | jsonpath-rust 1.0.12 through this module | 702 |
//! | serde_json_path 0.7.2 | 689 (703 on node lists; its locations do not escape `'`, `\\` and controls as RFC 9535 §2.7 says) |
//!
//! Our wrapper fixes eight of the engine's nine failures: the six ill-typed function calls it
//! accepted (such as `$[?length(@.*)<3]` and `$[?count(@..*)]`) are refused by a static check
//! (`check`), and the order of `$..['a','d']` is fixed by evaluating multi-selector segments
//! node by node (`eval`). The one left, `$[?@[?@>1]]`, is listed with its reason in the test:
//! the engine evaluates a filter applied directly to a filter's current node (`@[?...]`) as a
//! boolean rather than a node list, which also skews `count(@[?...])`.
//!
//! Speed, on a parsed ~100 KB Intacct-shaped document (release build, this 2-core machine
//! shared with other builds, so ranges over three runs; via `JsonPath::query`):
//!
//! | query | jsonpath-rust alone | this module | serde_json_path 0.7.2 |
//! |---|---|---|---|
//! | `$..name` | 546 µs | 35–54 µs (own evaluator) | 57–105 µs |
//! | `$['ia::result'].lines[*].dimensions.department.id` | 153 µs | 27–53 µs (own evaluator) | 39–85 µs |
//! | `$['ia::result'].lines[?@.status=='active'].id` | 81 µs | 82–146 µs (engine) | 21–28 µs |
//! | `$['ia::result'].name` | — | 49–58 ns (direct walk) | 151–168 ns |
//!
//! serde_json_path is 4–5× faster than the engine on filters, but it panics on a selector
//! ending in `\u`, evaluates `>`, `>=` and `<=` wrongly on booleans, arrays and absent values
//! (wrong answers, which no wrapper can see, unlike panics), and has had no release for almost
//! two years. The queries that run on every response — singular checks and captures,
//! `$..id`-style redactions and ignores — never reach the engine here (and a singular query on
//! a body is read by the targeted byte pass, 5× faster than a full parse: `benches/jsonpath.rs`),
//! so the engine's speed matters little and jsonpath-rust, the engine Courier had chosen, stays.

mod budget;
mod check;
mod eval;
mod extract;
mod normalized;
mod simple;
mod structural;

use std::fmt;
use std::panic::catch_unwind;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use jsonpath_rust::parser::errors::JsonPathError as EngineError;
use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::parser::parse_json_path;
use serde_json::Value;

pub use budget::{EvalError, NODE_BUDGET};

use crate::shared::Shared;
pub use normalized::{NormalizedPath, PathElement, write_quoted_name};

use extract::Step;

/// The longest query text we accept, in bytes. Real queries are a few dozen characters; the
/// bound keeps the engine's backtracking parser away from pathological inputs.
pub const MAX_QUERY_LEN: usize = 4096;

/// The deepest nesting of brackets and parentheses we accept. The engine refuses more than 128
/// itself; 32 is far beyond anything a collection needs and keeps the recursive parser's stack
/// use small on 2 MiB threads (tokio workers, test threads).
pub const MAX_NESTING: usize = 32;

/// The deepest nesting of function calls we accept (`length(value(...))` is 2). The engine's
/// parser tries each function argument as a query before trying it as a logical expression and
/// re-parses everything inside on each attempt, so its work triples with every level when the
/// innermost argument is not a plain query: `$[?length(`×n`@.a==1` `)`×n`]` takes 88 ms at
/// n = 10, 7 s at 14 and 70 s at 16 (release build). At 4 it is well under a millisecond.
pub const MAX_FUNCTION_NESTING: usize = 4;

/// The message of the error [`JsonPath::compile`] gives when the engine panicked on a query
/// (the panic is caught). Seeing it means a query slipped past [`precheck`]: a bug to fix.
const ENGINE_FAILED: &str = "the JSONPath engine failed on this query";

/// A JSONPath query compiled once, evaluated many times. Cheap to clone (shared), `Send` and
/// `Sync`.
#[derive(Clone)]
pub struct JsonPath {
    inner: Arc<Inner>,
}

struct Inner {
    text: String,
    query: JpQuery,
    /// The steps of a singular query; `None` for any other query.
    singular: Option<Vec<Step>>,
    /// The steps of a query our own evaluator runs (see `structural`); `None` for the engine.
    structural: Option<Vec<structural::Step>>,
    /// Whether evaluation can recurse as deep as the document (see `eval`).
    recurses: bool,
}

/// Why a query text is not a valid JSONPath.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath: {message}")]
pub struct JsonPathError {
    /// What is wrong, a lowercase fragment.
    pub message: String,
    /// Where, in characters (not bytes) from the start of the query text, when known.
    pub offset: Option<usize>,
}

/// Why [`JsonPath::extract_from_slice`] gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The body is not one JSON document (exactly when `serde_json::from_slice` fails).
    #[error("response body is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Targeted extraction only reads singular queries; parse the body and use
    /// [`JsonPath::select`] for the others.
    #[error("`{0}` is not a singular query, so it cannot be read without parsing the body")]
    NotSingular(String),
}

/// What a query selects, in the two shapes of docs/collections.md, "JSONPath".
#[derive(Debug, Clone, PartialEq)]
pub enum Selection<'a> {
    /// A singular query: its one value, or `None` for "no match".
    Singular(Option<&'a Value>),
    /// Any other query: its node list, possibly empty.
    Nodes(Vec<&'a Value>),
}

impl JsonPath {
    /// Compiles `text` as an RFC 9535 query. Never panics.
    ///
    /// A query compiled before and still in use is shared rather than compiled again: a
    /// collection checks the same few paths in request after request, and parsing one costs
    /// far more than looking it up (a tenth of loading a 10,000-request file).
    pub fn compile(text: &str) -> Result<JsonPath, JsonPathError> {
        /// Compiled queries by text (see [`crate::shared`]).
        static COMPILED: LazyLock<Mutex<Shared<Inner>>> = LazyLock::new(Mutex::default);
        // A poisoned lock only means a thread panicked mid-insert: the map is still sound.
        let mut cache = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
        let inner = cache.get_or_compile(text, Self::compile_inner)?;
        Ok(JsonPath { inner })
    }

    fn compile_inner(text: &str) -> Result<Inner, JsonPathError> {
        precheck(text)?;
        let parsed = simple::parse(text)
            .map_or_else(|| catch_unwind(|| parse_json_path(text)), |q| Ok(Ok(q)));
        let query = match parsed {
            Ok(Ok(query)) => query,
            Ok(Err(error)) => return Err(engine_error(text, &error)),
            Err(_) => {
                return Err(JsonPathError {
                    message: ENGINE_FAILED.to_owned(),
                    offset: None,
                });
            }
        };
        check::check_query(&query).map_err(|message| JsonPathError {
            message,
            offset: None,
        })?;
        let singular = singular_steps(&query.segments);
        let structural = structural::plan(&query.segments);
        let recurses = check::recurses_on_document(&query.segments);
        Ok(Inner {
            text: text.to_owned(),
            query,
            singular,
            structural,
            recurses,
        })
    }

    /// The query text as written.
    pub fn as_str(&self) -> &str {
        &self.inner.text
    }

    /// Whether this is an RFC 9535 singular query: only name and index segments (no wildcard,
    /// slice, filter, descendant segment or union).
    pub fn is_singular(&self) -> bool {
        self.inner.singular.is_some()
    }

    /// What the query selects in `doc`: for a singular query its value or `None`, otherwise
    /// the node list. A query that blows the node budget selects nothing: use
    /// [`JsonPath::try_select`] to tell the two apart.
    pub fn select<'a>(&self, doc: &'a Value) -> Selection<'a> {
        self.try_select(doc)
            .unwrap_or_else(|_| Selection::Nodes(Vec::new()))
    }

    /// [`JsonPath::select`], failing when evaluation would visit more than [`NODE_BUDGET`]
    /// nodes.
    pub fn try_select<'a>(&self, doc: &'a Value) -> Result<Selection<'a>, EvalError> {
        match &self.inner.singular {
            Some(steps) => Ok(Selection::Singular(walk(steps, doc))),
            None => self.try_query(doc).map(Selection::Nodes),
        }
    }

    /// The node list, in RFC 9535 order (empty when the node budget is blown: see
    /// [`JsonPath::try_query`]).
    pub fn query<'a>(&self, doc: &'a Value) -> Vec<&'a Value> {
        self.try_query(doc).unwrap_or_default()
    }

    /// The node list, in RFC 9535 order, failing when evaluation would visit more than
    /// [`NODE_BUDGET`] nodes.
    pub fn try_query<'a>(&self, doc: &'a Value) -> Result<Vec<&'a Value>, EvalError> {
        let budget = NODE_BUDGET;
        Ok(match (&self.inner.singular, &self.inner.structural) {
            (Some(steps), _) => walk(steps, doc).into_iter().collect(),
            (None, Some(steps)) => structural::evaluate(steps, doc, budget)
                .map_err(|()| self.blown(budget))?
                .nodes(),
            (None, None) => {
                self.engine_fits(doc, budget)?;
                eval::evaluate(&self.inner.query, self.inner.recurses, doc)
                    .into_iter()
                    .map(|(_, node)| node)
                    .collect()
            }
        })
    }

    /// The node list with each node's location (empty when the node budget is blown: see
    /// [`JsonPath::try_query_located`]).
    pub fn query_located<'a>(&self, doc: &'a Value) -> Vec<(NormalizedPath, &'a Value)> {
        self.try_query_located(doc).unwrap_or_default()
    }

    /// The node list with each node's location, failing when evaluation would visit more than
    /// [`NODE_BUDGET`] nodes.
    pub fn try_query_located<'a>(
        &self,
        doc: &'a Value,
    ) -> Result<Vec<(NormalizedPath, &'a Value)>, EvalError> {
        Ok(match (&self.inner.singular, &self.inner.structural) {
            (Some(steps), _) => walk_located(steps, doc).into_iter().collect(),
            (None, Some(steps)) => structural::evaluate(steps, doc, NODE_BUDGET)
                .map_err(|()| self.blown(NODE_BUDGET))?
                .located(),
            (None, None) => {
                self.engine_fits(doc, NODE_BUDGET)?;
                eval::evaluate(&self.inner.query, self.inner.recurses, doc)
                    .into_iter()
                    .filter_map(|(path, node)| Some((locate(&path, node, doc)?, node)))
                    .collect()
            }
        })
    }

    fn engine_fits(&self, doc: &Value, budget: usize) -> Result<(), EvalError> {
        if budget::engine_fits(&self.inner.query.segments, doc, budget) {
            Ok(())
        } else {
            Err(self.blown(budget))
        }
    }

    fn blown(&self, budget: usize) -> EvalError {
        EvalError {
            query: self.inner.text.clone(),
            budget,
        }
    }

    /// Whether the query selects by location alone — child and descendant segments of names,
    /// non-negative indices and wildcards (`$..supportId`, `$['ia::result'][*].audit`) — so
    /// that [`JsonPath::covers_location`] can answer without the document.
    pub fn is_location_pattern(&self) -> bool {
        self.inner
            .structural
            .as_deref()
            .is_some_and(structural::location_only)
    }

    /// For a [location pattern](JsonPath::is_location_pattern): whether, in any document that
    /// has a node at `location`, the query selects that node or one of its ancestors — the
    /// same answer as checking the prefixes of `location` against [`JsonPath::query_located`],
    /// at the cost of the path's length instead of the document's size. `None` for other
    /// queries, which need the document.
    pub fn covers_location(&self, location: &[PathElement]) -> Option<bool> {
        let steps = self.inner.structural.as_deref()?;
        structural::location_only(steps).then(|| structural::covers(steps, location))
    }

    /// Replaces every node the query selects with `with` and returns how many were replaced.
    ///
    /// A node selected twice counts once, and a node under another selected node is not
    /// counted: replacing the ancestor already replaced it. Replacing the root (`$`) replaces
    /// the whole document.
    ///
    /// A query that blows the node budget replaces nothing: use [`JsonPath::try_replace_all`]
    /// wherever a replacement that did not happen must not pass unnoticed (redactions).
    pub fn replace_all(&self, doc: &mut Value, with: &Value) -> usize {
        self.try_replace_all(doc, with).unwrap_or(0)
    }

    /// [`JsonPath::replace_all`], failing (with `doc` unchanged) when evaluation would visit
    /// more than [`NODE_BUDGET`] nodes.
    pub fn try_replace_all(&self, doc: &mut Value, with: &Value) -> Result<usize, EvalError> {
        let mut paths: Vec<NormalizedPath> = self
            .try_query_located(doc)?
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        // Sorted, a node's descendants follow it directly; keep only the outermost.
        paths.sort();
        paths.dedup();
        let mut outermost: Vec<NormalizedPath> = Vec::with_capacity(paths.len());
        for path in paths {
            if outermost.last().is_none_or(|kept| !path.starts_with(kept)) {
                outermost.push(path);
            }
        }
        let mut replaced = 0;
        for path in &outermost {
            if let Some(node) = path.resolve_mut(doc) {
                node.clone_from(with);
                replaced += 1;
            }
        }
        Ok(replaced)
    }

    /// For a singular query, the value it names in `body` (one JSON document), read by a
    /// targeted pass that skips everything else; `None` for no match. Gives exactly what
    /// `serde_json::from_slice` then [`JsonPath::select`] would, failing when the body is not
    /// valid JSON. A non-singular query is an [`ExtractError::NotSingular`]: callers check
    /// [`JsonPath::is_singular`] and parse the body for the others.
    pub fn extract_from_slice(&self, body: &[u8]) -> Result<Option<Value>, ExtractError> {
        let steps = self
            .inner
            .singular
            .as_deref()
            .ok_or_else(|| ExtractError::NotSingular(self.inner.text.clone()))?;
        Ok(extract::extract(steps, body)?)
    }
}

/// A response body as one JSON document: what `serde_json::from_slice` gives, errors
/// included, but a UTF-8 body is read as text, so that serde_json checks its UTF-8 once
/// rather than once per string (a body that is not UTF-8 cannot be JSON: the byte reader
/// reports why). [`JsonPath::extract_from_slice`] reads bodies the same way.
pub fn parse_body(body: &[u8]) -> Result<Value, serde_json::Error> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(body),
    }
}

impl fmt::Debug for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JsonPath").field(&self.inner.text).finish()
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.text)
    }
}

/// Two queries are equal when their texts are.
impl PartialEq for JsonPath {
    fn eq(&self, other: &Self) -> bool {
        self.inner.text == other.inner.text
    }
}

impl Eq for JsonPath {}

impl std::hash::Hash for JsonPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.text.hash(state);
    }
}

impl std::str::FromStr for JsonPath {
    type Err = JsonPathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JsonPath::compile(text)
    }
}

/// The bounds checked before the engine sees the text (see [`MAX_QUERY_LEN`], [`MAX_NESTING`],
/// [`MAX_FUNCTION_NESTING`]).
fn precheck(text: &str) -> Result<(), JsonPathError> {
    if text.len() > MAX_QUERY_LEN {
        return Err(JsonPathError {
            message: format!("query is longer than {MAX_QUERY_LEN} bytes"),
            offset: None,
        });
    }
    // One entry per open bracket or parenthesis: whether it opened a function call.
    let mut open: Vec<bool> = Vec::new();
    let mut functions = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous = '\0';
    for (offset, ch) in text.chars().enumerate() {
        if let Some(delimiter) = quote {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == delimiter {
                quote = None;
            }
            previous = ch;
            continue;
        }
        match ch {
            '\'' | '"' => quote = Some(ch),
            '(' | '[' => {
                // RFC 9535 allows no space between a function's name and its parenthesis.
                let call = ch == '(' && (previous.is_ascii_alphanumeric() || previous == '_');
                open.push(call);
                functions += usize::from(call);
                if open.len() > MAX_NESTING {
                    return Err(JsonPathError {
                        message: format!(
                            "brackets and parentheses nest deeper than {MAX_NESTING} levels"
                        ),
                        offset: Some(offset),
                    });
                }
                if functions > MAX_FUNCTION_NESTING {
                    return Err(JsonPathError {
                        message: format!(
                            "function calls nest deeper than {MAX_FUNCTION_NESTING} levels"
                        ),
                        offset: Some(offset),
                    });
                }
            }
            ')' | ']' => functions -= usize::from(open.pop() == Some(true)),
            _ => {}
        }
        previous = ch;
    }
    Ok(())
}

/// Turns an engine error into ours, with a position where the engine gives one.
fn engine_error(text: &str, error: &EngineError) -> JsonPathError {
    match error {
        EngineError::PestError(pest) => {
            // The position is pest's `InputLocation`, a byte offset. We do not depend on pest
            // directly, so we read it from its `Debug` form (`Pos(5)` or `Span((5, 7))`); the
            // unit test `syntax_errors_point_at_the_offending_character` guards the format.
            let byte = first_number(&format!("{:?}", pest.location));
            let offset = byte
                .and_then(|byte| text.get(..byte))
                .map(|before| before.chars().count());
            let message = match offset.and_then(|offset| text.chars().nth(offset)) {
                _ if !text.starts_with('$') => "a JSONPath starts with `$`".to_owned(),
                Some(ch) => format!("unexpected `{}`", ch.escape_debug()),
                None => "unexpected end of query".to_owned(),
            };
            JsonPathError { message, offset }
        }
        EngineError::InvalidJsonPath(message) => JsonPathError {
            message: lowercase_first(message),
            offset: None,
        },
        other => JsonPathError {
            message: lowercase_first(&other.to_string()),
            offset: None,
        },
    }
}

fn first_number(text: &str) -> Option<usize> {
    let start = text.find(|ch: char| ch.is_ascii_digit())?;
    let digits = &text[start..];
    let end = digits
        .find(|ch: char| !ch.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn singular_steps(segments: &[Segment]) -> Option<Vec<Step>> {
    segments
        .iter()
        .map(|segment| match segment {
            Segment::Selector(Selector::Name(name)) => Some(Step::Name(name.clone())),
            Segment::Selector(Selector::Index(index)) => Some(Step::Index(*index)),
            _ => None,
        })
        .collect()
}

/// Resolves an index step against an array's length (negative counts from the end).
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    match usize::try_from(index) {
        Ok(index) => (index < len).then_some(index),
        Err(_) => len.checked_sub(usize::try_from(index.unsigned_abs()).ok()?),
    }
}

fn walk<'a>(steps: &[Step], doc: &'a Value) -> Option<&'a Value> {
    steps.iter().try_fold(doc, |node, step| match step {
        Step::Name(name) => node.as_object()?.get(name),
        Step::Index(index) => {
            let items = node.as_array()?;
            items.get(resolve_index(*index, items.len())?)
        }
    })
}

fn walk_located<'a>(steps: &[Step], doc: &'a Value) -> Option<(NormalizedPath, &'a Value)> {
    let mut path = NormalizedPath::root();
    let mut node = doc;
    for step in steps {
        match step {
            Step::Name(name) => {
                node = node.as_object()?.get(name)?;
                path.push(PathElement::Name(name.clone()));
            }
            Step::Index(index) => {
                let items = node.as_array()?;
                let index = resolve_index(*index, items.len())?;
                node = items.get(index)?;
                path.push(PathElement::Index(index));
            }
        }
    }
    Some((path, node))
}

/// The location of a node the engine found. The engine reports normalized path strings; should
/// one ever fail to parse, the node is found by identity instead.
fn locate(path: &str, node: &Value, doc: &Value) -> Option<NormalizedPath> {
    NormalizedPath::parse(path)
        .filter(|parsed| {
            parsed
                .resolve(doc)
                .is_some_and(|found| std::ptr::eq(found, node))
        })
        .or_else(|| find_by_identity(node, doc))
}

fn find_by_identity(target: &Value, doc: &Value) -> Option<NormalizedPath> {
    let mut pending = vec![(NormalizedPath::root(), doc)];
    while let Some((path, node)) = pending.pop() {
        if std::ptr::eq(node, target) {
            return Some(path);
        }
        match node {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let mut child = path.clone();
                    child.push(PathElement::Index(index));
                    pending.push((child, item));
                }
            }
            Value::Object(members) => {
                for (name, member) in members {
                    let mut child = path.clone();
                    child.push(PathElement::Name(name.clone()));
                    pending.push((child, member));
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
