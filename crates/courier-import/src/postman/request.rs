//! Reading one Postman request: URL and query, headers (credential values to secrets),
//! and the body in each of Postman's modes.

use serde_json::{Map, Value};

use super::{Cx, Used, params, text_of};
use crate::out::{Body, Request};

impl Cx<'_> {
    pub(super) fn url(&mut self, req: &Map<String, Value>, r: &mut Request, used: &mut Used) {
        let url = req.get("url");
        let (raw, query_list, variables) = match url {
            Some(Value::String(s)) => (s.clone(), None, Vec::new()),
            Some(Value::Object(u)) => {
                let raw = u.get("raw").and_then(Value::as_str).map_or_else(
                    || {
                        let host = match u.get("host") {
                            Some(Value::Array(h)) => h
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("."),
                            Some(Value::String(h)) => h.clone(),
                            _ => String::new(),
                        };
                        let path = match u.get("path") {
                            Some(Value::Array(p)) => p
                                .iter()
                                .filter_map(Value::as_str)
                                .collect::<Vec<_>>()
                                .join("/"),
                            Some(Value::String(p)) => p.trim_start_matches('/').to_owned(),
                            _ => String::new(),
                        };
                        let proto = u.get("protocol").and_then(Value::as_str);
                        let port = u.get("port").and_then(Value::as_str);
                        let mut s = String::new();
                        if let Some(p) = proto {
                            s.push_str(p);
                            s.push_str("://");
                        }
                        s.push_str(&host);
                        if let Some(p) = port {
                            s.push(':');
                            s.push_str(p);
                        }
                        if !path.is_empty() {
                            s.push('/');
                            s.push_str(&path);
                        }
                        s
                    },
                    str::to_owned,
                );
                let vars = params(u.get("variable"));
                (raw, u.get("query").and_then(Value::as_array).cloned(), vars)
            }
            _ => (String::new(), None, Vec::new()),
        };
        let raw = raw.trim();
        if raw.is_empty() {
            "http://localhost/".clone_into(&mut r.url);
            r.skip = true;
            r.comments
                .push("TODO(import): the Postman request has no URL; skipped".to_owned());
            self.summary
                .unsupported
                .push(format!("\"{}\": no URL (request skipped)", r.name));
            return;
        }
        let raw = raw.split('#').next().unwrap_or(raw);
        let (base, query_text) = match raw.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (raw, None),
        };
        // Path variables (`/:id`) become templates of collection-level values.
        let mut base = base.to_owned();
        for (k, v) in &variables {
            let pattern = format!("/:{k}");
            if base.contains(&pattern) {
                let name = self.names.var(k);
                base = base.replace(&pattern, &format!("/{{{{{k}}}}}"));
                r.comments.push(format!(
                    "path variable :{k} is the template {{{{ {name} }}}} (Postman's value: {})",
                    text_of(v)
                ));
                if !self.cvars.iter().any(|(n, _)| *n == name) {
                    let value = self.value(v);
                    self.cvars.push((name, value));
                }
            }
        }
        let mut url = self.names.template(&base, used);
        if !url.starts_with("{{") && !url.contains("://") {
            // Postman sends a URL without a scheme over http.
            url = format!("http://{url}");
        }
        r.url = url;
        match query_list {
            Some(list) => {
                for q in list {
                    if q.get("disabled").and_then(Value::as_bool) == Some(true) {
                        continue;
                    }
                    let Some(k) = q.get("key").and_then(Value::as_str) else {
                        continue;
                    };
                    let v = q.get("value").map(text_of).unwrap_or_default();
                    let v = self.names.template(&percent_decode(&v), used);
                    r.query.push((percent_decode(k), v));
                }
            }
            None => {
                for pair in query_text
                    .unwrap_or("")
                    .split('&')
                    .filter(|p| !p.is_empty())
                {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = self.names.template(&percent_decode(v), used);
                    r.query.push((percent_decode(k), v));
                }
            }
        }
    }

    pub(super) fn headers(&mut self, headers: Option<&Value>, r: &mut Request, used: &mut Used) {
        let list: Vec<(String, String, bool)> = match headers {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|h| {
                    Some((
                        h.get("key")?.as_str()?.trim().to_owned(),
                        h.get("value").map(text_of).unwrap_or_default(),
                        h.get("disabled").and_then(Value::as_bool).unwrap_or(false),
                    ))
                })
                .collect(),
            Some(Value::String(s)) => s
                .lines()
                .filter_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    let disabled = k.trim_start().starts_with("//");
                    Some((
                        k.trim().trim_start_matches("//").trim().to_owned(),
                        v.trim().to_owned(),
                        disabled,
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        for (k, v, disabled) in list {
            if disabled {
                continue;
            }
            if !is_header_name(&k) {
                r.comments.push(format!(
                    "TODO(import): header `{k}` has a name HTTP does not allow; dropped"
                ));
                continue;
            }
            if r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&k)) {
                r.comments.push(format!(
                    "TODO(import): header `{k}` repeated; only the first is kept (value {v:?})"
                ));
                continue;
            }
            let value = if crate::env::is_credential_header(&k) && has_literal_credential(&v) {
                self.header_secret(&k, &v, &r.name)
            } else {
                self.names.template(&v, used)
            };
            r.headers.push((k, value));
        }
    }

    /// A credential header's literal value → `{{ var }}` of a secret (one per distinct value).
    fn header_secret(&mut self, header: &str, value: &str, request: &str) -> String {
        if let Some(var) = self.header_secrets.get(value) {
            return format!("{{{{ {var} }}}}");
        }
        let base = crate::names::snake(header);
        let mut var = base.clone();
        let mut i = 2;
        while self.header_secrets.values().any(|v| *v == var) {
            var = format!("{base}_{i}");
            i += 1;
        }
        let envvar = self.env.secret(&var);
        self.summary
            .secrets
            .push(format!("header `{header}` of \"{request}\" → {envvar}"));
        self.header_secrets.insert(value.to_owned(), var.clone());
        format!("{{{{ {var} }}}}")
    }

    pub(super) fn body(&mut self, body: Option<&Value>, r: &mut Request, used: &mut Used) {
        let Some(body) = body.and_then(Value::as_object) else {
            return;
        };
        if body.get("disabled").and_then(Value::as_bool) == Some(true) {
            return;
        }
        let mode = body.get("mode").and_then(Value::as_str).unwrap_or("");
        match mode {
            "raw" => {
                let raw = body.get("raw").map(text_of).unwrap_or_default();
                if raw.is_empty() {
                    return;
                }
                let language = body
                    .get("options")
                    .and_then(|o| o.get("raw"))
                    .and_then(|o| o.get("language"))
                    .and_then(Value::as_str);
                let ctype = r
                    .headers
                    .iter()
                    .find(|(h, _)| h.eq_ignore_ascii_case("content-type"))
                    .map(|(_, v)| v.to_ascii_lowercase());
                let jsonish = language == Some("json")
                    || ctype.as_deref().is_some_and(|c| c.contains("json"))
                    || (language.is_none()
                        && ctype.is_none()
                        && raw.trim_start().starts_with(['{', '[']));
                if jsonish && let Some(v) = self.json_body(&raw, used) {
                    r.headers.retain(|(h, v)| {
                        !(h.eq_ignore_ascii_case("content-type")
                            && v.trim().eq_ignore_ascii_case("application/json"))
                    });
                    r.body = Some(Body::Json(v));
                    return;
                }
                if jsonish {
                    r.comments.push(
                        "the Postman body looked like JSON but does not parse: sent as text"
                            .to_owned(),
                    );
                    if ctype.is_none() {
                        r.headers
                            .push(("Content-Type".to_owned(), "application/json".to_owned()));
                    }
                }
                r.body = Some(Body::Text(self.names.template(&raw, used)));
            }
            "urlencoded" => {
                let mut fields = Vec::new();
                for p in body
                    .get("urlencoded")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if p.get("disabled").and_then(Value::as_bool) == Some(true) {
                        continue;
                    }
                    let Some(k) = p.get("key").and_then(Value::as_str) else {
                        continue;
                    };
                    let v = p.get("value").map(text_of).unwrap_or_default();
                    if fields.iter().any(|(f, _): &(String, String)| f == k) {
                        r.comments.push(format!(
                            "TODO(import): form field `{k}` repeated; only the first is kept"
                        ));
                        continue;
                    }
                    fields.push((k.to_owned(), self.names.template(&v, used)));
                }
                r.headers.retain(|(h, v)| {
                    !(h.eq_ignore_ascii_case("content-type")
                        && v.to_ascii_lowercase().contains("x-www-form-urlencoded"))
                });
                r.body = Some(Body::Form(fields));
            }
            "formdata" => self.form_data(body.get("formdata"), r, used),
            "graphql" => {
                let g = body.get("graphql").cloned().unwrap_or(Value::Null);
                let query = g.get("query").map(text_of).unwrap_or_default();
                let mut m = Map::new();
                m.insert(
                    "query".to_owned(),
                    Value::String(self.names.template(&query, used)),
                );
                if let Some(vars) = g.get("variables").map(text_of)
                    && !vars.trim().is_empty()
                {
                    match self.json_body(&vars, used) {
                        Some(v) => {
                            m.insert("variables".to_owned(), v);
                        }
                        None => r.comments.push(format!(
                            "TODO(import): GraphQL variables are not JSON; dropped: {vars}"
                        )),
                    }
                }
                r.body = Some(Body::Json(Value::Object(m)));
            }
            "file" => {
                let src = body
                    .get("file")
                    .and_then(|f| f.get("src"))
                    .map(text_of)
                    .unwrap_or_default();
                r.skip = true;
                r.body_comments.push(format!(
                    "TODO(import): the body is the file {src:?}; Courier cannot send a body from a file yet (skipped)"
                ));
                self.summary.unsupported.push(format!(
                    "\"{}\": body from a file (request skipped)",
                    r.name
                ));
            }
            "" => {}
            other => {
                r.comments.push(format!(
                    "TODO(import): body mode `{other}` is not converted"
                ));
                self.summary
                    .unsupported
                    .push(format!("\"{}\": body mode {other}", r.name));
            }
        }
    }

    /// Raw JSON with Postman references, also where a reference stands for a whole value
    /// (`{"id": {{id}}}`): such a reference becomes a string that is exactly one template,
    /// which Courier renders with the value's own JSON type.
    fn json_body(&mut self, raw: &str, used: &mut Used) -> Option<Value> {
        let mut quoted = String::with_capacity(raw.len() + 8);
        let mut in_string = false;
        let mut escaped = false;
        let mut rest = raw;
        while let Some(c) = rest.chars().next() {
            if !in_string
                && rest.starts_with("{{")
                && let Some(end) = rest.find("}}")
            {
                {
                    quoted.push('"');
                    quoted.push_str(&rest[..end + 2].replace('"', "\\\""));
                    quoted.push('"');
                    rest = &rest[end + 2..];
                    continue;
                }
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            }
            quoted.push(c);
            rest = &rest[c.len_utf8()..];
        }
        let v: Value = serde_json::from_str(&quoted).ok()?;
        Some(self.template_json(v, used))
    }

    fn template_json(&mut self, v: Value, used: &mut Used) -> Value {
        match v {
            Value::String(s) => Value::String(self.names.template(&s, used)),
            Value::Array(a) => {
                Value::Array(a.into_iter().map(|x| self.template_json(x, used)).collect())
            }
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .map(|(k, x)| (k, self.template_json(x, used)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Form-data: Courier cannot send multipart yet, so the parts are written as a commented
    /// `multipart:` block and the request is skipped (docs/import.md).
    fn form_data(&mut self, parts: Option<&Value>, r: &mut Request, used: &mut Used) {
        let mut lines = vec![
            "TODO(import): a form-data (multipart) body; this Courier cannot send multipart yet,"
                .to_owned(),
            "so the request is skipped. The parts, in the collection format's `multipart:` shape:"
                .to_owned(),
            "multipart:".to_owned(),
        ];
        for p in parts.and_then(Value::as_array).into_iter().flatten() {
            if p.get("disabled").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(k) = p.get("key").and_then(Value::as_str) else {
                continue;
            };
            let key = crate::yaml::scalar(k);
            if p.get("type").and_then(Value::as_str) == Some("file") {
                let srcs: Vec<String> = match p.get("src") {
                    Some(Value::Array(a)) => a.iter().map(text_of).collect(),
                    Some(v) => vec![text_of(v)],
                    None => Vec::new(),
                };
                let src = srcs.first().cloned().unwrap_or_default();
                let resolved = self.input.base_dir.join(&src);
                if !src.is_empty() && (self.input.file_exists)(&resolved) {
                    let ct = p
                        .get("contentType")
                        .and_then(Value::as_str)
                        .map(|c| format!(", content_type: {}", crate::yaml::scalar(c)))
                        .unwrap_or_default();
                    lines.push(format!(
                        "  {key}: {{ file: {}{ct} }}",
                        crate::yaml::scalar(&resolved.to_string_lossy())
                    ));
                } else {
                    lines.push(format!(
                        "  {key}: {}",
                        crate::yaml::scalar(&format!("TODO: {src}"))
                    ));
                    self.summary
                        .missing_files
                        .push(format!("\"{}\" part `{k}`: {src}", r.name));
                }
            } else {
                let v = p.get("value").map(text_of).unwrap_or_default();
                let v = self.names.template(&v, used);
                lines.push(format!("  {key}: {}", crate::yaml::scalar(&v)));
            }
        }
        r.body_comments = lines;
        r.skip = true;
        r.headers.retain(|(h, v)| {
            !(h.eq_ignore_ascii_case("content-type")
                && v.to_ascii_lowercase().contains("multipart/form-data"))
        });
        self.summary.unsupported.push(format!(
            "\"{}\": form-data body kept as a comment (request skipped)",
            r.name
        ));
    }
}

/// Whether a credential header's value holds a literal secret (not only references and a
/// scheme word, as in `Bearer {{token}}`).
pub(crate) fn has_literal_credential(v: &str) -> bool {
    let mut rest = String::new();
    let mut s = v;
    while let Some(i) = s.find("{{") {
        rest.push_str(&s[..i]);
        match s[i..].find("}}") {
            Some(j) => s = &s[i + j + 2..],
            None => {
                s = "";
            }
        }
    }
    rest.push_str(s);
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words.as_slice() {
        [] => false,
        [w] => !["bearer", "basic", "token", "digest"].contains(&w.to_ascii_lowercase().as_str()),
        _ => true,
    }
}

fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Percent-decoding, leaving the text as it is when it does not decode to UTF-8.
pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}
