//! Reads a request's body: `json`, `form`, `body`, `body_file` and `multipart`, at most one of
//! them (docs/collections.md#bodies, docs/collections-language.md#bodies-from-files-and-multipart).
//! Files are resolved against the collection's folder and checked here, so a missing file is a
//! load error rather than a failure halfway through a run.

use crate::diag::Spanned;
use crate::fs::{self, InputKind};
use crate::model::{Body, BodyFile, Part, PartValue};
use crate::yaml::{Node, Value};

use super::reader::{Cx, MapReader, entries, nonempty_text, template, template_value};

const KINDS: [&str; 5] = ["json", "form", "body", "body_file", "multipart"];

pub(super) fn read_body(m: &mut MapReader<'_>, cx: &mut Cx<'_>) -> Option<Body> {
    let present: Vec<&str> = KINDS
        .iter()
        .copied()
        .filter(|k| m.key_span(k).is_some())
        .collect();
    let json = m.get("json");
    let form = m.get("form");
    let text_body = m.get("body");
    let body_file = m.get("body_file");
    let multipart = m.get("multipart");
    if present.len() > 1 {
        let second = present[1];
        cx.error_help(
            m.key_span(second).unwrap_or(m.span),
            format!(
                "a request takes one body, found both `{}` and `{second}`",
                present[0]
            ),
            "use `json:` for a JSON body, `form:` for a form, `body:` for raw text, `body_file:` for a file or `multipart:` for parts",
        );
        return None;
    }
    if let Some(n) = json {
        return template_value(n, cx).map(Body::Json);
    }
    if let Some(n) = form {
        let mut fields = Vec::new();
        for (k, v) in entries(n, "`form`", cx) {
            if let Some(t) = template(v, "a form value", cx) {
                fields.push((k.to_owned_text(), t));
            }
        }
        return Some(Body::Form(fields));
    }
    if let Some(n) = text_body {
        return template(n, "`body`", cx).map(Body::Text);
    }
    if let Some(n) = body_file {
        return file(n, "`body_file`", cx).map(Body::File);
    }
    if let Some(n) = multipart {
        let mut parts = Vec::new();
        for (k, v) in entries(n, "`multipart`", cx) {
            if let Some(value) = part(v, cx) {
                parts.push(Part {
                    name: k.to_owned_text(),
                    value,
                });
            }
        }
        if parts.is_empty() && matches!(&n.value, Value::Map(e) if e.is_empty()) {
            cx.error(n.span, "`multipart` has no parts");
        }
        return Some(Body::Multipart(parts));
    }
    None
}

/// A part: `"text"`, `{ json: … }` or `{ file: PATH, content_type: T }`.
fn part(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<PartValue> {
    if !matches!(node.value, Value::Map(_)) {
        return template(node, "a multipart text part", cx).map(PartValue::Text);
    }
    let mut m = MapReader::new(node, "a multipart part", cx)?;
    let json = m.get("json");
    let file_node = m.get("file");
    let content_type = m
        .get("content_type")
        .and_then(|n| nonempty_text(n, "`content_type`", cx));
    m.finish(cx);
    match (json, file_node) {
        (Some(j), None) => {
            if content_type.is_some() {
                cx.error(
                    node.span,
                    "`content_type` goes with `file`; a `json` part is sent as `application/json`",
                );
            }
            template_value(j, cx).map(PartValue::Json)
        }
        (None, Some(f)) => {
            let file = file(f, "a multipart `file`", cx)?;
            Some(PartValue::File { file, content_type })
        }
        _ => {
            cx.error_help(
                node.span,
                "a multipart part is a text, `{ json: … }` or `{ file: PATH }`",
                "write `name: \"text\"`, `name: { json: { … } }` or `name: { file: data.csv, content_type: text/csv }`",
            );
            None
        }
    }
}

/// A path relative to the collection's folder, which must name a readable regular file.
fn file(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<BodyFile> {
    let written: Spanned<String> = nonempty_text(node, what, cx)?;
    if written.value.contains("{{") {
        cx.error_help(
            written.span,
            format!("{what} is a path, not a template"),
            "files are named as written, relative to the collection's folder",
        );
        return None;
    }
    let base = cx
        .file
        .path()
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let path = base.join(&written.value);
    if let Err(e) = fs::check(&path, InputKind::BodyFile) {
        cx.error_help(
            written.span,
            format!("{what}: {e}"),
            "paths are relative to the collection file's folder",
        );
        return None;
    }
    Some(BodyFile {
        content_type: content_type_of(&written.value),
        path,
        written,
    })
}

/// The content type a file's extension names; `None` leaves the choice to the sender.
pub(crate) fn content_type_of(path: &str) -> Option<&'static str> {
    let ext = std::path::Path::new(path)
        .extension()?
        .to_str()?
        .to_ascii_lowercase();
    Some(match ext.as_str() {
        "json" => "application/json",
        "csv" => "text/csv",
        "xml" => "application/xml",
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => return None,
    })
}
