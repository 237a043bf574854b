//! Authentication: the source of every request's `Authorization` header. One session per auth
//! profile per run (SPEC §4): every request of every collection using the profile shares its
//! token, at most one token request per profile is in flight (the others wait on the
//! profile's lock), tokens are renewed ahead of expiry, and a 401 renews once.
//!
//! Token requests are plain RFC 6749 form posts sent with the run's own client, so proxy and
//! CA settings apply to them as to every other request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderValue;
use tokio::sync::Mutex;

use courier_core::model::{ClientAuth, Grant};
use courier_core::secret::{COMPONENT, Secrets};

use crate::limits::Limiter;

/// An auth profile with every template rendered.
#[derive(Debug, Clone)]
pub enum ResolvedAuth {
    None,
    Bearer(String),
    Basic { username: String, password: String },
    OAuth2(OAuth2Settings),
}

#[derive(Debug, Clone)]
pub struct OAuth2Settings {
    pub grant: Grant,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub token_params: Vec<(String, String)>,
    pub client_auth: ClientAuth,
}

/// Why no token could be obtained (exit 3).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    pub message: String,
}

#[derive(Debug, Clone)]
struct Token {
    access: String,
    refresh: Option<String>,
    /// When to renew: before expiry by 30 s or a tenth of the lifetime, whichever is less.
    renew_at: Option<Instant>,
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
    profiles: HashMap<String, Arc<Session>>,
    client: reqwest::Client,
    limiter: Arc<Limiter>,
    secrets: Arc<Secrets>,
    token_requests: std::sync::atomic::AtomicUsize,
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
            token_requests: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many token requests this run made.
    pub fn token_requests(&self) -> usize {
        self.token_requests
            .load(std::sync::atomic::Ordering::Relaxed)
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
                    && token.renew_at.is_none_or(|at| Instant::now() < at)
                {
                    return header(&format!("Bearer {}", token.access)).map(Some);
                }
                let token = self.obtain(profile, settings, &mut state).await?;
                header(&format!("Bearer {}", token.access)).map(Some)
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
            let current = format!("Bearer {}", token.access);
            if used.as_bytes() != current.as_bytes() {
                return header(&current).map(Some);
            }
        }
        let token = self.obtain(profile, settings, &mut state).await?;
        header(&format!("Bearer {}", token.access)).map(Some)
    }

    /// Asks the token endpoint, with the profile's lock held (single flight).
    async fn obtain(
        &self,
        profile: &str,
        s: &OAuth2Settings,
        state: &mut State,
    ) -> Result<Token, AuthError> {
        if let State::Failed(message) = &*state {
            return Err(AuthError {
                message: message.clone(),
            });
        }
        let previous_refresh = match &*state {
            State::Ready(t) => t.refresh.clone(),
            _ => None,
        };
        let mut form: Vec<(String, String)> = Vec::new();
        match s.grant {
            // A client-credentials profile renews with a new client-credentials grant,
            // ignoring any refresh token it was given (SPEC §4).
            Grant::ClientCredentials => {
                form.push(("grant_type".into(), "client_credentials".into()))
            }
            Grant::RefreshToken | Grant::AuthorizationCode => {
                let Some(refresh) = previous_refresh.or_else(|| s.refresh_token.clone()) else {
                    let message = format!(
                        "no refresh token for auth profile `{profile}`: run `courier auth login --env {} --profile {profile}`",
                        self.environment
                    );
                    *state = State::Failed(message.clone());
                    return Err(AuthError { message });
                };
                form.push(("grant_type".into(), "refresh_token".into()));
                form.push(("refresh_token".into(), refresh));
            }
        }
        if let Some(scope) = &s.scope
            && s.grant == Grant::ClientCredentials
        {
            form.push(("scope".into(), scope.clone()));
        }
        form.extend(s.token_params.iter().cloned());
        let mut request = self
            .client
            .post(&s.token_url)
            .header("Accept", "application/json");
        match s.client_auth {
            ClientAuth::Body => {
                form.push(("client_id".into(), s.client_id.clone()));
                if let Some(secret) = &s.client_secret {
                    form.push(("client_secret".into(), secret.clone()));
                }
            }
            ClientAuth::Basic => {
                let user = utf8_percent_encode(&s.client_id, COMPONENT).to_string();
                let pass = utf8_percent_encode(s.client_secret.as_deref().unwrap_or(""), COMPONENT)
                    .to_string();
                let encoded =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
                request = request.header("Authorization", format!("Basic {encoded}"));
            }
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.token_requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let slot = self.limiter.acquire().await;
        let response = request
            .header("Content-Type", "application/x-www-form-urlencoded")
            .timeout(Duration::from_secs(30))
            .body(body)
            .send()
            .await;
        drop(slot);
        let fail = |state: &mut State, message: String, permanent: bool| {
            let message = self.secrets.redact(&message).into_owned();
            if permanent {
                *state = State::Failed(message.clone());
            }
            AuthError { message }
        };
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                let err = crate::client::classify(&e, Duration::from_secs(30));
                return Err(fail(
                    state,
                    format!("token request for auth profile `{profile}` failed: {err}"),
                    false,
                ));
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        if !status.is_success() {
            let code = json.get("error").and_then(|e| e.as_str()).unwrap_or("");
            let description = json
                .get("error_description")
                .and_then(|e| e.as_str())
                .unwrap_or("");
            let detail = if code.is_empty() {
                format!("HTTP {status}")
            } else {
                format!("{code}: {description}")
            };
            let message = if code == "invalid_grant" && s.grant != Grant::ClientCredentials {
                format!(
                    "the refresh token of auth profile `{profile}` was refused ({detail}): run `courier auth login --env {} --profile {profile}`",
                    self.environment
                )
            } else {
                format!("the token request of auth profile `{profile}` was refused ({detail})")
            };
            return Err(fail(state, message, true));
        }
        let Some(access) = json
            .get("access_token")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
        else {
            return Err(fail(
                state,
                format!("the token response of auth profile `{profile}` has no `access_token`"),
                true,
            ));
        };
        self.secrets.add(&access);
        let refresh = json
            .get("refresh_token")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if let Some(r) = &refresh {
            self.secrets.add(r);
        }
        let expires_in = json.get("expires_in").and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        });
        let now = Instant::now();
        let renew_at = expires_in.map(|secs| {
            let lifetime = Duration::from_secs(secs);
            let margin = (lifetime / 10).min(Duration::from_secs(30));
            now + lifetime.saturating_sub(margin)
        });
        let token = Token {
            access,
            refresh: refresh.or_else(|| match s.grant {
                Grant::ClientCredentials => None,
                _ => s.refresh_token.clone(),
            }),
            renew_at,
        };
        *state = State::Ready(token.clone());
        Ok(token)
    }
}

fn header(value: &str) -> Result<HeaderValue, AuthError> {
    HeaderValue::from_str(value).map_err(|_| AuthError {
        message: "the credentials hold characters an HTTP header cannot carry".to_owned(),
    })
}

/// `application/x-www-form-urlencoded`: RFC 3986 unreserved kept, space as `+`.
pub fn form_encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT)
        .to_string()
        .replace("%20", "+")
}
