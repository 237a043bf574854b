//! The run's scheduler for requests on the wire (docs/environments.md#limits): at most
//! `max_concurrency` requests in flight and at most `requests_per_second` started, shared by
//! every collection of a run, token requests included. A 429 from any request pauses every
//! later send until its `Retry-After` (or Intacct's `X-IA-Throttle-Limit-Retry-After`) and
//! keeps one request fewer in flight than the server refused, growing back one step per
//! quiet [`GROW_AFTER`] up to `max_concurrency`; without one, the limit learned holds. A 429
//! that says the hourly quota is spent, not the concurrent slots, pauses without shrinking;
//! when the quota renews later than a wait is honoured, the API requests after it are not
//! sent until then ([`QuotaSpent`]).

use std::convert::Infallible;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// A wait the server asks for is honoured up to this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_mins(1);

/// After a 429 has shrunk the limit, a response that comes back this long after the last 429
/// (or the last step) raises it one step, up to `max_concurrency`. Each step that proves too
/// many costs a 429, hence a window of seconds rather than of responses.
pub const GROW_AFTER: Duration = Duration::from_secs(5);

/// The permits of a run without `max_concurrency`: more than any run has collections.
const UNCAPPED: usize = 1 << 24;

/// The headers a server names its wait in: the standard one, Intacct's throttle header in
/// both spellings its documentation uses, and its hourly quota's.
const WAIT_HEADERS: [&str; 4] = [
    "retry-after",
    "x-ia-throttle-limit-retry-after",
    "x-ia-throttle-limit-retryafter",
    "x-ia-hour-rate-limit-retry-after",
];

/// Intacct's count of the requests its hourly quota still allows.
const HOUR_QUOTA_LEFT: &str = "x-ia-hour-rate-limit-remaining";

/// Intacct's count of the concurrent slots still free.
const SLOTS_LEFT: &str = "x-ia-throttle-limit-remaining";

/// The run's budget of requests on the wire.
#[derive(Debug)]
pub struct Limiter {
    /// One permit per request allowed in flight; FIFO, so the request waiting longest goes
    /// first the moment one finishes.
    slots: Semaphore,
    interval: Option<Duration>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Requests on the wire now.
    in_flight: usize,
    /// Permits in circulation that should not be: a permit that comes back while there is a
    /// debt is forgotten instead (a shrink cannot take back permits that are held).
    debt: usize,
    /// The limit in force: `max_concurrency`, [`UNCAPPED`], or less after a 429.
    limit: usize,
    /// How far the limit grows back: `max_concurrency`; `None` without one.
    ceiling: Option<usize>,
    /// No request starts before this (a 429's wait).
    paused_until: Option<Instant>,
    /// The earliest start the rate allows next.
    next_start: Option<Instant>,
    /// The last 429 or step up, while the limit is below the ceiling.
    calm_since: Option<Instant>,
    /// 429s seen.
    throttled: u32,
    /// Of those, the ones that said the hourly quota was spent.
    quota: u32,
    /// The latest renewal of a spent hourly quota that renewed later than
    /// [`MAX_RETRY_AFTER`]: no API request starts before it. Kept once past, for the report.
    quota_closed: Option<QuotaSpent>,
    /// API requests not sent because of `quota_closed`.
    unsent: u32,
}

/// The hourly quota is spent and renews later than a wait is honoured: the request is not
/// sent, since the server would only refuse it (docs/environments.md#limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSpent {
    /// When the quota renews, by the run's clock.
    pub until: Instant,
    /// The same moment by the wall clock, for people.
    pub renews_at: chrono::DateTime<chrono::Utc>,
}

/// A request on the wire: dropping it frees its place for the next.
#[derive(Debug)]
pub struct Slot<'a> {
    limiter: &'a Limiter,
    permit: Option<SemaphorePermit<'a>>,
    throttled: bool,
}

/// What the 429s of a run came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttling {
    /// How many responses were 429.
    pub responses: u32,
    /// How many of them said the hourly quota was spent (and not the concurrent slots).
    pub quota: u32,
    /// The limit in force at the end; `None` when none was ever in force.
    pub limit: Option<usize>,
    /// Whether the hourly quota was spent for longer than a wait: how many API requests were
    /// not sent because of it, and when it renews.
    pub unsent: Option<(u32, chrono::DateTime<chrono::Utc>)>,
}

impl Limiter {
    pub fn new(max_concurrency: Option<u32>, requests_per_second: Option<f64>) -> Self {
        let ceiling = max_concurrency.map(|n| n.max(1) as usize);
        let limit = ceiling.unwrap_or(UNCAPPED);
        Self {
            slots: Semaphore::new(limit),
            interval: requests_per_second
                .filter(|r| *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            state: Mutex::new(State {
                in_flight: 0,
                debt: 0,
                limit,
                ceiling,
                paused_until: None,
                next_start: None,
                calm_since: None,
                throttled: 0,
                quota: 0,
                quota_closed: None,
                unsent: 0,
            }),
        }
    }

    pub fn unlimited() -> Self {
        Self::new(None, None)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for a place in flight, the end of a 429's pause and the rate, then returns the
    /// slot to hold while the request is on the wire. Cancel-safe: a dropped wait gives back
    /// what it held. For requests outside the API's quota (token requests).
    pub async fn acquire(&self) -> Slot<'_> {
        match self.acquire_if(|_| Ok::<(), Infallible>(())).await {
            Ok(slot) => slot,
            Err(never) => match never {},
        }
    }

    /// [`Limiter::acquire`] for an API request: refused, without waiting, while a spent hourly
    /// quota has not renewed.
    pub async fn acquire_within_quota(&self) -> Result<Slot<'_>, QuotaSpent> {
        self.acquire_if(State::quota_open).await
    }

    /// Whether the hourly quota is known spent for longer than a wait is honoured: a 429'd
    /// API request is then not resent.
    pub fn quota_closed(&self) -> bool {
        self.state()
            .quota_closed
            .is_some_and(|closed| closed.until > Instant::now())
    }

    /// The wait of [`Limiter::acquire`], refused whenever `allowed` refuses (checked each time
    /// the request could start).
    async fn acquire_if<E>(
        &self,
        allowed: impl Fn(&mut State) -> Result<(), E>,
    ) -> Result<Slot<'_>, E> {
        let mut held: Option<SemaphorePermit<'_>> = None;
        let mut rate_at: Option<Instant> = None;
        loop {
            let permit = if let Some(p) = held.take() {
                p
            } else {
                // Refused at once, not after waiting for a place.
                allowed(&mut self.state())?;
                match self.slots.acquire().await {
                    Ok(p) => p,
                    // Never closed; were it, sending unpaced beats never sending.
                    Err(_) => return Ok(self.start(None)),
                }
            };
            let wait_until = {
                let mut s = self.state();
                if s.debt > 0 {
                    // The limit shrank while this request waited: its permit pays the debt.
                    permit.forget();
                    s.debt -= 1;
                    continue;
                }
                allowed(&mut s)?;
                let now = Instant::now();
                if let Some(until) = s.paused_until.filter(|t| *t > now) {
                    Some(until)
                } else {
                    if let Some(interval) = self.interval
                        && rate_at.is_none()
                    {
                        let at = s.next_start.map_or(now, |n| n.max(now));
                        s.next_start = Some(at + interval);
                        rate_at = Some(at);
                    }
                    let until = rate_at.filter(|t| *t > now);
                    if until.is_none() {
                        s.in_flight += 1;
                    }
                    until
                }
            };
            match wait_until {
                None => return Ok(self.start(Some(permit))),
                // Holding the permit while every start waits costs no other request
                // anything and keeps this one's place in line.
                Some(until) => {
                    held = Some(permit);
                    tokio::time::sleep_until(until).await;
                }
            }
        }
    }

    fn start<'a>(&'a self, permit: Option<SemaphorePermit<'a>>) -> Slot<'a> {
        if permit.is_none() {
            self.state().in_flight += 1;
        }
        Slot {
            limiter: self,
            permit,
            throttled: false,
        }
    }

    /// The 429s so far and the limit they left.
    pub fn throttling(&self) -> Throttling {
        let s = self.state();
        Throttling {
            responses: s.throttled,
            quota: s.quota,
            limit: (s.limit < UNCAPPED).then_some(s.limit),
            unsent: s.quota_closed.map(|closed| (s.unsent, closed.renews_at)),
        }
    }
}

impl State {
    /// Refuses an API request while a spent quota has not renewed, counting it.
    fn quota_open(&mut self) -> Result<(), QuotaSpent> {
        match self.quota_closed {
            Some(closed) if closed.until > Instant::now() => {
                self.unsent = self.unsent.saturating_add(1);
                Err(closed)
            }
            _ => Ok(()),
        }
    }

    fn shrink_to(&mut self, limit: usize, slots: &Semaphore) {
        if limit < self.limit {
            let cut = self.limit - limit;
            let taken = slots.forget_permits(cut);
            self.debt += cut - taken;
            self.limit = limit;
        }
    }

    fn grow(&mut self, now: Instant, slots: &Semaphore) {
        let (Some(ceiling), Some(calm)) = (self.ceiling, self.calm_since) else {
            return;
        };
        if self.limit >= ceiling {
            self.calm_since = None;
        } else if now.duration_since(calm) >= GROW_AFTER {
            if self.debt > 0 {
                self.debt -= 1;
            } else {
                slots.add_permits(1);
            }
            self.limit += 1;
            self.calm_since = (self.limit < ceiling).then_some(now);
        }
    }
}

impl Slot<'_> {
    /// The request was answered 429: no request of the run starts before the wait its
    /// headers name, and the run keeps one fewer in flight than it had (at least one) —
    /// unless the headers say the hourly quota is spent while concurrent slots are left:
    /// fewer requests at once would not be refused less. A quota that renews later than
    /// [`MAX_RETRY_AFTER`] pauses nothing: the API requests until then are not sent.
    pub fn throttled(mut self, headers: &HeaderMap) {
        let limiter = self.limiter;
        let now = Instant::now();
        let mut s = limiter.state();
        s.throttled = s.throttled.saturating_add(1);
        self.throttled = true;
        if quota_spent(headers) {
            s.quota = s.quota.saturating_add(1);
            if let Some(wait) = named_wait(headers).filter(|w| *w > MAX_RETRY_AFTER) {
                let renews_at = chrono::Utc::now()
                    + chrono::TimeDelta::from_std(wait).unwrap_or(chrono::TimeDelta::MAX);
                let closed = QuotaSpent {
                    until: now + wait,
                    renews_at,
                };
                s.quota_closed = Some(match s.quota_closed {
                    Some(before) if before.until > closed.until => before,
                    _ => closed,
                });
                return;
            }
        } else {
            let limit = s.in_flight.saturating_sub(1).max(1);
            s.shrink_to(limit, &limiter.slots);
            s.calm_since = Some(now);
        }
        if let Some(wait) = retry_after(headers) {
            let until = now + wait;
            s.paused_until = Some(s.paused_until.map_or(until, |p| p.max(until)));
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let limiter = self.limiter;
        let mut s = limiter.state();
        s.in_flight = s.in_flight.saturating_sub(1);
        if !self.throttled {
            s.grow(Instant::now(), &limiter.slots);
        }
        if s.debt > 0
            && let Some(permit) = self.permit.take()
        {
            permit.forget();
            s.debt -= 1;
        }
    }
}

/// The wait a response asks for: the longest of `Retry-After` and Intacct's
/// `X-IA-Throttle-Limit-Retry-After`, each in seconds or as an HTTP date, capped at
/// [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    named_wait(headers).map(|wait| wait.min(MAX_RETRY_AFTER))
}

/// The longest wait the headers name, uncapped.
fn named_wait(headers: &HeaderMap) -> Option<Duration> {
    WAIT_HEADERS
        .iter()
        .flat_map(|name| headers.get_all(*name))
        .filter_map(|v| wait_of(v.to_str().ok()?.trim()))
        .max()
}

/// Whether a 429's headers say that the hourly quota is spent (`X-IA-Hour-Rate-Limit-Remaining:
/// 0`) and not that the concurrent slots are (`X-IA-Throttle-Limit-Remaining: 0`).
fn quota_spent(headers: &HeaderMap) -> bool {
    let zero = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0")
    };
    zero(HOUR_QUOTA_LEFT) && !zero(SLOTS_LEFT)
}

fn wait_of(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.parse::<f64>() {
        return Duration::try_from_secs_f64(secs.max(0.0)).ok();
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
