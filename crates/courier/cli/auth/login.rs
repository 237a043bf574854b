//! `courier auth login`: the authorization-code flow for one profile (docs/cli.md#courier-auth) — the authorize
//! URL with a fresh `state`, the scope and PKCE S256; the redirect taken on the HTTPS loopback
//! listener or pasted; `state` checked; the code traded for tokens; the tokens stored in the
//! token cache — or, with `--print-refresh-token`, the refresh token printed to a terminal for
//! a CI secret (docs/ci.md#production-from-ci-secrets).

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use courier_core::model::{AuthKind, AuthProfile, Grant};
use courier_core::secret::Secrets;
use courier_events::Exit;
use courier_exec::auth::{OAuth2Settings, cached_session};
use courier_exec::loopback::{Listener, Redirect, RedirectError, is_loopback};
use courier_exec::oauth::{self, HttpClient, OAuthError};
use courier_exec::token_cache::TokenCache;

use super::super::error::{CliError, CliResult};
use super::{LoadedEnv, cache_error, login_profiles, token_cache};

/// How long the listener waits for the browser: authorization codes live ten minutes.
const WAIT: Duration = Duration::from_mins(10);

/// The scope asked for when the profile names none: Intacct's only way to a refresh token.
const DEFAULT_SCOPE: &str = "offline_access";

const LONG_ABOUT: &str = "\
Log in to an auth profile with the OAuth 2.0 authorization-code flow, and keep the tokens in the \
token cache for later runs.

The profile must have `grant: authorization_code` or `grant: refresh_token`, an `authorize_url` \
and a `redirect_uri`. --profile may be left out when the environment has only one such profile. \
Client-credentials profiles need no login: a run gets their tokens by itself.

Courier prints the authorize URL (with a fresh `state`, the profile's `scope` — by default \
offline_access, the only way to a refresh token — and a PKCE S256 challenge unless `pkce: \
false`) and opens it in the browser. After you log in and accept, the authorization server \
sends the browser to the redirect URI:

  * when `redirect_uri` is https://127.0.0.1:PORT/PATH, Courier itself listens there, over \
HTTPS with a self-signed certificate made for this login (accept the browser's warning once; \
PORT 0 picks a free port, which must then be allowed by the app's registered redirect URIs — \
Intacct matches https://127.0.0.1 on any port);

  * for any other redirect URI, or with --paste, copy the whole address the browser was sent \
to (it starts with the redirect URI and holds `code=` and `state=`) and paste it on standard \
input.

The `state` must match, or the login is refused. The code is then traded for tokens (with the \
PKCE verifier), and the session is stored in the token cache under (environment, profile, \
token URL, client id, username).

With --print-refresh-token the refresh token is printed instead, for a CI secret such as \
INTACCT_PROD_REFRESH_TOKEN, and nothing is stored in the token cache: a local run refreshing \
with the same token would rotate it away from under the CI job. Standard output must be a \
terminal (exit 2 otherwise, before anything is sent), so the token never lands in a file or a \
log by accident: it is the one place Courier shows an issued token.";

const AFTER_LONG_HELP: &str = "\
Examples:
  courier auth login --env production
  courier auth login --env production --no-browser
  courier auth login --env environments/production.yaml --paste
  courier auth login --env production --print-refresh-token

Exit codes:
  0 logged in; 2 invalid input (unknown environment or profile, a client-credentials profile, a \
missing secret, a pasted address that is not the redirect, a `state` that does not match, a \
token cache this courier cannot write, --print-refresh-token with standard output not a \
terminal); 3 no token could be obtained (access denied, the token \
request refused or unreachable, no redirect within 10 minutes).";

/// Log in to an auth profile in a browser and keep its tokens in the token cache.
#[derive(Debug, clap::Args)]
#[command(long_about = LONG_ABOUT, after_long_help = AFTER_LONG_HELP)]
pub(crate) struct LoginArgs {
    /// The environment: a name (`environments/NAME.yaml`) or a path to an environment file.
    #[arg(long, env = "COURIER_ENV", value_name = "NAME")]
    pub(super) env: Option<String>,
    /// The auth profile to log in to (may be left out when the environment has one profile
    /// with `grant: authorization_code` or `refresh_token`).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Print the authorize URL but do not open a browser.
    #[arg(long)]
    no_browser: bool,
    /// Read the redirected URL from standard input instead of listening for it.
    #[arg(long)]
    paste: bool,
    /// Print the refresh token (to store as a CI secret) instead of keeping the session in the
    /// token cache. Standard output must be a terminal.
    #[arg(long)]
    print_refresh_token: bool,
}

/// A login that stopped: a message to print (redacted on the way out) with its exit code,
/// or an error already made.
enum Stop {
    Message(Exit, String),
    Error(CliError),
}

pub(crate) fn run(args: &LoginArgs) -> CliResult {
    let secrets = Secrets::new();
    match login(args, &secrets) {
        Ok(()) => Ok(Exit::Success),
        Err(Stop::Message(exit, message)) => Err(CliError::new(exit, secrets.redact(&message))),
        Err(Stop::Error(e)) => Err(e),
    }
}

fn invalid(message: impl Into<String>) -> Stop {
    Stop::Message(Exit::Invalid, message.into())
}

/// Whether the refresh token may be printed: only to a terminal, where a person reads it, never
/// into a pipe or a file that a CI log or a shell history keeps (docs/cli.md#auth).
fn print_target(print_refresh_token: bool, stdout_is_terminal: bool) -> Result<(), String> {
    if print_refresh_token && !stdout_is_terminal {
        return Err("--print-refresh-token prints the refresh token only to a terminal, and standard output is not one (a pipe or a file would keep the token): run the command in a terminal without redirecting its output".to_owned());
    }
    Ok(())
}

fn login(args: &LoginArgs, secrets: &Arc<Secrets>) -> Result<(), Stop> {
    print_target(args.print_refresh_token, std::io::stdout().is_terminal()).map_err(invalid)?;
    let Some(env_name) = &args.env else {
        return Err(invalid(format!(
            "no environment: give `--env NAME` (or set COURIER_ENV)\n  = help: the environments Courier can see: {}",
            courier_core::load::visible_environments(None).join(", ")
        )));
    };
    let loaded = LoadedEnv::load(env_name).map_err(Stop::Error)?;
    let env = &loaded.env;
    let profile = pick_profile(env, args.profile.as_deref())?;
    if env.emulator.is_some() {
        return Err(invalid(format!(
            "environment `{}` runs an embedded emulator, which lives only as long as a run: its sessions are never cached, so there is nothing to log in to",
            env.identity
        )));
    }
    let name = profile.name.value.clone();
    let settings = loaded.oauth_settings(profile, secrets).map_err(invalid)?;
    let authorize_url = settings.authorize_url.clone().ok_or_else(|| {
        invalid(format!(
            "auth profile `{name}` has no `authorize_url`: add it (Intacct's is `{{{{ base_url }}}}/oauth2/authorize`) to log in"
        ))
    })?;
    let redirect = settings.redirect_uri.clone().ok_or_else(|| {
        invalid(format!(
            "auth profile `{name}` has no `redirect_uri`: add one of the app's registered redirect URIs, such as https://127.0.0.1:8443/callback"
        ))
    })?;
    let redirect_url = url::Url::parse(&redirect)
        .map_err(|e| invalid(format!("`redirect_uri` `{redirect}` is not a URL: {e}")))?;
    let cache = token_cache().map_err(Stop::Error)?;
    // A cache this courier cannot write is refused before the user logs in for nothing.
    if let Err(e) = cache.load() {
        return Err(Stop::Error(cache_error(&e, secrets)));
    }
    let client = loaded.client().map_err(invalid)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Stop::Message(
                Exit::Unchecked,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    runtime.block_on(async {
        let listener = if !args.paste && is_loopback(&redirect_url) {
            Some(
                Listener::bind(&redirect_url)
                    .await
                    .map_err(|e| invalid(e.to_string()))?,
            )
        } else {
            None
        };
        let redirect_uri = listener
            .as_ref()
            .map_or_else(|| redirect.clone(), |l| l.redirect_uri().to_string());
        let scope = settings
            .scope
            .clone()
            .unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
        let request = oauth::authorize(
            &settings,
            &authorize_url,
            &redirect_uri,
            Some(&scope),
            settings.pkce,
        )
        .map_err(|e| invalid(e.to_string()))?;
        if let Some(v) = &request.verifier {
            secrets.add(v);
        }
        eprintln!(
            "Log in to auth profile `{name}` of environment `{}`: open this address in a browser and accept:",
            env.identity
        );
        println!("{}", request.url);
        let _ = std::io::stdout().flush();
        if !args.no_browser
            && let Err(e) = open_browser(request.url.as_str())
        {
            eprintln!("(could not open a browser: {e}; open the address yourself)");
        }
        let code = if let Some(listener) = listener {
            eprintln!(
                "Waiting for the browser on {redirect_uri} (its certificate is self-signed, made for this login: accept the browser's warning once)..."
            );
            listener
                .wait(&request.state, WAIT)
                .await
                .map_err(|e| redirect_stop(&e))?
        } else {
            eprintln!(
                "Then paste here the whole address the browser was sent to (it starts with {redirect_uri}) and press Enter:"
            );
            let line = read_line().await?;
            Redirect::from_pasted(&line)
                .and_then(|r| r.code_for(&request.state))
                .map_err(|e| redirect_stop(&e))?
        };
        secrets.add(&code);
        let http = HttpClient::new(&client, None);
        let set = oauth::exchange_code(
            &http,
            &settings,
            &code,
            &redirect_uri,
            request.verifier.as_deref(),
        )
        .await
        .map_err(|e| exchange_stop(&name, &e))?;
        secrets.add(set.access_token.expose());
        if let Some(r) = &set.refresh_token {
            secrets.add(r.expose());
        }
        if args.print_refresh_token {
            return print_refresh_token(env, &name, &set);
        }
        store(&cache, env.identity.as_str(), &name, &settings, &set, &scope, secrets).await?;
        if set.refresh_token.is_none() {
            eprintln!(
                "warning: the server issued no refresh token (is `offline_access` in the profile's `scope`?): runs can use the access token only until it expires"
            );
        }
        let expires = set.expires_in.map_or_else(String::new, |d| {
            let at = chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
            format!("; the access token expires at {}", at.format("%Y-%m-%dT%H:%M:%SZ"))
        });
        let line = format!(
            "logged in: environment `{}`, profile `{name}`; tokens stored in {}{expires}\n",
            env.identity,
            cache.path().display()
        );
        let _ = std::io::stdout().write_all(secrets.redact(&line).as_bytes());
        Ok(())
    })
}

/// Prints the refresh token on its own line of standard output (a terminal, see
/// [`print_target`]) and says on standard error where it goes.
fn print_refresh_token(
    env: &courier_core::model::Environment,
    profile: &str,
    set: &oauth::TokenSet,
) -> Result<(), Stop> {
    let Some(refresh) = &set.refresh_token else {
        return Err(Stop::Message(
            Exit::Unchecked,
            format!(
                "the server issued no refresh token for auth profile `{profile}` (is `offline_access` in the profile's `scope`?): there is nothing to print"
            ),
        ));
    };
    println!("{}", refresh.expose());
    let _ = std::io::stdout().flush();
    let target = secret_variable(env, profile).map_or_else(
        || "the secret that the profile's `refresh_token` reads".to_owned(),
        |var| format!("the secret {var}"),
    );
    eprintln!(
        "The refresh token of auth profile `{profile}` of environment `{}` is printed above: store it as {target} (docs/ci.md). It is not kept in the token cache, so no run on this machine rotates it away.",
        env.identity
    );
    Ok(())
}

/// The process environment variable that a profile's `refresh_token` reads through
/// `secrets:`, when it reads exactly one.
fn secret_variable(env: &courier_core::model::Environment, profile: &str) -> Option<String> {
    let AuthKind::OAuth2(o) = &env.profile(profile)?.kind else {
        return None;
    };
    courier_exec::context::refresh_token_secret(env, o.refresh_token.as_ref()?).map(|(_, var)| var)
}

/// The profile to log in to: the one named, or the environment's only candidate.
fn pick_profile<'a>(
    env: &'a courier_core::model::Environment,
    wanted: Option<&str>,
) -> Result<&'a AuthProfile, Stop> {
    let candidates = login_profiles(env);
    let names = |ps: &[&AuthProfile]| {
        ps.iter()
            .map(|p| format!("`{}`", p.name.value))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = wanted {
        let Some(p) = env.profile(wanted) else {
            let all: Vec<&AuthProfile> = env.auth.iter().collect();
            return Err(invalid(format!(
                "environment `{}` has no auth profile `{wanted}`{}",
                env.identity,
                if all.is_empty() {
                    String::new()
                } else {
                    format!(" (it has {})", names(&all))
                }
            )));
        };
        return match &p.kind {
            AuthKind::OAuth2(o) if o.grant.value == Grant::ClientCredentials => {
                Err(invalid(format!(
                    "auth profile `{wanted}` uses client credentials: a run gets its token from the client id and secret by itself, so there is nothing to log in to (login is for `grant: authorization_code` and `grant: refresh_token` profiles)"
                )))
            }
            AuthKind::OAuth2(_) => Ok(p),
            _ => Err(invalid(format!(
                "auth profile `{wanted}` is not an OAuth 2.0 profile: there is nothing to log in to"
            ))),
        };
    }
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(invalid(format!(
            "environment `{}` has no auth profile with `grant: authorization_code` or `grant: refresh_token`: nothing to log in to (client-credentials profiles need no login)",
            env.identity
        ))),
        several => Err(invalid(format!(
            "environment `{}` has several profiles to log in to ({}): choose one with --profile",
            env.identity,
            names(several)
        ))),
    }
}

fn redirect_stop(e: &RedirectError) -> Stop {
    match e {
        RedirectError::StateMismatch
        | RedirectError::NotAUrl(_)
        | RedirectError::NoCode
        | RedirectError::Listen { .. }
        | RedirectError::Certificate(_) => invalid(e.to_string()),
        RedirectError::Denied(_) | RedirectError::TimedOut(_) => {
            Stop::Message(Exit::Unchecked, e.to_string())
        }
    }
}

fn exchange_stop(profile: &str, e: &OAuthError) -> Stop {
    Stop::Message(
        Exit::Unchecked,
        format!(
            "trading the authorization code of auth profile `{profile}` for tokens failed: {e}"
        ),
    )
}

/// One line from standard input, read off the runtime's thread.
async fn read_line() -> Result<String, Stop> {
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|n| (n, line))
    })
    .await;
    match read {
        Ok(Ok((0, _))) => Err(invalid(
            "nothing was pasted (standard input ended): paste the redirected address",
        )),
        Ok(Ok((_, line))) => Ok(line),
        Ok(Err(e)) => Err(invalid(format!("cannot read standard input: {e}"))),
        Err(e) => Err(invalid(format!("cannot read standard input: {e}"))),
    }
}

/// Stores the new session under the cache's lock (lock, re-read, upsert, rename).
async fn store(
    cache: &TokenCache,
    environment: &str,
    profile: &str,
    settings: &OAuth2Settings,
    set: &oauth::TokenSet,
    scope: &str,
    secrets: &Secrets,
) -> Result<(), Stop> {
    let key = settings.cache_key(environment, profile);
    let lock = cache
        .lock()
        .await
        .map_err(|e| Stop::Error(cache_error(&e, secrets)))?;
    let mut file = lock
        .read()
        .map_err(|e| Stop::Error(cache_error(&e, secrets)))?;
    file.upsert(cached_session(
        &key,
        settings,
        set,
        None,
        Some(scope),
        chrono::Utc::now(),
    ));
    lock.write(&file)
        .map_err(|e| Stop::Error(cache_error(&e, secrets)))
}

/// Opens the URL in the desktop's browser.
fn open_browser(url: &str) -> Result<(), String> {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        // `start` goes through cmd, which would split the URL at its `&`s.
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::{print_target, secret_variable};

    #[test]
    fn the_secret_to_update_is_the_one_the_profiles_refresh_token_reads() {
        let file = courier_core::diag::SourceFile::new(
            "environments/production.yaml",
            include_str!("../../../../environments/production.yaml"),
        );
        let Ok(env) = courier_core::load::parse_environment(&file, "production") else {
            panic!("environments/production.yaml loads");
        };
        assert_eq!(
            secret_variable(&env, "intacct").as_deref(),
            Some("INTACCT_PROD_REFRESH_TOKEN")
        );
        assert_eq!(secret_variable(&env, "nosuch"), None);
    }

    #[test]
    fn the_refresh_token_is_printed_to_a_terminal_only() {
        assert!(print_target(true, true).is_ok());
        let Err(refused) = print_target(true, false) else {
            panic!("a refresh token printed into a pipe");
        };
        assert!(refused.contains("only to a terminal"), "{refused}");
        // Without the flag, where standard output goes does not matter.
        assert!(print_target(false, false).is_ok());
        assert!(print_target(false, true).is_ok());
    }
}
