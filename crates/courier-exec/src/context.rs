//! Preparing an environment for a run: resolving secrets, rendering its `vars` and auth
//! profiles, and the layers of variables every template of the run sees. An embedded
//! emulator is started by the binary, which hands its variables in (`RunInput`).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use courier_core::model::{AuthKind, AuthProfile, Environment, STemplate};
use courier_core::plan::{self, lookup_env};
use courier_core::secret::{Secret, Secrets, ShortSecret, WARN_SECRET_LEN};
use courier_core::template::{Runtime, VarMap, Vars, json_to_value};
use courier_core::value::typed_scalar;
use minijinja::value::Value as MjValue;

use crate::auth::{OAuth2Settings, ResolvedAuth};

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Invalid input found at start (exit 2).
    #[error("{0}")]
    Invalid(String),
    /// The emulator or the client could not start (exit 3).
    #[error("{0}")]
    Unavailable(String),
}

/// A warning for each of the environment's `secrets:` whose value is shorter than
/// [`WARN_SECRET_LEN`] characters: it is hidden, but so is every other occurrence of those
/// characters in the data shown (docs/secrets.md). Names the variable, never the value.
pub fn short_secret_notices(env: &Environment, runtime: &Runtime) -> Vec<String> {
    env.secrets
        .iter()
        .filter_map(|(var, env_var)| {
            let value = lookup_env(&env_var.value, &runtime.dotenv)?;
            let chars = value.chars().count();
            (chars > 0 && chars < WARN_SECRET_LEN).then(|| {
                format!(
                    "{}:{}:{}: secret `{}` (from `{}`): {}",
                    env.file.display(),
                    var.span.start.line,
                    var.span.start.col,
                    var.value,
                    env_var.value,
                    ShortSecret { chars }
                )
            })
        })
        .collect()
}

/// The environment's variables for a run: the emulator's, then `vars` (rendered in order)
/// and `secrets`, plus `env_name` and `env_scope`. `--var` values are visible while rendering.
pub fn environment_layer(
    env: &Environment,
    emulator_vars: Option<&VarMap>,
    cli: &Arc<VarMap>,
    runtime: &Arc<Runtime>,
) -> Result<(Arc<VarMap>, Arc<VarMap>), SetupError> {
    let mut emu = VarMap::new();
    if let Some(vars) = emulator_vars {
        emu.clone_from(vars);
    }
    let emu = Arc::new(emu);
    let mut layer = VarMap::new();
    layer.insert("env_name".into(), MjValue::from(env.identity.clone()));
    layer.insert("env_scope".into(), MjValue::from(env.scope.as_str()));
    for (var, env_var) in &env.secrets {
        if let Some(value) = lookup_env(&env_var.value, &runtime.dotenv) {
            runtime.secrets.add(&value);
            layer.insert(var.value.clone(), MjValue::from(value));
        }
    }
    for def in &env.vars {
        let vars = Vars::new(Some(Arc::clone(runtime)))
            .with_layer(Arc::clone(&emu))
            .with_layer(Arc::new(layer.clone()))
            .with_layer(Arc::clone(cli));
        let value = def.value.render(&vars).map_err(|(e, span)| {
            SetupError::Invalid(format!(
                "{}:{}:{}: the environment variable `{}` failed to render: {}",
                env.file.display(),
                span.start.line,
                span.start.col,
                def.name.value,
                e.message
            ))
        })?;
        layer.insert(def.name.value.clone(), json_to_value(&value));
    }
    Ok((emu, Arc::new(layer)))
}

/// Renders the auth profiles that a run uses; their secret fields join the secrets set.
pub fn resolve_profiles(
    env: &Environment,
    used: &BTreeSet<String>,
    vars: &Vars,
    secrets: &Secrets,
) -> Result<HashMap<String, ResolvedAuth>, SetupError> {
    let mut out = HashMap::new();
    for p in &env.auth {
        if used.contains(&p.name.value) {
            out.insert(
                p.name.value.clone(),
                resolve_profile(env, p, vars, secrets, false)?,
            );
        }
    }
    Ok(out)
}

/// Renders one auth profile. `for_login` leaves out the configured `refresh_token`, which a
/// login replaces and whose secret need not be set for it.
pub fn resolve_profile(
    env: &Environment,
    p: &AuthProfile,
    vars: &Vars,
    secrets: &Secrets,
    for_login: bool,
) -> Result<ResolvedAuth, SetupError> {
    let name = &p.name.value;
    let render = |t: &STemplate, what: &str| -> Result<String, SetupError> {
        t.value.render(vars).map_err(|e| {
            SetupError::Invalid(format!(
                "{}:{}:{}: `{what}` of auth profile `{name}` failed to render: {}",
                env.file.display(),
                t.span.start.line,
                t.span.start.col,
                secrets.redact(&e.message)
            ))
        })
    };
    let optional = |t: Option<&STemplate>, what: &str| -> Result<Option<String>, SetupError> {
        t.map(|t| render(t, what)).transpose()
    };
    Ok(match &p.kind {
        AuthKind::None => ResolvedAuth::None,
        AuthKind::Bearer { token } => {
            let t = render(token, "token")?;
            secrets.add(&t);
            ResolvedAuth::Bearer(Secret::new(t))
        }
        AuthKind::Basic { username, password } => {
            let password = render(password, "password")?;
            secrets.add(&password);
            ResolvedAuth::Basic {
                username: render(username, "username")?,
                password: Secret::new(password),
            }
        }
        AuthKind::OAuth2(o) => {
            let client_secret = optional(o.client_secret.as_ref(), "client_secret")?;
            if let Some(s) = &client_secret {
                secrets.add(s);
            }
            // A secret that only the refresh token reads may be unset: the token cache may hold
            // the session (docs/environments.md#refresh-tokens-from-secrets).
            let from_secret = o
                .refresh_token
                .as_ref()
                .and_then(|t| refresh_token_secret(env, t));
            let unset = from_secret
                .as_ref()
                .is_some_and(|(name, _)| vars.get(name).is_none());
            let refresh_token = if for_login || unset {
                None
            } else {
                optional(o.refresh_token.as_ref(), "refresh_token")?
            };
            if let Some(s) = &refresh_token {
                secrets.add(s);
            }
            let refresh_token_from = from_secret.map(|(_, var)| var);
            let mut token_params = Vec::new();
            let mut username_secret = false;
            for (k, t) in &o.token_params {
                let value = render(t, &k.value)?;
                if k.value == "username" {
                    username_secret = is_secret(env, t, &value, secrets);
                }
                token_params.push((k.value.clone(), value));
            }
            let client_id = render(&o.client_id, "client_id")?;
            let client_id_secret = is_secret(env, &o.client_id, &client_id, secrets);
            ResolvedAuth::OAuth2(OAuth2Settings {
                grant: o.grant.value,
                token_url: render(&o.token_url, "token_url")?,
                authorize_url: optional(o.authorize_url.as_ref(), "authorize_url")?,
                revoke_url: optional(o.revoke_url.as_ref(), "revoke_url")?,
                redirect_uri: optional(o.redirect_uri.as_ref(), "redirect_uri")?,
                pkce: o.pkce,
                client_id,
                client_id_secret,
                client_secret: client_secret.map(Secret::new),
                refresh_token: refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
                refresh_token_from,
                scope: optional(o.scope.as_ref(), "scope")?.filter(|s| !s.trim().is_empty()),
                token_params,
                username_secret,
                client_auth: o.client_auth,
            })
        }
    })
}

/// Whether a rendered profile field counts as a secret: its template reads one (see
/// [`reads_secret`]), or its value holds one the run already knows, such as a secret copied
/// into a `vars:` entry.
fn is_secret(env: &Environment, template: &STemplate, value: &str, secrets: &Secrets) -> bool {
    reads_secret(env, template) || secrets.redact(value) != value
}

/// Whether a template reads a secret: a `secrets:` entry or `env()`, directly or through the
/// environment's `vars` (docs/environments.md#secrets). `courier auth` decides with it which
/// client ids and usernames it may show.
pub fn reads_secret(env: &Environment, template: &STemplate) -> bool {
    let names = plan::referenced_variables([template], env);
    if env
        .secrets
        .iter()
        .any(|(var, _)| names.contains(&var.value))
    {
        return true;
    }
    let vars_read = env
        .vars
        .iter()
        .filter(|v| names.contains(&v.name.value))
        .flat_map(|v| v.value.templates());
    std::iter::once(template)
        .chain(vars_read)
        .any(|t| calls_env(&t.value))
}

/// Whether a template calls `env(…)`, whatever its argument.
fn calls_env(t: &courier_core::template::Template) -> bool {
    if t.is_literal() {
        return false;
    }
    let source = t.source();
    source.match_indices("env").any(|(at, _)| {
        let before = source[..at].chars().next_back();
        let identifier_before = before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !identifier_before && source[at + 3..].trim_start().starts_with('(')
    })
}

/// The `secrets:` entry (variable, process environment variable) that a profile's
/// `refresh_token` template reads, when it reads exactly one: the secret a rotation makes stale
/// and `courier auth login --print-refresh-token` fills (docs/environments.md#refresh-tokens-from-secrets).
pub fn refresh_token_secret(env: &Environment, template: &STemplate) -> Option<(String, String)> {
    let mut read = env
        .secrets
        .iter()
        .filter(|(name, _)| template.value.variables().contains(&name.value));
    match (read.next(), read.next()) {
        (Some((name, var)), None) => Some((name.value.clone(), var.value.clone())),
        _ => None,
    }
}

/// The `--env` argument that finds this environment again, for messages such as "run
/// `courier auth login --env …`": its name when it lives in an `environments/` folder or is
/// built in, else its file path.
pub fn env_argument(env: &Environment) -> String {
    let path = env.file.path();
    let by_name = path.to_str().is_some_and(|p| p.starts_with("<built-in"))
        || (path.parent().and_then(|d| d.file_name())
            == Some(std::ffi::OsStr::new("environments"))
            && path.file_stem().and_then(|s| s.to_str()) == Some(env.identity.as_str()));
    if by_name {
        env.identity.clone()
    } else {
        path.display().to_string()
    }
}

/// `--var` values as a layer, typed (`5` is a number, `"5"` and `125.50` are strings).
pub fn cli_layer(vars: &[(String, String)]) -> Arc<VarMap> {
    Arc::new(
        vars.iter()
            .map(|(k, v)| (k.clone(), json_to_value(&typed_scalar(v))))
            .collect(),
    )
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
mod tests {
    use courier_core::diag::SourceFile;
    use courier_core::model::AuthKind;

    use super::reads_secret;

    /// Whether the `client_id` of profile `p` in an environment with `vars` and `client_id`
    /// reads a secret.
    fn client_id_reads_secret(vars: &str, client_id: &str) -> bool {
        let text = format!(
            "scope: non-production\nvars:\n  base: https://x\n{vars}secrets:\n  cid_secret: CID\nauth:\n  p:\n    type: oauth2\n    grant: refresh_token\n    token_url: \"{{{{ base }}}}/token\"\n    client_id: \"{client_id}\"\n"
        );
        let env =
            courier_core::load::parse_environment(&SourceFile::new("e.yaml", text), "e").unwrap();
        let AuthKind::OAuth2(o) = &env.profile("p").unwrap().kind else {
            panic!("not oauth2");
        };
        reads_secret(&env, &o.client_id)
    }

    #[test]
    fn a_profile_field_reads_a_secret_directly_through_vars_or_through_env() {
        assert!(client_id_reads_secret("", "{{ cid_secret }}"));
        assert!(client_id_reads_secret("", "{{ cid_secret | upper }}"));
        assert!(client_id_reads_secret(
            "  cid: \"app-{{ cid_secret }}\"\n",
            "{{ cid }}"
        ));
        assert!(client_id_reads_secret("", "{{ env('CID') }}"));
        assert!(client_id_reads_secret("  name: CID\n", "{{ env(name) }}"));
        assert!(client_id_reads_secret(
            "  cid: \"{{ env('CID', 'x') }}\"\n",
            "{{ cid }}"
        ));
        assert!(!client_id_reads_secret("", "courier.app.sage.com"));
        assert!(!client_id_reads_secret(
            "  environment_id: abc\n",
            "{{ environment_id }}.app.sage.com"
        ));
        assert!(!client_id_reads_secret("", "{{ env_name }}-client"));
    }
}
