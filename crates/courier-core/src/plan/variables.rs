//! The variables of a plan: where each template's variables come from (the layers, in
//! precedence order: collection `vars`, the emulator, the environment, a data row, `--var`,
//! captures), the static check that each has a source before anything is sent, the `.env` file
//! and the process environment that secrets are read from, and the secrets a run will need.
//! The executor renders with the same layers (courier-exec's `context` module).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::data::{DataSet, read_data};
use crate::diag::{Diagnostic, Location, SourceFile, Span};
use crate::model::{
    AuthKind, BUILTIN_VARIABLES, Body, CaptureSource, Collection, EmulatorSpec, Environment,
    Matcher, MatcherKind, OpKind, PartValue, Request, STemplate, Skip, StatusKind, TemplateValue,
};

use super::PlannedCollection;

/// A capture a request relies on: the variable and the request (by index) that makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub var: String,
    pub producer: usize,
}

/// What the static check of one collection found.
#[derive(Debug, Default)]
pub struct VariableCheck {
    pub errors: Vec<Diagnostic>,
    /// Without an environment: variables taken to come from one, with where they are used.
    pub expected_from_env: Vec<(String, Location)>,
    /// Per request (by index): the captures it needs from earlier requests.
    pub needs: Vec<Vec<Need>>,
}

/// The variables defined outside a collection: by the environment (with its emulator), by
/// `--var`, and by a data file.
#[derive(Debug, Default, Clone)]
pub struct OuterVars {
    /// `None` when there is no environment (`validate` without `--env`).
    pub environment: Option<BTreeSet<String>>,
    pub cli: BTreeSet<String>,
    pub data: BTreeSet<String>,
}

impl OuterVars {
    pub fn new(
        env: Option<&Environment>,
        cli: impl IntoIterator<Item = String>,
        data: &[String],
    ) -> Self {
        Self {
            environment: env.map(environment_variables),
            cli: cli.into_iter().collect(),
            data: data.iter().cloned().collect(),
        }
    }

    fn defines(&self, name: &str) -> bool {
        BUILTIN_VARIABLES.contains(&name)
            || self.cli.contains(name)
            || self.data.contains(name)
            || self.environment.as_ref().is_some_and(|e| e.contains(name))
    }
}

/// The names an environment defines: its `vars`, its `secrets` and its emulator's variables.
pub fn environment_variables(env: &Environment) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = env.vars.iter().map(|v| v.name.value.clone()).collect();
    names.extend(env.secrets.iter().map(|(k, _)| k.value.clone()));
    if env.emulator.is_some() {
        names.extend(EmulatorSpec::VARIABLES.iter().map(|s| (*s).to_owned()));
    }
    names
}

/// The templates of a request that are rendered before it is sent, and the templated
/// JSONPaths of its captures and snapshot, whose variables must be known by then too.
pub fn send_templates<'a>(c: &'a Collection, r: &'a Request) -> Vec<&'a STemplate> {
    let mut out: Vec<&STemplate> = vec![&r.url];
    out.extend(r.query.iter().map(|(_, t)| t));
    out.extend(c.defaults.headers.iter().map(|h| &h.value));
    out.extend(r.headers.iter().map(|h| &h.value));
    match r.body.as_deref() {
        Some(Body::Json(v)) => out.extend(v.templates()),
        Some(Body::Form(fields)) => out.extend(fields.iter().map(|(_, t)| t)),
        Some(Body::Text(t)) => out.push(t),
        Some(Body::Multipart(parts)) => {
            for p in parts {
                match &p.value {
                    PartValue::Text(t) => out.push(t),
                    PartValue::Json(v) => out.extend(v.templates()),
                    PartValue::File { .. } => {}
                }
            }
        }
        Some(Body::File(_)) | None => {}
    }
    if let Some(Skip::When(t)) = r.skip.as_deref() {
        out.push(t);
    }
    if let Some(repeat) = r.repeat.as_deref() {
        out.push(&repeat.condition);
    }
    for cap in &r.captures {
        if let CaptureSource::JsonPath(p) = &cap.source {
            out.extend(p.value.template());
        }
    }
    if let Some(p) = r.snapshot.as_ref().and_then(|s| s.path.as_ref()) {
        out.extend(p.value.template());
    }
    out
}

/// The templates of a request's expected values and of the JSONPaths it checks.
pub fn expect_templates(r: &Request) -> Vec<&STemplate> {
    let mut out = Vec::new();
    for (p, _) in &r.expect.jsonpath {
        out.extend(p.value.template());
    }
    if let Some(p) = r.expect.schema.as_ref().and_then(|s| s.path.as_ref()) {
        out.extend(p.value.template());
    }
    if let Some(s) = &r.expect.status
        && let StatusKind::Ops(m) = &s.kind
    {
        matcher_templates(m, &mut out);
    }
    for (_, m) in &r.expect.headers {
        matcher_templates(m, &mut out);
    }
    for (_, m) in &r.expect.jsonpath {
        matcher_templates(m, &mut out);
    }
    if let Some(m) = &r.expect.body {
        matcher_templates(m, &mut out);
    }
    if let Some(m) = &r.expect.duration {
        matcher_templates(m, &mut out);
    }
    out
}

fn matcher_templates<'a>(m: &'a Matcher, out: &mut Vec<&'a STemplate>) {
    match &m.kind {
        MatcherKind::Equals(v) => out.extend(v.templates()),
        MatcherKind::Ops(ops) => {
            for op in ops {
                if let Some(v) = op.kind.operand() {
                    out.extend(v.templates());
                } else if let OpKind::Length(inner) = &op.kind {
                    matcher_templates(inner, out);
                }
            }
        }
    }
}

/// The span of the first use of `name` inside a template, for a caret under the variable.
fn variable_span(t: &STemplate, name: &str, file: &SourceFile) -> Span {
    let source = t.value.source();
    let mut search = 0;
    while let Some(found) = source[search..].find(name) {
        let at = search + found;
        let before = source[..at].chars().next_back();
        let after = source[at + name.len()..].chars().next();
        let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !is_word(before) && !is_word(after) {
            let chars_before = source[..at].chars().count();
            let width = name.chars().count();
            return file
                .content_span(t.span)
                .sub(chars_before, chars_before + width);
        }
        search = at + name.len();
    }
    t.span
}

/// Filters a template pipes into that the engine does not have, with a did-you-mean.
fn check_filters(check: &mut VariableCheck, t: &STemplate, user: &str, c: &Collection) {
    for name in crate::template::unknown_filters(t.value.source()) {
        let known = crate::template::filter_names();
        let message = match crate::diag::did_you_mean(&name, known.iter().copied()) {
            Some(s) => format!("unknown filter `{name}` in {user}, did you mean `{s}`?"),
            None => format!("unknown filter `{name}` in {user}"),
        };
        check.errors.push(
            Diagnostic::at(message, &c.file, variable_span(t, &name, &c.file)).with_help(format!(
                "filters include: {} (docs/environments.md#templates)",
                known.join(", ")
            )),
        );
    }
}

/// Whether `source` calls `name` as a function: the name as a word, not an attribute (after
/// `.`), followed by `(`.
fn is_called(source: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    source.match_indices(name).any(|(at, _)| {
        let before = source[..at].trim_end().chars().next_back();
        let after = source[at + name.len()..].trim_start().chars().next();
        !before.is_some_and(|c| is_word(c) || c == '.') && after == Some('(')
    })
}

/// The static check of variables (docs/environments.md#variables) for one collection: every variable a template
/// names must come from the environment, the collection's `vars`, the data file, `--var` or a
/// capture of an earlier request.
pub fn check_variables(c: &Collection, outer: &OuterVars) -> VariableCheck {
    let mut check = VariableCheck::default();
    let file = &c.file;
    // Every name the plan knows, for did-you-mean (docs/cli.md#validate).
    let mut known: BTreeSet<&str> = BUILTIN_VARIABLES.iter().copied().collect();
    known.extend(outer.cli.iter().map(String::as_str));
    known.extend(outer.data.iter().map(String::as_str));
    known.extend(outer.environment.iter().flatten().map(String::as_str));
    known.extend(c.vars.iter().map(|v| v.name.value.as_str()));
    known.extend(
        c.requests
            .iter()
            .flat_map(|r| r.captures.iter().map(|cap| cap.name.value.as_str())),
    );
    let report = |check: &mut VariableCheck, name: &str, t: &STemplate, user: &str| {
        let span = variable_span(t, name, file);
        if is_called(t.value.source(), name) {
            // A call of a name that is no function: a misspelt function, not a variable.
            let functions = crate::template::function_names();
            let message =
                match crate::diag::did_you_mean(name, functions.iter().map(String::as_str)) {
                    Some(s) => format!("unknown function `{name}` in {user}, did you mean `{s}`?"),
                    None => format!("unknown function `{name}` in {user}"),
                };
            check
                .errors
                .push(Diagnostic::at(message, file, span).with_help(format!(
                    "the functions are: {} (docs/environments.md#templates)",
                    functions.join(", ")
                )));
            return;
        }
        if outer.environment.is_none() {
            if !check.expected_from_env.iter().any(|(n, _)| n == name) {
                check
                    .expected_from_env
                    .push((name.to_owned(), Location::new(file, span)));
            }
            return;
        }
        let message = match crate::diag::did_you_mean(name, known.iter().copied()) {
            Some(s) => format!("undefined variable `{name}` in {user}, did you mean `{s}`?"),
            None => format!("undefined variable `{name}` in {user}"),
        };
        check.errors.push(Diagnostic::at(message, file, span).with_help(format!(
            "define `{name}` in the collection's `vars`, the environment, a data file or `--var {name}=…`, or capture it in an earlier request"
        )));
    };

    // Collection vars, in order: each may use the outer variables and the vars above it.
    let mut defined: HashSet<&str> = HashSet::new();
    for var in &c.vars {
        for t in var.value.templates() {
            for name in t.value.variables() {
                if !outer.defines(name) && !defined.contains(name.as_str()) {
                    let later = c.vars.iter().any(|v| &v.name.value == name);
                    if later {
                        check.errors.push(
                            Diagnostic::at(
                                format!(
                                    "variable `{name}` is used by `{}` before it is defined",
                                    var.name.value
                                ),
                                file,
                                variable_span(t, name, file),
                            )
                            .with_help("collection `vars` are rendered in order: move it above"),
                        );
                    } else {
                        report(
                            &mut check,
                            name,
                            t,
                            &format!("the variable `{}`", var.name.value),
                        );
                    }
                }
            }
        }
        defined.insert(&var.name.value);
    }

    // Which request captures what.
    let producers: Vec<(usize, &str)> = c
        .requests
        .iter()
        .flat_map(|r| {
            r.captures
                .iter()
                .map(move |cap| (r.index, cap.name.value.as_str()))
        })
        .collect();

    for r in &c.requests {
        let mut needs: Vec<Need> = Vec::new();
        let groups = [(send_templates(c, r), false), (expect_templates(r), true)];
        let user = format!("request `{}`", r.name.value);
        for (templates, is_expect) in groups {
            for t in templates {
                check_filters(&mut check, t, &user, c);
                for name in t.value.variables() {
                    if outer.defines(name) || defined.contains(name.as_str()) {
                        continue;
                    }
                    // A `repeat` request's own captures feed its next page (undefined before
                    // the first response, where `default()` applies).
                    if r.repeat.is_some() && r.captures.iter().any(|cap| &cap.name.value == name) {
                        continue;
                    }
                    let earlier = producers
                        .iter()
                        .rev()
                        .find(|(i, n)| *i < r.index && *n == name);
                    if let Some((producer, _)) = earlier {
                        if !needs.iter().any(|n| &n.var == name) {
                            needs.push(Need {
                                var: name.clone(),
                                producer: *producer,
                            });
                        }
                        continue;
                    }
                    if is_expect && r.captures.iter().any(|cap| &cap.name.value == name) {
                        continue;
                    }
                    if let Some((later, _)) =
                        producers.iter().find(|(i, n)| *i >= r.index && *n == name)
                    {
                        let producer = &c.requests[*later];
                        let message = if *later == r.index {
                            format!(
                                "variable `{name}` is used by `{}` before it is captured: the request captures it from its own response",
                                r.name.value
                            )
                        } else {
                            format!(
                                "variable `{name}` is used before it is captured: `{}` uses it, but `{}` (line {}) captures it later",
                                r.name.value, producer.name.value, producer.name.span.start.line
                            )
                        };
                        check.errors.push(
                            Diagnostic::at(message, file, variable_span(t, name, file))
                                .with_help("requests run in order: move the capturing request above the one that uses it"),
                        );
                        continue;
                    }
                    report(&mut check, name, t, &user);
                }
            }
        }
        check.needs.push(needs);
    }
    check
}

/// Auth profile names that a collection uses must exist in the environment; an explicit
/// `Authorization` header cannot be combined with a profile.
pub fn check_auth(c: &Collection, env: &Environment) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut check_name = |name: &crate::diag::Spanned<String>| {
        if name.value != "none" && env.profile(&name.value).is_none() {
            let known: Vec<&str> = env.auth.iter().map(|p| p.name.value.as_str()).collect();
            let help = if known.is_empty() {
                format!(
                    "the environment `{}` defines no auth profiles",
                    env.identity
                )
            } else {
                format!(
                    "the environment `{}` defines: {}",
                    env.identity,
                    known.join(", ")
                )
            };
            let message = match crate::diag::did_you_mean(&name.value, known.iter().copied()) {
                Some(s) => format!("unknown auth profile `{}`, did you mean `{s}`?", name.value),
                None => format!("unknown auth profile `{}`", name.value),
            };
            errors.push(Diagnostic::at(message, &c.file, name.span).with_help(help));
        }
    };
    if let Some(a) = &c.auth {
        check_name(a);
    }
    for r in &c.requests {
        if let Some(a) = &r.auth {
            check_name(a);
        }
    }
    for r in &c.requests {
        let profile = r
            .auth
            .as_ref()
            .or(c.auth.as_ref())
            .map_or("none", |a| a.value.as_str());
        let uses_auth = profile != "none"
            && env
                .profile(profile)
                .is_some_and(|p| !matches!(p.kind, AuthKind::None));
        if !uses_auth {
            continue;
        }
        let header = r
            .headers
            .iter()
            .chain(c.defaults.headers.iter())
            .find(|h| h.name.value.eq_ignore_ascii_case("authorization"));
        if let Some(h) = header {
            errors.push(
                Diagnostic::at(
                    format!("request `{}` sets an `Authorization` header and uses the auth profile `{profile}`", r.name.value),
                    &c.file,
                    h.name.span,
                )
                .with_help("remove the header, or set `auth: none` on the request"),
            );
        }
    }
    errors
}

/// The static check of an environment's own templates: `vars` in order, then auth profiles.
pub fn check_environment(env: &Environment, cli: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut known: HashSet<String> = BUILTIN_VARIABLES.iter().map(|s| (*s).to_owned()).collect();
    known.extend(cli.iter().cloned());
    known.extend(env.secrets.iter().map(|(k, _)| k.value.clone()));
    if env.emulator.is_some() {
        known.extend(EmulatorSpec::VARIABLES.iter().map(|s| (*s).to_owned()));
    }
    let check = |t: &STemplate, known: &HashSet<String>, errors: &mut Vec<Diagnostic>| {
        for name in t.value.variables() {
            if !known.contains(name) {
                errors.push(
                    Diagnostic::at(
                        format!("undefined variable `{name}` in the environment"),
                        &env.file,
                        variable_span(t, name, &env.file),
                    )
                    .with_help(format!("define `{name}` above in `vars` or in `secrets`")),
                );
            }
        }
    };
    for var in &env.vars {
        for t in var.value.templates() {
            check(t, &known, &mut errors);
        }
        known.insert(var.name.value.clone());
    }
    for p in &env.auth {
        for t in profile_templates(p) {
            check(t, &known, &mut errors);
        }
    }
    errors
}

/// Every template of an auth profile.
pub fn profile_templates(p: &crate::model::AuthProfile) -> Vec<&STemplate> {
    match &p.kind {
        AuthKind::None => Vec::new(),
        AuthKind::Bearer { token } => vec![token],
        AuthKind::Basic { username, password } => vec![username, password],
        AuthKind::OAuth2(o) => {
            let mut v: Vec<&STemplate> = vec![&o.token_url, &o.client_id];
            v.extend(
                [
                    &o.authorize_url,
                    &o.revoke_url,
                    &o.client_secret,
                    &o.redirect_uri,
                    &o.scope,
                    &o.refresh_token,
                ]
                .into_iter()
                .flatten(),
            );
            v.extend(o.token_params.iter().map(|(_, t)| t));
            v
        }
    }
}

/// Reads the data file a collection names (relative to the collection file).
pub fn collection_data(c: &Collection) -> Option<Result<DataSet, Diagnostic>> {
    let data = c.data.as_ref()?;
    let base = c.file.path().parent().unwrap_or(Path::new("."));
    let path = base.join(&data.value);
    Some(read_data(&path).map_err(|e| {
        Diagnostic::at(e.to_string(), &c.file, data.span).with_help("`data:` is a CSV file with a header row or a JSON array of objects, relative to the collection")
    }))
}

/// The variable names that the given templates read, with the environment variables they
/// read in turn (an environment var may use secrets), transitively.
pub fn referenced_variables<'a>(
    templates: impl IntoIterator<Item = &'a STemplate>,
    env: &Environment,
) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = templates
        .into_iter()
        .flat_map(|t| t.value.variables().iter().cloned())
        .collect();
    let env_vars: HashMap<&str, &TemplateValue> = env
        .vars
        .iter()
        .map(|v| (v.name.value.as_str(), &v.value))
        .collect();
    while let Some(name) = stack.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(value) = env_vars.get(name.as_str()) {
            for t in value.templates() {
                stack.extend(t.value.variables().iter().cloned());
            }
        }
    }
    seen
}

/// Loads and checks a whole workspace of collections for one environment, as `validate`
/// and `run` both need. Collections that failed to load are reported by the caller.
pub fn check_collection(
    c: &Arc<Collection>,
    env: Option<&Environment>,
    cli: &[String],
    data_override: Option<&DataSet>,
) -> (VariableCheck, Option<DataSet>) {
    let mut errors = Vec::new();
    let data = match data_override {
        Some(d) => Some(d.clone()),
        None => match collection_data(c) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
            None => None,
        },
    };
    let fields = data.as_ref().map(|d| d.fields.clone()).unwrap_or_default();
    let outer = OuterVars::new(env, cli.iter().cloned(), &fields);
    let mut check = check_variables(c, &outer);
    if let Some(env) = env {
        check.errors.extend(check_auth(c, env));
    }
    errors.append(&mut check.errors);
    check.errors = errors;
    (check, data)
}

/// Reads a process environment variable, then the `.env` file: the process environment wins,
/// as with dotenv tools (docs/environments.md#secrets).
pub fn lookup_env(name: &str, dotenv: &HashMap<String, String>) -> Option<String> {
    std::env::var(name)
        .ok()
        .or_else(|| dotenv.get(name).cloned())
}

/// The secrets that the selected requests need, resolved before anything is sent
/// (docs/environments.md#secrets): a missing one names the variable to set.
pub fn missing_secrets(
    env: &Environment,
    planned: &[PlannedCollection],
    dotenv: &HashMap<String, String>,
) -> Vec<Diagnostic> {
    let mut templates = Vec::new();
    let mut profiles: BTreeSet<&str> = BTreeSet::new();
    for pc in planned {
        let c: &Collection = &pc.collection;
        for var in &c.vars {
            templates.extend(var.value.templates());
        }
        for r in c.requests.iter().filter(|r| pc.is_selected(r.index)) {
            templates.extend(send_templates(c, r));
            templates.extend(expect_templates(r));
            profiles.insert(profile_of(c, r));
        }
    }
    let profiles: Vec<&crate::model::AuthProfile> = env
        .auth
        .iter()
        .filter(|p| profiles.contains(p.name.value.as_str()))
        .collect();
    missing_for(env, templates, &profiles, dotenv)
}

/// The secrets and `env("…")` reads that `templates` and `profiles` need and that neither the
/// process environment nor the `.env` file sets (`courier auth login` asks this of one profile).
pub fn missing_for<'a>(
    env: &'a Environment,
    mut templates: Vec<&'a STemplate>,
    profiles: &[&'a crate::model::AuthProfile],
    dotenv: &HashMap<String, String>,
) -> Vec<Diagnostic> {
    for p in profiles {
        // A configured refresh token is optional: the token cache may hold the session, and
        // without either the run says to log in or set the secret
        // (docs/environments.md#refresh-tokens-from-secrets).
        let optional = match &p.kind {
            AuthKind::OAuth2(o) => o.refresh_token.as_ref(),
            _ => None,
        };
        templates.extend(
            profile_templates(p)
                .into_iter()
                .filter(|t| !optional.is_some_and(|o| std::ptr::eq(*t, o))),
        );
    }
    let mut env_templates = templates.clone();
    for v in &env.vars {
        env_templates.extend(v.value.templates());
    }
    let needed = referenced_variables(templates.iter().copied(), env);
    let mut diags = Vec::new();
    for (var, env_var) in &env.secrets {
        if needed.contains(&var.value) && lookup_env(&env_var.value, dotenv).is_none() {
            diags.push(
                Diagnostic::at(
                    format!("missing secret: set the environment variable `{}` (for `{}`)", env_var.value, var.value),
                    &env.file,
                    env_var.span,
                )
                .with_help("set it in the process environment or in a `.env` file in the working directory"),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for t in env_templates {
        for (name, has_default) in t.value.env_references() {
            if !has_default && lookup_env(&name, dotenv).is_none() && seen.insert(name.clone()) {
                diags.push(Diagnostic::new(format!("missing secret: set the environment variable `{name}` (read by `env(\"{name}\")`)")));
            }
        }
    }
    diags
}

/// The auth profile a request uses: its own, else its collection's, else `none`.
pub fn profile_of<'a>(c: &'a Collection, r: &'a Request) -> &'a str {
    r.auth
        .as_ref()
        .or(c.auth.as_ref())
        .map_or("none", |a| a.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;
    use crate::load::{parse_collection, parse_environment};

    fn collection(text: &str) -> Collection {
        parse_collection(&SourceFile::new("c.yaml", text)).unwrap()
    }

    fn env() -> Environment {
        parse_environment(
            &SourceFile::new(
                "e.yaml",
                "scope: non-production\nvars: { base_url: http://x }\n",
            ),
            "e",
        )
        .unwrap()
    }

    #[test]
    fn used_before_captured_names_both_requests() {
        let c = collection(
            "name: c\nrequests:\n  - name: read\n    url: \"{{ base_url }}/{{ key }}\"\n  - name: create\n    url: \"{{ base_url }}\"\n    capture: { key: $.key }\n",
        );
        let e = env();
        let check = check_variables(&c, &OuterVars::new(Some(&e), [], &[]));
        assert_eq!(check.errors.len(), 1);
        let msg = check.errors[0].to_string();
        assert!(msg.starts_with("c.yaml:4:29: variable `key` is used before it is captured: `read` uses it, but `create` (line 5)"), "{msg}");
    }

    #[test]
    fn undefined_variable_points_at_the_name() {
        let c =
            collection("name: c\nrequests:\n  - name: a\n    url: \"{{ base_url }}/{{ nope }}\"\n");
        let e = env();
        let check = check_variables(&c, &OuterVars::new(Some(&e), [], &[]));
        assert_eq!(
            check.errors[0].to_string(),
            "c.yaml:4:29: undefined variable `nope` in request `a`"
        );
        let without_env = check_variables(&c, &OuterVars::new(None, [], &[]));
        assert!(without_env.errors.is_empty());
        let names: Vec<&str> = without_env
            .expected_from_env
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["base_url", "nope"]);
    }

    #[test]
    fn captures_become_needs() {
        let c = collection(
            "name: c\nrequests:\n  - name: create\n    url: u\n    capture: { key: $.key }\n  - name: read\n    url: \"u/{{ key }}\"\n    expect: { jsonpath: { $.k: \"{{ key }}\" } }\n",
        );
        let check = check_variables(&c, &OuterVars::new(Some(&env()), [], &[]));
        assert!(check.errors.is_empty(), "{:?}", check.errors);
        assert_eq!(
            check.needs[1],
            vec![Need {
                var: "key".into(),
                producer: 0
            }]
        );
    }
}
