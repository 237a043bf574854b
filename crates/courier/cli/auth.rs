//! `courier auth login|status|logout`: OAuth 2.0 sessions kept in the token cache (docs/cli.md#courier-auth).
//! The flows themselves live in the executor crate (`oauth`, `loopback`, `token_cache`); this
//! file parses the flags, loads the environment as `courier run` does, and prints.

mod login;
mod status;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;

use courier_core::load;
use courier_core::model::{AuthKind, AuthProfile, Environment, Grant};
use courier_core::plan;
use courier_core::plan::{lookup_env, read_dotenv};
use courier_core::secret::Secrets;
use courier_core::template::{Runtime, Vars};
use courier_events::Exit;
use courier_exec::auth::{OAuth2Settings, ResolvedAuth};
use courier_exec::context::{self, SetupError};
use courier_exec::token_cache::{CacheError, CachedSession, TokenCache};

use super::error::{CliError, CliResult};

const AUTH_ABOUT: &str =
    "Log in to OAuth 2.0 auth profiles and manage the sessions in the token cache.";

const AUTH_LONG_ABOUT: &str = "\
Log in to OAuth 2.0 auth profiles and manage the sessions in the token cache.

A run gets its own tokens for client-credentials profiles. Profiles with `grant: \
authorization_code` or `grant: refresh_token` need a person to log in once: `courier auth login` \
runs the authorization-code flow in a browser and keeps the tokens in the token cache, where \
every later run finds them (a cached refresh token wins over a configured one, and rotated \
refresh tokens are written back).

The token cache is $COURIER_TOKEN_CACHE, or <user cache dir>/courier/tokens.json (on Linux \
~/.cache/courier/tokens.json), readable by its owner only.";

const AUTH_AFTER_LONG_HELP: &str = "\
Examples:
  courier auth login --env production
  courier auth status
  courier auth logout --env production --revoke

Exit codes:
  0 done; 2 invalid input or usage (unknown environment or profile, a profile that needs no \
login, a missing secret, a token cache this courier cannot read); 3 no token could be \
obtained or a revocation failed.";

/// Log in, list and remove cached OAuth 2.0 sessions.
#[derive(Debug, clap::Args)]
#[command(about = AUTH_ABOUT, long_about = AUTH_LONG_ABOUT, after_long_help = AUTH_AFTER_LONG_HELP)]
pub(crate) struct AuthArgs {
    #[command(flatten)]
    pub(crate) color: super::common::ColorArg,
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuthCommand {
    Login(login::LoginArgs),
    Status(StatusArgs),
    Logout(LogoutArgs),
}

impl AuthArgs {
    /// The environment the command names with `--env`, for the check that every help example
    /// names the repository's files.
    #[cfg(test)]
    pub(crate) fn env(&self) -> Option<&str> {
        match &self.command {
            AuthCommand::Login(a) => a.env.as_deref(),
            AuthCommand::Logout(a) => a.env.as_deref(),
            AuthCommand::Status(_) => None,
        }
    }
}

pub(crate) fn run(args: &AuthArgs) -> CliResult {
    match &args.command {
        AuthCommand::Login(a) => login::run(a),
        AuthCommand::Status(a) => status::status(a),
        AuthCommand::Logout(a) => logout(a),
    }
}

const STATUS_LONG_ABOUT: &str = "\
List the sessions in the token cache: environment, auth profile, grant, client id, username, \
when the access token expires, whether a refresh token is kept, and the scope. Tokens are never \
printed, and a client id or username that came from a secret (`secrets:` or `env()`) shows as \
[REDACTED].

With --json, prints {\"version\": 1, \"sessions\": [{\"environment\", \"profile\", \"grant\", \
\"client\", \"username\", \"expires_at\", \"scope\"}]} instead, every key present (null when \
unknown or absent).";

const STATUS_AFTER_LONG_HELP: &str = "\
Examples:
  courier auth status
  courier auth status --json
  COURIER_TOKEN_CACHE=ci-tokens.json courier auth status

Exit codes:
  0 listed (also when the cache is empty or missing); 2 the cache cannot be read, or was \
written by a newer courier, or the list cannot be written.";

/// List the sessions in the token cache (never a token).
#[derive(Debug, clap::Args)]
#[command(long_about = STATUS_LONG_ABOUT, after_long_help = STATUS_AFTER_LONG_HELP)]
pub(crate) struct StatusArgs {
    /// Print JSON instead of a table: `{"version": 1, "sessions": [...]}`.
    #[arg(long)]
    json: bool,
}

const LOGOUT_LONG_ABOUT: &str = "\
Remove sessions from the token cache: all of them, those of one environment (--env), of one \
profile (--profile), or both.

With --revoke, the tokens are also revoked at the profile's `revoke_url` (by default its \
`token_url` with `token` replaced by `revoke`) before the local entries go. Sage Intacct then \
revokes every token of that user and company — other applications' sessions of the same user \
included.";

const LOGOUT_AFTER_LONG_HELP: &str = "\
Examples:
  courier auth logout                                   forget every cached session
  courier auth logout --env sandbox --profile intacct   forget one
  courier auth logout --env production --revoke         revoke at Intacct, then forget

Exit codes:
  0 done (also when nothing matched); 2 invalid usage (--revoke without --env), or the cache \
cannot be read; 3 a revocation failed (its session is kept, so it can be tried again).";

/// Remove cached sessions; with --revoke, revoke them at the server first.
#[derive(Debug, clap::Args)]
#[command(long_about = LOGOUT_LONG_ABOUT, after_long_help = LOGOUT_AFTER_LONG_HELP)]
pub(crate) struct LogoutArgs {
    /// Only the sessions of this environment: a name (`environments/NAME.yaml`) or a path to
    /// an environment file.
    #[arg(long, value_name = "NAME")]
    env: Option<String>,
    /// Only the sessions of this auth profile.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Also revoke the tokens at the server (needs --env, for the profile's URLs and client
    /// credentials). Intacct then revokes every token of that user and company.
    #[arg(long)]
    revoke: bool,
}

/// The cache, or the message why there is none.
fn token_cache() -> Result<TokenCache, CliError> {
    TokenCache::from_env().map_err(|e| CliError::invalid(e.to_string()))
}

fn cache_error(e: &CacheError, secrets: &Secrets) -> CliError {
    CliError::invalid(secrets.redact(&e.to_string()))
}

/// The identity of `--env` without loading it: a file's stem, or the name itself.
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the same test as `--env` resolution (docs/environments.md)"
)]
fn env_identity(arg: &str) -> String {
    let is_path = arg.contains('/') || arg.ends_with(".yaml") || arg.ends_with(".yml");
    if is_path {
        std::path::Path::new(arg)
            .file_stem()
            .map_or_else(|| arg.to_owned(), |s| s.to_string_lossy().into_owned())
    } else {
        arg.to_owned()
    }
}

fn logout(args: &LogoutArgs) -> CliResult {
    if args.revoke && args.env.is_none() {
        return Err(CliError::invalid(
            "`--revoke` needs `--env`: the environment gives the revoke URL and the client credentials",
        ));
    }
    let cache = token_cache()?;
    let secrets = Secrets::new();
    // With --revoke the environment is loaded first: a bad one stops before anything changes.
    let loaded = match (&args.env, args.revoke) {
        (Some(name), true) => Some(LoadedEnv::load(name)?),
        _ => None,
    };
    let identity = loaded
        .as_ref()
        .map(|l| l.env.identity.clone())
        .or_else(|| args.env.as_deref().map(env_identity));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(&e))?;
    runtime.block_on(async {
        let lock = cache.lock().await.map_err(|e| cache_error(&e, &secrets))?;
        let mut file = lock.read().map_err(|e| cache_error(&e, &secrets))?;
        for s in &file.sessions {
            for t in s.tokens() {
                secrets.add(t);
            }
        }
        let matches = |s: &CachedSession| {
            identity.as_deref().is_none_or(|e| s.environment == e)
                && args.profile.as_deref().is_none_or(|p| s.profile == p)
        };
        let chosen: Vec<CachedSession> = file.sessions.iter().filter(|s| matches(s)).cloned().collect();
        // Decided before any revocation, so its messages redact hidden client ids too.
        let mut disclosure = status::Disclosure::default();
        let shown: Vec<String> = chosen
            .iter()
            .map(|s| status::describe(s, &disclosure.shown(s, &secrets), &secrets))
            .collect();
        if chosen.is_empty() {
            eprintln!(
                "no cached session matches{} (token cache: {})",
                describe_filter(identity.as_deref(), args.profile.as_deref()),
                cache.path().display()
            );
            return Ok(Exit::Success);
        }
        let mut failed: Option<CliError> = None;
        let mut kept: Vec<CachedSession> = Vec::new();
        if let Some(loaded) = &loaded {
            eprintln!(
                "warning: Sage Intacct revokes every token of the user and company of a revoked token, other applications' sessions included"
            );
            for (s, text) in chosen.iter().zip(&shown) {
                if let Err(message) = loaded.revoke(s, &secrets).await {
                    CliError::collect(
                        &mut failed,
                        CliError::new(Exit::Unchecked, secrets.redact(&message)),
                    );
                    kept.push(s.clone());
                } else {
                    println!("revoked: {text}");
                }
            }
        }
        let removed: Vec<&CachedSession> = chosen.iter().filter(|s| !kept.contains(s)).collect();
        file.sessions.retain(|s| !removed.contains(&s));
        if let Err(e) = lock.write(&file) {
            return Err(cache_error(&e, &secrets));
        }
        let mut out = String::new();
        for (s, text) in chosen.iter().zip(&shown) {
            if !kept.contains(s) {
                let _ = writeln!(out, "removed: {text}");
            }
        }
        let _ = std::io::stdout().write_all(out.as_bytes());
        failed.map_or(Ok(Exit::Success), Err)
    })
}

fn describe_filter(env: Option<&str>, profile: Option<&str>) -> String {
    match (env, profile) {
        (Some(e), Some(p)) => format!(" environment `{e}` and profile `{p}`"),
        (Some(e), None) => format!(" environment `{e}`"),
        (None, Some(p)) => format!(" profile `{p}`"),
        (None, None) => String::new(),
    }
}

/// An environment loaded for `auth`: its file, `.env`, the variables a profile renders with.
struct LoadedEnv {
    env: Environment,
    dotenv: HashMap<String, String>,
}

impl LoadedEnv {
    /// Resolves and loads `--env` as `courier run` does; its problems are exit 2.
    fn load(name: &str) -> Result<Self, CliError> {
        let env = load::resolve_environment(name, None)
            .map_err(|d| vec![d])
            .and_then(|s| load::load_environment(&s))
            .map_err(CliError::input)?;
        let dotenv =
            read_dotenv(std::path::Path::new(".env")).map_err(|d| CliError::input(vec![d]))?;
        Ok(Self { env, dotenv })
    }

    /// Renders an OAuth 2.0 profile for login or revocation (its configured refresh token is
    /// not needed). A missing secret names the variable to set (exit 2).
    fn oauth_settings(
        &self,
        profile: &AuthProfile,
        secrets: &Arc<Secrets>,
    ) -> Result<OAuth2Settings, String> {
        let templates: Vec<_> = match &profile.kind {
            AuthKind::OAuth2(o) => plan::profile_templates(profile)
                .into_iter()
                .filter(|t| {
                    !o.refresh_token
                        .as_ref()
                        .is_some_and(|r| std::ptr::eq(*t, r))
                })
                .collect(),
            _ => Vec::new(),
        };
        let needed = plan::referenced_variables(templates.iter().copied(), &self.env);
        let mut missing = Vec::new();
        for (var, env_var) in &self.env.secrets {
            if needed.contains(&var.value) && lookup_env(&env_var.value, &self.dotenv).is_none() {
                missing.push(format!("`{}` (for `{}`)", env_var.value, var.value));
            }
        }
        for t in &templates {
            for (name, has_default) in t.value.env_references() {
                if !has_default && lookup_env(&name, &self.dotenv).is_none() {
                    missing.push(format!("`{name}` (read by `env(\"{name}\")`)"));
                }
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "missing secret: set the environment variable {} in the process environment or in a `.env` file",
                missing.join(", ")
            ));
        }
        let runtime = Arc::new(Runtime {
            dotenv: self.dotenv.clone(),
            secrets: Arc::clone(secrets),
        });
        let cli = context::cli_layer(&[]);
        let (emu, layer) = context::environment_layer(&self.env, None, &cli, &runtime)
            .map_err(|e| setup_message(&e))?;
        let vars = Vars::new(Some(runtime))
            .with_layer(emu)
            .with_layer(layer)
            .with_layer(cli);
        match context::resolve_profile(&self.env, profile, &vars, secrets, true)
            .map_err(|e| setup_message(&e))?
        {
            ResolvedAuth::OAuth2(s) => Ok(s),
            _ => Err(format!(
                "auth profile `{}` is not an OAuth 2.0 profile",
                profile.name.value
            )),
        }
    }

    /// Revokes a cached session's refresh token (else its access token).
    async fn revoke(&self, s: &CachedSession, secrets: &Secrets) -> Result<(), String> {
        let Some(profile) = self.env.profile(&s.profile) else {
            return Err(format!(
                "cannot revoke {} / {}: the environment has no auth profile `{}` any more",
                s.environment, s.profile, s.profile
            ));
        };
        let run_secrets = Secrets::new();
        for t in s.tokens() {
            run_secrets.add(t);
        }
        let settings = self.oauth_settings(profile, &run_secrets)?;
        let client = self.client()?;
        let http = courier_exec::oauth::HttpClient::new(&client, None);
        let (token, is_refresh) = match (&s.refresh_token, &s.access_token) {
            (Some(r), _) => (r.expose(), true),
            (None, Some(a)) => (a.expose(), false),
            (None, None) => return Ok(()),
        };
        courier_exec::oauth::revoke(&http, &settings, token, is_refresh)
            .await
            .map_err(|e| {
                let message = format!(
                    "revoking {} / {} at {} failed: {e}",
                    s.environment,
                    s.profile,
                    courier_exec::oauth::revoke_url(&settings)
                );
                secrets.redact(&run_secrets.redact(&message)).into_owned()
            })
    }

    /// The HTTP client with the environment's TLS settings, as a run builds it.
    fn client(&self) -> Result<reqwest::Client, String> {
        let ca = self.env.tls.ca_cert.as_ref().map(|c| {
            let base = self
                .env
                .file
                .path()
                .parent()
                .unwrap_or(std::path::Path::new("."));
            base.join(&c.value)
        });
        courier_exec::client::build_client(ca.as_deref(), self.env.tls.insecure, 2)
            .map_err(|e| e.to_string())
    }
}

fn setup_message(e: &SetupError) -> String {
    match e {
        SetupError::Invalid(m) | SetupError::Unavailable(m) => m.clone(),
    }
}

/// The profiles `auth login` can use: OAuth 2.0 with a grant a person starts.
fn login_profiles(env: &Environment) -> Vec<&AuthProfile> {
    env.auth
        .iter()
        .filter(|p| {
            matches!(&p.kind, AuthKind::OAuth2(o) if matches!(o.grant.value, Grant::AuthorizationCode | Grant::RefreshToken))
        })
        .collect()
}
