//! OAuth 2.0 as Intacct serves it (docs/emulator.md): `/oauth2/authorize` (authorization
//! code with PKCE S256), `/oauth2/token` (authorization code, refresh token and Intacct's
//! client credentials with `username=user@company[|entity]`) and `/oauth2/revoke`.
//!
//! Client scope is enforced as a real company does: the emulator knows both default clients
//! of docs/emulator.md, and the other scope's client gets `invalid_client` naming its scope.
//! Errors are RFC 6749 bodies. Every call to the token endpoint counts in the stats, whatever happens.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::options::Scope;
use crate::server::{BodyError, Shared, read_body};
use crate::stats::GrantKind;
use crate::tokens::{CodeGrant, Subject};

/// An RFC 6749 error answer.
#[derive(Debug)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// Ask for Basic authentication again (`invalid_client` after a Basic attempt).
    challenge: bool,
}

impl OAuthError {
    fn new(error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status: if error == "invalid_client" {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            },
            error,
            description: description.into(),
            challenge: false,
        }
    }

    fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new("invalid_grant", description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, json_headers(), body.to_string()).into_response();
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"intacct\""),
            );
        }
        response
    }
}

fn json_headers() -> [(header::HeaderName, HeaderValue); 3] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// Parameters from a form or JSON body, or a query string.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn from_form(text: &[u8]) -> Params {
        Params(url::form_urlencoded::parse(text).into_owned().collect())
    }

    fn from_json(bytes: &[u8]) -> Result<Params, OAuthError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
            OAuthError::invalid_request(format!("the JSON body is not valid: {error}"))
        })?;
        let map = value
            .as_object()
            .ok_or_else(|| OAuthError::invalid_request("the JSON body must be an object"))?;
        map.iter()
            .map(|(name, value)| match value {
                serde_json::Value::String(text) => Ok((name.clone(), text.clone())),
                serde_json::Value::Number(number) => Ok((name.clone(), number.to_string())),
                _ => Err(OAuthError::invalid_request(format!(
                    "`{name}` must be a string"
                ))),
            })
            .collect::<Result<_, _>>()
            .map(Params)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("`{name}` is required")))
    }
}

async fn body_params(headers: &HeaderMap, body: Body) -> Result<Params, OAuthError> {
    let bytes = read_body(body).await.map_err(|error| match error {
        BodyError::TooLarge => OAuthError::invalid_request("the request body is larger than 1 MB"),
        BodyError::Broken => OAuthError::invalid_request("the request body could not be read"),
    })?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/json"));
    if is_json {
        Params::from_json(&bytes)
    } else {
        Ok(Params::from_form(&bytes))
    }
}

/// The client id and secret from HTTP Basic (RFC 6749 §2.3.1: each form-urlencoded) or the
/// body; both at once is refused, as the RFC asks.
fn client_credentials(
    headers: &HeaderMap,
    params: &Params,
) -> Result<(String, Option<String>, bool), OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, rest) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then(|| rest.trim().to_owned())
        });
    if let Some(encoded) = basic {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                OAuthError::invalid_request("the Basic authorization header is not valid Base64")
            })?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| OAuthError::invalid_request("the Basic credentials lack a `:`"))?;
        let decode = |text: &str| {
            url::form_urlencoded::parse(format!("x={text}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        let (id, secret) = (decode(id), decode(secret));
        if params.get("client_secret").is_some() {
            return Err(OAuthError::invalid_request(
                "the client authenticated twice (HTTP Basic and client_secret in the body)",
            ));
        }
        if params.get("client_id").is_some_and(|body_id| body_id != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from HTTP Basic",
            ));
        }
        return Ok((id, Some(secret), true));
    }
    let id = params.require("client_id")?.to_owned();
    Ok((id, params.get("client_secret").map(str::to_owned), false))
}

impl Shared {
    /// The scope a known client was created for.
    fn client_scope(&self, client_id: &str) -> Option<Scope> {
        if client_id == self.credentials.client_id {
            Some(self.scope)
        } else if client_id == self.other_client.client_id {
            Some(self.scope.other())
        } else {
            None
        }
    }

    /// Refuse an unknown client, or one of the other client scope.
    fn identify(&self, client_id: &str) -> Result<(), OAuthError> {
        match self.client_scope(client_id) {
            Some(scope) if scope == self.scope => Ok(()),
            Some(scope) => Err(OAuthError::new(
                "invalid_client",
                format!(
                    "client {client_id} has the {scope} client scope, but this company is {}: use a {} client",
                    self.scope, self.scope
                ),
            )),
            None => Err(OAuthError::new(
                "invalid_client",
                format!("unknown client {client_id}"),
            )),
        }
    }

    fn authenticate(
        &self,
        client_id: &str,
        secret: Option<&str>,
        via_basic: bool,
    ) -> Result<(), OAuthError> {
        let challenge = |mut error: OAuthError| {
            error.challenge = via_basic;
            error
        };
        self.identify(client_id).map_err(challenge)?;
        match secret {
            Some(secret) if secret == self.credentials.client_secret => Ok(()),
            Some(_) => Err(challenge(OAuthError::new(
                "invalid_client",
                "The Client ID, Client Secret, and/or 3rd Party Application are incorrect",
            ))),
            None => Err(challenge(OAuthError::new(
                "invalid_client",
                "client_secret is required",
            ))),
        }
    }

    fn registered(&self, redirect_uri: &str) -> bool {
        self.redirect_uris.iter().any(|registered| {
            registered == redirect_uri || loopback_match(registered, redirect_uri)
        })
    }

    /// The configured Web Services user as a token subject, with an optional entity.
    fn subject(&self, client_id: &str, entity: Option<String>) -> Arc<Subject> {
        let (user, company) = split_username(&self.credentials.username);
        Arc::new(Subject {
            client_id: client_id.to_owned(),
            user: user.to_owned(),
            company: company.to_owned(),
            entity,
        })
    }
}

/// `user@company` into its parts (a missing `@` leaves the company empty).
pub(crate) fn split_username(username: &str) -> (&str, &str) {
    username.split_once('@').unwrap_or((username, ""))
}

/// RFC 8252 §7.3: a registered `https://127.0.0.1/...` matches the same URI on any port.
fn loopback_match(registered: &str, requested: &str) -> bool {
    let (Ok(registered), Ok(requested)) = (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    let loopback = |url: &url::Url| url.scheme() == "https" && url.host_str() == Some("127.0.0.1");
    loopback(&registered)
        && loopback(&requested)
        && registered.path() == requested.path()
        && registered.query() == requested.query()
}

/// Intacct's rule for redirect URIs (docs/emulator-services.md, "Redirect URIs"): `http://`
/// is refused; `https://` URLs with a host and custom app schemes (`com.example.app:/cb`,
/// `myapp://callback`) are accepted.
pub(crate) fn redirect_scheme(uri: &url::Url) -> Result<(), &'static str> {
    match uri.scheme() {
        "http" => Err("Intacct refuses http:// redirect URIs (use https:// or an app scheme)"),
        "https" if uri.host_str().is_none_or(str::is_empty) => Err("an https:// URI needs a host"),
        _ => Ok(()),
    }
}

fn redirect(target: &str, params: &[(&str, &str)]) -> Response {
    let mut url = target.to_owned();
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    url.push(if target.contains('?') { '&' } else { '?' });
    url.push_str(&serializer.finish());
    match HeaderValue::from_str(&url) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => {
            OAuthError::invalid_request("the redirect URI cannot be used in a Location header")
                .into_response()
        }
    }
}

/// `GET /oauth2/authorize`: no login page, so a valid request is approved at once.
pub(crate) async fn authorize(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
) -> Response {
    shared.stats.authorize();
    if method != Method::GET {
        return OAuthError::invalid_request("the authorize endpoint takes GET").into_response();
    }
    let params = Params::from_form(query.unwrap_or_default().as_bytes());
    match authorize_inner(&shared, &params) {
        Ok(response) | Err(response) => response,
    }
}

#[expect(
    clippy::result_large_err,
    reason = "both arms are finished responses; boxing one would only add an allocation"
)]
fn authorize_inner(shared: &Shared, params: &Params) -> Result<Response, Response> {
    // Until the client and redirect URI are known good, errors are shown, not redirected
    // (RFC 6749 §4.1.2.1).
    let client_id = params
        .require("client_id")
        .map_err(IntoResponse::into_response)?;
    let mut error = |e: OAuthError| e.into_response();
    shared.identify(client_id).map_err(|mut e| {
        e.status = StatusCode::BAD_REQUEST;
        error(e)
    })?;
    let redirect_uri = params.require("redirect_uri").map_err(&mut error)?;
    let parsed = url::Url::parse(redirect_uri).map_err(|_| {
        error(OAuthError::invalid_request(format!(
            "redirect_uri {redirect_uri} is not a URL"
        )))
    })?;
    if let Err(reason) = redirect_scheme(&parsed) {
        return Err(error(OAuthError::invalid_request(format!(
            "redirect_uri {redirect_uri} is refused: {reason}"
        ))));
    }
    if !shared.registered(redirect_uri) {
        return Err(error(OAuthError::invalid_request(format!(
            "redirect_uri {redirect_uri} is not registered for client {client_id}"
        ))));
    }
    let state = params.get("state");
    let fail = |code: &str, description: &str| {
        let mut pairs = vec![("error", code), ("error_description", description)];
        if let Some(state) = state {
            pairs.push(("state", state));
        }
        redirect(redirect_uri, &pairs)
    };
    if params.get("response_type") != Some("code") {
        return Err(fail(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let challenge = params.get("code_challenge");
    match (challenge, params.get("code_challenge_method")) {
        (None, None) | (Some(_), Some("S256")) => {}
        (Some(_), _) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, Some(_)) => {
            return Err(fail(
                "invalid_request",
                "code_challenge_method without code_challenge",
            ));
        }
    }
    if let Some(challenge) = challenge
        && (challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(fail(
            "invalid_request",
            "code_challenge must be a Base64url SHA-256 digest (43 characters)",
        ));
    }
    if shared.deny_authorize {
        return Err(fail("access_denied", "the user denied the request"));
    }
    let offline_access = params
        .get("scope")
        .is_some_and(|scope| scope.split(' ').any(|s| s == "offline_access"));
    let code = shared.tokens.store_code(CodeGrant {
        subject: shared.subject(client_id, None),
        redirect_uri: Some(redirect_uri.to_owned()),
        code_challenge: challenge.map(str::to_owned),
        offline_access,
        expires_at: Instant::now() + crate::tokens::Tokens::code_ttl(),
    });
    let mut pairs = vec![("code", code.as_str())];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    Ok(redirect(redirect_uri, &pairs))
}

/// `POST /oauth2/token`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = token_inner(&shared, &method, &headers, body).await;
    match result {
        Ok(response) => response,
        Err(error) => {
            shared.stats.token_error();
            error.into_response()
        }
    }
}

async fn token_inner(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    if method != Method::POST {
        shared.stats.grant(GrantKind::Other);
        return Err(OAuthError::invalid_request("the token endpoint takes POST"));
    }
    let params = match body_params(headers, body).await {
        Ok(params) => params,
        Err(error) => {
            shared.stats.grant(GrantKind::Other);
            return Err(error);
        }
    };
    let grant_type = params.get("grant_type");
    shared.stats.grant(match grant_type {
        Some("client_credentials") => GrantKind::ClientCredentials,
        Some("refresh_token") => GrantKind::RefreshToken,
        Some("authorization_code") => GrantKind::AuthorizationCode,
        _ => GrantKind::Other,
    });
    let grant_type =
        grant_type.ok_or_else(|| OAuthError::invalid_request("`grant_type` is required"))?;
    let (client_id, secret, via_basic) = client_credentials(headers, &params)?;
    shared.authenticate(&client_id, secret.as_deref(), via_basic)?;
    let ttl = shared.token_ttl;
    let issued = match grant_type {
        "client_credentials" => {
            let username = params.require("username")?;
            let (login, entity) = match username.split_once('|') {
                Some((login, entity)) => (login, Some(entity)),
                None => (username, None),
            };
            let (user, company) = split_username(login);
            let (own_user, own_company) = split_username(&shared.credentials.username);
            if user != own_user || !company.eq_ignore_ascii_case(own_company) {
                return Err(OAuthError::invalid_grant(
                    "The provided credentials are invalid",
                ));
            }
            if let Some(entity) = entity
                && !shared.store.entity_exists(entity)
            {
                return Err(OAuthError::invalid_grant(format!(
                    "entity {entity} does not exist in company {own_company}"
                )));
            }
            shared.tokens.issue(
                shared.subject(&client_id, entity.map(str::to_owned)),
                ttl,
                true,
            )
        }
        "authorization_code" => {
            let code = params.require("code")?;
            let grant = shared.tokens.take_code(code).ok_or_else(|| {
                OAuthError::invalid_grant(
                    "the authorization code is invalid, expired or already used",
                )
            })?;
            if grant.subject.client_id != client_id {
                return Err(OAuthError::invalid_grant(
                    "the authorization code was issued to another client",
                ));
            }
            if grant.redirect_uri.as_deref() != params.get("redirect_uri") {
                return Err(OAuthError::invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
            if let Some(challenge) = &grant.code_challenge {
                let verifier = params
                    .get("code_verifier")
                    .ok_or_else(|| OAuthError::invalid_grant("code_verifier is required (PKCE)"))?;
                let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(Sha256::digest(verifier.as_bytes()));
                if !(43..=128).contains(&verifier.len()) || digest != *challenge {
                    return Err(OAuthError::invalid_grant(
                        "code_verifier does not match the code_challenge",
                    ));
                }
            }
            shared
                .tokens
                .issue(Arc::clone(&grant.subject), ttl, grant.offline_access)
        }
        "refresh_token" => {
            let refresh = params.require("refresh_token")?;
            let subject = shared
                .tokens
                .refresh_subject(refresh, &client_id)
                .ok_or_else(|| OAuthError::invalid_grant("The provided credentials are invalid"))?;
            let mut issued = shared
                .tokens
                .issue(subject, ttl, shared.rotate_refresh_tokens);
            if shared.rotate_refresh_tokens {
                shared.tokens.retire_refresh(refresh);
            } else {
                issued.refresh_token = Some(refresh.to_owned());
            }
            issued
        }
        other => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!(
                    "grant_type {other} is not supported; use authorization_code, refresh_token or client_credentials"
                ),
            ));
        }
    };
    let mut body = serde_json::Map::new();
    body.insert("token_type".into(), "Bearer".into());
    body.insert("access_token".into(), issued.access_token.into());
    if let Some(refresh) = issued.refresh_token {
        body.insert("refresh_token".into(), refresh.into());
    }
    // Whole seconds, rounded up so a sub-second TTL never reads as already expired.
    let expires_in = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    body.insert("expires_in".into(), expires_in.into());
    Ok((
        StatusCode::OK,
        json_headers(),
        serde_json::Value::Object(body).to_string(),
    )
        .into_response())
}

/// `POST /oauth2/revoke`: revoking one token revokes every token of its user and company.
pub(crate) async fn revoke(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result: Result<Response, OAuthError> = async {
        if method != Method::POST {
            return Err(OAuthError::invalid_request(
                "the revoke endpoint takes POST",
            ));
        }
        let params = body_params(&headers, body).await?;
        let (client_id, secret, via_basic) = client_credentials(&headers, &params)?;
        shared.authenticate(&client_id, secret.as_deref(), via_basic)?;
        let token = params.require("token")?;
        // RFC 7009 §2.2: an unknown token is not an error.
        shared.tokens.revoke_pool_of(token, &client_id);
        shared.stats.revocation();
        Ok(StatusCode::OK.into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_only() {
        assert!(loopback_match(
            "https://127.0.0.1/callback",
            "https://127.0.0.1:8443/callback"
        ));
        assert!(!loopback_match(
            "https://127.0.0.1/callback",
            "https://127.0.0.1:8443/other"
        ));
        assert!(!loopback_match(
            "https://127.0.0.1/callback",
            "http://127.0.0.1:8443/callback"
        ));
        assert!(!loopback_match(
            "https://example.com/callback",
            "https://example.com:8443/callback"
        ));
    }

    #[test]
    fn usernames_split_at_the_at_sign() {
        assert_eq!(
            split_username("ci-bot@COURIER-SANDBOX"),
            ("ci-bot", "COURIER-SANDBOX")
        );
        assert_eq!(split_username("nobody"), ("nobody", ""));
    }
}
