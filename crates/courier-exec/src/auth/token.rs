//! The tokens of one OAuth session: what a grant's answer or a cached session becomes, and
//! when it is due for renewal (docs/environments.md#oauth-sessions).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::HeaderValue;

use courier_core::secret::Secret;

use super::{AuthError, OAuth2Settings, header};
use crate::oauth::TokenSet;
use crate::token_cache::{CacheKey, CachedSession};

/// A token is renewed when less than this, or a tenth of its lifetime, remains.
const RENEW_MARGIN: Duration = Duration::from_secs(30);

/// The cache entry for freshly issued tokens of the profile `settings`, with its grant and
/// where its client id and username came from. A server that does not rotate the refresh
/// token (or sends no scope) leaves the previous one in place.
pub fn cached_session(
    key: &CacheKey,
    settings: &OAuth2Settings,
    set: &TokenSet,
    previous_refresh: Option<&Secret>,
    previous_scope: Option<&str>,
    obtained_at: DateTime<Utc>,
) -> CachedSession {
    CachedSession {
        environment: key.environment.clone(),
        profile: key.profile.clone(),
        token_url: key.token_url.clone(),
        client_id: key.client_id.clone(),
        username: key.username.clone(),
        grant: Some(settings.grant.as_str().to_owned()),
        client_id_secret: Some(settings.client_id_secret),
        username_secret: Some(settings.username_secret),
        access_token: Some(set.access_token.clone()),
        refresh_token: set
            .refresh_token
            .clone()
            .or_else(|| previous_refresh.cloned()),
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

/// A session's tokens; they are [`Secret`]s, so the derived `Debug` hides them.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) access: Secret,
    pub(super) refresh: Option<Secret>,
    pub(super) scope: Option<String>,
    /// When to renew; `None` when the server gave no lifetime (a 401 renews then).
    pub(super) renew_at: Option<Instant>,
    pub(super) obtained_at: DateTime<Utc>,
}

impl Token {
    pub(super) fn due(&self) -> bool {
        self.renew_at.is_some_and(|at| Instant::now() >= at)
    }

    pub(super) fn header(&self) -> Result<HeaderValue, AuthError> {
        header(&format!("Bearer {}", self.access.expose()))
    }
}

/// How long before expiry a token of this lifetime is renewed.
pub(super) fn margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(RENEW_MARGIN)
}

/// A stored session's access token, when it is still good to use: not the one just
/// rejected, and not due for renewal.
pub(super) fn adopt(stored: &CachedSession, rejected: Option<&str>) -> Option<Token> {
    let access = stored.access_token.clone()?;
    if rejected == Some(access.expose()) {
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
