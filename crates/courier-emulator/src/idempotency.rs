//! `Idempotency-Key` replay for every write route (single and batch create and update,
//! composite, bulk job creation): the same key with the same request answers the cached
//! status and body, with `x-ia-idempotency-cached-date`; the same key with another request is
//! a 409 (docs/emulator-services.md, "Idempotency-Key"). Only successes are kept, so a request
//! that failed can be fixed and sent again under its key.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use sha2::{Digest, Sha256};

use crate::envelope::ApiError;
use crate::server::json_response;
use crate::tokens::lock;

/// The longest key Intacct takes.
const MAX_KEY: usize = 256;

#[derive(Debug, Clone)]
struct Cached {
    fingerprint: [u8; 32],
    status: StatusCode,
    body: Bytes,
    headers: HeaderMap,
    date: String,
}

/// The first successful answer per key.
#[derive(Debug, Default)]
pub(crate) struct Replays {
    cached: Mutex<HashMap<String, Cached>>,
}

/// A request's key and fingerprint.
#[derive(Debug)]
pub(crate) struct Claim {
    key: String,
    fingerprint: [u8; 32],
}

/// What to do with a request that carries a key.
pub(crate) enum Lookup {
    /// Run it, then [`Replays::keep`] the answer.
    Run(Claim),
    /// Answer this.
    Answer(Response),
}

impl Replays {
    /// Look a request up by its `Idempotency-Key` header (no header: `None`).
    pub(crate) fn lookup(
        &self,
        headers: &HeaderMap,
        method: &str,
        path: &str,
        entity: Option<&str>,
        body: &[u8],
    ) -> Result<Option<Lookup>, ApiError> {
        let Some(key) = headers
            .get("idempotency-key")
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|key| !key.is_empty())
        else {
            return Ok(None);
        };
        if key.len() > MAX_KEY {
            return Err(ApiError::idempotency_key_too_long(MAX_KEY));
        }
        let mut hasher = Sha256::new();
        for part in [
            method.as_bytes(),
            path.as_bytes(),
            entity.unwrap_or("").as_bytes(),
            body,
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let fingerprint: [u8; 32] = hasher.finalize().into();
        match lock(&self.cached).get(key) {
            Some(first) if first.fingerprint == fingerprint => {
                let mut response = json_response(first.status, first.body.clone());
                for (name, value) in &first.headers {
                    response.headers_mut().insert(name, value.clone());
                }
                if let Ok(date) = HeaderValue::from_str(&first.date) {
                    response
                        .headers_mut()
                        .insert("x-ia-idempotency-cached-date", date);
                }
                Ok(Some(Lookup::Answer(response)))
            }
            Some(_) => Err(ApiError::idempotency_conflict(key)),
            None => Ok(Some(Lookup::Run(Claim {
                key: key.to_owned(),
                fingerprint,
            }))),
        }
    }

    /// Keep a successful answer for its claim, and give it back rebuilt.
    pub(crate) async fn keep(&self, claim: Claim, response: Response) -> Response {
        if !response.status().is_success() {
            return response;
        }
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes)
            .unwrap_or_default();
        let mut headers = parts.headers.clone();
        headers.remove(axum::http::header::CONTENT_TYPE);
        headers.remove(axum::http::header::CONTENT_LENGTH);
        lock(&self.cached).insert(
            claim.key,
            Cached {
                fingerprint: claim.fingerprint,
                status: parts.status,
                body: body.clone(),
                headers,
                date: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            },
        );
        Response::from_parts(parts, axum::body::Body::from(body))
    }

    pub(crate) fn clear(&self) {
        lock(&self.cached).clear();
    }
}
