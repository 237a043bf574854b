//! The sessions of one environment's auth profiles for a run: single-flight token requests,
//! renewal, the 401 retry and the token-cache protocol (docs/environments.md#oauth-sessions).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderValue;
use tokio::sync::Mutex;

use courier_core::model::Grant;
use courier_core::secret::{Secret, Secrets};

use super::token::{Token, adopt, cached_session, margin};
use super::{AuthError, OAuth2Settings, ResolvedAuth, header};
use crate::limits::Limiter;
use crate::oauth::{self, HttpClient, OAuthError, TokenSet};
use crate::token_cache::{CacheError, TokenCache};

#[derive(Debug, Default)]
enum State {
    #[default]
    Empty,
    Ready(Token),
    /// A refused token request: later requests fail at once without asking again.
    Failed(String),
}

#[derive(Debug)]
struct Session {
    auth: ResolvedAuth,
    state: Mutex<State>,
}

/// The sessions of one environment's profiles for a run.
#[derive(Debug)]
pub struct Sessions {
    environment: String,
    /// How `courier auth login --env` names the environment in messages.
    login_env: String,
    profiles: HashMap<String, Arc<Session>>,
    client: reqwest::Client,
    limiter: Arc<Limiter>,
    secrets: Arc<Secrets>,
    cache: Option<TokenCache>,
    token_requests: AtomicUsize,
    /// The profiles whose configured refresh token was rotated away and said so: the warning
    /// comes once per profile and run.
    stale_warned: std::sync::Mutex<HashSet<String>>,
    /// Under `-v`, the token exchanges not yet shown (docs/cli.md#verbose-output).
    transcript: Option<std::sync::Mutex<Vec<String>>>,
}

impl Sessions {
    pub fn new(
        environment: &str,
        profiles: HashMap<String, ResolvedAuth>,
        client: reqwest::Client,
        limiter: Arc<Limiter>,
        secrets: Arc<Secrets>,
    ) -> Self {
        Self {
            environment: environment.to_owned(),
            login_env: environment.to_owned(),
            profiles: profiles
                .into_iter()
                .map(|(k, auth)| {
                    (
                        k,
                        Arc::new(Session {
                            auth,
                            state: Mutex::new(State::Empty),
                        }),
                    )
                })
                .collect(),
            client,
            limiter,
            secrets,
            cache: None,
            token_requests: AtomicUsize::new(0),
            stale_warned: std::sync::Mutex::default(),
            transcript: None,
        }
    }

    /// Under `-v`: keeps each token exchange for the request that waited for it to show.
    #[must_use]
    pub fn with_transcript(mut self, verbose: bool) -> Self {
        self.transcript = verbose.then(std::sync::Mutex::default);
        self
    }

    /// The token exchanges made since the last call, oldest first, as `-v` shows them.
    pub fn take_transcript(&self) -> Vec<String> {
        self.transcript
            .as_ref()
            .and_then(|t| t.lock().ok().map(|mut lines| std::mem::take(&mut *lines)))
            .unwrap_or_default()
    }

    /// Keeps the sessions of refresh-token and authorization-code profiles in this cache.
    /// Not for `emulator:` environments: their tokens die with the run.
    #[must_use]
    pub fn with_cache(mut self, cache: Option<TokenCache>) -> Self {
        self.cache = cache;
        self
    }

    /// The `--env` argument that `courier auth login` needs for this environment (its name,
    /// or its file path when it is not found by name).
    #[must_use]
    pub fn with_login_env(mut self, env: impl Into<String>) -> Self {
        self.login_env = env.into();
        self
    }

    /// How many token requests this run made.
    pub fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::Relaxed)
    }

    /// The `Authorization` header for a profile (`None` for `none`).
    pub async fn authorization(&self, profile: &str) -> Result<Option<HeaderValue>, AuthError> {
        let Some(session) = self.profiles.get(profile) else {
            return Ok(None);
        };
        match &session.auth {
            ResolvedAuth::None => Ok(None),
            ResolvedAuth::Bearer(token) => header(&format!("Bearer {}", token.expose())).map(Some),
            ResolvedAuth::Basic { username, password } => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{}", password.expose()));
                header(&format!("Basic {encoded}")).map(Some)
            }
            ResolvedAuth::OAuth2(settings) => {
                let mut state = session.state.lock().await;
                if let State::Ready(token) = &*state
                    && !token.due()
                {
                    return token.header().map(Some);
                }
                let token = self.obtain(profile, settings, &mut state, None).await?;
                token.header().map(Some)
            }
        }
    }

    /// After a 401 with the header `used`: renews once (unless another request already did)
    /// and returns the header to retry with. `None` when the profile has no token to renew.
    pub async fn renew_after_401(
        &self,
        profile: &str,
        used: &HeaderValue,
    ) -> Result<Option<HeaderValue>, AuthError> {
        let Some(session) = self.profiles.get(profile) else {
            return Ok(None);
        };
        let ResolvedAuth::OAuth2(settings) = &session.auth else {
            return Ok(None);
        };
        let mut state = session.state.lock().await;
        if let State::Ready(token) = &*state {
            let current = token.header()?;
            if used.as_bytes() != current.as_bytes() {
                // Another request renewed while this one was out: use its token.
                return Ok(Some(current));
            }
        }
        let rejected = used
            .to_str()
            .ok()
            .and_then(|u| u.strip_prefix("Bearer "))
            .map(str::to_owned);
        let token = self
            .obtain(profile, settings, &mut state, rejected.as_deref())
            .await?;
        token.header().map(Some)
    }

    /// Gets a token, with the profile's lock held (single flight). `rejected` is an access
    /// token the API just refused, which must not be adopted from the cache again.
    async fn obtain(
        &self,
        profile: &str,
        s: &OAuth2Settings,
        state: &mut State,
        rejected: Option<&str>,
    ) -> Result<Token, AuthError> {
        if let State::Failed(message) = &*state {
            return Err(AuthError {
                message: message.clone(),
                kind: courier_events::ErrorKind::Auth,
            });
        }
        if s.is_cacheable()
            && let Some(cache) = &self.cache
        {
            return self.obtain_cached(profile, s, cache, state, rejected).await;
        }
        let own = match &*state {
            State::Ready(t) => Some(t.clone()),
            _ => None,
        };
        let http = HttpClient::new(&self.client, Some(&self.limiter))
            .with_transcript(self.transcript.as_ref());
        let (result, used_refresh) = match s.grant {
            // A client-credentials profile renews with a new client-credentials grant,
            // ignoring any refresh token it was given (docs/environments.md#oauth-sessions).
            Grant::ClientCredentials => {
                self.count();
                (oauth::client_credentials(&http, s).await, None)
            }
            Grant::RefreshToken | Grant::AuthorizationCode => {
                let Some(refresh) = own
                    .as_ref()
                    .and_then(|t| t.refresh.clone())
                    .or_else(|| s.refresh_token.clone())
                else {
                    return Err(self.fail(state, &self.no_refresh_message(profile, s), true));
                };
                self.count();
                (
                    oauth::refresh(&http, s, refresh.expose()).await,
                    Some(refresh),
                )
            }
        };
        match result {
            Ok(set) => {
                self.warn_if_stale(profile, s, used_refresh.as_ref(), &set);
                let token =
                    self.token(&set, s, used_refresh, own.and_then(|t| t.scope), Utc::now());
                *state = State::Ready(token.clone());
                Ok(token)
            }
            Err(e) => Err(self.token_failure(profile, s, state, &e)),
        }
    }

    /// The cache protocol of docs/environments.md#oauth-sessions: lock, re-read, adopt a newer stored session or refresh
    /// (with the newest refresh token known), write, rename, unlock.
    async fn obtain_cached(
        &self,
        profile: &str,
        s: &OAuth2Settings,
        cache: &TokenCache,
        state: &mut State,
        rejected: Option<&str>,
    ) -> Result<Token, AuthError> {
        let key = s.cache_key(&self.environment, profile);
        let lock = cache
            .lock()
            .await
            .map_err(|e| self.cache_failure(state, &e))?;
        let mut file = lock.read().map_err(|e| self.cache_failure(state, &e))?;
        let own = match &*state {
            State::Ready(t) => Some(t.clone()),
            _ => None,
        };
        let stored = file.find(&key).cloned();
        let mut refresh = own.as_ref().and_then(|t| t.refresh.clone());
        let mut scope = own.as_ref().and_then(|t| t.scope.clone());
        if let Some(stored) = &stored {
            for t in stored.tokens() {
                self.secrets.add(t);
            }
            // At start (no own session) a stored one always wins over the configuration.
            let newer = own
                .as_ref()
                .is_none_or(|o| stored.obtained_at > o.obtained_at);
            if newer {
                if let Some(token) = adopt(stored, rejected) {
                    *state = State::Ready(token.clone());
                    return Ok(token);
                }
                if stored.refresh_token.is_some() {
                    refresh.clone_from(&stored.refresh_token);
                }
                if stored.scope.is_some() {
                    scope.clone_from(&stored.scope);
                }
            }
        }
        let Some(refresh) = refresh.or_else(|| s.refresh_token.clone()) else {
            return Err(self.fail(state, &self.no_refresh_message(profile, s), true));
        };
        self.count();
        let http = HttpClient::new(&self.client, Some(&self.limiter))
            .with_transcript(self.transcript.as_ref());
        match oauth::refresh(&http, s, refresh.expose()).await {
            Ok(set) => {
                self.warn_if_stale(profile, s, Some(&refresh), &set);
                let now = Utc::now();
                let token = self.token(&set, s, Some(refresh.clone()), scope.clone(), now);
                file.upsert(cached_session(
                    &key,
                    s,
                    &set,
                    Some(&refresh),
                    scope.as_deref(),
                    now,
                ));
                if let Err(e) = lock.write(&file) {
                    // The run goes on with its fresh token; only later runs lose it.
                    eprintln!(
                        "warning: {}",
                        self.secrets.redact(&format!(
                            "the new tokens of auth profile `{profile}` were not saved: {e}"
                        ))
                    );
                }
                *state = State::Ready(token.clone());
                Ok(token)
            }
            Err(e) => {
                if e.is_invalid_grant()
                    && stored
                        .as_ref()
                        .is_some_and(|st| st.refresh_token.as_ref() == Some(&refresh))
                {
                    // A dead cached session would otherwise win over a configured refresh
                    // token that a user has since replaced.
                    file.sessions.retain(|x| !x.matches(&key));
                    let _ = lock.write(&file);
                }
                Err(self.token_failure(profile, s, state, &e))
            }
        }
    }

    /// After a refresh grant that sent the configured refresh token and got another one back:
    /// the configured value (a CI secret, typically) no longer works, and a later run without
    /// this run's token cache would fail with it. Says so once, naming the variable but never
    /// a token (docs/environments.md#refresh-tokens-from-secrets).
    fn warn_if_stale(
        &self,
        profile: &str,
        s: &OAuth2Settings,
        sent: Option<&Secret>,
        set: &TokenSet,
    ) {
        let (Some(sent), Some(configured), Some(issued)) =
            (sent, s.refresh_token.as_ref(), set.refresh_token.as_ref())
        else {
            return;
        };
        if sent != configured || issued == configured {
            return;
        }
        let first = self
            .stale_warned
            .lock()
            .is_ok_and(|mut warned| warned.insert(profile.to_owned()));
        if !first {
            return;
        }
        eprintln!(
            "warning: {}",
            self.secrets.redact(&stale_message(
                profile,
                &self.login_env,
                s,
                self.cache.as_ref()
            ))
        );
    }

    fn count(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A token from a grant's answer; its tokens join the secrets.
    fn token(
        &self,
        set: &TokenSet,
        s: &OAuth2Settings,
        used_refresh: Option<Secret>,
        scope: Option<String>,
        obtained_at: DateTime<Utc>,
    ) -> Token {
        self.secrets.add(set.access_token.expose());
        if let Some(r) = &set.refresh_token {
            self.secrets.add(r.expose());
        }
        let refresh = match s.grant {
            Grant::ClientCredentials => None,
            _ => set.refresh_token.clone().or(used_refresh),
        };
        let now = Instant::now();
        Token {
            access: set.access_token.clone(),
            refresh,
            scope: set.scope.clone().or(scope),
            renew_at: set
                .expires_in
                .map(|lifetime| now + lifetime.saturating_sub(margin(lifetime))),
            obtained_at,
        }
    }

    fn no_refresh_message(&self, profile: &str, s: &OAuth2Settings) -> String {
        format!(
            "auth profile `{profile}` has no refresh token: {}",
            self.login_hint(profile, s)
        )
    }

    /// How to get a working refresh token again: log in, or store one in the secret the
    /// profile reads (docs/environments.md#refresh-tokens-from-secrets).
    fn login_hint(&self, profile: &str, s: &OAuth2Settings) -> String {
        let env = &self.login_env;
        match &s.refresh_token_from {
            Some(var) => format!(
                "run `courier auth login --env {env} --profile {profile}`, or set {var} to a refresh token from `courier auth login --env {env} --profile {profile} --print-refresh-token`"
            ),
            None => format!("run `courier auth login --env {env} --profile {profile}`"),
        }
    }

    fn fail(&self, state: &mut State, message: &str, permanent: bool) -> AuthError {
        let message = self.secrets.redact(message).into_owned();
        if permanent {
            *state = State::Failed(message.clone());
        }
        AuthError {
            message,
            kind: courier_events::ErrorKind::Auth,
        }
    }

    fn cache_failure(&self, state: &mut State, e: &CacheError) -> AuthError {
        // A lock held too long or an I/O hiccup may pass; a file from the future will not.
        let permanent = matches!(
            e,
            CacheError::FutureVersion { .. } | CacheError::Corrupt { .. }
        );
        self.fail(state, &e.to_string(), permanent)
    }

    fn token_failure(
        &self,
        profile: &str,
        s: &OAuth2Settings,
        state: &mut State,
        e: &OAuthError,
    ) -> AuthError {
        match e {
            OAuthError::Refused { .. }
                if e.is_invalid_grant() && s.grant != Grant::ClientCredentials =>
            {
                let message = format!(
                    "the refresh token of auth profile `{profile}` was refused ({e}): {}",
                    self.login_hint(profile, s)
                );
                self.fail(state, &message, true)
            }
            OAuthError::Refused { .. } => self.fail(
                state,
                &format!("the token request of auth profile `{profile}` was refused ({e})"),
                true,
            ),
            OAuthError::Transport { kind, .. } => AuthError {
                kind: *kind,
                ..self.fail(
                    state,
                    &format!("the token request of auth profile `{profile}` failed: {e}"),
                    false,
                )
            },
            OAuthError::Invalid(_) => self.fail(
                state,
                &format!("the token request of auth profile `{profile}` failed: {e}"),
                true,
            ),
        }
    }
}

/// The stale-secret warning: what went stale, who still has the new token, how to store a
/// new one (docs/environments.md#refresh-tokens-from-secrets).
fn stale_message(
    profile: &str,
    login_env: &str,
    s: &OAuth2Settings,
    cache: Option<&TokenCache>,
) -> String {
    let (what, update) = match &s.refresh_token_from {
        Some(var) => (
            format!("the refresh token in {var}"),
            format!("update the secret {var} with the value it prints"),
        ),
        None => (
            "the configured refresh token".to_owned(),
            "store the value it prints where the configured one came from".to_owned(),
        ),
    };
    let kept = cache.map_or_else(
        || "This run goes on with the new one".to_owned(),
        |c| {
            format!(
                "This run, and later runs that share the token cache {}, go on with the new one",
                c.path().display()
            )
        },
    );
    format!(
        "the server rotated the refresh token of auth profile `{profile}`: {what} no longer works. {kept}, but a run without that cache (a CI job) would be refused: run `courier auth login --env {login_env} --profile {profile} --print-refresh-token` and {update}"
    )
}
