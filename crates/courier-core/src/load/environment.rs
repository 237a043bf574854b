//! Reads environment files (docs/environments.md) and resolves `--env` to one: a path, a file in
//! the nearest `environments/` folder, or a built-in (`local`, `local-production`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, SourceFile, Span, Spanned};
use crate::fs::{InputKind, ReadError};
use crate::model::{
    AuthKind, AuthProfile, ClientAuth, EmulatorSpec, Environment, Grant, Limits, OAuth2Profile,
    Scope, Tls,
};
use crate::yaml::{self, Key, Node, Value};

use super::collection::{is_identifier, var_defs};
use super::reader::{
    Cx, MapReader, boolean, duration, entries, integer, list, nonempty_text, number, template, text,
};

/// The built-in environments: the same files as `environments/`, compiled in so that they
/// work after `cargo install`.
pub const BUILTINS: [(&str, &str); 2] = [
    ("local", include_str!("../../../../environments/local.yaml")),
    (
        "local-production",
        include_str!("../../../../environments/local-production.yaml"),
    ),
];

/// Loads an environment file from its text; `identity` is its file stem.
pub fn parse_environment(
    file: &Arc<SourceFile>,
    identity: &str,
) -> Result<Environment, Vec<Diagnostic>> {
    let root =
        yaml::parse(file.text()).map_err(|e| vec![Diagnostic::at(e.message, file, e.span)])?;
    let mut cx = Cx::new(file);
    let env = read_environment(&root, identity, &mut cx);
    match env {
        Some(e) if cx.diags.is_empty() => Ok(e),
        _ => Err(cx.diags),
    }
}

fn read_environment(root: &Node<'_>, identity: &str, cx: &mut Cx<'_>) -> Option<Environment> {
    let mut m = MapReader::new(root, "an environment", cx)?;
    if let Some(n) = m.get("name")
        && let Some(name) = text(n, "`name`", cx)
        && name.value != identity
    {
        cx.error_help(
            name.span,
            format!(
                "the environment's `name` is `{}` but its file is `{identity}`",
                name.value
            ),
            "an environment is known by its file name: remove `name:` or make it equal",
        );
    }
    let scope = if let Some(n) = m.get("scope") {
        scope(n, cx)
    } else {
        cx.error_help(
            m.span,
            "the environment is missing the required key `scope`",
            "add `scope: non-production` or `scope: production`: production scope turns on the write guard",
        );
        None
    };
    let vars = m
        .get("vars")
        .map(|n| var_defs(n, "`vars`", cx))
        .unwrap_or_default();
    let mut secrets = Vec::new();
    if let Some(n) = m.get("secrets") {
        for (k, v) in entries(n, "`secrets`", cx) {
            if !is_identifier(&k.value) {
                cx.error(
                    k.span,
                    format!("`{}` is not a valid variable name", k.value),
                );
                continue;
            }
            if let Some(first) = vars.iter().find(|d| d.name.value == k.value) {
                cx.error_help(
                    k.span,
                    format!(
                        "`{}` is in both `vars` (line {}) and `secrets`",
                        k.value, first.name.span.start.line
                    ),
                    "a variable comes from one place: keep it in `secrets` if it is secret",
                );
                continue;
            }
            if let Some(var) = nonempty_text(v, "the name of a process environment variable", cx) {
                // A name that no shell could export is most likely the secret itself pasted
                // in the file, which must not stay there (docs/environments.md#secrets).
                // The location is shown without its line, which may hold that secret.
                if !is_identifier(&var.value) {
                    let file = SourceFile::new(cx.file.path(), "");
                    cx.diags.push(
                        Diagnostic::at(
                            format!("`{}` is not the name of an environment variable", k.value),
                            &file,
                            var.span,
                        )
                        .with_help(
                            "name the variable that holds the secret (letters, digits and `_`, not starting with a digit), such as `INTACCT_CLIENT_SECRET`, and keep the value itself out of the file",
                        ),
                    );
                    continue;
                }
                secrets.push((k.to_owned_text(), var));
            }
        }
    }
    let mut auth = Vec::new();
    if let Some(n) = m.get("auth") {
        for (k, v) in entries(n, "`auth`", cx) {
            if k.value == "none" {
                cx.error_help(
                    k.span,
                    "`none` is a reserved profile name",
                    "`auth: none` already means no authentication",
                );
                continue;
            }
            if let Some(p) = auth_profile(k, v, cx) {
                auth.push(p);
            }
        }
    }
    let tls = m.get("tls").map(|n| read_tls(n, cx)).unwrap_or_default();
    if tls.insecure && scope == Some(Scope::Production) {
        let span = tls_insecure_span(m.get("tls")).unwrap_or(m.span);
        cx.error_help(
            span,
            "`tls.insecure: true` is refused in production scope",
            "give the server's CA with `tls.ca_cert` instead",
        );
    }
    let limits = m
        .get("limits")
        .map(|n| read_limits(n, cx))
        .unwrap_or_default();
    let emulator = m.get("emulator").and_then(|n| read_emulator(n, cx));
    m.finish(cx);
    Some(Environment {
        file: Arc::clone(cx.file),
        identity: identity.to_owned(),
        scope: scope?,
        vars,
        secrets,
        auth,
        tls,
        limits,
        emulator,
    })
}

fn tls_insecure_span(tls: Option<&Node<'_>>) -> Option<Span> {
    match &tls?.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.value == "insecure")
            .map(|(_, v)| v.span),
        _ => None,
    }
}

fn scope(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<Scope> {
    match node.as_str() {
        Some("non-production") => Some(Scope::NonProduction),
        Some("production") => Some(Scope::Production),
        _ => {
            cx.error_help(
                node.span,
                match node.scalar_text() {
                    Some(text) => format!("bad `scope`: `{text}`"),
                    None => format!(
                        "expected `scope` to be a string, found {}",
                        node.type_name()
                    ),
                },
                "`scope` is `non-production` or `production`",
            );
            None
        }
    }
}

fn auth_profile(name: &Key<'_>, node: &Node<'_>, cx: &mut Cx<'_>) -> Option<AuthProfile> {
    let mut m = MapReader::new(node, "an auth profile", cx)?.hiding_lines();
    let ty = m.required("type", cx).and_then(|n| text(n, "`type`", cx));
    let kind = match ty.as_ref().map(|t| t.value.as_str()) {
        Some("none") => Some(AuthKind::None),
        Some("bearer") => {
            let token = m
                .required("token", cx)
                .and_then(|n| template(n, "`token`", cx));
            token.map(|token| AuthKind::Bearer { token })
        }
        Some("basic") => {
            let username = m
                .required("username", cx)
                .and_then(|n| template(n, "`username`", cx));
            let password = m
                .required("password", cx)
                .and_then(|n| template(n, "`password`", cx));
            username
                .zip(password)
                .map(|(username, password)| AuthKind::Basic { username, password })
        }
        Some("oauth2") => oauth2(&mut m, cx).map(|o| AuthKind::OAuth2(Box::new(o))),
        Some(other) => {
            let t = ty.as_ref().map_or(m.span, |t| t.span);
            let types = ["oauth2", "bearer", "basic", "none"];
            match crate::diag::did_you_mean(other, types) {
                Some(s) => cx.error_help(
                    t,
                    format!("unknown auth type `{other}`, did you mean `{s}`?"),
                    "types: oauth2, bearer, basic, none",
                ),
                None => cx.error_help(
                    t,
                    format!("unknown auth type `{other}`"),
                    "types: oauth2, bearer, basic, none",
                ),
            }
            return None;
        }
        None => return None,
    };
    // Unknown keys are reported even when a required one is missing: a misspelt `password`
    // is then named as such, not only as a missing `password`.
    m.finish(cx);
    Some(AuthProfile {
        name: name.to_owned_text(),
        span: node.span,
        kind: kind?,
    })
}

fn oauth2(m: &mut MapReader<'_>, cx: &mut Cx<'_>) -> Option<OAuth2Profile> {
    let grant = m.required("grant", cx).and_then(|n| {
        let t = text(n, "`grant`", cx)?;
        let g = match t.value.as_str() {
            "authorization_code" => Grant::AuthorizationCode,
            "refresh_token" => Grant::RefreshToken,
            "client_credentials" => Grant::ClientCredentials,
            other => {
                cx.error_help(
                    t.span,
                    format!("unknown grant `{other}`"),
                    "grants: authorization_code, refresh_token, client_credentials",
                );
                return None;
            }
        };
        Some(Spanned::new(g, t.span))
    });
    let authorize_url = m
        .get("authorize_url")
        .and_then(|n| template(n, "`authorize_url`", cx));
    let token_url = m
        .required("token_url", cx)
        .and_then(|n| template(n, "`token_url`", cx));
    let revoke_url = m
        .get("revoke_url")
        .and_then(|n| template(n, "`revoke_url`", cx));
    let client_id = m
        .required("client_id", cx)
        .and_then(|n| template(n, "`client_id`", cx));
    let client_secret = m
        .get("client_secret")
        .and_then(|n| template(n, "`client_secret`", cx));
    let redirect_uri = m
        .get("redirect_uri")
        .and_then(|n| template(n, "`redirect_uri`", cx));
    if let Some(uri) = &redirect_uri
        && uri.value.is_literal()
        && uri
            .value
            .source()
            .to_ascii_lowercase()
            .starts_with("http://")
    {
        cx.error_help(
            uri.span,
            format!("`redirect_uri` `{}` uses http://, which Intacct refuses", uri.value.source()),
            "use https://, e.g. `https://127.0.0.1:8443/callback` (Courier serves it with a self-signed certificate)",
        );
    }
    let scope = m.get("scope").and_then(|n| template(n, "`scope`", cx));
    let pkce = m
        .get("pkce")
        .and_then(|n| boolean(n, "`pkce`", cx))
        .unwrap_or(true);
    let refresh_token = m
        .get("refresh_token")
        .and_then(|n| template(n, "`refresh_token`", cx));
    let mut token_params = Vec::new();
    if let Some(n) = m.get("token_params") {
        for (k, v) in entries(n, "`token_params`", cx) {
            if let Some(t) = template(v, "a token parameter", cx) {
                token_params.push((k.to_owned_text(), t));
            }
        }
    }
    let client_auth = match m.get("client_auth") {
        None => ClientAuth::Body,
        Some(n) => match n.as_str() {
            Some("body") => ClientAuth::Body,
            Some("basic") => ClientAuth::Basic,
            _ => {
                cx.error_help(
                    n.span,
                    "bad `client_auth`",
                    "`client_auth` is `body` (Intacct's way, the default) or `basic`",
                );
                ClientAuth::Body
            }
        },
    };
    let grant = grant?;
    if grant.value == Grant::AuthorizationCode {
        if authorize_url.is_none() {
            cx.error(
                m.span,
                "an `authorization_code` profile needs `authorize_url`",
            );
        }
        if redirect_uri.is_none() {
            cx.error(
                m.span,
                "an `authorization_code` profile needs `redirect_uri`",
            );
        }
    }
    Some(OAuth2Profile {
        grant,
        authorize_url,
        token_url: token_url?,
        revoke_url,
        client_id: client_id?,
        client_secret,
        redirect_uri,
        scope,
        pkce,
        refresh_token,
        token_params,
        client_auth,
    })
}

fn read_tls(node: &Node<'_>, cx: &mut Cx<'_>) -> Tls {
    let Some(mut m) = MapReader::new(node, "`tls`", cx) else {
        return Tls::default();
    };
    let insecure = m
        .get("insecure")
        .and_then(|n| boolean(n, "`tls.insecure`", cx))
        .unwrap_or(false);
    let ca_cert = m.get("ca_cert").and_then(|n| match n.value {
        Value::Null => None,
        _ => nonempty_text(n, "`tls.ca_cert`", cx),
    });
    if let Some(written) = &ca_cert {
        // Checked while loading, so that `validate` finds a missing file at its line as `run`
        // does before anything is sent; the runner parses the certificates (docs/environments.md#tls).
        let base = cx.file.path().parent().unwrap_or_else(|| Path::new(""));
        if let Err(e) = crate::fs::check(&base.join(&written.value), InputKind::CaCert) {
            cx.error_help(
                written.span,
                format!("`tls.ca_cert`: {e}"),
                "the path is relative to the environment file's folder",
            );
        }
    }
    m.finish(cx);
    Tls { insecure, ca_cert }
}

fn read_limits(node: &Node<'_>, cx: &mut Cx<'_>) -> Limits {
    let Some(mut m) = MapReader::new(node, "`limits`", cx) else {
        return Limits::default();
    };
    let max_concurrency = m
        .get("max_concurrency")
        .and_then(|n| integer(n, "`max_concurrency`", 10_000, cx));
    let requests_per_second = m
        .get("requests_per_second")
        .and_then(|n| number(n, "`requests_per_second`", cx));
    m.finish(cx);
    if max_concurrency == Some(0) {
        cx.error(node.span, "`max_concurrency` must be at least 1");
    }
    if requests_per_second.is_some_and(|r| r <= 0.0) {
        cx.error(node.span, "`requests_per_second` must be above 0");
    }
    Limits {
        max_concurrency: max_concurrency.map(|c| c as u32),
        requests_per_second,
    }
}

fn read_emulator(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<EmulatorSpec> {
    const KIND_HELP: &str = "the only emulator is `intacct`: write `emulator: intacct`";
    if let Some(kind) = node.as_str() {
        if kind != "intacct" {
            cx.error_help(node.span, format!("unknown emulator `{kind}`"), KIND_HELP);
            return None;
        }
        return Some(EmulatorSpec {
            span: node.span,
            ..EmulatorSpec::default()
        });
    }
    let mut m = MapReader::new(node, "`emulator`", cx)?;
    let kind = m.required("kind", cx).and_then(|n| text(n, "`kind`", cx));
    if let Some(k) = &kind
        && k.value != "intacct"
    {
        cx.error_help(k.span, format!("unknown emulator `{}`", k.value), KIND_HELP);
    }
    let mut spec = EmulatorSpec {
        span: node.span,
        ..EmulatorSpec::default()
    };
    spec.seed = m
        .get("seed")
        .and_then(|n| integer(n, "`seed`", u64::MAX, cx));
    spec.token_ttl = m
        .get("token_ttl")
        .and_then(|n| duration(n, "`token_ttl`", cx))
        .map(|d| d.value);
    spec.rotate_refresh_tokens = m
        .get("rotate_refresh_tokens")
        .and_then(|n| boolean(n, "`rotate_refresh_tokens`", cx))
        .unwrap_or(false);
    spec.latency = m
        .get("latency")
        .and_then(|n| duration(n, "`latency`", cx))
        .map(|d| d.value);
    spec.fail_first = m
        .get("fail_first")
        .and_then(|n| integer(n, "`fail_first`", u64::MAX, cx));
    spec.fail_every = m
        .get("fail_every")
        .and_then(|n| integer(n, "`fail_every`", u64::MAX, cx));
    spec.fail_rate = m.get("fail_rate").and_then(|n| {
        let r = number(n, "`fail_rate`", cx)?;
        if (0.0..=1.0).contains(&r) {
            Some(r)
        } else {
            cx.error(n.span, "`fail_rate` is a fraction between 0 and 1");
            None
        }
    });
    spec.rate_limit = m.get("rate_limit").and_then(|n| rate_limit(n, cx));
    spec.deny_authorize = m
        .get("deny_authorize")
        .and_then(|n| boolean(n, "`deny_authorize`", cx))
        .unwrap_or(false);
    spec.max_concurrent = m.get("max_concurrent").and_then(|n| {
        let c = integer(n, "`max_concurrent`", 10_000, cx)?;
        if c == 0 {
            cx.error(n.span, "`max_concurrent` must be at least 1");
            return None;
        }
        u32::try_from(c).ok()
    });
    spec.hour_quota = m.get("hour_quota").and_then(|n| {
        let t = n.scalar_text().unwrap_or_default();
        let quota = courier_units::parse_quota(&t);
        if quota.is_none() {
            cx.error_help(
                n.span,
                format!("`{t}` is not an hourly quota"),
                "write API requests per hour, like `5000`, or per a shorter window, like `5/2s`",
            );
        }
        quota
    });
    spec.expired_token_status = m.get("expired_token_status").and_then(|n| {
        let status = integer(n, "`expired_token_status`", u64::from(u16::MAX), cx)?;
        if let s @ (400 | 401) = status {
            return u16::try_from(s).ok();
        }
        cx.error_help(
            n.span,
            "`expired_token_status` is 401 or 400",
            "401 answers `GW-0040` (the default), 400 answers `REST-1206`",
        );
        None
    });
    if let Some(n) = m.get("deny_objects") {
        spec.deny_objects = list(n, "`deny_objects`", cx)
            .iter()
            .filter_map(|o| {
                nonempty_text(o, "an object name such as `accounts-payable/vendor`", cx)
            })
            .map(|s| s.value)
            .collect();
    }
    spec.composite_rollback = m
        .get("composite_rollback")
        .and_then(|n| boolean(n, "`composite_rollback`", cx));
    spec.bulk_duration = m.get("bulk_duration").and_then(|n| {
        let d = duration(n, "`bulk_duration`", cx)?;
        if d.value > std::time::Duration::from_hours(1) {
            cx.error(n.span, "`bulk_duration` is at most 1h");
            return None;
        }
        Some(d.value)
    });
    if let Some(n) = m.get("redirect_uri") {
        spec.redirect_uris = match &n.value {
            Value::Seq(_) => list(n, "`redirect_uri`", cx)
                .iter()
                .filter_map(|u| nonempty_text(u, "a redirect URI", cx))
                .map(|s| s.value)
                .collect(),
            _ => nonempty_text(n, "`redirect_uri`", cx)
                .map(|s| vec![s.value])
                .unwrap_or_default(),
        };
    }
    spec.client_id = m
        .get("client_id")
        .and_then(|n| nonempty_text(n, "`client_id`", cx))
        .map(|s| s.value);
    spec.client_secret = m
        .get("client_secret")
        .and_then(|n| nonempty_text(n, "`client_secret`", cx))
        .map(|s| s.value);
    spec.username = m
        .get("username")
        .and_then(|n| nonempty_text(n, "`username`", cx))
        .map(|s| s.value);
    m.finish(cx);
    kind?;
    Some(spec)
}

/// `50/s` or `50`: requests per second.
pub fn parse_rate_limit(text: &str) -> Result<u32, String> {
    let t = text.trim();
    let n = t.strip_suffix("/s").unwrap_or(t).trim();
    match n.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "`{text}` is not a rate: write requests per second, like `50/s`"
        )),
    }
}

fn rate_limit(node: &Node<'_>, cx: &mut Cx<'_>) -> Option<u32> {
    let t = node.scalar_text().unwrap_or_default();
    match parse_rate_limit(&t) {
        Ok(n) => Some(n),
        Err(e) => {
            cx.error(node.span, e);
            None
        }
    }
}

/// How `--env` was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvSource {
    File(PathBuf),
    Builtin(&'static str),
}

/// The `environments/` folders that `--env` resolution searches, nearest first: walking up from the
/// first collection path, then `./environments` (docs/environments.md, "Choosing an environment").
pub fn environment_dirs(first_path: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(p) = first_path {
        let start = if p.is_dir() { Some(p) } else { p.parent() };
        let start = start.map(|s| {
            if s.as_os_str().is_empty() {
                Path::new(".")
            } else {
                s
            }
        });
        if let Some(start) = start {
            let abs = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
            for dir in abs.ancestors() {
                let candidate = dir.join("environments");
                if candidate.is_dir() {
                    dirs.push(candidate);
                }
            }
        }
    }
    let cwd_envs = std::env::current_dir().map_or_else(
        |_| PathBuf::from("environments"),
        |c| c.join("environments"),
    );
    if cwd_envs.is_dir() && !dirs.iter().any(|d| same_dir(d, &cwd_envs)) {
        dirs.push(cwd_envs);
    }
    dirs
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Resolves `--env X` (docs/environments.md, "Choosing an environment").
pub fn resolve_environment(name: &str, first_path: Option<&Path>) -> Result<EnvSource, Diagnostic> {
    let is_path = name.contains('/')
        || Path::new(name)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
    if is_path {
        let p = PathBuf::from(name);
        // A FIFO or a device is taken too: loading it says what it is.
        return match crate::fs::check(&p, InputKind::Environment) {
            Ok(_) | Err(ReadError::NotRegular { .. } | ReadError::TooLarge { .. }) => {
                Ok(EnvSource::File(p))
            }
            Err(e) => Err(Diagnostic::new(e.to_string())),
        };
    }
    for dir in environment_dirs(first_path) {
        for ext in ["yaml", "yml"] {
            let p = dir.join(format!("{name}.{ext}"));
            if std::fs::metadata(&p).is_ok_and(|m| !m.is_dir()) {
                return Ok(EnvSource::File(relative_to_cwd(&p)));
            }
        }
    }
    if let Some((builtin, _)) = BUILTINS.iter().find(|(n, _)| *n == name) {
        return Ok(EnvSource::Builtin(builtin));
    }
    let known = visible_environments(first_path);
    Err(
        Diagnostic::new(format!("unknown environment `{name}`")).with_help(format!(
            "the environments Courier can see: {}; or give a path to an environment file",
            known.join(", ")
        )),
    )
}

fn relative_to_cwd(p: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
}

/// Every environment name `--env` can resolve, for messages: those of the searched folders
/// and the built-ins, sorted by name with `local` first.
pub fn visible_environments(first_path: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for dir in environment_dirs(first_path) {
        for file in environment_files(&dir) {
            if let Some(stem) = file.file_stem() {
                let s = stem.to_string_lossy().into_owned();
                if !names.contains(&s) {
                    names.push(s);
                }
            }
        }
    }
    for (b, _) in BUILTINS {
        if !names.iter().any(|n| n == b) {
            names.push(format!("{b} (built-in)"));
        }
    }
    // By name, with `local` first: the environment to try when unsure (docs/environments.md).
    names.sort_by(|a, b| {
        let base = |n: &str| n.trim_end_matches(" (built-in)").to_owned();
        (base(a) != "local", base(a)).cmp(&(base(b) != "local", base(b)))
    });
    names
}

/// The `*.yaml` / `*.yml` files of an `environments/` folder, sorted.
pub fn environment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Loads a resolved environment.
pub fn load_environment(source: &EnvSource) -> Result<Environment, Vec<Diagnostic>> {
    match source {
        EnvSource::File(path) => {
            let text = crate::fs::read_text(path, InputKind::Environment)
                .map_err(|e| vec![Diagnostic::new(e.to_string())])?;
            let identity = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            parse_environment(&SourceFile::new(relative_to_cwd(path), text), &identity)
        }
        EnvSource::Builtin(name) => {
            let text = BUILTINS
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, t)| t);
            parse_environment(&SourceFile::new(format!("<built-in {name}>"), text), name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse_environment(&SourceFile::new("e.yaml", text), "e")
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn builtins_load() {
        for (name, _) in BUILTINS {
            let env = load_environment(&EnvSource::Builtin(name)).unwrap();
            assert!(env.emulator.is_some());
            assert!(env.profile("intacct").is_some());
        }
    }

    #[test]
    fn environment_rules() {
        assert_eq!(
            errors("vars: {}\n"),
            ["e.yaml:1:1: the environment is missing the required key `scope`"]
        );
        assert_eq!(
            errors("name: other\nscope: production\n"),
            ["e.yaml:1:7: the environment's `name` is `other` but its file is `e`"]
        );
        assert_eq!(
            errors("scope: production\ntls: { insecure: true }\n"),
            ["e.yaml:2:18: `tls.insecure: true` is refused in production scope"]
        );
        assert_eq!(
            errors("scope: production\nvars: { a: 1 }\nsecrets: { a: A }\n"),
            ["e.yaml:3:12: `a` is in both `vars` (line 2) and `secrets`"]
        );
        let errs = errors(
            "scope: production\nauth:\n  p:\n    type: oauth2\n    grant: refresh_token\n    token_url: https://x/token\n    client_id: id\n    redirect_uri: http://127.0.0.1/cb\n",
        );
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].starts_with("e.yaml:8:19: `redirect_uri` `http://127.0.0.1/cb` uses http://"),
            "{}",
            errs[0]
        );
    }

    #[test]
    fn rate_limits() {
        assert_eq!(parse_rate_limit("50/s"), Ok(50));
        assert_eq!(parse_rate_limit("7"), Ok(7));
        assert!(parse_rate_limit("fast").is_err());
    }
}
