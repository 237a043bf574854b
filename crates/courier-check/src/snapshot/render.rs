//! The stored form of a response (docs/collections.md#snapshots): the selected part of a JSON body with redactions
//! applied, as 2-space pretty JSON with sorted keys and a final newline; other bodies as text.

use courier_core::jsonpath::{EvalError, JsonPath, Selection};
use courier_core::model::Redaction;
use serde_json::{Map, Value};

/// A response body as the executor has it.
#[derive(Debug, Clone, Copy)]
pub enum SnapshotBody<'a> {
    /// A body that parsed as JSON.
    Json(&'a Value),
    /// Any other body, as text.
    Text(&'a str),
}

/// The snapshot content of a body.
///
/// JSON bodies:
/// 1. `redactions` are applied to the whole body, in order — so their selectors address the
///    response body like every other JSONPath of a collection. Give the collection's defaults
///    first and the request's own after ([`super::redactions_for`]): for the same selector
///    text the last one wins, and where different selectors overlap the later placeholder is
///    the one that shows. Every node a selector picks is replaced by the placeholder string.
/// 2. `path`, when given, selects the part to store: a singular query its one value (`null`
///    when it matches nothing, so a vanished value shows in the diff), any other query the
///    array of its nodes.
/// 3. The result is written as pretty JSON with 2-space indents, object keys sorted (by their
///    UTF-8 bytes) at every level, and a final newline.
///
/// Text bodies are stored as they are, with a final `\n` added when they do not end in one;
/// `path` and `redactions` do not apply to them. (The executor removes secrets from the text
/// it hands over, as for anything else it prints or stores.)
///
/// A `path` or a redaction that would visit more nodes than the JSONPath node budget is an
/// error: a snapshot stored without its redaction, or with an empty selection, would pass
/// for a real one (docs/snapshots.md).
pub fn render(
    body: SnapshotBody<'_>,
    path: Option<&JsonPath>,
    redactions: &[Redaction],
) -> Result<String, EvalError> {
    match body {
        SnapshotBody::Text(text) => {
            let mut out = text.to_owned();
            if !out.ends_with('\n') {
                out.push('\n');
            }
            Ok(out)
        }
        SnapshotBody::Json(value) => {
            let mut doc = value.clone();
            for (i, r) in redactions.iter().enumerate() {
                // A later redaction with the same selector replaces this one.
                if redactions[i + 1..]
                    .iter()
                    .any(|later| later.path.value == r.path.value)
                {
                    continue;
                }
                r.path
                    .try_replace_all(&mut doc, &Value::String(r.placeholder.clone()))?;
            }
            let selected = match path {
                None => doc,
                Some(p) => match p.try_select(&doc)? {
                    Selection::Singular(v) => v.cloned().unwrap_or(Value::Null),
                    Selection::Nodes(nodes) => Value::Array(nodes.into_iter().cloned().collect()),
                },
            };
            let mut out = pretty(&sorted(selected));
            out.push('\n');
            Ok(out)
        }
    }
}

/// The value with the keys of every object in sorted order (the map keeps insertion order
/// because the workspace enables serde_json's `preserve_order`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn pretty(value: &Value) -> String {
    // serde_json's pretty printer indents by two spaces; writing to a String cannot fail for a
    // `Value` (its keys are strings), so the fallback is never taken.
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use courier_core::diag::{Pos, Span, Spanned};
    use serde_json::json;

    /// [`super::render`] of a document well within the node budget.
    fn render(body: SnapshotBody<'_>, path: Option<&JsonPath>, redactions: &[Redaction]) -> String {
        super::render(body, path, redactions).expect("within the node budget")
    }

    fn jp(s: &str) -> JsonPath {
        JsonPath::compile(s).expect("valid JSONPath")
    }

    fn redaction(path: &str, placeholder: &str) -> Redaction {
        Redaction {
            path: Spanned::new(jp(path), Span::point(Pos::default())),
            placeholder: placeholder.to_owned(),
        }
    }

    #[test]
    fn json_is_pretty_with_sorted_keys_at_every_level_and_a_final_newline() {
        let body = json!({"b": 1, "a": {"z": [ {"y": 2, "x": 1} ], "c": null}});
        let out = render(SnapshotBody::Json(&body), None, &[]);
        assert_eq!(
            out,
            "{\n  \"a\": {\n    \"c\": null,\n    \"z\": [\n      {\n        \"x\": 1,\n        \"y\": 2\n      }\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn redactions_replace_every_selected_node_with_the_placeholder() {
        let body = json!({"ia::result": [{"id": "V-1", "key": "53", "name": "Acme"}, {"id": "V-2", "key": "54", "name": "Bolt"}]});
        let out = render(
            SnapshotBody::Json(&body),
            None,
            &[redaction("$..id", "[id]"), redaction("$..key", "[key]")],
        );
        let back: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(
            back,
            json!({"ia::result": [{"id": "[id]", "key": "[key]", "name": "Acme"}, {"id": "[id]", "key": "[key]", "name": "Bolt"}]})
        );
    }

    #[test]
    fn the_later_redaction_wins_for_the_same_selector() {
        // Collection defaults come first, the request's own last (the request wins).
        let body = json!({"id": "V-1"});
        let out = render(
            SnapshotBody::Json(&body),
            None,
            &[
                redaction("$..id", "[collection]"),
                redaction("$..id", "[request]"),
            ],
        );
        assert_eq!(out, "{\n  \"id\": \"[request]\"\n}\n");
    }

    #[test]
    fn redactions_address_the_whole_body_then_the_path_selects() {
        let body =
            json!({"ia::result": {"id": "V-1", "name": "Acme"}, "ia::meta": {"totalCount": 1}});
        let out = render(
            SnapshotBody::Json(&body),
            Some(&jp("$['ia::result']")),
            &[redaction("$['ia::result'].id", "[id]")],
        );
        assert_eq!(out, "{\n  \"id\": \"[id]\",\n  \"name\": \"Acme\"\n}\n");
    }

    #[test]
    fn a_non_singular_path_stores_the_node_array() {
        let body = json!({"items": [{"n": "a"}, {"n": "b"}]});
        let out = render(SnapshotBody::Json(&body), Some(&jp("$.items[*].n")), &[]);
        assert_eq!(out, "[\n  \"a\",\n  \"b\"\n]\n");
    }

    #[test]
    fn a_singular_path_that_matches_nothing_stores_null() {
        let body = json!({"a": 1});
        assert_eq!(
            render(SnapshotBody::Json(&body), Some(&jp("$.b")), &[]),
            "null\n"
        );
    }

    #[test]
    fn text_gets_a_final_newline_only_when_missing() {
        assert_eq!(render(SnapshotBody::Text("hello"), None, &[]), "hello\n");
        assert_eq!(render(SnapshotBody::Text("hello\n"), None, &[]), "hello\n");
        assert_eq!(render(SnapshotBody::Text(""), None, &[]), "\n");
        assert_eq!(render(SnapshotBody::Text("a\n\n"), None, &[]), "a\n\n");
    }
}
