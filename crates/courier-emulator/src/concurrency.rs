//! The `max_concurrent` cap: how many API requests may be in flight at once, as Intacct
//! enforces concurrent requests per company (docs/emulator-services.md, "Concurrency limit").
//! Only API routes take a slot; OAuth and `/__emulator` never do.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use crate::envelope::ApiError;

/// The API requests holding a slot now.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    in_flight: AtomicU32,
}

/// A slot held until dropped.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a AtomicU32);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Slots {
    /// Take a slot, or `None` when `max` (0 = no cap) are already taken.
    pub(crate) fn enter(&self, max: u32) -> Option<Slot<'_>> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        if max > 0 && now > max {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Slot(&self.in_flight))
    }
}

/// The gateway's 429 for a request beyond the cap: `GW-0010`, `Retry-After: 1` (set from
/// the error) and Intacct's throttle headers.
pub(crate) fn over_limit(max: u32) -> ApiError {
    let mut error = ApiError::rate_limited(std::num::NonZeroU32::MIN);
    error.message =
        format!("API rate limit exceeded: no remaining slots ({max} concurrent requests)").into();
    error.placeholders = vec![("LIMIT", max.to_string()), ("RETRY_AFTER", "1".to_owned())];
    error
}

/// Add `X-IA-Throttle-Limit`, `-Remaining` and `-Retry-After` to a 429 of the cap.
pub(crate) fn throttle_headers(response: &mut Response, max: u32) {
    debug_assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let headers = response.headers_mut();
    headers.insert("x-ia-throttle-limit", HeaderValue::from(max));
    headers.insert("x-ia-throttle-limit-remaining", HeaderValue::from(0u32));
    headers.insert("x-ia-throttle-limit-retry-after", HeaderValue::from(1u32));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_cap_what_is_in_flight_and_free_on_drop() {
        let slots = Slots::default();
        let first = slots.enter(2).expect("a slot");
        let second = slots.enter(2).expect("a slot");
        assert!(slots.enter(2).is_none());
        drop(first);
        let third = slots.enter(2).expect("a freed slot");
        drop((second, third));
        let many: Vec<_> = (0..50).map(|_| slots.enter(0).expect("no cap")).collect();
        assert_eq!(many.len(), 50);
    }
}
