//! OAuth 2.0 requests — token grants and the authorize URL with PKCE — made with the
//! `oauth2` crate over the run's own reqwest client (its [`oauth2::AsyncHttpClient`] hook), so
//! proxy, CA and TLS settings apply to token requests as to every other request, and the
//! environment's `limits` count them too.
//!
//! Intacct's way is the default: client credentials in the form body (`client_auth: body`)
//! and extra token-request fields such as `username=user@company` (`token_params`).
//! Revocation (RFC 7009) is a plain form post with the same client authentication.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, TokenResponse as _, TokenUrl,
};

use courier_core::model::ClientAuth;
use courier_core::secret::Secret;

use crate::auth::OAuth2Settings;
use crate::limits::Limiter;
use courier_events::ErrorKind;

/// How long a token request may take.
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// What a token endpoint issued. The tokens are [`Secret`]s, so the derived `Debug` hides them.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub token_type: String,
    pub expires_in: Option<Duration>,
    pub scope: Option<String>,
}

/// Why an OAuth request failed. Messages never hold a token, but may hold what the server
/// said: callers redact them with the run's secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OAuthError {
    /// The server answered with an RFC 6749 error (`invalid_grant`, `invalid_client`, ...).
    #[error("{code}{}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default(), status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Refused {
        code: String,
        description: Option<String>,
        status: Option<u16>,
    },
    /// No answer: connection, TLS or timeout.
    #[error("{message}")]
    Transport { kind: ErrorKind, message: String },
    /// An answer that is not OAuth 2.0, or a setting that is not a URL.
    #[error("{0}")]
    Invalid(String),
}

impl OAuthError {
    /// A refused grant: a dead refresh token or authorization code.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(self, Self::Refused { code, .. } if code == "invalid_grant")
    }
}

/// The transport error the `oauth2` crate sees.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    kind: ErrorKind,
    message: String,
}

/// The run's reqwest client as the `oauth2` crate's HTTP client. It remembers the status of
/// the last answer, which the crate does not report for error bodies it cannot parse, and
/// under `-v` writes each token exchange into a transcript (docs/cli.md#verbose-output).
pub struct HttpClient<'a> {
    client: &'a reqwest::Client,
    transcript: Option<&'a Mutex<Vec<String>>>,
    limiter: Option<&'a Limiter>,
    timeout: Duration,
    last_status: Mutex<Option<u16>>,
}

impl std::fmt::Debug for HttpClient<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<'a> HttpClient<'a> {
    pub fn new(client: &'a reqwest::Client, limiter: Option<&'a Limiter>) -> Self {
        Self {
            client,
            transcript: None,
            limiter,
            timeout: TOKEN_TIMEOUT,
            last_status: Mutex::new(None),
        }
    }

    /// Writes each token request and its answer into `transcript` (when given), credentials
    /// hidden: the `Authorization` header keeps its scheme, the form's credentials and the
    /// answer's tokens are `[REDACTED]` (the run's secrets are applied again when printed).
    #[must_use]
    pub fn with_transcript(mut self, transcript: Option<&'a Mutex<Vec<String>>>) -> Self {
        self.transcript = transcript;
        self
    }

    fn status(&self) -> Option<u16> {
        self.last_status.lock().ok().and_then(|s| *s)
    }

    async fn execute(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, TransportError> {
        let mut request = reqwest::Request::try_from(request).map_err(|e| TransportError {
            kind: ErrorKind::Network,
            message: format!("cannot build the request: {e}"),
        })?;
        *request.timeout_mut() = Some(self.timeout);
        let shown_request = self
            .transcript
            .map(|_| crate::verbose::token_request_shown(&request));
        let slot = match self.limiter {
            Some(l) => Some(l.acquire().await),
            None => None,
        };
        let classify = |e: &reqwest::Error| {
            let e = crate::client::classify(e, self.timeout);
            TransportError {
                kind: e.kind,
                message: e.message,
            }
        };
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| classify(&e))?;
        // A token endpoint's 429 paces the run like any other (docs/environments.md#limits).
        match slot {
            Some(slot) if status == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                slot.throttled(&headers);
            }
            slot => drop(slot),
        }
        if let Ok(mut last) = self.last_status.lock() {
            *last = Some(status.as_u16());
        }
        if let (Some(transcript), Some(shown)) = (self.transcript, shown_request)
            && let Ok(mut lines) = transcript.lock()
        {
            lines.push(shown);
            lines.push(crate::verbose::token_response_shown(
                status, &headers, &body,
            ));
        }
        let mut out = oauth2::http::Response::new(body.to_vec());
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for HttpClient<'_> {
    type Error = TransportError;
    type Future =
        Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.execute(request))
    }
}

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

fn invalid_url(what: &str, url: &str, e: url::ParseError) -> OAuthError {
    OAuthError::Invalid(format!("`{what}` `{url}` is not a valid URL: {e}"))
}

fn token_client(s: &OAuth2Settings) -> Result<TokenClient, OAuthError> {
    let token_url = TokenUrl::new(s.token_url.clone())
        .map_err(|e| invalid_url("token_url", &s.token_url, e))?;
    let mut client = BasicClient::new(ClientId::new(s.client_id.clone()))
        .set_auth_type(match s.client_auth {
            ClientAuth::Body => AuthType::RequestBody,
            ClientAuth::Basic => AuthType::BasicAuth,
        })
        .set_token_uri(token_url);
    if let Some(secret) = &s.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
    }
    Ok(client)
}

fn scopes(scope: Option<&str>) -> Vec<Scope> {
    scope
        .unwrap_or_default()
        .split_whitespace()
        .map(|s| Scope::new(s.to_owned()))
        .collect()
}

fn token_error(
    e: RequestTokenError<TransportError, BasicErrorResponse>,
    status: Option<u16>,
) -> OAuthError {
    let at = status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    match e {
        RequestTokenError::ServerResponse(r) => OAuthError::Refused {
            code: r.error().as_ref().to_owned(),
            description: r.error_description().cloned(),
            status,
        },
        RequestTokenError::Request(t) => OAuthError::Transport {
            kind: t.kind,
            message: t.message,
        },
        // Only the path of the bad field: serde's message may quote a token.
        RequestTokenError::Parse(e, _) => OAuthError::Invalid(format!(
            "the token endpoint's answer{at} is not an OAuth 2.0 token response (at `{}`)",
            e.path()
        )),
        RequestTokenError::Other(m) => OAuthError::Invalid(format!("the token endpoint{at}: {m}")),
    }
}

fn token_set(r: &oauth2::basic::BasicTokenResponse) -> TokenSet {
    TokenSet {
        access_token: Secret::new(r.access_token().secret().clone()),
        refresh_token: r.refresh_token().map(|t| Secret::new(t.secret().clone())),
        token_type: r.token_type().as_ref().to_owned(),
        expires_in: r.expires_in(),
        scope: r
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
    }
}

/// A client-credentials grant, with the profile's `scope` and `token_params`.
pub async fn client_credentials(
    http: &HttpClient<'_>,
    s: &OAuth2Settings,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(s)?;
    let mut request = client
        .exchange_client_credentials()
        .add_scopes(scopes(s.scope.as_deref()));
    for (k, v) in &s.token_params {
        request = request.add_extra_param(k.clone(), v.clone());
    }
    request
        .request_async(http)
        .await
        .map(|r| token_set(&r))
        .map_err(|e| token_error(e, http.status()))
}

/// A refresh grant with `token_params`. The scope is not sent: a refresh keeps the granted
/// scope (RFC 6749 §6).
pub async fn refresh(
    http: &HttpClient<'_>,
    s: &OAuth2Settings,
    refresh_token: &str,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(s)?;
    let token = RefreshToken::new(refresh_token.to_owned());
    let mut request = client.exchange_refresh_token(&token);
    for (k, v) in &s.token_params {
        request = request.add_extra_param(k.clone(), v.clone());
    }
    request
        .request_async(http)
        .await
        .map(|r| token_set(&r))
        .map_err(|e| token_error(e, http.status()))
}

/// Trades an authorization code for tokens, with the same `redirect_uri` as the authorize
/// request and the PKCE verifier when one was made.
pub async fn exchange_code(
    http: &HttpClient<'_>,
    s: &OAuth2Settings,
    code: &str,
    redirect_uri: &str,
    verifier: Option<&str>,
) -> Result<TokenSet, OAuthError> {
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| invalid_url("redirect_uri", redirect_uri, e))?;
    let client = token_client(s)?.set_redirect_uri(redirect);
    let mut request = client.exchange_code(AuthorizationCode::new(code.to_owned()));
    if let Some(v) = verifier {
        request = request.set_pkce_verifier(PkceCodeVerifier::new(v.to_owned()));
    }
    for (k, v) in &s.token_params {
        request = request.add_extra_param(k.clone(), v.clone());
    }
    request
        .request_async(http)
        .await
        .map(|r| token_set(&r))
        .map_err(|e| token_error(e, http.status()))
}

/// An authorize request about to be opened in a browser.
pub struct Authorize {
    pub url: url::Url,
    pub state: String,
    /// The PKCE verifier, to send with the code.
    pub verifier: Option<String>,
}

impl std::fmt::Debug for Authorize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorize")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// The authorize URL: `response_type=code`, the client, the redirect URI, a fresh `state`,
/// the scope and, when `pkce`, an S256 challenge.
pub fn authorize(
    s: &OAuth2Settings,
    authorize_url: &str,
    redirect_uri: &str,
    scope: Option<&str>,
    pkce: bool,
) -> Result<Authorize, OAuthError> {
    let auth_url = AuthUrl::new(authorize_url.to_owned())
        .map_err(|e| invalid_url("authorize_url", authorize_url, e))?;
    let redirect = RedirectUrl::new(redirect_uri.to_owned())
        .map_err(|e| invalid_url("redirect_uri", redirect_uri, e))?;
    let client = BasicClient::new(ClientId::new(s.client_id.clone()))
        .set_auth_uri(auth_url)
        .set_redirect_uri(redirect);
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(scopes(scope));
    let mut verifier = None;
    if pkce {
        let (challenge, v) = PkceCodeChallenge::new_random_sha256();
        request = request.set_pkce_challenge(challenge);
        verifier = Some(v.secret().clone());
    }
    let (url, state) = request.url();
    Ok(Authorize {
        url,
        state: state.secret().clone(),
        verifier,
    })
}

/// `revoke_url` when set, else the token URL with its `token` replaced by `revoke` (docs/environments.md#auth-profiles).
pub fn revoke_url(s: &OAuth2Settings) -> String {
    if let Some(u) = &s.revoke_url {
        return u.clone();
    }
    match s.token_url.rfind("token") {
        Some(i) => format!(
            "{}revoke{}",
            &s.token_url[..i],
            &s.token_url[i + "token".len()..]
        ),
        None => s.token_url.clone(),
    }
}

/// Revokes a token (RFC 7009) at the profile's revoke URL. A plain form post rather than the
/// `oauth2` crate's revocation request, which refuses `http://` endpoints (an emulator's) —
/// client authentication and the encoding are the same.
pub async fn revoke(
    http: &HttpClient<'_>,
    s: &OAuth2Settings,
    token: &str,
    is_refresh: bool,
) -> Result<(), OAuthError> {
    let url = revoke_url(s);
    url::Url::parse(&url).map_err(|e| invalid_url("revoke_url", &url, e))?;
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("token", token);
    form.append_pair(
        "token_type_hint",
        if is_refresh {
            "refresh_token"
        } else {
            "access_token"
        },
    );
    let mut request = oauth2::http::Request::builder()
        .method(oauth2::http::Method::POST)
        .uri(url.as_str())
        .header(oauth2::http::header::ACCEPT, "application/json")
        .header(
            oauth2::http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
    if let (ClientAuth::Basic, Some(secret)) = (s.client_auth, &s.client_secret) {
        // RFC 6749 §2.3.1: each part form-encoded before Base64, as the token requests do.
        let id: String = url::form_urlencoded::byte_serialize(s.client_id.as_bytes()).collect();
        let secret: String =
            url::form_urlencoded::byte_serialize(secret.expose().as_bytes()).collect();
        request = request.header(
            oauth2::http::header::AUTHORIZATION,
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
            ),
        );
    } else {
        form.append_pair("client_id", &s.client_id);
        if let Some(secret) = &s.client_secret {
            form.append_pair("client_secret", secret.expose());
        }
    }
    let request = request
        .body(form.finish().into_bytes())
        .map_err(|e| OAuthError::Invalid(format!("cannot build the revoke request: {e}")))?;
    let response = http
        .execute(request)
        .await
        .map_err(|t| OAuthError::Transport {
            kind: t.kind,
            message: t.message,
        })?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let body: serde_json::Value =
        serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
    match body.get("error").and_then(serde_json::Value::as_str) {
        Some(code) => Err(OAuthError::Refused {
            code: code.to_owned(),
            description: body
                .get("error_description")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            status: Some(status),
        }),
        None => Err(OAuthError::Invalid(format!(
            "the revoke endpoint answered HTTP {status}"
        ))),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "a test stops at the first unexpected error (an allow: clippy.toml may already permit it)"
)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn settings() -> OAuth2Settings {
        OAuth2Settings {
            grant: courier_core::model::Grant::AuthorizationCode,
            token_url: "https://api.example.com/ia/api/v1/oauth2/token".into(),
            authorize_url: None,
            revoke_url: None,
            redirect_uri: None,
            pkce: true,
            client_id: "cid.app.sage.com".into(),
            client_id_secret: false,
            client_secret: Some("s3cret".into()),
            refresh_token: None,
            refresh_token_from: None,
            scope: None,
            token_params: vec![],
            username_secret: false,
            client_auth: ClientAuth::Body,
        }
    }

    #[test]
    fn the_revoke_url_defaults_to_the_token_url_with_revoke() {
        assert_eq!(
            revoke_url(&settings()),
            "https://api.example.com/ia/api/v1/oauth2/revoke"
        );
        let mut s = settings();
        s.revoke_url = Some("https://elsewhere/revoke".into());
        assert_eq!(revoke_url(&s), "https://elsewhere/revoke");
    }

    #[test]
    fn the_authorize_url_carries_state_scope_and_an_s256_challenge() {
        let a = authorize(
            &settings(),
            "https://api.example.com/ia/api/v1/oauth2/authorize",
            "https://127.0.0.1:8443/callback",
            Some("offline_access"),
            true,
        )
        .unwrap();
        let q: std::collections::HashMap<String, String> =
            a.url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "cid.app.sage.com");
        assert_eq!(q["redirect_uri"], "https://127.0.0.1:8443/callback");
        assert_eq!(q["scope"], "offline_access");
        assert_eq!(q["state"], a.state);
        assert_eq!(q["code_challenge_method"], "S256");
        let verifier = a.verifier.unwrap();
        assert_eq!(
            q["code_challenge"],
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(verifier.as_bytes()))
        );
        let again = authorize(
            &settings(),
            "https://a/authorize",
            "https://b/cb",
            None,
            false,
        )
        .unwrap();
        assert_ne!(again.state, a.state, "state must be fresh per login");
        assert!(again.verifier.is_none());
        assert!(!again.url.as_str().contains("code_challenge"));
    }
}
