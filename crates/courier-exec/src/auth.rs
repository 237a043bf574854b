//! Authentication: the source of every request's `Authorization` header, and the OAuth 2.0
//! session manager of docs/environments.md#oauth-sessions.
//!
//! One session per auth profile per run: every request of every collection using the profile
//! shares its token, also under `--parallel`. At most one token request per profile is in
//! flight — the profile's lock is held while asking, and the others wait for the answer. A
//! token is renewed ahead of expiry (when less than 30 s or a tenth of its lifetime remains,
//! whichever is less); a `client_credentials` profile renews with a new client-credentials
//! grant, the others with the refresh grant. A 401 renews once ([`Sessions::renew_after_401`];
//! the runner retries once). A refused refresh (`invalid_grant`) fails every later request of
//! the profile at once, with a message that says to run `courier auth login`.
//!
//! Profiles with `grant: refresh_token` or `authorization_code` of a real (non-emulator)
//! environment keep their session in the [token cache](crate::token_cache): a cached refresh
//! token wins over the configured one, and every renewal follows the cache's lock, re-read,
//! refresh, write, rename protocol, so concurrent runs share rotated refresh tokens.
//!
//! Token requests go through [`crate::oauth`] with the run's own client. Every token issued or
//! read from the cache joins the run's secrets before anything can print it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderValue;
use tokio::sync::Mutex;

use courier_core::model::{ClientAuth, Grant};
use courier_core::secret::{COMPONENT, Secret, Secrets};

use crate::limits::Limiter;
use crate::oauth::{self, HttpClient, OAuthError, TokenSet};
use crate::token_cache::{CacheError, CacheKey, CachedSession, TokenCache};

/// A token is renewed when less than this, or a tenth of its lifetime, remains.
const RENEW_MARGIN: Duration = Duration::from_secs(30);

/// An auth profile with every template rendered. `Debug` hides the credentials.
#[derive(Clone)]
pub enum ResolvedAuth {
    None,
    Bearer(String),
    Basic { username: String, password: String },
    OAuth2(OAuth2Settings),
}

/// A rendered `type: oauth2` profile. `Debug` hides the client secret and refresh token.
#[derive(Clone)]
pub struct OAuth2Settings {
    pub grant: Grant,
    pub token_url: String,
    pub authorize_url: Option<String>,
    pub revoke_url: Option<String>,
    pub redirect_uri: Option<String>,
    pub pkce: bool,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub token_params: Vec<(String, String)>,
    pub client_auth: ClientAuth,
}

// The credentials are plain strings because they are sent and cached as such; their `Debug`
// shows `[REDACTED]` (secret.rs's rule for `Secret`) so a stray `{:?}` cannot leak them.
fn hidden(value: Option<&String>) -> Option<Secret> {
    value.map(|_| Secret::default())
}

impl std::fmt::Debug for ResolvedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&Secret::default()).finish(),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &Secret::default())
                .finish(),
            Self::OAuth2(s) => f.debug_tuple("OAuth2").field(s).finish(),
        }
    }
}

impl std::fmt::Debug for OAuth2Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Settings")
            .field("grant", &self.grant)
            .field("token_url", &self.token_url)
            .field("authorize_url", &self.authorize_url)
            .field("revoke_url", &self.revoke_url)
            .field("redirect_uri", &self.redirect_uri)
            .field("pkce", &self.pkce)
            .field("client_id", &self.client_id)
            .field("client_secret", &hidden(self.client_secret.as_ref()))
            .field("refresh_token", &hidden(self.refresh_token.as_ref()))
            .field("scope", &self.scope)
            .field("token_params", &self.token_params)
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access", &Secret::default())
            .field("refresh", &hidden(self.refresh.as_ref()))
            .field("scope", &self.scope)
            .field("renew_at", &self.renew_at)
            .field("obtained_at", &self.obtained_at)
            .finish()
    }
}

impl OAuth2Settings {
    /// Intacct's `username` token parameter, part of the cache key.
    pub fn username(&self) -> Option<&str> {
        self.token_params
            .iter()
            .find(|(k, _)| k == "username")
            .map(|(_, v)| v.as_str())
    }

    /// Whether sessions of this profile belong in the token cache (docs/environments.md#oauth-sessions): those that a
    /// login or a refresh token started, never client credentials.
    pub fn is_cacheable(&self) -> bool {
        matches!(self.grant, Grant::RefreshToken | Grant::AuthorizationCode)
    }

    pub fn cache_key(&self, environment: &str, profile: &str) -> CacheKey {
        CacheKey {
            environment: environment.to_owned(),
            profile: profile.to_owned(),
            token_url: self.token_url.clone(),
            client_id: self.client_id.clone(),
            username: self.username().map(str::to_owned),
        }
    }
}

/// The cache entry for freshly issued tokens. A server that does not rotate the refresh
/// token (or sends no scope) leaves the previous one in place.
pub fn cached_session(
    key: &CacheKey,
    set: &TokenSet,
    previous_refresh: Option<&str>,
    previous_scope: Option<&str>,
    obtained_at: DateTime<Utc>,
) -> CachedSession {
    CachedSession {
        environment: key.environment.clone(),
        profile: key.profile.clone(),
        token_url: key.token_url.clone(),
        client_id: key.client_id.clone(),
        username: key.username.clone(),
        access_token: Some(set.access_token.clone()),
        refresh_token: set
            .refresh_token
            .clone()
            .or_else(|| previous_refresh.map(str::to_owned)),
        token_type: Some(set.token_type.clone()),
        scope: set
            .scope
            .clone()
            .or_else(|| previous_scope.map(str::to_owned)),
        expires_at: set
            .expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| obtained_at + d),
        obtained_at,
    }
}

/// Why no token could be obtained (exit 3). The message is already redacted.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    pub message: String,
}

/// `Debug` hides the tokens.
#[derive(Clone)]
struct Token {
    access: String,
    refresh: Option<String>,
    scope: Option<String>,
    /// When to renew; `None` when the server gave no lifetime (a 401 renews then).
    renew_at: Option<Instant>,
    obtained_at: DateTime<Utc>,
}

impl Token {
    fn due(&self) -> bool {
        self.renew_at.is_some_and(|at| Instant::now() >= at)
    }

    fn header(&self) -> Result<HeaderValue, AuthError> {
        header(&format!("Bearer {}", self.access))
    }
}

/// How long before expiry a token of this lifetime is renewed.
fn margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(RENEW_MARGIN)
}

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
        }
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
            ResolvedAuth::Bearer(token) => header(&format!("Bearer {token}")).map(Some),
            ResolvedAuth::Basic { username, password } => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
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
        let http = HttpClient::new(&self.client, Some(&self.limiter));
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
                    return Err(self.fail(state, &self.no_refresh_message(profile), true));
                };
                self.count();
                (oauth::refresh(&http, s, &refresh).await, Some(refresh))
            }
        };
        match result {
            Ok(set) => {
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
            return Err(self.fail(state, &self.no_refresh_message(profile), true));
        };
        self.count();
        let http = HttpClient::new(&self.client, Some(&self.limiter));
        match oauth::refresh(&http, s, &refresh).await {
            Ok(set) => {
                let now = Utc::now();
                let token = self.token(&set, s, Some(refresh.clone()), scope.clone(), now);
                file.upsert(cached_session(
                    &key,
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
                        .is_some_and(|st| st.refresh_token.as_deref() == Some(refresh.as_str()))
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

    fn count(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A token from a grant's answer; its tokens join the secrets.
    fn token(
        &self,
        set: &TokenSet,
        s: &OAuth2Settings,
        used_refresh: Option<String>,
        scope: Option<String>,
        obtained_at: DateTime<Utc>,
    ) -> Token {
        self.secrets.add(&set.access_token);
        if let Some(r) = &set.refresh_token {
            self.secrets.add(r);
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

    fn no_refresh_message(&self, profile: &str) -> String {
        format!(
            "auth profile `{profile}` has no refresh token: run `courier auth login --env {} --profile {profile}`",
            self.login_env
        )
    }

    fn fail(&self, state: &mut State, message: &str, permanent: bool) -> AuthError {
        let message = self.secrets.redact(message).into_owned();
        if permanent {
            *state = State::Failed(message.clone());
        }
        AuthError { message }
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
                    "the refresh token of auth profile `{profile}` was refused ({e}): run `courier auth login --env {} --profile {profile}`",
                    self.login_env
                );
                self.fail(state, &message, true)
            }
            OAuthError::Refused { .. } => self.fail(
                state,
                &format!("the token request of auth profile `{profile}` was refused ({e})"),
                true,
            ),
            OAuthError::Transport { .. } => self.fail(
                state,
                &format!("the token request of auth profile `{profile}` failed: {e}"),
                false,
            ),
            OAuthError::Invalid(_) => self.fail(
                state,
                &format!("the token request of auth profile `{profile}` failed: {e}"),
                true,
            ),
        }
    }
}

/// A stored session's access token, when it is still good to use: not the one just
/// rejected, and not due for renewal.
fn adopt(stored: &CachedSession, rejected: Option<&str>) -> Option<Token> {
    let access = stored.access_token.clone()?;
    if rejected == Some(access.as_str()) {
        return None;
    }
    let renew_at = match stored.expires_at {
        None => None,
        Some(expires_at) => {
            let lifetime = (expires_at - stored.obtained_at).to_std().ok()?;
            let remaining = (expires_at - Utc::now()).to_std().ok()?;
            let margin = margin(lifetime);
            if remaining <= margin {
                return None;
            }
            Some(Instant::now() + remaining.saturating_sub(margin))
        }
    };
    Some(Token {
        access,
        refresh: stored.refresh_token.clone(),
        scope: stored.scope.clone(),
        renew_at,
        obtained_at: stored.obtained_at,
    })
}

fn header(value: &str) -> Result<HeaderValue, AuthError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| AuthError {
        message: "the credentials hold characters an HTTP header cannot carry".to_owned(),
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// `application/x-www-form-urlencoded`: RFC 3986 unreserved kept, space as `+`.
pub fn form_encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT)
        .to_string()
        .replace("%20", "+")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_30s_or_a_tenth_whichever_is_less() {
        assert_eq!(margin(Duration::from_hours(12)), Duration::from_secs(30));
        assert_eq!(margin(Duration::from_secs(100)), Duration::from_secs(10));
        assert_eq!(margin(Duration::from_secs(2)), Duration::from_millis(200));
    }

    fn stored(obtained_ago: i64, lifetime: i64) -> CachedSession {
        let obtained_at = Utc::now() - chrono::Duration::seconds(obtained_ago);
        CachedSession {
            environment: "e".into(),
            profile: "p".into(),
            token_url: "https://x/token".into(),
            client_id: "c".into(),
            username: None,
            access_token: Some("acc".into()),
            refresh_token: Some("ref".into()),
            token_type: Some("bearer".into()),
            scope: None,
            expires_at: Some(obtained_at + chrono::Duration::seconds(lifetime)),
            obtained_at,
        }
    }

    #[test]
    fn a_stored_token_is_adopted_only_while_fresh_and_not_rejected() {
        assert!(adopt(&stored(10, 3600), None).is_some());
        // 3600 s lifetime: renewed when less than 30 s remain.
        assert!(adopt(&stored(3575, 3600), None).is_none());
        assert!(adopt(&stored(4000, 3600), None).is_none());
        assert!(adopt(&stored(10, 3600), Some("acc")).is_none());
        let mut no_expiry = stored(10, 3600);
        no_expiry.expires_at = None;
        assert!(adopt(&no_expiry, None).is_some_and(|t| t.renew_at.is_none()));
    }

    #[test]
    fn the_cache_key_takes_intacct_username_from_token_params() {
        let s = OAuth2Settings {
            grant: Grant::RefreshToken,
            token_url: "https://x/token".into(),
            authorize_url: None,
            revoke_url: None,
            redirect_uri: None,
            pkce: true,
            client_id: "cid".into(),
            client_secret: None,
            refresh_token: None,
            scope: None,
            token_params: vec![("username".into(), "ci@CO".into())],
            client_auth: ClientAuth::Body,
        };
        let key = s.cache_key("sandbox", "intacct");
        assert_eq!(key.username.as_deref(), Some("ci@CO"));
        assert!(s.is_cacheable());
        let cc = OAuth2Settings {
            grant: Grant::ClientCredentials,
            ..s
        };
        assert!(!cc.is_cacheable());
    }

    /// A stray `{:?}` of a profile or a token shows no credential.
    #[test]
    fn debug_hides_the_credentials() {
        let s = OAuth2Settings {
            grant: Grant::RefreshToken,
            token_url: "https://x/token".into(),
            authorize_url: None,
            revoke_url: None,
            redirect_uri: None,
            pkce: true,
            client_id: "cid".into(),
            client_secret: Some("client-secret-value".into()),
            refresh_token: Some("refresh-token-value".into()),
            scope: None,
            token_params: Vec::new(),
            client_auth: ClientAuth::Body,
        };
        let token = Token {
            access: "access-token-value".into(),
            refresh: Some("refresh-token-value".into()),
            scope: None,
            renew_at: None,
            obtained_at: Utc::now(),
        };
        let shown = format!(
            "{:?} {:?} {:?} {token:?}",
            ResolvedAuth::OAuth2(s),
            ResolvedAuth::Bearer("bearer-token-value".into()),
            ResolvedAuth::Basic {
                username: "me".into(),
                password: "basic-password-value".into()
            },
        );
        assert!(!shown.contains("-value"), "{shown}");
        assert!(
            shown.contains("cid") && shown.contains("[REDACTED]"),
            "{shown}"
        );
    }

    /// Sessions against an in-process emulator, with one OAuth profile `p`.
    fn against(
        emulator: &courier_emulator::Emulator,
        grant: Grant,
        refresh_token: Option<String>,
        cache: Option<TokenCache>,
    ) -> (Sessions, Arc<Secrets>) {
        let creds = emulator.credentials();
        let settings = OAuth2Settings {
            grant,
            token_url: format!("{}/oauth2/token", emulator.base_url()),
            authorize_url: None,
            revoke_url: None,
            redirect_uri: None,
            pkce: true,
            client_id: creds.client_id.clone(),
            client_secret: Some(creds.client_secret.clone()),
            refresh_token,
            scope: None,
            token_params: vec![("username".into(), creds.username.clone())],
            client_auth: ClientAuth::Body,
        };
        let secrets = Secrets::new();
        let profiles = HashMap::from([("p".to_owned(), ResolvedAuth::OAuth2(settings))]);
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let sessions = Sessions::new(
            "env",
            profiles,
            client,
            Arc::new(Limiter::unlimited()),
            Arc::clone(&secrets),
        )
        .with_cache(cache);
        (sessions, secrets)
    }

    fn grants(emulator: &courier_emulator::Emulator, grant: &str) -> u64 {
        emulator.stats()["token_requests"][grant].as_u64().unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_one_token_request() {
        crate::client::install_crypto_provider();
        let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default())
            .await
            .unwrap();
        let (sessions, secrets) = against(&emulator, Grant::ClientCredentials, None, None);
        let sessions = Arc::new(sessions);
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let s = Arc::clone(&sessions);
            tasks.push(tokio::spawn(async move { s.authorization("p").await }));
        }
        let mut headers = Vec::new();
        for t in tasks {
            headers.push(t.await.unwrap().unwrap().unwrap());
        }
        assert!(headers.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(grants(&emulator, "client_credentials"), 1);
        assert_eq!(sessions.token_requests(), 1);
        // The issued token joined the secrets before anyone could print it.
        let token = headers[0].to_str().unwrap().trim_start_matches("Bearer ");
        assert_eq!(secrets.redact(token), "[REDACTED]");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_401_renews_once_for_every_request_that_used_the_old_token() {
        crate::client::install_crypto_provider();
        let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default())
            .await
            .unwrap();
        let (sessions, _) = against(&emulator, Grant::ClientCredentials, None, None);
        let old = sessions.authorization("p").await.unwrap().unwrap();
        let first = sessions.renew_after_401("p", &old).await.unwrap().unwrap();
        let second = sessions.renew_after_401("p", &old).await.unwrap().unwrap();
        assert_ne!(first, old);
        assert_eq!(first, second, "the second 401 reuses the first renewal");
        assert_eq!(grants(&emulator, "client_credentials"), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_refresh_is_asked_once_and_says_to_log_in() {
        crate::client::install_crypto_provider();
        let emulator = courier_emulator::start(courier_emulator::EmulatorOptions::default())
            .await
            .unwrap();
        let (sessions, _) = against(
            &emulator,
            Grant::RefreshToken,
            Some("not-a-live-refresh-token".into()),
            None,
        );
        for _ in 0..3 {
            let e = sessions.authorization("p").await.unwrap_err();
            assert!(
                e.message
                    .contains("run `courier auth login --env env --profile p`"),
                "{}",
                e.message
            );
            assert!(
                !e.message.contains("not-a-live-refresh-token"),
                "{}",
                e.message
            );
        }
        assert_eq!(grants(&emulator, "refresh_token"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_run_adopts_the_session_a_first_run_stored() {
        crate::client::install_crypto_provider();
        let emulator = courier_emulator::start(courier_emulator::EmulatorOptions {
            rotate_refresh_tokens: true,
            ..courier_emulator::EmulatorOptions::default()
        })
        .await
        .unwrap();
        let creds = emulator.credentials().clone();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let issued: serde_json::Value = serde_json::from_slice(
            &http
                .post(format!("{}/oauth2/token", emulator.base_url()))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", creds.client_id.as_str()),
                    ("client_secret", creds.client_secret.as_str()),
                    ("username", creds.username.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        )
        .unwrap();
        let configured = issued["refresh_token"].as_str().unwrap().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::at(dir.path().join("tokens.json"));
        let (first, _) = against(
            &emulator,
            Grant::RefreshToken,
            Some(configured.clone()),
            Some(cache.clone()),
        );
        let (second, _) = against(
            &emulator,
            Grant::RefreshToken,
            Some(configured),
            Some(cache.clone()),
        );
        let a = first.authorization("p").await.unwrap().unwrap();
        // The configured refresh token was rotated away by the first run; the second must
        // take the stored session instead of sending it.
        let b = second.authorization("p").await.unwrap().unwrap();
        assert_eq!(a, b);
        assert_eq!(grants(&emulator, "refresh_token"), 1);
        // Both were refused: each renews once, the second through the first's new session.
        let a2 = first.renew_after_401("p", &a).await.unwrap().unwrap();
        let b2 = second.renew_after_401("p", &b).await.unwrap().unwrap();
        assert_eq!(a2, b2);
        assert_eq!(grants(&emulator, "refresh_token"), 2);
        assert_eq!(emulator.stats()["token_errors"], 0);
        let stored = cache.load().unwrap();
        assert_eq!(stored.sessions.len(), 1);
    }
}
