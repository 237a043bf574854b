//! The counters behind `GET /__emulator/stats` (docs/emulator.md) and the run-time fault knobs.
//!
//! Counters are atomics, so they are exact under any concurrency without a lock on the hot
//! path; only the rare odd route (a method no route serves) and the rate limiter's bucket take
//! a mutex, never across an await.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::seed::SplitMix;
use crate::tokens::lock;

/// The API routes the emulator serves, as the stats document names them (relative to
/// `/ia/api/v1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    List,
    Create,
    Get,
    Update,
    Delete,
    Query,
    Model,
    /// Batch update: an array of records, each with its `key`.
    UpdateMany,
    Composite,
    BulkCreate,
    BulkStatus,
}

impl Route {
    const ALL: [Route; ROUTES] = [
        Route::List,
        Route::Create,
        Route::Get,
        Route::Update,
        Route::Delete,
        Route::Query,
        Route::Model,
        Route::UpdateMany,
        Route::Composite,
        Route::BulkCreate,
        Route::BulkStatus,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Route::List => "GET /objects/{application}/{object}",
            Route::Create => "POST /objects/{application}/{object}",
            Route::Get => "GET /objects/{application}/{object}/{key}",
            Route::Update => "PATCH /objects/{application}/{object}/{key}",
            Route::Delete => "DELETE /objects/{application}/{object}/{key}",
            Route::Query => "POST /services/core/query",
            Route::Model => "GET /services/core/model",
            Route::UpdateMany => "PATCH /objects/{application}/{object}",
            Route::Composite => "POST /services/core/composite",
            Route::BulkCreate => "POST /services/bulk/job/create",
            Route::BulkStatus => "GET /services/bulk/job/status",
        }
    }
}

/// How many routes [`Route`] names.
const ROUTES: usize = 11;

/// Which grant a token request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantKind {
    ClientCredentials,
    RefreshToken,
    AuthorizationCode,
    Other,
}

#[derive(Debug, Default)]
pub(crate) struct Stats {
    grants: [AtomicU64; 4],
    token_errors: AtomicU64,
    revocations: AtomicU64,
    authorize_requests: AtomicU64,
    api_requests: AtomicU64,
    /// Indexed by status code; only 400–599 are ever counted.
    rejected: Vec<AtomicU64>,
    routes: [AtomicU64; ROUTES],
    /// Requests that matched no route, by `METHOD /{*path}`.
    unmatched: Mutex<BTreeMap<String, u64>>,
    in_flight: AtomicU64,
    in_flight_peak: AtomicU64,
    /// API requests refused by `max_concurrent`.
    concurrency_rejections: AtomicU64,
}

/// Counts one API request in flight until dropped.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Stats {
    pub(crate) fn new() -> Stats {
        Stats {
            rejected: (0..600).map(|_| AtomicU64::new(0)).collect(),
            ..Stats::default()
        }
    }

    pub(crate) fn grant(&self, kind: GrantKind) {
        self.grants[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_error(&self) {
        self.token_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn revocation(&self) {
        self.revocations.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn authorize(&self) {
        self.authorize_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Count an API request on its route and mark it in flight.
    pub(crate) fn api_request(&self, route: Result<Route, &str>) -> InFlight<'_> {
        self.api_requests.fetch_add(1, Ordering::Relaxed);
        match route {
            Ok(route) => {
                self.routes[route as usize].fetch_add(1, Ordering::Relaxed);
            }
            Err(method) => {
                *lock(&self.unmatched)
                    .entry(format!("{method} /{{*path}}"))
                    .or_insert(0) += 1;
            }
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.in_flight_peak.fetch_max(now, Ordering::SeqCst);
        InFlight(&self.in_flight)
    }

    /// Count an API request refused because `max_concurrent` were already in flight.
    pub(crate) fn concurrency_rejection(&self) {
        self.concurrency_rejections.fetch_add(1, Ordering::Relaxed);
    }

    /// Count an API answer that refused or failed the request.
    pub(crate) fn rejected(&self, status: u16) {
        if let Some(counter) = self.rejected.get(usize::from(status)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn reset(&self) {
        let all = self
            .grants
            .iter()
            .chain(&self.routes)
            .chain(&self.rejected)
            .chain([
                &self.token_errors,
                &self.revocations,
                &self.authorize_requests,
                &self.api_requests,
                &self.concurrency_rejections,
            ]);
        for counter in all {
            counter.store(0, Ordering::SeqCst);
        }
        lock(&self.unmatched).clear();
        // Requests still in flight stay counted; the peak starts again from them.
        self.in_flight_peak
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The stats document of docs/emulator.md; `routes` and `rejected` list only what happened.
    pub(crate) fn document(&self) -> Value {
        let load = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        let rejected: Map<String, Value> = self
            .rejected
            .iter()
            .enumerate()
            .filter(|(_, counter)| load(counter) > 0)
            .map(|(status, counter)| (status.to_string(), json!(load(counter))))
            .collect();
        let mut routes: BTreeMap<String, u64> = lock(&self.unmatched).clone();
        for route in Route::ALL {
            let count = load(&self.routes[route as usize]);
            if count > 0 {
                routes.insert(route.name().to_owned(), count);
            }
        }
        json!({
            "version": 1,
            "token_requests": {
                "client_credentials": load(&self.grants[GrantKind::ClientCredentials as usize]),
                "refresh_token": load(&self.grants[GrantKind::RefreshToken as usize]),
                "authorization_code": load(&self.grants[GrantKind::AuthorizationCode as usize]),
                "other": load(&self.grants[GrantKind::Other as usize]),
            },
            "token_errors": load(&self.token_errors),
            "revocations": load(&self.revocations),
            "authorize_requests": load(&self.authorize_requests),
            "api_requests": load(&self.api_requests),
            "rejected": rejected,
            "routes": routes,
            "in_flight_peak": load(&self.in_flight_peak),
            "concurrency_rejections": load(&self.concurrency_rejections),
        })
    }
}

/// The fault knobs, changeable at run time through `POST /__emulator/faults`.
#[derive(Debug)]
pub(crate) struct Faults {
    seed: u64,
    latency_micros: AtomicU64,
    fail_first: AtomicU64,
    fail_every: AtomicU64,
    fail_rate_bits: AtomicU64,
    /// Requests per second; 0 = no limit.
    rate_limit: AtomicU32,
    /// API requests in flight at once; 0 = no cap.
    max_concurrent: AtomicU32,
    /// The hourly quota and its window.
    quota: crate::quota::Window,
    /// API requests that reached the fault check since start, reset or the last change.
    sequence: AtomicU64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

/// The fault settings as plain values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FaultSettings {
    pub(crate) latency: Duration,
    pub(crate) fail_first: u64,
    pub(crate) fail_every: u64,
    pub(crate) fail_rate: f64,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) max_concurrent: Option<u32>,
    pub(crate) hour_quota: Option<crate::quota::HourQuota>,
}

impl FaultSettings {
    pub(crate) fn of(options: &crate::options::EmulatorOptions) -> FaultSettings {
        FaultSettings {
            latency: options.latency,
            fail_first: options.fail_first,
            fail_every: options.fail_every,
            fail_rate: options.fail_rate,
            rate_limit: options.rate_limit,
            max_concurrent: options.max_concurrent,
            hour_quota: options.hour_quota,
        }
    }
}

impl Faults {
    pub(crate) fn new(seed: u64, settings: FaultSettings) -> Faults {
        let faults = Faults {
            seed,
            latency_micros: AtomicU64::new(0),
            fail_first: AtomicU64::new(0),
            fail_every: AtomicU64::new(0),
            fail_rate_bits: AtomicU64::new(0),
            rate_limit: AtomicU32::new(0),
            max_concurrent: AtomicU32::new(0),
            quota: crate::quota::Window::new(None),
            sequence: AtomicU64::new(0),
            bucket: Mutex::new(Bucket {
                tokens: 0.0,
                refilled_at: Instant::now(),
            }),
        };
        faults.set(settings);
        faults
    }

    pub(crate) fn set(&self, settings: FaultSettings) {
        self.latency_micros.store(
            u64::try_from(settings.latency.as_micros()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
        self.fail_first.store(settings.fail_first, Ordering::SeqCst);
        self.fail_every.store(settings.fail_every, Ordering::SeqCst);
        self.fail_rate_bits
            .store(settings.fail_rate.to_bits(), Ordering::SeqCst);
        self.max_concurrent
            .store(settings.max_concurrent.unwrap_or(0), Ordering::SeqCst);
        self.quota.set(settings.hour_quota);
        let rate = settings.rate_limit.unwrap_or(0);
        self.rate_limit.store(rate, Ordering::SeqCst);
        *lock(&self.bucket) = Bucket {
            tokens: f64::from(rate),
            refilled_at: Instant::now(),
        };
        self.sequence.store(0, Ordering::SeqCst);
    }

    pub(crate) fn settings(&self) -> FaultSettings {
        let rate = self.rate_limit.load(Ordering::SeqCst);
        FaultSettings {
            latency: Duration::from_micros(self.latency_micros.load(Ordering::SeqCst)),
            fail_first: self.fail_first.load(Ordering::SeqCst),
            fail_every: self.fail_every.load(Ordering::SeqCst),
            fail_rate: f64::from_bits(self.fail_rate_bits.load(Ordering::SeqCst)),
            rate_limit: (rate > 0).then_some(rate),
            max_concurrent: Some(self.max_concurrent.load(Ordering::SeqCst)).filter(|n| *n > 0),
            hour_quota: self.quota.quota(),
        }
    }

    /// Restart the fault sequence (`fail_first` counts again from the next request).
    pub(crate) fn restart(&self) {
        self.set(self.settings());
    }

    /// The cap on API requests in flight; 0 = none.
    pub(crate) fn max_concurrent(&self) -> u32 {
        self.max_concurrent.load(Ordering::Relaxed)
    }

    /// Count an API request against the hourly quota, or refuse it.
    pub(crate) fn take_quota(&self) -> crate::quota::Answer {
        self.quota.take()
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    /// `Err(seconds to wait)` when the rate limit refuses a request now.
    pub(crate) fn admit(&self) -> Result<(), std::num::NonZeroU32> {
        let rate = self.rate_limit.load(Ordering::Relaxed);
        if rate == 0 {
            return Ok(());
        }
        let rate = f64::from(rate);
        let mut bucket = lock(&self.bucket);
        let now = Instant::now();
        let elapsed = now.duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / rate).ceil().max(1.0);
            Err(std::num::NonZeroU32::new(wait as u32).unwrap_or(std::num::NonZeroU32::MIN))
        }
    }

    /// Whether this API request is one the fault knobs fail.
    pub(crate) fn should_fail(&self) -> bool {
        let n = self.sequence.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.fail_first.load(Ordering::Relaxed) {
            return true;
        }
        let every = self.fail_every.load(Ordering::Relaxed);
        if every > 0 && n.is_multiple_of(every) {
            return true;
        }
        let rate = f64::from_bits(self.fail_rate_bits.load(Ordering::Relaxed));
        if rate > 0.0 {
            // Drawn from the seed and the request's place in the sequence: a run that sends
            // the same requests in the same order meets the same faults.
            let draw = SplitMix::new(self.seed, n).next_u64() >> 11;
            return (draw as f64 / (1u64 << 53) as f64) < rate;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fault off: the emulator's defaults.
    fn settings() -> FaultSettings {
        FaultSettings::of(&crate::options::EmulatorOptions::default())
    }

    #[test]
    fn fail_first_and_fail_every_pick_the_right_requests() {
        let faults = Faults::new(
            0,
            FaultSettings {
                fail_first: 2,
                fail_every: 5,
                ..settings()
            },
        );
        let failed: Vec<bool> = (0..10).map(|_| faults.should_fail()).collect();
        assert_eq!(
            failed,
            [
                true, true, false, false, true, false, false, false, false, true
            ]
        );
    }

    #[test]
    fn fail_rate_is_roughly_the_rate_and_repeatable() {
        let run = || {
            let faults = Faults::new(
                3,
                FaultSettings {
                    fail_rate: 0.25,
                    ..settings()
                },
            );
            (0..4000).filter(|_| faults.should_fail()).count()
        };
        let failures = run();
        assert!((800..1200).contains(&failures), "{failures}");
        assert_eq!(failures, run());
    }

    #[test]
    fn the_rate_limit_admits_a_burst_then_asks_to_wait() {
        let faults = Faults::new(
            0,
            FaultSettings {
                rate_limit: Some(3),
                ..settings()
            },
        );
        assert!((0..3).all(|_| faults.admit().is_ok()));
        assert_eq!(faults.admit().map_err(std::num::NonZeroU32::get), Err(1));
    }

    #[test]
    fn the_stats_document_lists_what_happened() {
        let stats = Stats::new();
        drop(stats.api_request(Ok(Route::Get)));
        drop(stats.api_request(Err("PUT")));
        stats.rejected(404);
        let document = stats.document();
        assert_eq!(document["api_requests"], 2);
        assert_eq!(
            document["routes"]["GET /objects/{application}/{object}/{key}"],
            1
        );
        assert_eq!(document["routes"]["PUT /{*path}"], 1);
        assert_eq!(document["rejected"], json!({"404": 1}));
        assert_eq!(document["in_flight_peak"], 1);
        stats.reset();
        assert_eq!(stats.document()["api_requests"], 0);
    }
}
