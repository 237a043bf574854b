//! Evaluation of non-singular queries through jsonpath-rust, with the guards and the one
//! ordering fix that our wrapper adds around it.
//!
//! - Ordering: jsonpath-rust applies a segment with several selectors (`[s1,s2]`) selector by
//!   selector over the whole input node list, so `$..['a','d']` yields every `a` before every
//!   `d`. RFC 9535 §2.5.1.2 wants, for each input node in order, the results of each selector
//!   in order. Where a query has such a segment over more than one input node we evaluate it
//!   node by node and selector by selector, each step still by the engine, with each input node
//!   addressed by its normalized path from the real root (so `$` inside filters stays right).
//! - Stack and memory: the engine recurses once per document level for descendant segments,
//!   compares values with the recursive `PartialEq`, and spells out the full path of every node
//!   it visits (memory quadratic in the depth: 1.5 GB for a chain 20,000 levels deep). A
//!   document deeper than [`INLINE_DEPTH`] is queried on a scoped thread with a stack sized for
//!   its depth; one deeper than [`MAX_DOCUMENT_DEPTH`] is not handed to the engine at all and
//!   such a query selects nothing in it. Bodies parsed by serde_json never nest deeper than
//!   128, so only values built in code can reach that bound.
//! - Panics: whatever slips past the checks is caught here and yields an empty node list
//!   rather than taking the run down.

use std::panic::{AssertUnwindSafe, catch_unwind};

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

use super::normalized::{NormalizedPath, PathElement};

/// Documents up to this depth are queried on the caller's thread. Measured with `$..[?@.x==1]`
/// on nested arrays in a test build (dependencies at opt-level 1, as this workspace builds
/// them): 1,000 levels fit a 1 MiB stack and 2,000 do not, so about 1 KiB a level; 64 levels
/// fit comfortably in the 2 MiB of a test or tokio worker thread.
const INLINE_DEPTH: usize = 64;

/// The deepest document a recursive query (descendant segment or filter) is evaluated on.
pub(super) const MAX_DOCUMENT_DEPTH: usize = 1024;

/// Stack given per document level when a query runs on its own thread, generous on purpose:
/// the memory is only reserved, and only touched pages are committed.
const STACK_PER_LEVEL: usize = 16 * 1024;

/// A node found by the engine, with its location as the engine spells it (an RFC 9535
/// normalized path string).
pub(super) type Located<'a> = (String, &'a Value);

/// Runs `query` over `doc`: the ordered node list, each with its normalized path string.
pub(super) fn evaluate<'a>(query: &JpQuery, recurses: bool, doc: &'a Value) -> Vec<Located<'a>> {
    let run = || catch_unwind(AssertUnwindSafe(|| evaluate_ordered(&query.segments, doc)));
    let outcome = if recurses && deeper_than(doc, INLINE_DEPTH) {
        let depth = depth(doc);
        if depth > MAX_DOCUMENT_DEPTH {
            return Vec::new();
        }
        let stack = (depth + 16).saturating_mul(STACK_PER_LEVEL);
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("courier-jsonpath".into())
                .stack_size(stack)
                .spawn_scoped(scope, run)
                .ok()
                .and_then(|handle| handle.join().ok())
        })
    } else {
        Some(run())
    };
    #[cfg(test)]
    if matches!(outcome, Some(Err(_))) {
        ENGINE_PANICS.with(|count| count.set(count.get() + 1));
    }
    match outcome {
        Some(Ok(nodes)) => nodes,
        // The engine panicked (caught above) or the guard thread could not start: no nodes is
        // the only answer that does not lie about the document.
        Some(Err(_)) | None => Vec::new(),
    }
}

#[cfg(test)]
thread_local! {
    /// How many engine panics [`evaluate`] caught on this thread. The caught panic leaves no
    /// other trace (the caller sees an empty node list), so the "never panics" tests read
    /// this to fail when the engine did panic.
    pub(super) static ENGINE_PANICS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether the segment at `index` is one the engine would order wrongly: several selectors
/// applied to what can be more than one input node.
fn misordered(index: usize, segment: &Segment) -> bool {
    match segment {
        Segment::Selectors(selectors) => index > 0 && selectors.len() > 1,
        Segment::Descendant(inner) => {
            matches!(inner.as_ref(), Segment::Selectors(selectors) if selectors.len() > 1)
        }
        Segment::Selector(_) => false,
    }
}

fn evaluate_ordered<'a>(segments: &[Segment], doc: &'a Value) -> Vec<Located<'a>> {
    let Some(split) = segments
        .iter()
        .enumerate()
        .position(|(index, segment)| misordered(index, segment))
    else {
        return engine(segments.to_vec(), doc);
    };

    let (prefix, rest) = segments.split_at(split);
    let Some((segment, rest)) = rest.split_first() else {
        return engine(segments.to_vec(), doc);
    };
    let mut selected = Vec::new();
    for (path, node) in engine(prefix.to_vec(), doc) {
        let Some(location) = NormalizedPath::parse(&path) else {
            continue;
        };
        match segment {
            Segment::Selectors(selectors) => {
                select_each(&location, selectors, doc, &mut selected);
            }
            Segment::Descendant(inner) => {
                if let Segment::Selectors(selectors) = inner.as_ref() {
                    for descendant in descendants(location, node) {
                        select_each(&descendant, selectors, doc, &mut selected);
                    }
                }
            }
            Segment::Selector(_) => {}
        }
    }
    if rest.is_empty() {
        return selected;
    }
    let mut results = Vec::new();
    for (path, _) in selected {
        let Some(location) = NormalizedPath::parse(&path) else {
            continue;
        };
        let mut continued = segments_to(&location);
        continued.extend_from_slice(rest);
        results.extend(evaluate_ordered(&continued, doc));
    }
    results
}

/// Appends, for each selector in order, what it selects from the node at `location`.
fn select_each<'a>(
    location: &NormalizedPath,
    selectors: &[Selector],
    doc: &'a Value,
    out: &mut Vec<Located<'a>>,
) {
    for selector in selectors {
        let mut segments = segments_to(location);
        segments.push(Segment::Selector(selector.clone()));
        out.extend(engine(segments, doc));
    }
}

/// The segments of a singular query that reaches `location` from the root.
fn segments_to(location: &NormalizedPath) -> Vec<Segment> {
    location
        .elements()
        .iter()
        .map(|element| {
            Segment::Selector(match element {
                PathElement::Name(name) => Selector::Name(name.clone()),
                PathElement::Index(index) => {
                    Selector::Index(i64::try_from(*index).unwrap_or(i64::MAX))
                }
            })
        })
        .collect()
}

/// `node` and everything under it in document order (RFC 9535 §2.5.2.2: a node before its
/// descendants, children in order), iteratively so that depth costs no stack.
fn descendants(location: NormalizedPath, node: &Value) -> Vec<NormalizedPath> {
    let mut out = Vec::new();
    let mut pending = vec![(location, node)];
    while let Some((location, node)) = pending.pop() {
        let start = pending.len();
        match node {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let mut child = location.clone();
                    child.push(PathElement::Index(index));
                    pending.push((child, item));
                }
            }
            Value::Object(members) => {
                for (name, member) in members {
                    let mut child = location.clone();
                    child.push(PathElement::Name(name.clone()));
                    pending.push((child, member));
                }
            }
            _ => {}
        }
        // Children were pushed in order; reverse them so the first child is popped first.
        pending[start..].reverse();
        out.push(location);
    }
    out
}

fn engine(segments: Vec<Segment>, doc: &Value) -> Vec<Located<'_>> {
    js_path_process(&JpQuery::new(segments), doc)
        .map(|nodes| {
            nodes
                .into_iter()
                .map(|node| (node.path, node.val))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `doc` nests deeper than `limit` levels, stopping as soon as it knows.
pub(super) fn deeper_than(doc: &Value, limit: usize) -> bool {
    let mut pending = vec![(doc, 0usize)];
    while let Some((node, level)) = pending.pop() {
        if level > limit {
            return true;
        }
        push_children(node, level, &mut pending);
    }
    false
}

/// How many levels `doc` nests (a scalar is 0), without recursion.
pub(super) fn depth(doc: &Value) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(doc, 0usize)];
    while let Some((node, level)) = pending.pop() {
        deepest = deepest.max(level);
        push_children(node, level, &mut pending);
    }
    deepest
}

fn push_children<'a>(node: &'a Value, level: usize, pending: &mut Vec<(&'a Value, usize)>) {
    match node {
        Value::Array(items) => pending.extend(items.iter().map(|item| (item, level + 1))),
        Value::Object(members) => pending.extend(members.values().map(|item| (item, level + 1))),
        _ => {}
    }
}
