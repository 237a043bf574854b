//! Sending one prepared request: the environment's limits, the request's retries with their
//! backoff (docs/collections.md#retries), and one token renewal after a 401. What comes back
//! is a [`Received`] response or a [`SendError`] saying why there is none.

use std::time::Duration;

use reqwest::header::HeaderValue;

use courier_core::model::{Retries, RetryOn};

use crate::client::{self, Prepared, Received, SendError};
use crate::limits::{QuotaSpent, retry_after};
use crate::runner::Shared;
use courier_events::ErrorKind;

/// Backoff between retries doubles up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// What the sends of one request leave behind: how many there were, when the first went on
/// the wire, and under `-v` a line for each send that another followed.
#[derive(Debug, Default)]
pub(crate) struct Sends {
    pub(crate) count: u32,
    /// From the run's start to the moment the first send had its slot: the request's
    /// `started_ms` (docs/reports-v2.md), after any wait for a place in flight.
    pub(crate) first: Option<Duration>,
    pub(crate) log: Vec<String>,
}

impl Sends {
    fn note(&mut self, verbose: bool, line: String) {
        if verbose {
            self.log.push(line);
        }
    }
}

/// Sends with the request's retries: `count` extra attempts on the listed statuses
/// or network errors, never for a mutating request without an `Idempotency-Key`; backoff
/// doubling from `backoff` up to 10 s, or the wait the response names (`Retry-After`,
/// `X-IA-Throttle-Limit-Retry-After`) up to 60 s; the identical rendered
/// request is resent. A 401 renews the token once and retries once.
pub(crate) async fn send_with_retries(
    shared: &Shared,
    prepared: &Prepared,
    profile: &str,
    retries: Option<&Retries>,
    mutates: bool,
    jar: &crate::jar::Jar,
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
        let slot = match shared.limiter.acquire_within_quota().await {
            Ok(slot) => slot,
            Err(spent) => return Err(quota_spent_error(spent, sent.count)),
        };
        sent.count += 1;
        if sent.first.is_none() {
            sent.first = Some(shared.run_started.elapsed());
        }
        let outcome = client::send(
            &shared.client,
            prepared,
            auth.as_ref(),
            Some(jar),
            &shared.runtime.secrets,
        )
        .await;
        // A 429 paces the whole run (docs/environments.md#limits); any other end frees the
        // slot for the next request the moment the response is in.
        match &outcome {
            Ok(rec) if rec.status.as_u16() == 429 => slot.throttled(&rec.headers),
            _ => drop(slot),
        }
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
                // A quota spent for longer than a wait is honoured would refuse the resend too.
                if attempt < count && retryable && !shared.limiter.quota_closed() {
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

/// Why an API request was not sent: the hourly quota, spent on an earlier response, renews
/// later than a wait is honoured (docs/environments.md#limits).
fn quota_spent_error(spent: QuotaSpent, sends: u32) -> SendError {
    let renews = spent.renews_at.format("%H:%M:%S UTC");
    let before = if sends > 0 { "sent again" } else { "sent" };
    SendError {
        kind: ErrorKind::Network,
        message: format!(
            "not {before}: the server's hourly request quota is spent until about {renews} \
             (X-IA-Hour-Rate-Limit-Remaining: 0 on an earlier response); run again after it \
             renews, or send fewer requests per hour"
        ),
    }
}

fn backoff_for(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
    base.checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF)
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
}
