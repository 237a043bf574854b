//! `expect.schema` (docs/collections-language.md#json-schema): a schema file, an inline schema,
//! or `{ path, file | schema }`, compiled when the collection loads so that a schema that does
//! not compile is a load error. Nothing is fetched: the validator is built without network
//! features, so a remote `$ref` does not compile.

use crate::fs::{self, InputKind};
use crate::model::SchemaCheck;
use crate::yaml::{Node, Value};

use super::reader::{Cx, MapReader, nonempty_text, path_expr_node};

pub(super) fn read(node: &Node, cx: &mut Cx<'_>) -> Option<SchemaCheck> {
    let is_form = |e: &[(crate::diag::Spanned<String>, Node)]| {
        e.iter()
            .any(|(k, _)| matches!(k.value.as_str(), "path" | "file" | "schema"))
    };
    match &node.value {
        Value::String(_) => {
            let schema = from_file(node, cx)?;
            compile(&schema, None, node, cx)
        }
        Value::Map(entries) if is_form(entries) => {
            let mut m = MapReader::new(node, "`expect.schema`", cx)?;
            let path = m
                .get("path")
                .and_then(|n| path_expr_node(n, "`expect.schema.path`", cx));
            let file = m.get("file");
            let inline = m.get("schema");
            m.finish(cx);
            let schema = match (file, inline) {
                (Some(f), None) => from_file(f, cx)?,
                (None, Some(s)) => s.to_json(),
                _ => {
                    cx.error_help(
                        node.span,
                        "`expect.schema` takes one of `file` and `schema`",
                        "write `schema: { path: \"$['ia::result']\", file: vendor.schema.json }` or `{ path: …, schema: { type: object } }`",
                    );
                    return None;
                }
            };
            compile(&schema, path, node, cx)
        }
        Value::Map(_) => compile(&node.to_json(), None, node, cx),
        _ => {
            cx.error_help(
                node.span,
                "`expect.schema` is a file, a schema map or `{ path, file | schema }`",
                "write `schema: vendor.schema.json` or `schema: { type: object, required: [id] }`",
            );
            None
        }
    }
}

/// A schema file, relative to the collection's folder.
fn from_file(node: &Node, cx: &mut Cx<'_>) -> Option<serde_json::Value> {
    let written = nonempty_text(node, "a schema file", cx)?;
    let base = cx
        .file
        .path()
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let path = base.join(&written.value);
    let text = match fs::read_text(&path, InputKind::Schema) {
        Ok(t) => t,
        Err(e) => {
            cx.error_help(
                written.span,
                e.to_string(),
                "schema files are relative to the collection file's folder",
            );
            return None;
        }
    };
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            cx.error(
                written.span,
                format!("the schema `{}` is not JSON: {e}", written.value),
            );
            None
        }
    }
}

fn compile(
    schema: &serde_json::Value,
    path: Option<crate::diag::Spanned<crate::model::PathExpr>>,
    node: &Node,
    cx: &mut Cx<'_>,
) -> Option<SchemaCheck> {
    match jsonschema::validator_for(schema) {
        Ok(validator) => Some(SchemaCheck {
            path,
            validator,
            span: node.span,
        }),
        Err(e) => {
            cx.error_help(
                node.span,
                format!("the JSON Schema does not compile: {e}"),
                "schemas are JSON Schema 2020-12 (draft 7 when `$schema` says so); `$ref` to another file or a URL is not followed",
            );
            None
        }
    }
}
