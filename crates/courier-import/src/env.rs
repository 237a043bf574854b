//! The environment file an import writes: plain variables, `secrets:` (variable → process
//! environment variable, so no credential is ever written), and auth profiles.

use serde_json::{Map, Value, json};

use crate::names::upper_snake;
use crate::yaml::Doc;

/// Whether a variable's name says it holds a credential (`password`, `apiKey`,
/// `client_secret`, `accessToken`; not `tokenUrl`).
pub(crate) fn is_credential_name(name: &str) -> bool {
    let snake = crate::names::snake(name);
    let words: Vec<&str> = snake.split('_').collect();
    if words
        .last()
        .is_some_and(|w| matches!(*w, "url" | "uri" | "endpoint" | "type" | "name"))
    {
        return false;
    }
    words.iter().any(|w| {
        matches!(
            *w,
            "password" | "passwd" | "pwd" | "secret" | "token" | "apikey"
        )
    }) || snake.contains("api_key")
}

/// Headers whose value is a credential.
pub(crate) fn is_credential_header(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization"
            | "proxy-authorization"
            | "cookie"
            | "x-api-key"
            | "api-key"
            | "apikey"
            | "x-auth-token"
            | "x-access-token"
    )
}

#[derive(Debug, Default)]
pub(crate) struct Env {
    vars: Vec<(String, Value, Option<String>)>,
    /// Variable → process environment variable.
    secrets: Vec<(String, String)>,
    profiles: Vec<(String, Value)>,
    /// Variables something reads, to be given an empty value if nothing defines them.
    needed: Vec<String>,
}

impl Env {
    pub(crate) fn var(&mut self, name: &str, value: Value, comment: Option<String>) {
        if let Some(slot) = self.vars.iter_mut().find(|(n, _, _)| n == name) {
            slot.1 = value;
        } else {
            self.vars.push((name.to_owned(), value, comment));
        }
    }

    /// Declares `name` a secret; returns its process environment variable.
    pub(crate) fn secret(&mut self, name: &str) -> String {
        if let Some((_, e)) = self.secrets.iter().find(|(n, _)| n == name) {
            return e.clone();
        }
        let base = upper_snake(name);
        let mut envvar = base.clone();
        let mut i = 2;
        while self.secrets.iter().any(|(_, e)| *e == envvar) {
            envvar = format!("{base}_{i}");
            i += 1;
        }
        self.vars.retain(|(n, _, _)| n != name);
        self.secrets.push((name.to_owned(), envvar.clone()));
        envvar
    }

    /// Turns a plain variable that holds a value into a secret (its value is dropped); false
    /// when there is no such variable.
    pub(crate) fn make_secret(&mut self, name: &str) -> bool {
        self.vars.iter().any(|(n, v, _)| {
            n == name && !matches!(v, Value::String(s) if s.is_empty()) && !v.is_null()
        })
    }

    pub(crate) fn defines(&self, name: &str) -> bool {
        self.vars.iter().any(|(n, _, _)| n == name) || self.secrets.iter().any(|(n, _)| n == name)
    }

    pub(crate) fn need(&mut self, name: &str) {
        if !self.needed.iter().any(|n| n == name) {
            self.needed.push(name.to_owned());
        }
    }

    /// Gives every needed variable that nothing defines an empty value, or makes it a secret
    /// when its name says it is a credential (so no one types a password into the file);
    /// returns the names given empty values and the `name → ENV` secrets made.
    pub(crate) fn fill_needed(
        &mut self,
        collection_vars: &[(String, Value)],
    ) -> (Vec<String>, Vec<String>) {
        let mut filled = Vec::new();
        let mut secrets = Vec::new();
        for name in std::mem::take(&mut self.needed) {
            if self.defines(&name) || collection_vars.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if is_credential_name(&name) {
                let envvar = self.secret(&name);
                secrets.push(format!(
                    "variable `{name}` (no value; a credential by its name) → {envvar}"
                ));
                continue;
            }
            self.vars.push((
                name.clone(),
                json!(""),
                Some("TODO(import): no value in the Postman export".to_owned()),
            ));
            filled.push(name);
        }
        (filled, secrets)
    }

    /// Adds an auth profile, reusing one with the same settings; returns its name.
    pub(crate) fn profile(&mut self, base: &str, value: Value) -> String {
        if let Some((n, _)) = self.profiles.iter().find(|(_, v)| *v == value) {
            return n.clone();
        }
        let base = if base.is_empty() || base == "none" {
            "postman"
        } else {
            base
        };
        let mut name = base.to_owned();
        let mut i = 2;
        while self.profiles.iter().any(|(n, _)| *n == name) {
            name = format!("{base}_{i}");
            i += 1;
        }
        self.profiles.push((name.clone(), value));
        name
    }

    pub(crate) fn to_yaml(&self, collection: &str) -> String {
        let mut d = Doc::default();
        d.comment(
            0,
            &format!(
                "Environment for the Postman collection \"{collection}\", written by `courier import postman`.\n\
                 Credentials are never written here: each is a `secrets:` entry naming the process\n\
                 environment variable (or .env line) to set. See docs/import.md."
            ),
        );
        d.kv_str(0, "scope", "non-production");
        if !self.vars.is_empty() {
            d.open(0, "vars");
            for (n, v, c) in &self.vars {
                if let Some(c) = c {
                    d.comment(2, c);
                }
                d.kv(2, n, v);
            }
        }
        if !self.secrets.is_empty() {
            let m: Map<String, Value> = self
                .secrets
                .iter()
                .map(|(n, e)| (n.clone(), Value::String(e.clone())))
                .collect();
            d.kv(0, "secrets", &Value::Object(m));
        }
        if !self.profiles.is_empty() {
            let m: Map<String, Value> = self.profiles.iter().cloned().collect();
            d.kv(0, "auth", &Value::Object(m));
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for yes in [
            "password",
            "PASSWORD",
            "apiKey",
            "api-key",
            "client_secret",
            "accessToken",
        ] {
            assert!(is_credential_name(yes), "{yes}");
        }
        for no in [
            "tokenUrl",
            "access_token_url",
            "username",
            "EMAIL",
            "APIURL",
            "token_type",
        ] {
            assert!(!is_credential_name(no), "{no}");
        }
    }
}
