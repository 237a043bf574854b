//! Preparing an environment for a run: starting its emulator, resolving secrets, rendering its
//! `vars` and auth profiles, and the layers of variables every template of the run sees.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use courier_core::model::{AuthKind, AuthProfile, EmulatorSpec, Environment, STemplate, Scope};
use courier_core::plan::lookup_env;
use courier_core::secret::Secrets;
use courier_core::template::{Runtime, VarMap, Vars, json_to_value};
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

/// A running in-process emulator and the variables it defines.
pub struct StartedEmulator {
    pub emulator: courier_emulator::Emulator,
    pub variables: VarMap,
}

impl std::fmt::Debug for StartedEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartedEmulator")
            .field("base_url", &self.emulator.base_url())
            .field("variables", &self.variables.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Starts the emulator an environment asks for (SPEC §3): scope from the environment, port 0.
pub async fn start_emulator(
    spec: &EmulatorSpec,
    scope: Scope,
    secrets: &Secrets,
) -> Result<StartedEmulator, SetupError> {
    let mut options = courier_emulator::EmulatorOptions {
        scope: match scope {
            Scope::NonProduction => courier_emulator::Scope::NonProduction,
            Scope::Production => courier_emulator::Scope::Production,
        },
        port: 0,
        ..courier_emulator::EmulatorOptions::default()
    };
    if let Some(seed) = spec.seed {
        options.seed = seed;
    }
    if let Some(ttl) = spec.token_ttl {
        options.token_ttl = ttl;
    }
    options.rotate_refresh_tokens = spec.rotate_refresh_tokens;
    if let Some(l) = spec.latency {
        options.latency = l;
    }
    options.fail_first = spec.fail_first.unwrap_or(0);
    options.fail_every = spec.fail_every.unwrap_or(0);
    options.fail_rate = spec.fail_rate.unwrap_or(0.0);
    options.rate_limit = spec.rate_limit;
    options.deny_authorize = spec.deny_authorize;
    options.redirect_uris.clone_from(&spec.redirect_uris);
    options.client_id.clone_from(&spec.client_id);
    options.client_secret.clone_from(&spec.client_secret);
    options.username.clone_from(&spec.username);
    let emulator = courier_emulator::start(options)
        .await
        .map_err(|e| SetupError::Unavailable(format!("cannot start the Intacct emulator: {e}")))?;
    let creds = emulator.credentials();
    secrets.add(&creds.client_secret);
    let mut variables = VarMap::new();
    variables.insert("base_url".into(), MjValue::from(emulator.base_url()));
    variables.insert("client_id".into(), MjValue::from(creds.client_id.clone()));
    variables.insert(
        "client_secret".into(),
        MjValue::from(creds.client_secret.clone()),
    );
    variables.insert("ws_user".into(), MjValue::from(creds.username.clone()));
    Ok(StartedEmulator {
        emulator,
        variables,
    })
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
            ResolvedAuth::Bearer(t)
        }
        AuthKind::Basic { username, password } => {
            let password = render(password, "password")?;
            secrets.add(&password);
            ResolvedAuth::Basic {
                username: render(username, "username")?,
                password,
            }
        }
        AuthKind::OAuth2(o) => {
            let client_secret = optional(o.client_secret.as_ref(), "client_secret")?;
            if let Some(s) = &client_secret {
                secrets.add(s);
            }
            let refresh_token = if for_login {
                None
            } else {
                optional(o.refresh_token.as_ref(), "refresh_token")?
            };
            if let Some(s) = &refresh_token {
                secrets.add(s);
            }
            let mut token_params = Vec::new();
            for (k, t) in &o.token_params {
                token_params.push((k.value.clone(), render(t, &k.value)?));
            }
            ResolvedAuth::OAuth2(OAuth2Settings {
                grant: o.grant.value,
                token_url: render(&o.token_url, "token_url")?,
                authorize_url: optional(o.authorize_url.as_ref(), "authorize_url")?,
                revoke_url: optional(o.revoke_url.as_ref(), "revoke_url")?,
                redirect_uri: optional(o.redirect_uri.as_ref(), "redirect_uri")?,
                pkce: o.pkce,
                client_id: render(&o.client_id, "client_id")?,
                client_secret,
                refresh_token: refresh_token.filter(|r| !r.is_empty()),
                scope: optional(o.scope.as_ref(), "scope")?.filter(|s| !s.trim().is_empty()),
                token_params,
                client_auth: o.client_auth,
            })
        }
    })
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

/// `--var` values as a layer.
pub fn cli_layer(vars: &[(String, String)]) -> Arc<VarMap> {
    Arc::new(
        vars.iter()
            .map(|(k, v)| (k.clone(), MjValue::from(v.as_str())))
            .collect(),
    )
}
