//! The token pool: authorization codes, access tokens and refresh tokens, who they belong to,
//! and their expiry and revocation.
//!
//! Tokens look like Intacct's (HS256-signed JWTs naming the client, user and company), but the
//! pool is the authority: checking a request's token is one hash lookup under a read lock that
//! is never held across an await, so it stays cheap under load. Revocation works per user and
//! company, as Intacct's does (docs/emulator-services.md, "Errors and auth").

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use serde_json::json;
use sha2::Sha256;

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) client_id: String,
    pub(crate) user: String,
    pub(crate) company: String,
    /// The entity baked into the token (`user@company|entity`), if any.
    pub(crate) entity: Option<String>,
}

impl Subject {
    fn same_pool(&self, other: &Subject) -> bool {
        self.user == other.user && self.company.eq_ignore_ascii_case(&other.company)
    }
}

#[derive(Debug)]
struct AccessRecord {
    subject: Arc<Subject>,
    expires_at: Instant,
    revoked: bool,
}

#[derive(Debug)]
struct RefreshRecord {
    subject: Arc<Subject>,
    /// Revoked, or retired by rotation.
    revoked: bool,
}

/// An authorization code waiting to be traded for tokens.
#[derive(Debug, Clone)]
pub(crate) struct CodeGrant {
    pub(crate) subject: Arc<Subject>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) code_challenge: Option<String>,
    pub(crate) offline_access: bool,
    pub(crate) expires_at: Instant,
}

/// What a bearer token turned out to be.
#[derive(Debug)]
pub(crate) enum Check {
    Valid(Arc<Subject>),
    Unreadable,
    Expired,
    Revoked,
}

/// A freshly issued pair.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) access_token: String,
    pub(crate) refresh_token: Option<String>,
}

/// Codes live ten minutes, as RFC 6749 §4.1.2 recommends at most.
const CODE_TTL: Duration = Duration::from_mins(10);

/// Above this many access tokens, issuing one first forgets those expired for an hour, so a
/// long-running emulator under a token-churning client does not grow without bound.
const PRUNE_ABOVE: usize = 100_000;
const PRUNE_AFTER: Duration = Duration::from_hours(1);

#[derive(Debug)]
pub(crate) struct Tokens {
    signing_key: [u8; 32],
    access: RwLock<HashMap<String, AccessRecord>>,
    refresh: Mutex<HashMap<String, RefreshRecord>>,
    codes: Mutex<HashMap<String, CodeGrant>>,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    buffer
        .iter()
        .fold(String::with_capacity(bytes * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl Tokens {
    pub(crate) fn new() -> Tokens {
        let mut signing_key = [0u8; 32];
        rand::rng().fill_bytes(&mut signing_key);
        Tokens {
            signing_key,
            access: RwLock::new(HashMap::new()),
            refresh: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
        }
    }

    /// A JWT-shaped token: what a client that decodes it (as some do for the session id)
    /// expects to find.
    fn mint(&self, subject: &Subject, kind: &str, lifetime: Option<Duration>) -> String {
        let now = unix_now();
        let mut claims = json!({
            "clientId": subject.client_id,
            "userId": subject.user,
            "companyId": subject.company,
            "entityId": subject.entity,
            "sessionId": random_hex(16),
            "tokenType": kind,
            "iat": now,
        });
        if let Some(lifetime) = lifetime {
            claims["exp"] = json!(now + lifetime.as_secs());
        }
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{payload}");
        let signature = match Hmac::<Sha256>::new_from_slice(&self.signing_key) {
            Ok(mut mac) => {
                mac.update(signing_input.as_bytes());
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            }
            // HMAC takes keys of any length; this arm cannot run.
            Err(_) => random_hex(32),
        };
        format!("{signing_input}.{signature}")
    }

    /// Issue an access token, and a refresh token when `with_refresh`.
    pub(crate) fn issue(&self, subject: Arc<Subject>, ttl: Duration, with_refresh: bool) -> Issued {
        let access_token = self.mint(&subject, "access", Some(ttl));
        let refresh_token = with_refresh.then(|| self.mint(&subject, "refresh", None));
        if let Some(refresh) = &refresh_token {
            lock(&self.refresh).insert(
                refresh.clone(),
                RefreshRecord {
                    subject: Arc::clone(&subject),
                    revoked: false,
                },
            );
        }
        let now = Instant::now();
        let mut access = self.access.write().unwrap_or_else(PoisonError::into_inner);
        if access.len() > PRUNE_ABOVE {
            access.retain(|_, record| record.expires_at + PRUNE_AFTER > now);
        }
        access.insert(
            access_token.clone(),
            AccessRecord {
                subject,
                expires_at: now + ttl,
                revoked: false,
            },
        );
        Issued {
            access_token,
            refresh_token,
        }
    }

    /// Check a bearer token: the hot path of every API call.
    pub(crate) fn check(&self, token: &str) -> Check {
        let access = self.access.read().unwrap_or_else(PoisonError::into_inner);
        match access.get(token) {
            None => Check::Unreadable,
            Some(record) if record.revoked => Check::Revoked,
            Some(record) if record.expires_at <= Instant::now() => Check::Expired,
            Some(record) => Check::Valid(Arc::clone(&record.subject)),
        }
    }

    /// The subject of a live refresh token issued to `client_id`.
    pub(crate) fn refresh_subject(&self, token: &str, client_id: &str) -> Option<Arc<Subject>> {
        let refresh = lock(&self.refresh);
        refresh
            .get(token)
            .filter(|record| !record.revoked && record.subject.client_id == client_id)
            .map(|record| Arc::clone(&record.subject))
    }

    /// Make a refresh token stop working (rotation).
    pub(crate) fn retire_refresh(&self, token: &str) {
        if let Some(record) = lock(&self.refresh).get_mut(token) {
            record.revoked = true;
        }
    }

    pub(crate) fn store_code(&self, grant: CodeGrant) -> String {
        let code = self.mint(&grant.subject, "code", Some(CODE_TTL));
        lock(&self.codes).insert(code.clone(), grant);
        code
    }

    /// Take a code out of the pool: codes are single-use whatever happens next.
    pub(crate) fn take_code(&self, code: &str) -> Option<CodeGrant> {
        lock(&self.codes)
            .remove(code)
            .filter(|grant| grant.expires_at > Instant::now())
    }

    /// How long a code can wait before it is traded.
    pub(crate) fn code_ttl() -> Duration {
        CODE_TTL
    }

    /// Revoke every token of the user and company that `token` (access or refresh) belongs
    /// to, if it was issued to `client_id`. Returns how many tokens were revoked.
    pub(crate) fn revoke_pool_of(&self, token: &str, client_id: &str) -> usize {
        let subject = {
            let access = self.access.read().unwrap_or_else(PoisonError::into_inner);
            access.get(token).map(|record| Arc::clone(&record.subject))
        }
        .or_else(|| {
            lock(&self.refresh)
                .get(token)
                .map(|r| Arc::clone(&r.subject))
        });
        match subject {
            Some(subject) if subject.client_id == client_id => {
                self.revoke_where(|other| subject.same_pool(other))
            }
            _ => 0,
        }
    }

    /// Revoke every token there is.
    pub(crate) fn revoke_all(&self) -> usize {
        self.revoke_where(|_| true)
    }

    fn revoke_where(&self, matches: impl Fn(&Subject) -> bool) -> usize {
        let mut count = 0;
        {
            let mut access = self.access.write().unwrap_or_else(PoisonError::into_inner);
            for record in access.values_mut() {
                if !record.revoked && matches(&record.subject) {
                    record.revoked = true;
                    count += 1;
                }
            }
        }
        for record in lock(&self.refresh).values_mut() {
            if !record.revoked && matches(&record.subject) {
                record.revoked = true;
                count += 1;
            }
        }
        lock(&self.codes).retain(|_, grant| !matches(&grant.subject));
        count
    }
}

/// Take a mutex even if a panicking thread poisoned it: the maps stay consistent because no
/// operation on them can panic half-way.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(user: &str, company: &str) -> Arc<Subject> {
        Arc::new(Subject {
            client_id: "client".into(),
            user: user.into(),
            company: company.into(),
            entity: None,
        })
    }

    #[test]
    fn issued_tokens_check_until_they_expire() {
        let tokens = Tokens::new();
        let issued = tokens.issue(subject("u", "C"), Duration::from_mins(1), true);
        assert!(matches!(
            tokens.check(&issued.access_token),
            Check::Valid(_)
        ));
        assert!(matches!(tokens.check("nonsense"), Check::Unreadable));
        let short = tokens.issue(subject("u", "C"), Duration::ZERO, false);
        assert!(matches!(tokens.check(&short.access_token), Check::Expired));
        assert_eq!(issued.access_token.split('.').count(), 3, "JWT-shaped");
    }

    #[test]
    fn revoking_one_token_revokes_the_pool_of_its_user_and_company() {
        let tokens = Tokens::new();
        let first = tokens.issue(subject("u", "C"), Duration::from_mins(1), true);
        let second = tokens.issue(subject("u", "c"), Duration::from_mins(1), false);
        let other = tokens.issue(subject("v", "C"), Duration::from_mins(1), false);
        assert_eq!(
            tokens.revoke_pool_of(&first.access_token, "wrong client"),
            0
        );
        assert_eq!(tokens.revoke_pool_of(&first.access_token, "client"), 3);
        assert!(matches!(tokens.check(&second.access_token), Check::Revoked));
        assert!(matches!(tokens.check(&other.access_token), Check::Valid(_)));
        let refresh = first.refresh_token.expect("asked for one");
        assert!(tokens.refresh_subject(&refresh, "client").is_none());
    }

    #[test]
    fn codes_are_single_use() {
        let tokens = Tokens::new();
        let code = tokens.store_code(CodeGrant {
            subject: subject("u", "C"),
            redirect_uri: None,
            code_challenge: None,
            offline_access: false,
            expires_at: Instant::now() + Tokens::code_ttl(),
        });
        assert!(tokens.take_code(&code).is_some());
        assert!(tokens.take_code(&code).is_none());
    }
}
