//! The node budget of an evaluation: a query such as `$..*..*..*..*..*..*` selects a number
//! of nodes that grows as a power of the document's size (a 241-byte, 120-deep array gives
//! billions), so evaluation stops with an [`EvalError`] rather than allocating without end.
//!
//! Our own evaluator (`structural`) counts every node it visits. For a query that goes
//! through the engine, an upper bound of what it can select is worked out before it runs
//! (each child segment multiplies the nodes by the largest array or object for a wildcard,
//! slice or filter; a descendant segment by the document's node count); a bound over the
//! budget is refused.

use jsonpath_rust::parser::model::{Segment, Selector};
use serde_json::Value;

/// Nodes an evaluation may visit or select, at most (each costs a few dozen bytes).
pub const NODE_BUDGET: usize = 2_000_000;

/// Why an evaluation stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the JSONPath `{query}` would visit more than {budget} nodes of this document (its node budget); narrow it, for example with fewer `..` segments"
)]
pub struct EvalError {
    /// The query text.
    pub query: String,
    /// The budget that was spent.
    pub budget: usize,
}

/// Whether the engine can stay within `budget` nodes for `segments` over `doc`.
pub(super) fn engine_fits(segments: &[Segment], doc: &Value, budget: usize) -> bool {
    let (nodes, widest) = shape(doc);
    let mut bound: usize = 1;
    for segment in segments {
        let (descendant, selectors): (bool, &[Selector]) = match segment {
            Segment::Descendant(inner) => match inner.as_ref() {
                Segment::Selectors(s) => (true, s.as_slice()),
                Segment::Selector(s) => (true, std::slice::from_ref(s)),
                Segment::Descendant(_) => (true, &[]),
            },
            Segment::Selectors(s) => (false, s.as_slice()),
            Segment::Selector(s) => (false, std::slice::from_ref(s)),
        };
        // A descendant segment applies its selectors to every node under each input: each
        // selector picks each node at most once (as a child of its parent).
        let factor = if descendant {
            nodes.saturating_mul(selectors.len().max(1))
        } else {
            selectors
                .iter()
                .map(|s| match s {
                    Selector::Name(_) | Selector::Index(_) => 1,
                    Selector::Wildcard | Selector::Slice(..) | Selector::Filter(_) => widest,
                })
                .sum::<usize>()
                .max(1)
        };
        bound = bound.saturating_mul(factor);
        if bound > budget {
            return false;
        }
    }
    true
}

/// The document's node count and its largest array or object, without recursion.
fn shape(doc: &Value) -> (usize, usize) {
    let mut nodes = 0usize;
    let mut widest = 0usize;
    let mut pending = vec![doc];
    while let Some(node) = pending.pop() {
        nodes += 1;
        match node {
            Value::Array(items) => {
                widest = widest.max(items.len());
                pending.extend(items);
            }
            Value::Object(members) => {
                widest = widest.max(members.len());
                pending.extend(members.values());
            }
            _ => {}
        }
    }
    (nodes, widest)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jsonpath::{JsonPath, Selection};

    /// `[[[…[1]…]]]`, `depth` arrays deep (241 bytes for 120).
    fn deep(depth: usize) -> Value {
        let text = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        serde_json::from_str(&text).expect("valid JSON")
    }

    #[test]
    fn a_descendant_blow_up_is_an_error_not_an_allocation() {
        let doc = deep(120);
        let path = JsonPath::compile("$..*..*..*..*..*..*").unwrap();
        let err = path.try_query(&doc).unwrap_err();
        assert_eq!(err.budget, NODE_BUDGET);
        let message = err.to_string();
        assert!(
            message.contains("$..*..*..*..*..*..*") && message.contains("node budget"),
            "{message}"
        );
        assert!(path.try_query_located(&doc).is_err());
        assert!(path.try_select(&doc).is_err());
        // The infallible forms give nothing rather than a partial list.
        assert!(path.query(&doc).is_empty());
        assert_eq!(path.select(&doc), Selection::Nodes(Vec::new()));
        // Narrower queries over the same document still answer.
        let one = JsonPath::compile("$..*").unwrap();
        assert_eq!(one.try_query(&doc).unwrap().len(), 120);
        let two = JsonPath::compile("$..*..*").unwrap();
        assert_eq!(two.try_query(&doc).unwrap().len(), 119 * 120 / 2);
    }

    #[test]
    fn engine_queries_are_bounded_before_they_run() {
        let doc = deep(120);
        let path = JsonPath::compile("$..*..*..*..[?@ == 1]").unwrap();
        let err = path.try_query(&doc).unwrap_err();
        assert!(err.to_string().contains("node budget"), "{err}");
        // A filter under one descendant segment over a wide document is fine.
        let items: Vec<Value> = (0..20_000)
            .map(|i| json!({"id": i, "on": i % 2 == 0}))
            .collect();
        let wide = json!({"items": items});
        let filter = JsonPath::compile("$..[?@.on == true].id").unwrap();
        assert_eq!(filter.try_query(&wide).unwrap().len(), 10_000);
    }
}
