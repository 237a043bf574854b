//! The HTTP server: the state every handler shares, the router (OAuth, the API catch-all and
//! the `/__emulator` admin endpoints of docs/emulator.md), bounded body reading, and the JSON and
//! error responses they all send.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};

use crate::envelope::{ApiError, support_id};
use crate::options::{
    Credentials, DEFAULT_REDIRECT_URIS, EmulatorOptions, Scope, default_credentials,
};
use crate::stats::{FaultSettings, Faults, Stats};
use crate::store::Store;
use crate::tokens::Tokens;
use crate::{api, oauth, seed};

/// The largest request body: Intacct's documented 1 MB.
pub(crate) const BODY_LIMIT: usize = 1024 * 1024;

/// How much of an oversized body is read and thrown away so the client still gets its 413
/// on a live connection; past this the connection is closed.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) scope: Scope,
    pub(crate) seed: u64,
    pub(crate) credentials: Credentials,
    /// The other scope's default client: known, and refused with `invalid_client`.
    pub(crate) other_client: Credentials,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) deny_authorize: bool,
    pub(crate) rotate_refresh_tokens: bool,
    pub(crate) token_ttl: Duration,
    pub(crate) store: Store,
    pub(crate) tokens: Tokens,
    pub(crate) stats: Stats,
    pub(crate) faults: Faults,
    /// Answer an expired token with 401 `GW-0040` or 400 `REST-1206`.
    pub(crate) expired_token_status: u16,
    /// Objects the user may not touch: 403.
    pub(crate) deny_objects: Vec<String>,
    /// Whether a failed composite rolls back the writes of its earlier subrequests.
    pub(crate) composite_rollback: bool,
    /// How long a bulk job takes from `queued` to `completed`.
    pub(crate) bulk_duration: Duration,
    /// Concurrency slots of the `max_concurrent` knob.
    pub(crate) slots: crate::concurrency::Slots,
    /// `Idempotency-Key` replays.
    pub(crate) replays: crate::idempotency::Replays,
    /// Bulk jobs.
    pub(crate) jobs: crate::bulk::Jobs,
    /// Writes take it shared; an all-or-nothing batch or a composite takes it alone, so its
    /// rollback never undoes another request's write.
    pub(crate) gate: tokio::sync::RwLock<()>,
    /// Error answers so far: the `supportId` sequence.
    errors: AtomicU64,
}

impl Shared {
    pub(crate) fn new(options: &EmulatorOptions) -> Shared {
        let credentials = options.credentials();
        let mut redirect_uris: Vec<String> = DEFAULT_REDIRECT_URIS
            .iter()
            .map(|uri| (*uri).to_owned())
            .collect();
        redirect_uris.extend(options.redirect_uris.iter().cloned());
        Shared {
            scope: options.scope,
            seed: options.seed,
            store: Store::new(seed::dataset(
                options.scope,
                options.seed,
                oauth::split_username(&credentials.username).0,
            )),
            credentials,
            other_client: default_credentials(options.scope.other()),
            redirect_uris,
            deny_authorize: options.deny_authorize,
            rotate_refresh_tokens: options.rotate_refresh_tokens,
            token_ttl: options.token_ttl,
            tokens: Tokens::new(),
            stats: Stats::new(),
            faults: Faults::new(options.seed, FaultSettings::of(options)),
            expired_token_status: options.expired_token_status,
            deny_objects: options.deny_objects.clone(),
            composite_rollback: options.composite_rollback,
            bulk_duration: options.bulk_duration,
            slots: crate::concurrency::Slots::default(),
            replays: crate::idempotency::Replays::default(),
            jobs: crate::bulk::Jobs::default(),
            gate: tokio::sync::RwLock::new(()),
            errors: AtomicU64::new(0),
        }
    }

    /// The whole error body with the next `supportId`, as a value (for composite items).
    pub(crate) fn error_body(&self, error: &ApiError) -> Value {
        let counter = self.errors.fetch_add(1, Ordering::SeqCst) + 1;
        error.body(&support_id(self.seed, counter))
    }

    /// The `ia::error` object with the next `supportId` (for batch items).
    pub(crate) fn error_value(&self, error: &ApiError) -> Value {
        let mut body = self.error_body(error);
        body["ia::result"]["ia::error"].take()
    }

    /// Whether the `deny_objects` knob names this object (`accounts-payable/vendor`, or
    /// `vendor` as the query service also takes it).
    pub(crate) fn denied(&self, object: &str) -> bool {
        self.deny_objects
            .iter()
            .any(|denied| denied == object || denied.rsplit('/').next() == Some(object))
    }

    /// The error answer with the next `supportId`.
    pub(crate) fn error_response(&self, error: &ApiError) -> Response {
        let counter = self.errors.fetch_add(1, Ordering::SeqCst) + 1;
        let body = error.body(&support_id(self.seed, counter));
        let mut response = json_response(error.status, body.to_string());
        if let Some(seconds) = error.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.get()));
        }
        if error.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }

    /// Back to the seeded company: data, idempotency keys, counters and the `supportId`
    /// sequence. Tokens and knob settings stay.
    fn reset(&self) {
        self.store.load(seed::dataset(
            self.scope,
            self.seed,
            oauth::split_username(&self.credentials.username).0,
        ));
        self.stats.reset();
        self.faults.restart();
        self.replays.clear();
        self.jobs.clear();
        self.errors.store(0, Ordering::SeqCst);
    }
}

pub(crate) fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    Broken,
}

/// Read a request body of at most [`BODY_LIMIT`] bytes. An oversized body is drained (up to
/// a bound) so the client reads the error instead of a reset connection.
pub(crate) async fn read_body(body: Body) -> Result<Bytes, BodyError> {
    let mut body = body;
    let mut buffer = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::Broken);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= BODY_LIMIT {
            buffer.extend_from_slice(&data);
        } else if seen > DRAIN_LIMIT {
            return Err(BodyError::TooLarge);
        }
    }
    if seen > BODY_LIMIT {
        Err(BodyError::TooLarge)
    } else {
        Ok(buffer.freeze())
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/ia/api/v1/oauth2/authorize", any(oauth::authorize))
        .route("/ia/api/v1/oauth2/token", any(oauth::token))
        .route("/ia/api/v1/oauth2/revoke", any(oauth::revoke))
        .route("/ia/api/v1", any(api::dispatch))
        .route("/ia/api/v1/", any(api::dispatch))
        .route("/ia/api/v1/{*rest}", any(api::dispatch))
        .route("/__emulator/stats", get(stats))
        .route("/__emulator/reset", post(reset))
        .route("/__emulator/revoke-all", post(revoke_all))
        .route("/__emulator/faults", get(faults).post(set_faults))
        .fallback(outside)
        .with_state(shared)
}

/// Paths outside `/ia/api/v1` and the admin endpoints: a 404 in the same envelope.
async fn outside(State(shared): State<Arc<Shared>>, request: axum::extract::Request) -> Response {
    shared.error_response(&ApiError::route_not_found(
        request.method().as_str(),
        request.uri().path(),
    ))
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    json_response(StatusCode::OK, shared.stats.document().to_string())
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.reset();
    StatusCode::NO_CONTENT
}

async fn revoke_all(State(shared): State<Arc<Shared>>) -> Response {
    let revoked = shared.tokens.revoke_all();
    shared.stats.revocation();
    json_response(StatusCode::OK, json!({"revoked": revoked}).to_string())
}

fn settings_document(settings: &FaultSettings) -> Value {
    json!({
        "latency": format!("{}ms", settings.latency.as_millis()),
        "fail_first": settings.fail_first,
        "fail_every": settings.fail_every,
        "fail_rate": settings.fail_rate,
        "rate_limit": settings.rate_limit.map(|rate| format!("{rate}/s")),
        "max_concurrent": settings.max_concurrent,
        "hour_quota": settings.hour_quota.map(|quota| quota.to_string()),
    })
}

async fn faults(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        settings_document(&shared.faults.settings()).to_string(),
    )
}

/// `POST /__emulator/faults`: change some knobs; the keys left out keep their values.
async fn set_faults(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let refuse = |message: String| {
        json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": message}).to_string(),
        )
    };
    let Ok(bytes) = read_body(body).await else {
        return refuse("the body could not be read (at most 1 MB)".into());
    };
    let parsed: Value = if bytes.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(error) => return refuse(format!("the body is not valid JSON: {error}")),
        }
    };
    match apply_faults(shared.faults.settings(), &parsed) {
        Ok(settings) => {
            shared.faults.set(settings);
            json_response(StatusCode::OK, settings_document(&settings).to_string())
        }
        Err(message) => refuse(message),
    }
}

/// The knobs `POST /__emulator/faults` may change.
const FAULT_KNOBS: [&str; 7] = [
    "latency",
    "fail_first",
    "fail_every",
    "fail_rate",
    "rate_limit",
    "max_concurrent",
    "hour_quota",
];

/// Apply a faults body to the current settings, with the knob parsing of environment files.
fn apply_faults(settings: FaultSettings, body: &Value) -> Result<FaultSettings, String> {
    let map = body.as_object().ok_or("the body must be a JSON object")?;
    let mut options = EmulatorOptions {
        latency: settings.latency,
        fail_first: settings.fail_first,
        fail_every: settings.fail_every,
        fail_rate: settings.fail_rate,
        rate_limit: settings.rate_limit,
        max_concurrent: settings.max_concurrent,
        hour_quota: settings.hour_quota,
        ..EmulatorOptions::default()
    };
    for (name, value) in map {
        if !FAULT_KNOBS.contains(&name.as_str()) {
            return Err(format!(
                "unknown knob `{name}`: expected one of {}",
                FAULT_KNOBS.join(", ")
            ));
        }
        options
            .set_knob(name, value)
            .map_err(|error| error.to_string())?;
    }
    Ok(FaultSettings::of(&options))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fault off: the emulator's defaults.
    fn zero() -> FaultSettings {
        FaultSettings::of(&EmulatorOptions::default())
    }

    #[test]
    fn fault_bodies_change_only_the_keys_given() {
        let settings = apply_faults(
            FaultSettings {
                fail_every: 3,
                ..zero()
            },
            &json!({"latency": "20ms", "rate_limit": "50/s", "fail_rate": 0.5}),
        )
        .expect("valid");
        assert_eq!(settings.latency, Duration::from_millis(20));
        assert_eq!(settings.rate_limit, Some(50));
        assert_eq!(settings.fail_every, 3);
        assert!(apply_faults(zero(), &json!({"fail_rate": 2})).is_err());
        assert!(apply_faults(zero(), &json!({"latncy": 5})).is_err());
        assert!(apply_faults(zero(), &json!([1])).is_err());
        assert_eq!(
            apply_faults(zero(), &json!({"latency": 15})).map(|s| s.latency),
            Ok(Duration::from_millis(15))
        );
    }
}
