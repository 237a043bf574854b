//! Reads one collection file (docs/collections.md) from its YAML tree into a [`Collection`],
//! reporting every problem in the file with its position: unknown keys, wrong types, matchers,
//! JSONPaths, regexes, templates, duplicate names, colliding snapshot slugs.

use std::sync::Arc;

use crate::diag::{Diagnostic, SourceFile, Spanned, did_you_mean};
use crate::model::{
    Capture, CaptureSource, Collection, CompareSpec, Defaults, Header, Redaction, Request, Retries,
    RetryOn, Skip, SnapshotSpec, VarDef,
};
use crate::yaml::{self, Node, Value};

use super::body::read_body;
use super::checks::{check_slugs, check_unique_names, is_header_value};
use super::expect::read_expect;
use super::reader::{
    Cx, MapReader, boolean, compile_template, duration, entries, integer, jsonpath, jsonpath_node,
    list, nonempty_text, path_expr_node, template, template_value, text,
};

/// HTTP methods a request may use; others are typos.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Loads a collection from its text.
pub fn parse_collection(file: &Arc<SourceFile>) -> Result<Collection, Vec<Diagnostic>> {
    match parse_collection_partial(file) {
        (Some(c), diags) if diags.is_empty() => Ok(c),
        (_, diags) => Err(diags),
    }
}

/// Loads what can be read of a collection, with every problem found: the collection holds the
/// requests that could be read (a request missing its `name` or `url` is left out) and is
/// there whenever the file parsed as YAML and has a `name`, so that `validate` can still check
/// its templates and variables (docs/validate.md).
pub(super) fn parse_collection_partial(
    file: &Arc<SourceFile>,
) -> (Option<Collection>, Vec<Diagnostic>) {
    let mut cx = Cx::new(file);
    // Each request is read as soon as its part of the tree is built, and that part is freed
    // before the next one is parsed (yaml::parse_streaming).
    let mut requests: Vec<Request> = Vec::new();
    let mut items = 0usize;
    let parsed = yaml::parse_streaming(file.text(), "requests", &mut |item| {
        if let Some(r) = read_request(&item, items, &mut cx) {
            requests.push(r);
        }
        items += 1;
    });
    let (root, soft) = match parsed {
        Ok(p) => p,
        Err(e) => return (None, vec![Diagnostic::at(e.message, file, e.span)]),
    };
    for e in soft {
        cx.diags.push(Diagnostic::at(e.message, file, e.span));
    }
    requests.shrink_to_fit();
    let collection = read_collection(&root, Streamed { requests, items }, &mut cx);
    // Requests were read before the keys around them: report in the file's order.
    cx.diags.sort_by_key(|d| {
        d.location
            .as_ref()
            .map(|l| (l.span.start.line, l.span.start.col))
    });
    (collection, cx.diags)
}

/// The requests read while the tree was built, and how many items the list had.
struct Streamed {
    requests: Vec<Request>,
    items: usize,
}

/// Reads the collection around its already-read requests.
fn read_collection(root: &Node<'_>, streamed: Streamed, cx: &mut Cx<'_>) -> Option<Collection> {
    if let Value::Null = root.value {
        cx.error_help(
            root.span,
            "the collection file is empty",
            "a collection needs at least `name:` and `requests:`",
        );
        return None;
    }
    let mut m = MapReader::new(root, "a collection", cx)?;
    let name = m
        .required("name", cx)
        .and_then(|n| nonempty_text(n, "the collection's `name`", cx));
    let description = m
        .get("description")
        .and_then(|n| text(n, "`description`", cx))
        .map(|s| s.value);
    let tags = m.get("tags").map(|n| tags(n, cx)).unwrap_or_default();
    let auth = m.get("auth").and_then(|n| nonempty_text(n, "`auth`", cx));
    let vars = m
        .get("vars")
        .map(|n| var_defs(n, "`vars`", cx))
        .unwrap_or_default();
    let defaults = m
        .get("defaults")
        .map(|n| read_defaults(n, cx))
        .unwrap_or_default();
    let data = m.get("data").and_then(|n| nonempty_text(n, "`data`", cx));
    let snapshot_redact = m
        .get("snapshot")
        .map(|n| collection_snapshot(n, cx))
        .unwrap_or_default();
    let compare = m
        .get("compare")
        .map(|n| read_compare(n, cx))
        .unwrap_or_default();
    let requests_node = m.required("requests", cx);
    m.finish(cx);

    let requests = streamed.requests;
    if let Some(node) = requests_node {
        // A list's items were streamed; anything else (null, a map) is reported here.
        let listed = list(node, "`requests`", cx).len();
        if streamed.items + listed == 0 && matches!(node.value, Value::Seq(_) | Value::Null) {
            cx.error_help(
                node.span,
                "`requests` is empty",
                "add at least one request with `name:` and `url:`",
            );
        }
    }
    check_unique_names(&requests, cx);
    check_slugs(&requests, cx);
    Some(Collection {
        file: Arc::clone(cx.file),
        name: name?,
        description,
        tags,
        auth,
        vars,
        defaults,
        data,
        snapshot_redact,
        compare,
        requests,
    })
}

fn tags(node: &Node<'_>, cx: &mut Cx<'_>) -> Vec<Spanned<String>> {
    match &node.value {
        Value::String(_) => text(node, "a tag", cx).into_iter().collect(),
        _ => list(node, "`tags`", cx)
            .iter()
            .filter_map(|t| nonempty_text(t, "a tag", cx))
            .collect(),
    }
}

pub(crate) fn var_defs(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Vec<VarDef> {
    let mut out = Vec::new();
    for (k, v) in entries(node, what, cx) {
        if !is_identifier(&k.value) {
            cx.error_help(
                k.span,
                format!("`{}` is not a valid variable name", k.value),
                "variable names are letters, digits and `_`, not starting with a digit, so templates can read them",
            );
            continue;
        }
        if let Some(value) = template_value(v, cx) {
            out.push(VarDef {
                name: k.to_owned_text(),
                value,
            });
        }
    }
    out
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn read_defaults(node: &Node<'_>, cx: &mut Cx<'_>) -> Defaults {
    let Some(mut m) = MapReader::new(node, "`defaults`", cx) else {
        return Defaults::default();
    };
    let headers = m.get("headers").map(|n| headers(n, cx)).unwrap_or_default();
    let timeout = m.get("timeout").and_then(|n| duration(n, "`timeout`", cx));
    let retries = m.get("retries").and_then(|n| read_retries(n, cx));
    let follow_redirects = m
        .get("follow_redirects")
        .and_then(|n| boolean(n, "`follow_redirects`", cx));
    let delay = m
        .get("delay")
        .and_then(|n| duration(n, "`delay`", cx))
        .map(|d| d.value);
    let max_body = m.get("max_body").and_then(|n| size(n, "`max_body`", cx));
    m.finish(cx);
    Defaults {
        headers,
        timeout,
        retries,
        follow_redirects,
        delay,
        max_body,
    }
}

/// `max_body: 64MiB`: a size in the one grammar of `courier-units`; a bare integer is bytes.
fn size(node: &Node<'_>, what: &str, cx: &mut Cx<'_>) -> Option<Spanned<u64>> {
    let text = if let Value::Int(i) = &node.value
        && *i >= 0
    {
        i.to_string()
    } else if let Some(t) = node.as_str() {
        t.to_owned()
    } else {
        cx.error_help(
            node.span,
            format!("expected {what} to be a size, found {}", node.type_name()),
            "write a number of bytes and a unit, like `512KiB` or `64MiB`",
        );
        return None;
    };
    match courier_units::parse_size(&text) {
        Ok(0) => {
            cx.error(node.span, format!("{what} must be more than 0 bytes"));
            None
        }
        Ok(bytes) => Some(Spanned::new(bytes, node.span)),
        Err(e) => {
            cx.error(node.span, format!("bad {what}: {e}"));
            None
        }
    }
}

fn headers(node: &Node<'_>, cx: &mut Cx<'_>) -> Vec<Header> {
    let mut out: Vec<Header> = Vec::new();
    for (k, v) in entries(node, "`headers`", cx) {
        if !is_header_name(&k.value) {
            cx.error(k.span, format!("`{}` is not a valid header name", k.value));
            continue;
        }
        if let Some(first) = out
            .iter()
            .find(|h| h.name.value.eq_ignore_ascii_case(&k.value))
        {
            cx.error(
                k.span,
                format!(
                    "header `{}` is set twice (also at line {}); header names ignore case",
                    k.value, first.name.span.start.line
                ),
            );
            continue;
        }
        if let Some(value) = template(v, "a header value", cx) {
            if value.value.is_literal() && !is_header_value(value.value.source()) {
                cx.error_help(
                    cx.content_span(v.span),
                    format!(
                        "the value of header `{}` holds a line break or another control character",
                        k.value
                    ),
                    "a header value is one line of text: remove the CR/LF (a YAML block scalar `|` keeps its line breaks; use a plain or quoted string)",
                );
                continue;
            }
            out.push(Header {
                name: k.to_owned_text(),
                value,
            });
        }
    }
    out
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn read_retries(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Retries> {
    let mut m = MapReader::new(node, "`retries`", cx)?;
    let count = m
        .get("count")
        .and_then(|n| integer(n, "`retries.count`", 10, cx));
    let on = m.get("on").map(|n| {
        list(n, "`retries.on`", cx)
            .iter()
            .filter_map(|item| retry_on(item, cx))
            .collect::<Vec<_>>()
    });
    let backoff = m
        .get("backoff")
        .and_then(|n| duration(n, "`retries.backoff`", cx));
    m.finish(cx);
    Some(Retries {
        count: count.unwrap_or(0) as u32,
        on: on.unwrap_or_else(|| Retries::DEFAULT_ON.to_vec()),
        backoff: backoff.map_or(Retries::DEFAULT_BACKOFF, |b| b.value),
        span: node.span,
    })
}

fn retry_on(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<RetryOn> {
    match &node.value {
        Value::Int(i) if (100..=599).contains(i) => Some(RetryOn::Status(*i as u16)),
        Value::String(s) if s == "network" => Some(RetryOn::Network),
        Value::String(s) => {
            if let Some(c) = status_class(s) {
                Some(RetryOn::Class(c))
            } else {
                cx.error_help(
                node.span,
                format!("`{s}` is not something to retry on"),
                "use a status code (`503`), a class (`5xx`) or `network` (connect errors and timeouts)",
            );
                None
            }
        }
        _ => {
            cx.error_help(
                node.span,
                format!(
                    "expected a status code, a class or `network` in `retries.on`, found {}",
                    node.type_name()
                ),
                "for example `on: [429, 503, network]`",
            );
            None
        }
    }
}

pub(super) fn status_class(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() == 3
        && (b'1'..=b'5').contains(&b[0])
        && b[1].eq_ignore_ascii_case(&b'x')
        && b[2].eq_ignore_ascii_case(&b'x')
    {
        Some(u16::from(b[0] - b'0'))
    } else {
        None
    }
}

fn collection_snapshot(node: &Node<'_>, cx: &mut Cx<'_>) -> Vec<Redaction> {
    let Some(mut m) = MapReader::new(node, "the collection's `snapshot`", cx) else {
        return Vec::new();
    };
    let redact = m
        .get("redact")
        .map(|n| redactions(n, cx))
        .unwrap_or_default();
    m.finish(cx);
    redact
}

fn redactions(node: &Node<'_>, cx: &mut Cx<'_>) -> Vec<Redaction> {
    let mut out = Vec::new();
    for (k, v) in entries(node, "`redact`", cx) {
        let path = jsonpath(k, cx);
        let placeholder = text(v, "a redaction placeholder", cx);
        if let (Some(path), Some(placeholder)) = (path, placeholder) {
            out.push(Redaction {
                path,
                placeholder: placeholder.value,
            });
        }
    }
    out
}

fn read_compare(node: &Node<'_>, cx: &mut Cx<'_>) -> CompareSpec {
    let Some(mut m) = MapReader::new(node, "`compare`", cx) else {
        return CompareSpec::default();
    };
    let ignore = m
        .get("ignore")
        .map(|n| {
            list(n, "`compare.ignore`", cx)
                .iter()
                .filter_map(|p| jsonpath_node(p, "an ignore path", cx))
                .collect()
        })
        .unwrap_or_default();
    let mut match_by = Vec::new();
    if let Some(n) = m.get("match_by") {
        for (k, v) in entries(n, "`compare.match_by`", cx) {
            let path = jsonpath(k, cx);
            let key = nonempty_text(v, "a match key field", cx);
            if let (Some(path), Some(key)) = (path, key) {
                match_by.push((path, key));
            }
        }
    }
    m.finish(cx);
    CompareSpec { ignore, match_by }
}

fn read_request(node: &Node<'_>, index: usize, cx: &mut Cx<'_>) -> Option<Request> {
    let mut m = MapReader::new(node, "a request", cx)?;
    let name = m
        .required("name", cx)
        .and_then(|n| nonempty_text(n, "the request's `name`", cx));
    let method = m.get("method").and_then(|n| method(n, cx));
    let url = m.required("url", cx).and_then(|n| template(n, "`url`", cx));
    let query = m.get("query").map(|n| query(n, cx)).unwrap_or_default();
    let headers = m.get("headers").map(|n| headers(n, cx)).unwrap_or_default();
    let auth = m.get("auth").and_then(|n| nonempty_text(n, "`auth`", cx));
    let body = read_body(&mut m, cx);
    let timeout = m.get("timeout").and_then(|n| duration(n, "`timeout`", cx));
    let max_body = m.get("max_body").and_then(|n| size(n, "`max_body`", cx));
    let retries = m.get("retries").and_then(|n| read_retries(n, cx));
    let follow_redirects = m
        .get("follow_redirects")
        .and_then(|n| boolean(n, "`follow_redirects`", cx));
    let delay = m
        .get("delay")
        .and_then(|n| duration(n, "`delay`", cx))
        .map(|d| d.value);
    let tags = m.get("tags").map(|n| tags(n, cx)).unwrap_or_default();
    let skip = m.get("skip").and_then(|n| read_skip(n, cx));
    let mutates = m
        .get("mutates")
        .and_then(|n| boolean(n, "`mutates`", cx).map(|b| Spanned::new(b, n.span)));
    let always = m
        .get("always")
        .and_then(|n| boolean(n, "`always`", cx))
        .unwrap_or(false);
    let repeat = m
        .get("repeat")
        .and_then(|n| super::language::read_repeat(n, cx));
    let poll = m
        .get("poll")
        .and_then(|n| super::language::read_poll(n, cx));
    let expect = m
        .get("expect")
        .map(|n| read_expect(n, cx))
        .unwrap_or_default();
    let captures = m
        .get("capture")
        .map(|n| read_captures(n, cx))
        .unwrap_or_default();
    let snapshot = m.get("snapshot").and_then(|n| read_snapshot(n, cx));
    m.finish(cx);
    let request = Request {
        index,
        name: name?,
        span: node.span,
        method: method.unwrap_or_else(|| Spanned::new("GET".to_owned(), node.span)),
        url: url?,
        query,
        headers,
        auth,
        body: body.map(Box::new),
        timeout,
        max_body,
        retries: retries.map(Box::new),
        follow_redirects,
        delay,
        tags,
        skip: skip.map(Box::new),
        mutates,
        always,
        repeat: repeat.map(Box::new),
        poll: poll.map(Box::new),
        expect,
        captures,
        snapshot: snapshot.map(Box::new),
    };
    super::language::check_request(&request, node, cx);
    Some(request)
}

fn method(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Spanned<String>> {
    let t = text(node, "`method`", cx)?;
    let upper = t.value.to_ascii_uppercase();
    if METHODS.contains(&upper.as_str()) {
        return Some(Spanned::new(upper, t.span));
    }
    let message = format!("unknown HTTP method `{}`", t.value);
    match did_you_mean(
        &upper.to_lowercase(),
        ["get", "head", "post", "put", "patch", "delete", "options"],
    ) {
        Some(s) => cx.error_help(
            t.span,
            format!("{message}, did you mean `{}`?", s.to_uppercase()),
            format!("methods: {}", METHODS.join(", ")),
        ),
        None => cx.error_help(t.span, message, format!("methods: {}", METHODS.join(", "))),
    }
    None
}

fn query(node: &Node<'_>, cx: &mut Cx<'_>) -> Vec<(Spanned<String>, crate::model::STemplate)> {
    let mut out = Vec::new();
    for (k, v) in entries(node, "`query`", cx) {
        match &v.value {
            // A list repeats the parameter: `ids: [1, 2]` → `ids=1&ids=2`.
            Value::Seq(items) => {
                for item in items {
                    if let Some(t) = template(item, "a query value", cx) {
                        out.push((k.to_owned_text(), t));
                    }
                }
            }
            _ => {
                if let Some(t) = template(v, "a query value", cx) {
                    out.push((k.to_owned_text(), t));
                }
            }
        }
    }
    out
}

fn read_skip(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Skip> {
    match &node.value {
        Value::Bool(b) => Some(Skip::Always(*b)),
        Value::String(s) => compile_template(s, node, cx).map(Skip::When),
        _ => {
            cx.error_help(
                node.span,
                format!(
                    "expected `skip` to be a boolean or a template, found {}",
                    node.type_name()
                ),
                "for example `skip: true` or `skip: \"{{ env_name == 'production' }}\"`",
            );
            None
        }
    }
}

fn read_captures(node: &Node<'_>, cx: &mut Cx<'_>) -> Vec<Capture> {
    let mut out: Vec<Capture> = Vec::new();
    for (k, v) in entries(node, "`capture`", cx) {
        if !is_identifier(&k.value) {
            cx.error_help(
                k.span,
                format!("`{}` is not a valid variable name", k.value),
                "captures are variables: letters, digits and `_`, not starting with a digit",
            );
            continue;
        }
        let capture = match &v.value {
            Value::Map(_) => super::language::read_capture_map(k, v, cx),
            _ => path_expr_node(v, "a capture", cx).map(|p| Capture {
                name: k.to_owned_text(),
                source: CaptureSource::JsonPath(p),
                append: false,
                secret: false,
            }),
        };
        if let Some(capture) = capture {
            out.push(capture);
        }
    }
    out
}

fn read_snapshot(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<SnapshotSpec> {
    match &node.value {
        Value::Bool(true) => Some(SnapshotSpec {
            span: node.span,
            path: None,
            redact: Vec::new(),
            per_env: false,
        }),
        Value::Bool(false) => None,
        Value::Map(_) => {
            let mut m = MapReader::new(node, "`snapshot`", cx)?;
            let path = m
                .get("path")
                .and_then(|n| path_expr_node(n, "`snapshot.path`", cx));
            let redact = m
                .get("redact")
                .map(|n| redactions(n, cx))
                .unwrap_or_default();
            let per_env = m
                .get("per_env")
                .and_then(|n| boolean(n, "`per_env`", cx))
                .unwrap_or(false);
            m.finish(cx);
            Some(SnapshotSpec {
                span: node.span,
                path,
                redact,
                per_env,
            })
        }
        _ => {
            cx.error_help(
                node.span,
                format!("expected `snapshot` to be `true` or a map, found {}", node.type_name()),
                "write `snapshot: true` or `snapshot: { path: \"$['ia::result']\", redact: {...}, per_env: true }`",
            );
            None
        }
    }
}

#[cfg(test)]
mod tests;
