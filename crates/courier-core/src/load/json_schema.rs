//! `expect.schema` (docs/collections-language.md#json-schema): a schema file, an inline schema,
//! or `{ path, file | schema }`, compiled when the collection loads so that a schema that does
//! not compile is a load error. A relative `$ref` is read from the file it names, relative to
//! the referencing file and inside the collection's folder; nothing is fetched: the validator
//! is built without network features, so a remote `$ref` does not compile.

use std::path::{Path, PathBuf};

use crate::fs::{self, InputKind};
use crate::model::SchemaCheck;
use crate::yaml::{Node, Value};

use super::reader::{Cx, MapReader, nonempty_text, path_expr_node};

pub(super) fn read(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<SchemaCheck> {
    let is_form = |e: &[(crate::yaml::Key<'_>, Node<'_>)]| {
        e.iter()
            .any(|(k, _)| matches!(&*k.value, "path" | "file" | "schema"))
    };
    match &node.value {
        Value::String(_) => {
            let (schema, file) = from_file(node, cx)?;
            compile(&schema, &file, None, node, cx)
        }
        Value::Map(entries) if is_form(entries) => {
            let mut m = MapReader::new(node, "`expect.schema`", cx)?;
            let path = m
                .get("path")
                .and_then(|n| path_expr_node(n, "`expect.schema.path`", cx));
            let file = m.get("file");
            let inline = m.get("schema");
            m.finish(cx);
            let (schema, file) = match (file, inline) {
                (Some(f), None) => from_file(f, cx)?,
                (None, Some(s)) => (s.to_json(), cx.file.path().to_path_buf()),
                _ => {
                    cx.error_help(
                        node.span,
                        "`expect.schema` takes one of `file` and `schema`",
                        "write `schema: { path: \"$['ia::result']\", file: vendor.schema.json }` or `{ path: …, schema: { type: object } }`",
                    );
                    return None;
                }
            };
            compile(&schema, &file, path, node, cx)
        }
        Value::Map(_) => {
            let file = cx.file.path().to_path_buf();
            compile(&node.to_json(), &file, None, node, cx)
        }
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

/// A schema file, relative to the collection's folder, with its path.
fn from_file(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<(serde_json::Value, PathBuf)> {
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
        Ok(v) => Some((v, path)),
        Err(e) => {
            cx.error(
                written.span,
                format!("the schema `{}` is not JSON: {e}", written.value),
            );
            None
        }
    }
}

/// Compiles `schema`, read from `file` (the collection file for an inline schema): its
/// relative `$ref`s resolve from there.
fn compile(
    schema: &serde_json::Value,
    file: &Path,
    path: Option<crate::diag::Spanned<crate::model::PathExpr>>,
    node: &Node<'_>,
    cx: &mut Cx<'_>,
) -> Option<SchemaCheck> {
    let folder = cx.file.path().parent().unwrap_or(Path::new("."));
    let root = std::path::absolute(folder).unwrap_or_else(|_| folder.to_path_buf());
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let built = jsonschema::options()
        .with_base_uri(file_uri(&file))
        .with_retriever(FolderRetriever { root })
        .build(schema);
    match built {
        Ok(validator) => Some(SchemaCheck {
            path,
            validator,
            span: node.span,
        }),
        Err(e) => {
            cx.error_help(
                node.span,
                {
                    // The validator wraps a failed `$ref` in a sentence of its own; the
                    // retriever's reason is the part a user can act on.
                    let text = e.to_string();
                    let reason = text
                        .split_once("retrieving it failed: ")
                        .map_or(text.as_str(), |(_, why)| why);
                    format!("the JSON Schema does not compile: {reason}")
                },
                "schemas are JSON Schema 2020-12 (draft 7 when `$schema` says so); a `$ref` names a file beside the schema (`common.json#/$defs/id`) inside the collection's folder, never a URL",
            );
            None
        }
    }
}

/// `file:` URI of an absolute path, percent-encoding what a URI path cannot hold.
fn file_uri(path: &Path) -> String {
    const PATH: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'[')
        .add(b']')
        .add(b'\\')
        .add(b'^')
        .add(b'|');
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!(
        "file://{}",
        percent_encoding::utf8_percent_encode(&text, PATH)
    )
}

/// Reads the schema files a `$ref` names: `file:` URIs inside `root` (the collection's folder)
/// only; anything else is refused, so nothing is fetched and no file outside is read.
struct FolderRetriever {
    root: PathBuf,
}

impl jsonschema::Retrieve for FolderRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.scheme().as_str() != "file" {
            return Err(format!("`{uri}` is remote: Courier does not fetch schemas").into());
        }
        let decoded = percent_encoding::percent_decode_str(uri.path().as_str()).decode_utf8()?;
        let path = PathBuf::from(decoded.as_ref());
        let shown = match (path.strip_prefix(&self.root), self.root.parent()) {
            (Ok(p), _) => p.display().to_string(),
            (Err(_), Some(up)) => path.strip_prefix(up).map_or_else(
                |_| path.display().to_string(),
                |p| format!("../{}", p.display()),
            ),
            (Err(_), None) => path.display().to_string(),
        };
        let inside = std::fs::canonicalize(&self.root)
            .ok()
            .zip(std::fs::canonicalize(&path).ok())
            .is_some_and(|(root, file)| file.starts_with(root));
        if !path.exists() {
            return Err(format!("the referenced schema file `{shown}` does not exist").into());
        }
        if !inside {
            return Err(format!(
                "the referenced schema file `{shown}` is outside the collection's folder"
            )
            .into());
        }
        let text = fs::read_text(&path, InputKind::Schema)?;
        serde_json::from_str(&text)
            .map_err(|e| format!("the referenced schema `{shown}` is not JSON: {e}").into())
    }
}
