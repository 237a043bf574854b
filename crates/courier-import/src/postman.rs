//! Postman collections (v2.0 and v2.1) and environments to Courier collection files and one
//! environment file. What converts and what is kept as a comment is listed in docs/import.md;
//! everything not converted is counted in the [`Summary`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::env::{Env, is_credential_name};
use crate::names::{Names, slug};
use crate::out::{Body, Collection, Request, Var};
use crate::{ImportError, OutFile, Summary, parse_json, script};

/// What `import postman` reads.
pub struct PostmanInput<'a> {
    /// The collection's JSON text and the name to show in errors.
    pub collection: (&'a str, &'a str),
    /// The environment's JSON text and name, if one was given.
    pub environment: Option<(&'a str, &'a str)>,
    /// The folder the collection file is in: form-data file parts are relative to it.
    pub base_dir: &'a Path,
    /// Whether a file exists (the library itself touches no files).
    pub file_exists: &'a dyn Fn(&Path) -> bool,
}

/// The files to write (paths relative to the output folder) and the summary.
#[derive(Debug)]
pub struct Imported {
    pub files: Vec<OutFile>,
    pub summary: Summary,
}

/// Methods Courier sends.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Converts a Postman export.
pub fn import(input: &PostmanInput<'_>) -> Result<Imported, ImportError> {
    let (text, shown) = input.collection;
    let root = parse_json(text, shown)?;
    let Value::Object(root) = root else {
        return Err(ImportError::NotPostman(format!(
            "{shown}: expected a JSON object with `info` and `item`"
        )));
    };
    check_version(&root, shown)?;
    let mut cx = Cx {
        input,
        names: Names::default(),
        env: Env::default(),
        summary: Summary::default(),
        header_secrets: BTreeMap::new(),
        cvars: Vec::new(),
    };
    let info = root.get("info").and_then(Value::as_object);
    let name = info
        .and_then(|i| i.get("name"))
        .or_else(|| root.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("Postman collection")
        .to_owned();
    let description = info
        .and_then(|i| i.get("description"))
        .and_then(description);

    // The environment first: its variables are the ones credentials may point at.
    let env_name = if let Some((env_text, env_shown)) = input.environment {
        let env = parse_json(env_text, env_shown)?;
        cx.read_environment(&env, env_shown)?;
        env.get("name")
            .and_then(Value::as_str)
            .map_or_else(|| slug(&name), slug)
    } else {
        slug(&name)
    };

    cx.cvars = cx.collection_vars(root.get("variable"));
    let collection_auth = cx.auth(root.get("auth"), &slug(&name));
    let mut folders: Vec<Folder> = Vec::new();
    let scripts = Scripts {
        tests: script_lines(root.get("event"), "test"),
        prerequest: script_lines(root.get("event"), "prerequest"),
    };
    let items = root.get("item").and_then(Value::as_array).cloned().unwrap_or_default();
    cx.walk(&items, &[], &collection_auth, &scripts, &mut folders);
    let collection_vars = std::mem::take(&mut cx.cvars);

    // One file per folder that holds requests, in the collection's order.
    let coll_slug = slug(&name);
    let mut files: Vec<(String, Collection, Vec<Used>)> = Vec::new();
    let count = folders.iter().filter(|f| !f.requests.is_empty()).count();
    let width = if count >= 100 { 3 } else { 2 };
    for (i, f) in folders
        .into_iter()
        .filter(|f| !f.requests.is_empty())
        .enumerate()
    {
        let file_slug = if f.path.is_empty() {
            coll_slug.clone()
        } else {
            f.path.iter().map(|p| slug(p)).collect::<Vec<_>>().join("-")
        };
        let rel = format!("collections/{coll_slug}/{:0width$}-{file_slug}.yaml", i + 1);
        let title = if f.path.is_empty() {
            name.clone()
        } else {
            format!("{name} / {}", f.path.join(" / "))
        };
        let mut c = Collection {
            name: title,
            description: if f.path.is_empty() { description.clone() } else { None },
            comments: f.comments,
            auth: f.auth,
            vars: collection_vars
                .iter()
                .map(|(n, v)| Var {
                    name: n.clone(),
                    value: v.clone(),
                    comment: None,
                })
                .collect(),
            follow_redirects: true,
            requests: Vec::new(),
        };
        let mut used = Vec::new();
        for (r, u) in f.requests {
            c.requests.push(r);
            used.push(u);
        }
        dedupe_names(&mut c.requests);
        files.push((rel, c, used));
    }
    if files.is_empty() {
        return Err(ImportError::NotPostman(format!(
            "{shown}: the collection has no requests"
        )));
    }
    cx.resolve_variables(&mut files, &collection_vars);

    let header = vec![
        format!("Imported from the Postman collection \"{name}\" by `courier import postman`."),
        "What was converted and what is kept as comments: see docs/import.md.".to_owned(),
    ];
    let mut out: Vec<OutFile> = files
        .iter()
        .map(|(rel, c, _)| OutFile {
            path: PathBuf::from(rel),
            text: c.to_yaml(&header),
        })
        .collect();
    cx.summary.requests = files.iter().map(|(_, c, _)| c.requests.len()).sum();
    cx.summary.files = out.len();
    out.push(OutFile {
        path: PathBuf::from(format!("environments/{env_name}.yaml")),
        text: cx.env.to_yaml(&name),
    });
    cx.summary.environment = Some(format!("environments/{env_name}.yaml"));
    cx.summary.dynamic = cx
        .names
        .dynamic
        .iter()
        .map(|(k, v)| format!("{{{{{k}}}}} → {v}"))
        .collect();
    cx.summary.dynamic.extend(cx.names.unknown_dynamic.iter().map(|(k, v)| {
        format!("{{{{{k}}}}} has no Courier function: variable `{v}` (set it in the environment)")
    }));
    cx.summary.renamed = cx
        .names
        .renamed()
        .map(|(k, v)| format!("{k} → {v}"))
        .collect();
    Ok(Imported {
        files: out,
        summary: cx.summary,
    })
}

fn check_version(root: &Map<String, Value>, shown: &str) -> Result<(), ImportError> {
    let schema = root
        .get("info")
        .and_then(|i| i.get("schema"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let v1 = schema.contains("v1.")
        || (root.get("item").is_none()
            && (root.contains_key("requests") || root.contains_key("order")));
    if v1 {
        return Err(ImportError::V1(shown.to_owned()));
    }
    if root.get("item").and_then(Value::as_array).is_none() {
        return Err(ImportError::NotPostman(format!(
            "{shown}: no `item` list (a Postman collection v2.0 or v2.1 export has `info` and `item`)"
        )));
    }
    Ok(())
}

fn description(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => m.get("content")?.as_str()?.to_owned(),
        _ => return None,
    };
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// The lines of the scripts of one kind (`test` or `prerequest`) among `event`.
fn script_lines(events: Option<&Value>, listen: &str) -> Vec<String> {
    let events: Vec<&Value> = match events {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    };
    let mut lines = Vec::new();
    for e in events {
        if e.get("listen").and_then(Value::as_str) != Some(listen)
            || e.get("disabled").and_then(Value::as_bool) == Some(true)
        {
            continue;
        }
        match e.get("script").and_then(|s| s.get("exec")) {
            Some(Value::Array(a)) => {
                lines.extend(a.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            Some(Value::String(s)) => lines.extend(s.lines().map(str::to_owned)),
            _ => {}
        }
    }
    lines
}

/// Key → value pairs from Postman's list form (`[{key, value}]`, v2.1) or map form (v2.0).
fn params(v: Option<&Value>) -> Vec<(String, Value)> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|p| {
                let k = p.get("key")?.as_str()?.to_owned();
                Some((k, p.get("value").cloned().unwrap_or(Value::Null)))
            })
            .collect(),
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => Vec::new(),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Scripts inherited from the collection and the folders above.
#[derive(Debug, Clone, Default)]
struct Scripts {
    tests: Vec<String>,
    prerequest: Vec<String>,
}

/// The auth a folder or request uses.
#[derive(Debug, Clone, PartialEq)]
enum Auth {
    /// No auth given here: the parent's applies.
    Inherit,
    None,
    Profile(String),
    /// An API key sent as a header or query parameter, its value a secret variable.
    ApiKey {
        name: String,
        value: String,
        in_query: bool,
    },
    Unsupported(String),
}

/// Variables a request reads, for the chain check.
type Used = Vec<String>;

struct Folder {
    path: Vec<String>,
    auth: Option<String>,
    comments: Vec<String>,
    requests: Vec<(Request, Used)>,
}

struct Cx<'a> {
    input: &'a PostmanInput<'a>,
    names: Names,
    env: Env,
    summary: Summary,
    /// A credential header's value → the secret variable holding it.
    header_secrets: BTreeMap<String, String>,
    /// The collection's variables (every file gets them), path variables included.
    cvars: Vec<(String, Value)>,
}

impl Cx<'_> {
    fn read_environment(&mut self, env: &Value, shown: &str) -> Result<(), ImportError> {
        let Some(values) = env.get("values").and_then(Value::as_array) else {
            return Err(ImportError::NotPostman(format!(
                "{shown}: not a Postman environment export (no `values` list)"
            )));
        };
        for v in values {
            if v.get("enabled").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            let Some(key) = v.get("key").and_then(Value::as_str) else {
                continue;
            };
            let name = self.names.var(key);
            let value = v.get("value").cloned().unwrap_or(Value::Null);
            let secret_typed = v.get("type").and_then(Value::as_str) == Some("secret");
            if secret_typed || (is_credential_name(key) && !text_of(&value).is_empty()) {
                let why = if secret_typed {
                    format!("environment variable `{key}` (secret type)")
                } else {
                    format!("environment variable `{key}` (a credential by its name)")
                };
                let envvar = self.env.secret(&name);
                self.summary.secrets.push(format!("{why} → {envvar}"));
            } else {
                let value = self.value(&value);
                self.env.var(&name, value, None);
            }
        }
        Ok(())
    }

    /// A variable's value as Courier reads it: strings as templates, other JSON as is.
    fn value(&mut self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.names.template(s, &mut Vec::new())),
            Value::Null => Value::String(String::new()),
            other => other.clone(),
        }
    }

    fn collection_vars(&mut self, v: Option<&Value>) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = Vec::new();
        for var in v.and_then(Value::as_array).into_iter().flatten() {
            if var.get("disabled").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(key) = var.get("key").or_else(|| var.get("id")).and_then(Value::as_str)
            else {
                continue;
            };
            let name = self.names.var(key);
            let value = var.get("value").cloned().unwrap_or(Value::Null);
            let secret_typed = var.get("type").and_then(Value::as_str) == Some("secret");
            if secret_typed || (is_credential_name(key) && !text_of(&value).is_empty()) {
                let envvar = self.env.secret(&name);
                self.summary
                    .secrets
                    .push(format!("collection variable `{key}` → {envvar}"));
                continue;
            }
            let value = self.value(&value);
            if let Some(slot) = out.iter_mut().find(|(n, _)| *n == name) {
                slot.1 = value;
            } else {
                out.push((name, value));
            }
        }
        out
    }

    /// Depth first: a folder's own requests make one file, its sub-folders their own.
    fn walk(
        &mut self,
        items: &[Value],
        path: &[String],
        auth: &Auth,
        scripts: &Scripts,
        out: &mut Vec<Folder>,
    ) {
        let mut folder = Folder {
            path: path.to_vec(),
            auth: None,
            comments: Vec::new(),
            requests: Vec::new(),
        };
        match auth {
            Auth::Profile(p) => folder.auth = Some(p.clone()),
            Auth::Unsupported(what) => folder
                .comments
                .push(format!("TODO(import): {what} is not converted; requests here send no credentials")),
            _ => {}
        }
        if !scripts.prerequest.is_empty() {
            let kept = scripts
                .prerequest
                .iter()
                .filter(|l| !l.trim().is_empty() && !l.trim().starts_with("//"))
                .count();
            self.summary.kept += kept;
            folder
                .comments
                .push("Postman pre-request script (not converted; runs before each request):".to_owned());
            folder.comments.extend(scripts.prerequest.iter().cloned());
        }
        let index = out.len();
        out.push(folder);
        let mut subfolders = Vec::new();
        for item in items {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if let Some(children) = item.get("item").and_then(Value::as_array) {
                subfolders.push((name, children.clone(), item.clone()));
                continue;
            }
            let Some(request) = item.get("request") else {
                continue;
            };
            let mut tests = scripts.tests.clone();
            tests.extend(script_lines(item.get("event"), "test"));
            let pre = script_lines(item.get("event"), "prerequest");
            let r = self.request(&name, request, &tests, &pre, auth, item);
            out[index].requests.push(r);
        }
        for (name, children, item) in subfolders {
            let mut p = path.to_vec();
            p.push(if name.is_empty() { "folder".to_owned() } else { name.clone() });
            let own = self.auth(item.get("auth"), &slug(&p.join(" ")));
            let auth = if own == Auth::Inherit { auth.clone() } else { own };
            let mut s = scripts.clone();
            s.tests.extend(script_lines(item.get("event"), "test"));
            s.prerequest = script_lines(item.get("event"), "prerequest");
            self.walk(&children, &p, &auth, &s, out);
        }
    }

    fn request(
        &mut self,
        name: &str,
        request: &Value,
        tests: &[String],
        pre: &[String],
        inherited: &Auth,
        item: &Value,
    ) -> (Request, Used) {
        let mut used: Used = Vec::new();
        let mut r = Request {
            name: if name.trim().is_empty() { "request".to_owned() } else { name.trim().to_owned() },
            ..Request::default()
        };
        // A request may be a bare URL string.
        let req: Map<String, Value> = match request {
            Value::String(u) => [("url".to_owned(), json!(u))].into_iter().collect(),
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        let method = req
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_ascii_uppercase();
        if METHODS.contains(&method.as_str()) {
            r.method = method;
        } else {
            r.method = "GET".to_owned();
            r.skip = true;
            r.comments.push(format!(
                "TODO(import): Postman method {method} is not one Courier sends ({}); skipped",
                METHODS.join(", ")
            ));
            self.summary
                .unsupported
                .push(format!("\"{}\": method {method} (request skipped)", r.name));
        }
        self.url(&req, &mut r, &mut used);
        self.headers(req.get("header"), &mut r, &mut used);
        self.body(req.get("body"), &mut r, &mut used);

        // Auth: the request's own, else the folder's (already on the file).
        let own = self.auth(req.get("auth"), &slug(&r.name));
        let has_auth_header = r
            .headers
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case("authorization"));
        match (&own, inherited) {
            (Auth::Inherit, Auth::ApiKey { .. }) => self.api_key(inherited, &mut r),
            (Auth::Inherit, Auth::Profile(_)) if has_auth_header => {
                // An explicit Authorization header wins over the inherited profile.
                r.auth = Some("none".to_owned());
            }
            (Auth::Inherit, _) => {}
            (Auth::None, Auth::Profile(_)) => r.auth = Some("none".to_owned()),
            (Auth::None, _) => {}
            (Auth::Profile(p), _) => r.auth = Some(p.clone()),
            (Auth::ApiKey { .. }, _) => {
                if matches!(inherited, Auth::Profile(_)) {
                    r.auth = Some("none".to_owned());
                }
                self.api_key(&own, &mut r);
            }
            (Auth::Unsupported(what), _) => {
                r.comments
                    .push(format!("TODO(import): {what} is not converted; the request sends no credentials"));
                if matches!(inherited, Auth::Profile(_)) {
                    r.auth = Some("none".to_owned());
                }
            }
        }
        if let Some(false) = item
            .get("protocolProfileBehavior")
            .and_then(|p| p.get("followRedirects"))
            .and_then(Value::as_bool)
        {
            r.follow_redirects = Some(false);
        }

        if !pre.is_empty() {
            let kept = pre
                .iter()
                .filter(|l| !l.trim().is_empty() && !l.trim().starts_with("//"))
                .count();
            self.summary.kept += kept;
            r.comments
                .push("Postman pre-request script (not converted):".to_owned());
            r.comments.extend(pre.iter().cloned());
        }
        let conv = script::convert(tests, &mut self.names);
        self.summary.converted += conv.converted;
        self.summary.kept += conv.kept;
        if !conv.comments.is_empty() {
            r.comments
                .push("Postman test script, not converted (kept as comments):".to_owned());
            r.comments.extend(conv.comments);
        }
        r.expect = conv.expect;
        r.captures = conv.captures;
        used.extend(conv.used);
        (r, used)
    }

    fn url(&mut self, req: &Map<String, Value>, r: &mut Request, used: &mut Used) {
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
            r.url = "http://localhost/".to_owned();
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
                for pair in query_text.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let v = self.names.template(&percent_decode(v), used);
                    r.query.push((percent_decode(k), v));
                }
            }
        }
    }

    fn headers(&mut self, headers: Option<&Value>, r: &mut Request, used: &mut Used) {
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
                    Some((k.trim().trim_start_matches("//").trim().to_owned(), v.trim().to_owned(), disabled))
                })
                .collect(),
            _ => Vec::new(),
        };
        for (k, v, disabled) in list {
            if disabled {
                continue;
            }
            if !is_header_name(&k) {
                r.comments
                    .push(format!("TODO(import): header `{k}` has a name HTTP does not allow; dropped"));
                continue;
            }
            if r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&k)) {
                r.comments
                    .push(format!("TODO(import): header `{k}` repeated; only the first is kept (value {v:?})"));
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

    fn body(&mut self, body: Option<&Value>, r: &mut Request, used: &mut Used) {
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
                        "the Postman body looked like JSON but does not parse: sent as text".to_owned(),
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
                for p in body.get("urlencoded").and_then(Value::as_array).into_iter().flatten() {
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
                m.insert("query".to_owned(), Value::String(self.names.template(&query, used)));
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
                self.summary
                    .unsupported
                    .push(format!("\"{}\": body from a file (request skipped)", r.name));
            }
            "" => {}
            other => {
                r.comments
                    .push(format!("TODO(import): body mode `{other}` is not converted"));
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
            if !in_string && rest.starts_with("{{") {
                if let Some(end) = rest.find("}}") {
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
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.template_json(x, used)).collect()),
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
            "TODO(import): a form-data (multipart) body; this Courier cannot send multipart yet,".to_owned(),
            "so the request is skipped. The parts, in the collection format's `multipart:` shape:".to_owned(),
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
        self.summary
            .unsupported
            .push(format!("\"{}\": form-data body kept as a comment (request skipped)", r.name));
    }

    fn api_key(&mut self, auth: &Auth, r: &mut Request) {
        if let Auth::ApiKey {
            name,
            value,
            in_query,
        } = auth
        {
            if *in_query {
                r.query.push((name.clone(), value.clone()));
            } else if !r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(name)) {
                r.headers.push((name.clone(), value.clone()));
            }
        }
    }

    /// A Postman auth block → Courier's. `scope` names the profile.
    fn auth(&mut self, auth: Option<&Value>, scope: &str) -> Auth {
        let Some(auth) = auth.and_then(Value::as_object) else {
            return Auth::Inherit;
        };
        let ty = auth.get("type").and_then(Value::as_str).unwrap_or("");
        let p: BTreeMap<String, Value> = params(auth.get(ty)).into_iter().collect();
        let get = |k: &str| p.get(k).map(text_of).unwrap_or_default();
        let profile_base = if scope.is_empty() { "postman".to_owned() } else { scope.replace('-', "_") };
        match ty {
            "noauth" => Auth::None,
            "inherit" | "" => Auth::Inherit,
            "bearer" => {
                let token = self.credential(&get("token"), &format!("{profile_base}_token"), "bearer token");
                Auth::Profile(self.env.profile(&profile_base, json!({"type": "bearer", "token": token})))
            }
            "basic" => {
                let username = self.plain_field(&get("username"));
                let password =
                    self.credential(&get("password"), &format!("{profile_base}_password"), "basic password");
                Auth::Profile(self.env.profile(
                    &profile_base,
                    json!({"type": "basic", "username": username, "password": password}),
                ))
            }
            "apikey" => {
                let key = p.get("key").map_or_else(|| "X-API-Key".to_owned(), text_of);
                let value = self.credential(&get("value"), &format!("{profile_base}_api_key"), "API key");
                Auth::ApiKey {
                    name: key,
                    value,
                    in_query: get("in") == "query",
                }
            }
            "oauth2" => self.oauth2(&p, &profile_base),
            other => {
                let what = format!("Postman auth `{other}`");
                self.summary
                    .unsupported
                    .push(format!("{what} (scope `{scope}`): requests send no credentials"));
                Auth::Unsupported(what)
            }
        }
    }

    fn oauth2(&mut self, p: &BTreeMap<String, Value>, base: &str) -> Auth {
        let get = |k: &str| p.get(k).map(text_of).unwrap_or_default();
        let grant = match get("grant_type").as_str() {
            "" | "client_credentials" => "client_credentials",
            "authorization_code" | "authorization_code_with_pkce" => "authorization_code",
            other => {
                let what = format!("OAuth 2.0 grant `{other}`");
                self.summary
                    .unsupported
                    .push(format!("{what}: only client credentials and authorization code convert"));
                return Auth::Unsupported(what);
            }
        };
        let mut m = Map::new();
        m.insert("type".into(), json!("oauth2"));
        m.insert("grant".into(), json!(grant));
        if grant == "authorization_code" {
            m.insert("authorize_url".into(), json!(self.plain_field(&get("authUrl"))));
        }
        m.insert("token_url".into(), json!(self.plain_field(&get("accessTokenUrl"))));
        m.insert(
            "client_id".into(),
            json!(self.credential(&get("clientId"), &format!("{base}_client_id"), "OAuth client id")),
        );
        let secret = get("clientSecret");
        if !secret.is_empty() || grant == "client_credentials" {
            m.insert(
                "client_secret".into(),
                json!(self.credential(&secret, &format!("{base}_client_secret"), "OAuth client secret")),
            );
        }
        if grant == "authorization_code" {
            let redirect = get("redirect_uri");
            if !redirect.is_empty() {
                m.insert("redirect_uri".into(), json!(self.plain_field(&redirect)));
            }
            if p.get("usePkce").and_then(Value::as_bool) == Some(false) {
                m.insert("pkce".into(), json!(false));
            }
        }
        let scope = get("scope");
        if !scope.is_empty() {
            m.insert("scope".into(), json!(self.plain_field(&scope)));
        }
        if get("client_authentication") == "header" {
            m.insert("client_auth".into(), json!("basic"));
        }
        Auth::Profile(self.env.profile(base, Value::Object(m)))
    }

    /// A non-secret auth field: a template of the Postman value.
    fn plain_field(&mut self, v: &str) -> String {
        let mut used = Vec::new();
        let t = self.names.template(v, &mut used);
        for u in used {
            self.env.need(&u);
        }
        t
    }

    /// A credential field: a reference to a variable stays one (the variable becomes a
    /// secret if it held a value); a literal becomes a new secret. Never the value itself.
    fn credential(&mut self, v: &str, var: &str, what: &str) -> String {
        let t = v.trim();
        if let Some(inner) = t.strip_prefix("{{").and_then(|s| s.strip_suffix("}}"))
            && !inner.contains("{{")
            && !inner.trim().starts_with('$')
        {
            let name = self.names.var(inner.trim());
            let in_collection = self
                .cvars
                .iter()
                .position(|(n, v)| *n == name && !text_of(v).is_empty());
            if let Some(i) = in_collection {
                self.cvars.remove(i);
            }
            if self.env.make_secret(&name) || in_collection.is_some() {
                let envvar = self.env.secret(&name);
                self.summary
                    .secrets
                    .push(format!("variable `{}` ({what}) → {envvar}", inner.trim()));
            } else {
                self.env.need(&name);
            }
            return format!("{{{{ {name} }}}}");
        }
        let envvar = self.env.secret(var);
        self.summary.secrets.push(format!("{what} → {envvar}"));
        format!("{{{{ {var} }}}}")
    }

    /// Gives every variable a source: captures from another file, or made later in the same
    /// file, become empty collection `vars` (listed as broken chains); variables with no source
    /// at all become empty environment `vars` (listed).
    fn resolve_variables(
        &mut self,
        files: &mut [(String, Collection, Vec<Used>)],
        collection_vars: &[(String, Value)],
    ) {
        // Which file and request captures each variable first.
        let mut producers: BTreeMap<String, (String, String)> = BTreeMap::new();
        for (rel, c, _) in files.iter() {
            for r in &c.requests {
                for (name, _) in &r.captures {
                    producers
                        .entry(name.clone())
                        .or_insert_with(|| (rel.clone(), r.name.clone()));
                }
            }
        }
        let mut nowhere: BTreeSet<String> = BTreeSet::new();
        for (rel, c, used) in files.iter_mut() {
            let mut captured: BTreeSet<String> = BTreeSet::new();
            let mut added: BTreeSet<String> = BTreeSet::new();
            for (r, u) in c.requests.iter().zip(used.iter()) {
                for name in u {
                    if captured.contains(name)
                        || added.contains(name)
                        || collection_vars.iter().any(|(n, _)| n == name)
                        || self.env.defines(name)
                    {
                        continue;
                    }
                    if let Some((prel, preq)) = producers.get(name) {
                        let why = if prel == rel {
                            format!("captured later in the same file by \"{preq}\"")
                        } else {
                            format!("captured by \"{preq}\" in {prel}")
                        };
                        self.summary.broken_chains.push(format!(
                            "`{name}` used by \"{}\" in {rel}: {why}",
                            r.name
                        ));
                        added.insert(name.clone());
                    } else {
                        nowhere.insert(name.clone());
                    }
                }
                captured.extend(r.captures.iter().map(|(n, _)| n.clone()));
            }
            for name in added {
                let (prel, preq) = &producers[&name];
                c.vars.push(Var {
                    name: name.clone(),
                    value: json!(""),
                    comment: Some(format!(
                        "TODO(import): Postman set `{name}` in \"{preq}\" ({prel}); a capture does not reach here"
                    )),
                });
            }
        }
        for name in nowhere {
            self.env.need(&name);
        }
        let (filled, secrets) = self.env.fill_needed(collection_vars);
        self.summary.no_value.extend(filled);
        self.summary.secrets.extend(secrets);
    }
}

/// Whether a credential header's value holds a literal secret (not only references and a
/// scheme word, as in `Bearer {{token}}`).
fn has_literal_credential(v: &str) -> bool {
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

/// Request names are unique in a collection: later repeats get ` (2)`, ` (3)`.
fn dedupe_names(requests: &mut [Request]) {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for r in requests {
        if seen.contains(&r.name) {
            let mut i = 2;
            while seen.contains(&format!("{} ({i})", r.name)) {
                i += 1;
            }
            r.name = format!("{} ({i})", r.name);
        }
        seen.insert(r.name.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_credentials() {
        assert!(has_literal_credential("Bearer abc"));
        assert!(has_literal_credential("abc"));
        assert!(!has_literal_credential("Bearer {{token}}"));
        assert!(!has_literal_credential("Token {{token}}"));
        assert!(!has_literal_credential("{{auth}}"));
        assert_eq!(percent_decode("a%20b%zz%"), "a b%zz%");
    }
}
