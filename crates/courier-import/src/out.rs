//! The collection an importer builds, in Courier's own terms, and its YAML text: key order as
//! in the collection reference, comments where the importer kept something it could not
//! convert.

use serde_json::{Map, Value, json};

use crate::yaml::Doc;

/// One collection file.
#[derive(Debug, Default)]
pub(crate) struct Collection {
    pub name: String,
    pub description: Option<String>,
    /// Comment lines at the top of the file (scripts kept as comments, notes).
    pub comments: Vec<String>,
    pub auth: Option<String>,
    pub vars: Vec<Var>,
    pub follow_redirects: bool,
    pub requests: Vec<Request>,
}

#[derive(Debug)]
pub(crate) struct Var {
    pub name: String,
    pub value: Value,
    pub comment: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Request {
    pub name: String,
    /// Comment lines written above the request.
    pub comments: Vec<String>,
    pub method: String,
    pub url: String,
    /// Repeated names become a list (`ids: [1, 2]`).
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub auth: Option<String>,
    pub body: Option<Body>,
    /// Comment lines written inside the request after its body (a form-data body).
    pub body_comments: Vec<String>,
    pub skip: bool,
    pub follow_redirects: Option<bool>,
    pub timeout: Option<String>,
    pub expect: Expect,
    pub captures: Vec<(String, Capture)>,
}

#[derive(Debug)]
pub(crate) enum Body {
    Json(Value),
    Form(Vec<(String, String)>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Capture {
    Path(String),
    Header(String),
}

/// Checks gathered from a test script.
#[derive(Debug, Default)]
pub(crate) struct Expect {
    pub status: Option<Value>,
    pub headers: Vec<(String, Vec<(String, Value)>)>,
    pub jsonpath: Vec<(String, Vec<(String, Value)>)>,
    pub body: Vec<(String, Value)>,
    pub duration: Vec<(String, Value)>,
}

impl Expect {
    pub(crate) fn is_empty(&self) -> bool {
        self.status.is_none()
            && self.headers.is_empty()
            && self.jsonpath.is_empty()
            && self.body.is_empty()
            && self.duration.is_empty()
    }

    /// Adds operator `op` for `path`; false when that path already has this operator with
    /// another value (the caller keeps the statement as a comment).
    pub(crate) fn add_path(&mut self, path: &str, op: &str, value: Value) -> bool {
        add_op(&mut self.jsonpath, path, op, value)
    }

    pub(crate) fn add_header(&mut self, name: &str, op: &str, value: Value) -> bool {
        let key = self
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or_else(|| name.to_ascii_lowercase(), |(k, _)| k.clone());
        add_op(&mut self.headers, &key, op, value)
    }

    pub(crate) fn add_body(&mut self, op: &str, value: Value) -> bool {
        push_op(&mut self.body, op, value)
    }

    pub(crate) fn add_duration(&mut self, op: &str, value: Value) -> bool {
        push_op(&mut self.duration, op, value)
    }
}

fn add_op(list: &mut Vec<(String, Vec<(String, Value)>)>, key: &str, op: &str, v: Value) -> bool {
    if let Some((_, ops)) = list.iter_mut().find(|(k, _)| k == key) {
        return push_op(ops, op, v);
    }
    list.push((key.to_owned(), vec![(op.to_owned(), v)]));
    true
}

fn push_op(ops: &mut Vec<(String, Value)>, op: &str, v: Value) -> bool {
    if let Some((_, old)) = ops.iter().find(|(o, _)| o == op) {
        return *old == v;
    }
    ops.push((op.to_owned(), v));
    true
}

/// A matcher from its operators: a lone `eq` of a scalar or list is written as the plain
/// value (equality), everything else as an operator map.
fn matcher(ops: &[(String, Value)]) -> Value {
    if let [(op, v)] = ops
        && op == "eq"
        && !v.is_object()
    {
        return v.clone();
    }
    Value::Object(ops.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

fn pairs(items: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, v) in items {
        match m.get_mut(k) {
            Some(Value::Array(a)) => a.push(Value::String(v.clone())),
            Some(old) => {
                let first = old.take();
                *old = json!([first, v]);
            }
            None => {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(m)
}

impl Collection {
    /// The file's YAML text, starting with `header` comment lines.
    pub(crate) fn to_yaml(&self, header: &[String]) -> String {
        let mut d = Doc::default();
        for line in header.iter().chain(&self.comments) {
            d.comment(0, line);
        }
        d.kv_str(0, "name", &self.name);
        if let Some(desc) = &self.description {
            d.kv_str(0, "description", desc);
        }
        if let Some(auth) = &self.auth {
            d.kv_str(0, "auth", auth);
        }
        if !self.vars.is_empty() {
            d.open(0, "vars");
            for v in &self.vars {
                if let Some(c) = &v.comment {
                    d.comment(2, c);
                }
                d.kv(2, &v.name, &v.value);
            }
        }
        if self.follow_redirects {
            d.open(0, "defaults");
            d.kv(2, "follow_redirects", &Value::Bool(true));
        }
        d.open(0, "requests");
        for r in &self.requests {
            r.write(&mut d);
        }
        d.finish()
    }
}

impl Request {
    fn write(&self, d: &mut Doc) {
        for c in &self.comments {
            d.comment(2, c);
        }
        let i = d.item(2);
        d.kv_inline(i, "name", &Value::String(self.name.clone()), true);
        if self.method != "GET" {
            d.kv_str(i, "method", &self.method);
        }
        d.kv_str(i, "url", &self.url);
        if !self.query.is_empty() {
            d.kv(i, "query", &pairs(&self.query));
        }
        if !self.headers.is_empty() {
            d.kv(i, "headers", &pairs(&self.headers));
        }
        if let Some(a) = &self.auth {
            d.kv_str(i, "auth", a);
        }
        match &self.body {
            Some(Body::Json(v)) => d.kv(i, "json", v),
            Some(Body::Form(f)) => d.kv(i, "form", &pairs(f)),
            Some(Body::Text(t)) => d.kv_str(i, "body", t),
            None => {}
        }
        for c in &self.body_comments {
            d.comment(i, c);
        }
        if let Some(t) = &self.timeout {
            d.kv_str(i, "timeout", t);
        }
        if let Some(f) = self.follow_redirects {
            d.kv(i, "follow_redirects", &Value::Bool(f));
        }
        if self.skip {
            d.kv(i, "skip", &Value::Bool(true));
        }
        if !self.expect.is_empty() {
            let e = &self.expect;
            d.open(i, "expect");
            if let Some(s) = &e.status {
                d.kv(i + 2, "status", s);
            }
            if !e.headers.is_empty() {
                let m: Map<String, Value> = e
                    .headers
                    .iter()
                    .map(|(k, ops)| (k.clone(), matcher(ops)))
                    .collect();
                d.kv(i + 2, "headers", &Value::Object(m));
            }
            if !e.jsonpath.is_empty() {
                let m: Map<String, Value> = e
                    .jsonpath
                    .iter()
                    .map(|(k, ops)| (k.clone(), matcher(ops)))
                    .collect();
                d.kv(i + 2, "jsonpath", &Value::Object(m));
            }
            if !e.body.is_empty() {
                d.kv(i + 2, "body", &matcher(&e.body));
            }
            if !e.duration.is_empty() {
                d.kv(i + 2, "duration", &matcher(&e.duration));
            }
        }
        if !self.captures.is_empty() {
            d.open(i, "capture");
            for (name, c) in &self.captures {
                match c {
                    Capture::Path(p) => d.kv_str(i + 2, name, p),
                    Capture::Header(h) => d.kv(i + 2, name, &json!({ "header": h })),
                }
            }
        }
    }
}
