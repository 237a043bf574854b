//! Postman collections (v2.0 and v2.1) and environments to Courier collection files and one
//! environment file. What converts and what is kept as a comment is listed in docs/import.md;
//! everything not converted is counted in the [`Summary`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::env::{Env, is_credential_name};
use crate::names::{Names, slug};
use crate::out::{Collection, Request, Var};
use crate::{ImportError, OutFile, Summary, parse_json, script};

mod auth;
mod request;

pub(crate) use request::percent_decode;

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
    let items = root
        .get("item")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
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
            description: if f.path.is_empty() {
                description.clone()
            } else {
                None
            },
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
    cx.summary
        .dynamic
        .extend(cx.names.unknown_dynamic.iter().map(|(k, v)| {
            format!(
                "{{{{{k}}}}} has no Courier function: variable `{v}` (set it in the environment)"
            )
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
            let Some(key) = var
                .get("key")
                .or_else(|| var.get("id"))
                .and_then(Value::as_str)
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
            Auth::Unsupported(what) => folder.comments.push(format!(
                "TODO(import): {what} is not converted; requests here send no credentials"
            )),
            _ => {}
        }
        let kept = scripts
            .prerequest
            .iter()
            .filter(|l| !l.trim().is_empty() && !l.trim().starts_with("//"))
            .count();
        if kept > 0 {
            self.summary.kept += kept;
            folder.comments.push(
                "Postman pre-request script (not converted; runs before each request):".to_owned(),
            );
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
            p.push(if name.is_empty() {
                "folder".to_owned()
            } else {
                name.clone()
            });
            let own = self.auth(item.get("auth"), &slug(&p.join(" ")));
            let auth = if own == Auth::Inherit {
                auth.clone()
            } else {
                own
            };
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
            name: if name.trim().is_empty() {
                "request".to_owned()
            } else {
                name.trim().to_owned()
            },
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
            "GET".clone_into(&mut r.method);
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
            (Auth::Inherit, Auth::ApiKey { .. }) => Self::api_key(inherited, &mut r),
            (Auth::Inherit, Auth::Profile(_)) if has_auth_header => {
                // An explicit Authorization header wins over the inherited profile.
                r.auth = Some("none".to_owned());
            }
            (Auth::None, Auth::Profile(_)) => r.auth = Some("none".to_owned()),
            (Auth::Inherit | Auth::None, _) => {}
            (Auth::Profile(p), _) => r.auth = Some(p.clone()),
            (Auth::ApiKey { .. }, _) => {
                if matches!(inherited, Auth::Profile(_)) {
                    r.auth = Some("none".to_owned());
                }
                Self::api_key(&own, &mut r);
            }
            (Auth::Unsupported(what), _) => {
                r.comments.push(format!(
                    "TODO(import): {what} is not converted; the request sends no credentials"
                ));
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

        let kept = pre
            .iter()
            .filter(|l| !l.trim().is_empty() && !l.trim().starts_with("//"))
            .count();
        if kept > 0 {
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
    use super::request::{has_literal_credential, percent_decode};

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
