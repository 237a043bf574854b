//! Postman auth blocks to auth profiles in the environment (credentials to secrets), and
//! giving every variable the import leaves unset a source.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{Auth, Cx, Used, params, text_of};
use crate::out::{Collection, Request, Var};

impl Cx<'_> {
    pub(super) fn api_key(auth: &Auth, r: &mut Request) {
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
    pub(super) fn auth(&mut self, auth: Option<&Value>, scope: &str) -> Auth {
        let Some(auth) = auth.and_then(Value::as_object) else {
            return Auth::Inherit;
        };
        let ty = auth.get("type").and_then(Value::as_str).unwrap_or("");
        let p: BTreeMap<String, Value> = params(auth.get(ty)).into_iter().collect();
        let get = |k: &str| p.get(k).map(text_of).unwrap_or_default();
        let profile_base = if scope.is_empty() {
            "postman".to_owned()
        } else {
            scope.replace('-', "_")
        };
        match ty {
            "noauth" => Auth::None,
            "inherit" | "" => Auth::Inherit,
            "bearer" => {
                let token = self.credential(
                    &get("token"),
                    &format!("{profile_base}_token"),
                    "bearer token",
                );
                Auth::Profile(
                    self.env
                        .profile(&profile_base, json!({"type": "bearer", "token": token})),
                )
            }
            "basic" => {
                let username = self.plain_field(&get("username"));
                let password = self.credential(
                    &get("password"),
                    &format!("{profile_base}_password"),
                    "basic password",
                );
                Auth::Profile(self.env.profile(
                    &profile_base,
                    json!({"type": "basic", "username": username, "password": password}),
                ))
            }
            "apikey" => {
                let key = p.get("key").map_or_else(|| "X-API-Key".to_owned(), text_of);
                let value =
                    self.credential(&get("value"), &format!("{profile_base}_api_key"), "API key");
                Auth::ApiKey {
                    name: key,
                    value,
                    in_query: get("in") == "query",
                }
            }
            "oauth2" => self.oauth2(&p, &profile_base),
            other => {
                let what = format!("Postman auth `{other}`");
                self.summary.unsupported.push(format!(
                    "{what} (scope `{scope}`): requests send no credentials"
                ));
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
                self.summary.unsupported.push(format!(
                    "{what}: only client credentials and authorization code convert"
                ));
                return Auth::Unsupported(what);
            }
        };
        let mut m = Map::new();
        m.insert("type".into(), json!("oauth2"));
        m.insert("grant".into(), json!(grant));
        if grant == "authorization_code" {
            m.insert(
                "authorize_url".into(),
                json!(self.plain_field(&get("authUrl"))),
            );
        }
        m.insert(
            "token_url".into(),
            json!(self.plain_field(&get("accessTokenUrl"))),
        );
        m.insert(
            "client_id".into(),
            json!(self.credential(
                &get("clientId"),
                &format!("{base}_client_id"),
                "OAuth client id"
            )),
        );
        let secret = get("clientSecret");
        if !secret.is_empty() || grant == "client_credentials" {
            m.insert(
                "client_secret".into(),
                json!(self.credential(
                    &secret,
                    &format!("{base}_client_secret"),
                    "OAuth client secret"
                )),
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
    pub(super) fn resolve_variables(
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
                        self.summary
                            .broken_chains
                            .push(format!("`{name}` used by \"{}\" in {rel}: {why}", r.name));
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
