//! The `hour_quota` knob: how many API requests a company may send per hour, as Intacct's
//! hard hourly limit refuses the rest with 429 and the `X-IA-Hour-Rate-Limit*` headers
//! (docs/emulator-services.md, "Hourly quota"). The window can be shortened for tests
//! (`5/2s`). Only API routes count, as for the concurrency cap.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderValue;
use axum::response::Response;

use crate::envelope::ApiError;

/// A quota: `requests` per `window` (an hour unless told).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourQuota {
    pub requests: u32,
    pub window: Duration,
}

impl std::fmt::Display for HourQuota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.window == Duration::from_hours(1) {
            write!(f, "{}/h", self.requests)
        } else {
            write!(
                f,
                "{}/{}",
                self.requests,
                courier_units::format_duration(self.window)
            )
        }
    }
}

/// What the quota says of one API request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// No quota is set.
    Unlimited,
    /// Counted; `remaining` more are allowed in this window.
    Allowed { limit: u32, remaining: u32 },
    /// Refused until the window ends, `wait` from now (whole seconds, at least 1).
    Spent { limit: u32, wait: NonZeroU32 },
}

/// The window in force and what it has counted.
#[derive(Debug)]
pub(crate) struct Window {
    state: Mutex<WindowState>,
}

#[derive(Debug)]
struct WindowState {
    quota: Option<HourQuota>,
    started: Instant,
    used: u32,
}

impl Window {
    pub(crate) fn new(quota: Option<HourQuota>) -> Window {
        Window {
            state: Mutex::new(WindowState {
                quota,
                started: Instant::now(),
                used: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WindowState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Set the quota and start a new window.
    pub(crate) fn set(&self, quota: Option<HourQuota>) {
        *self.lock() = WindowState {
            quota,
            started: Instant::now(),
            used: 0,
        };
    }

    pub(crate) fn quota(&self) -> Option<HourQuota> {
        self.lock().quota
    }

    /// Count one API request against the quota, or refuse it.
    pub(crate) fn take(&self) -> Answer {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> Answer {
        let mut state = self.lock();
        let Some(quota) = state.quota else {
            return Answer::Unlimited;
        };
        let elapsed = now.saturating_duration_since(state.started);
        if elapsed >= quota.window {
            // Fixed windows from the start (or the last change): whole windows skipped.
            let windows = elapsed.as_nanos() / quota.window.as_nanos().max(1);
            let skipped = u32::try_from(windows).unwrap_or(u32::MAX);
            state.started += quota.window.saturating_mul(skipped);
            state.used = 0;
        }
        if state.used < quota.requests {
            state.used += 1;
            return Answer::Allowed {
                limit: quota.requests,
                remaining: quota.requests - state.used,
            };
        }
        let left = (state.started + quota.window).saturating_duration_since(now);
        let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Answer::Spent {
            limit: quota.requests,
            wait: NonZeroU32::new(u32::try_from(seconds).unwrap_or(u32::MAX))
                .unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// The 429 of a spent quota: `GW-0010` with Intacct's quota wording. Its wait is named only in
/// `X-IA-Hour-Rate-Limit-Retry-After` (whether Intacct also sends `Retry-After` is not known).
pub(crate) fn spent(limit: u32, wait: NonZeroU32) -> ApiError {
    let mut error = ApiError::rate_limited(wait);
    error.retry_after = None;
    error.message = format!(
        "Total requests in a period exceed quota: {limit} requests per hour; retry after {wait} s"
    )
    .into();
    error.placeholders = vec![
        ("LIMIT", limit.to_string()),
        ("RETRY_AFTER", wait.to_string()),
    ];
    error
}

/// Add the `X-IA-Hour-Rate-Limit*` headers of an answer to its response.
pub(crate) fn headers(response: &mut Response, answer: Answer) {
    let headers = response.headers_mut();
    match answer {
        Answer::Unlimited => {}
        Answer::Allowed { limit, remaining } => {
            headers.insert("x-ia-hour-rate-limit", HeaderValue::from(limit));
            headers.insert(
                "x-ia-hour-rate-limit-remaining",
                HeaderValue::from(remaining),
            );
        }
        Answer::Spent { limit, wait } => {
            headers.insert("x-ia-hour-rate-limit", HeaderValue::from(limit));
            headers.insert("x-ia-hour-rate-limit-remaining", HeaderValue::from(0u32));
            headers.insert(
                "x-ia-hour-rate-limit-retry-after",
                HeaderValue::from(wait.get()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_refuses_and_renews() {
        let window = Window::new(Some(HourQuota {
            requests: 2,
            window: Duration::from_secs(10),
        }));
        let start = window.lock().started;
        let allowed = |remaining| Answer::Allowed {
            limit: 2,
            remaining,
        };
        let spent = |wait| Answer::Spent {
            limit: 2,
            wait: NonZeroU32::new(wait).expect("nonzero"),
        };
        for (secs, expected) in [
            (0.0, allowed(1)),
            (1.0, allowed(0)),
            // 7.5 s of the window left: the wait rounds up to whole seconds.
            (2.5, spent(8)),
            // Three windows later, counting starts again.
            (35.0, allowed(1)),
            (35.5, allowed(0)),
            (39.0, spent(1)),
        ] {
            let at = start + Duration::from_secs_f64(secs);
            assert_eq!(window.take_at(at), expected, "at {secs} s");
        }
        window.set(None);
        assert_eq!(window.take(), Answer::Unlimited);
    }

    #[test]
    fn quotas_read_back_as_written() {
        let hourly = HourQuota {
            requests: 5000,
            window: Duration::from_hours(1),
        };
        assert_eq!(hourly.to_string(), "5000/h");
        let short = HourQuota {
            requests: 5,
            window: Duration::from_secs(2),
        };
        assert_eq!(short.to_string(), "5/2s");
    }
}
