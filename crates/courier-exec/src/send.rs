//! Sending one prepared request: the environment's limits, the request's retries with their
//! backoff (docs/collections.md#retries), and one token renewal after a 401. What comes back
//! is a [`Received`] response or a [`SendError`] saying why there is none.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

use courier_core::model::{Retries, RetryOn};

use crate::client::{self, Prepared, Received, SendError};
use crate::runner::Shared;
use courier_events::ErrorKind;

/// Backoff between retries doubles up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// What the sends of one request leave behind: how many there were, and under `-v` a line
/// for each send that another followed.
#[derive(Debug, Default)]
pub(crate) struct Sends {
    pub(crate) count: u32,
    pub(crate) log: Vec<String>,
}

impl Sends {
    fn note(&mut self, verbose: bool, line: String) {
        if verbose {
            self.log.push(line);
        }
    }
}

/// `Retry-After` is honoured up to this.
const MAX_RETRY_AFTER: Duration = Duration::from_mins(1);

/// Sends with the request's retries: `count` extra attempts on the listed statuses
/// or network errors, never for a mutating request without an `Idempotency-Key`; backoff
/// doubling from `backoff` up to 10 s, or `Retry-After` up to 60 s; the identical rendered
/// request is resent. A 401 renews the token once and retries once.
pub(crate) async fn send_with_retries(
    shared: &Shared,
    prepared: &Prepared,
    profile: &str,
    retries: Option<&Retries>,
    mutates: bool,
    jar: &Arc<reqwest::cookie::Jar>,
    sent: &mut Sends,
) -> Result<Received, SendError> {
    // Under `-v`, each send that is followed by another says why and how long it waits
    // (docs/cli.md#verbose-output).
    let verbose = shared.options.verbose;
    let may_retry = !mutates || prepared.headers.contains_key("idempotency-key");
    let (count, on, backoff) = match retries {
        Some(r) if may_retry => (r.count, r.on.as_slice(), r.backoff),
        _ => (0, &[][..], Duration::ZERO),
    };
    let auth_error = |e: crate::auth::AuthError| SendError {
        kind: e.kind,
        message: e.message,
    };
    let mut auth = shared
        .sessions
        .authorization(profile)
        .await
        .map_err(auth_error)?;
    let mut renewed = false;
    let mut attempt = 0u32;
    loop {
        let slot = shared.limiter.acquire().await;
        sent.count += 1;
        let outcome = client::send(
            &shared.client,
            prepared,
            auth.as_ref(),
            Some(jar),
            &shared.runtime.secrets,
        )
        .await;
        drop(slot);
        match outcome {
            Ok(rec) if rec.status.as_u16() == 401 && !renewed && auth.is_some() => {
                renewed = true;
                sent.note(
                    verbose,
                    format!(
                        "! attempt {}: {}: renewing the token and sending again",
                        sent.count, rec.status
                    ),
                );
                let used = auth.clone().unwrap_or_else(|| HeaderValue::from_static(""));
                match shared
                    .sessions
                    .renew_after_401(profile, &used)
                    .await
                    .map_err(auth_error)?
                {
                    Some(fresh) => auth = Some(fresh),
                    None => return Ok(rec),
                }
            }
            Ok(rec) => {
                let status = rec.status.as_u16();
                let retryable = on.iter().any(|o| match o {
                    RetryOn::Status(s) => *s == status,
                    RetryOn::Class(c) => status / 100 == *c,
                    RetryOn::Network => false,
                });
                if attempt < count && retryable {
                    let wait =
                        retry_after(&rec.headers).unwrap_or_else(|| backoff_for(backoff, attempt));
                    attempt += 1;
                    sent.note(
                        verbose,
                        format!(
                            "! attempt {}: {}: retry {attempt} of {count} in {} ms",
                            sent.count,
                            rec.status,
                            wait.as_millis()
                        ),
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Ok(rec);
            }
            Err(e) => {
                let network = matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout);
                if attempt < count && network && on.contains(&RetryOn::Network) {
                    let wait = backoff_for(backoff, attempt);
                    attempt += 1;
                    sent.note(
                        verbose,
                        format!(
                            "! attempt {}: {}: retry {attempt} of {count} in {} ms",
                            sent.count,
                            e.message,
                            wait.as_millis()
                        ),
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
                let message = if attempt > 0 {
                    format!(
                        "{} (after {} retr{})",
                        e.message,
                        attempt,
                        if attempt == 1 { "y" } else { "ies" }
                    )
                } else {
                    e.message
                };
                return Err(SendError {
                    kind: e.kind,
                    message,
                });
            }
        }
    }
}

fn backoff_for(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
    base.checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF)
}

/// `Retry-After` in seconds or as an HTTP date, capped at 60 s.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(secs) = v.parse::<f64>() {
        Duration::from_secs_f64(secs.max(0.0))
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_millis(250);
        assert_eq!(backoff_for(b, 0), Duration::from_millis(250));
        assert_eq!(backoff_for(b, 2), Duration::from_secs(1));
        assert_eq!(backoff_for(b, 10), MAX_BACKOFF);
        assert_eq!(backoff_for(b, 40), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("3600"),
        );
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
    }
}
