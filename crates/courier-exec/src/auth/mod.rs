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
//!
//! The folder splits that by concern: this file holds the rendered profiles and the header
//! encoding, [`token`] the tokens a session holds and their renewal times, [`sessions`] the
//! per-profile sessions and the token-cache protocol.

mod sessions;
mod token;

pub use sessions::Sessions;
pub use token::cached_session;

use percent_encoding::utf8_percent_encode;
use reqwest::header::HeaderValue;

use courier_core::model::{ClientAuth, Grant};
use courier_core::secret::{COMPONENT, Secret};

use crate::token_cache::CacheKey;

/// An auth profile with every template rendered. The credentials are [`Secret`]s, so the
/// derived `Debug` shows `[REDACTED]` for them.
#[derive(Debug, Clone)]
pub enum ResolvedAuth {
    None,
    Bearer(Secret),
    Basic { username: String, password: Secret },
    OAuth2(OAuth2Settings),
}

/// A rendered `type: oauth2` profile. The client secret and refresh token are [`Secret`]s.
#[derive(Debug, Clone)]
pub struct OAuth2Settings {
    pub grant: Grant,
    pub token_url: String,
    pub authorize_url: Option<String>,
    pub revoke_url: Option<String>,
    pub redirect_uri: Option<String>,
    pub pkce: bool,
    pub client_id: String,
    /// Whether `client_id` came from a secret, and so is never shown by `courier auth`
    /// (docs/environments.md#the-token-cache).
    pub client_id_secret: bool,
    pub client_secret: Option<Secret>,
    pub refresh_token: Option<Secret>,
    /// The process environment variable that `refresh_token` came from (through the
    /// environment's `secrets:`), named by the stale-secret warning of
    /// docs/environments.md#refresh-tokens-from-secrets.
    pub refresh_token_from: Option<String>,
    pub scope: Option<String>,
    pub token_params: Vec<(String, String)>,
    /// Whether the `username` token parameter came from a secret.
    pub username_secret: bool,
    pub client_auth: ClientAuth,
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

/// Why no token could be obtained (exit 3). The message is already redacted.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    pub message: String,
    /// What failed: `auth` for a refusal or a bad setting; the transport's own kind
    /// (`network`, `timeout`, `tls`) when the token request did not reach an answer, so a
    /// report keeps the class of what failed (docs/reports.md).
    pub kind: courier_events::ErrorKind,
}

fn header(value: &str) -> Result<HeaderValue, AuthError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| AuthError {
        message: "the credentials hold characters an HTTP header cannot carry".to_owned(),
        kind: courier_events::ErrorKind::Auth,
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
mod tests;
