//! The `ia::result` / `ia::meta` / `ia::error` envelopes (docs/emulator.md, "Envelopes and values"), and the
//! catalogue of API errors the emulator answers with.
//!
//! Error bodies follow the official `error-response` schema exactly (`code`, `message`,
//! `errorId`, `additionalInfo {messageId, placeholders, propertySet}`, `supportId`, optional
//! `details[]` with `target`). The identifiers `GW-0034`, `GW-0040`, `REST-1206`, `REST-2102`,
//! `REST-1028`, `REST-1043`, `REST-1064` and `REST-1106` are Intacct's own; the others (and
//! the `code` of the gateway errors) are inferred: Intacct does not document them, so they
//! were chosen in the same style and kept stable.

use std::fmt::Write as _;
use std::num::NonZeroU32;

use axum::http::StatusCode;
use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// One field-level problem inside an error's `details[]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Detail {
    pub(crate) error_id: &'static str,
    pub(crate) message_id: &'static str,
    pub(crate) message: String,
    /// A JSON pointer into the request payload (`/department/id`).
    pub(crate) target: String,
}

impl Detail {
    pub(crate) fn unknown_field(target: &str) -> Detail {
        Detail {
            error_id: "REST-1043",
            message_id: "IA.NOT_A_VALID_FIELD",
            message: format!("{target} is not a valid field"),
            target: target.to_owned(),
        }
    }

    pub(crate) fn wrong_type(target: &str, expected: &str) -> Detail {
        Detail {
            error_id: "REST-1044",
            message_id: "IA.INVALID_FIELD_VALUE",
            message: format!("{target} must be {expected}"),
            target: target.to_owned(),
        }
    }

    pub(crate) fn read_only(target: &str) -> Detail {
        Detail {
            error_id: "REST-1045",
            message_id: "IA.FIELD_IS_READ_ONLY",
            message: format!("{target} is read-only"),
            target: target.to_owned(),
        }
    }

    pub(crate) fn required(target: &str) -> Detail {
        Detail {
            error_id: "REST-1046",
            message_id: "IA.REQUIRED_FIELD_MISSING",
            message: format!("{target} is required"),
            target: target.to_owned(),
        }
    }

    pub(crate) fn reference_not_found(target: &str, object: &str, id: &str) -> Detail {
        Detail {
            error_id: "REST-1047",
            message_id: "IA.REFERENCED_RECORD_NOT_FOUND",
            message: format!("{target}: no {object} with {id} exists"),
            target: target.to_owned(),
        }
    }

    /// A `state` a create may not ask for.
    pub(crate) fn invalid_state(
        target: &str,
        state: &str,
        object: &str,
        allowed: &[&str],
    ) -> Detail {
        Detail {
            error_id: "REST-1049",
            message_id: "IA.INVALID_STATE_ON_CREATE",
            message: format!(
                "State {state} is not valid when creating a {object}: use {} or leave it out",
                allowed.join(" or ")
            ),
            target: target.to_owned(),
        }
    }

    /// One line of a transaction that breaks a rule of the whole.
    pub(crate) fn line(target: &str, message: String) -> Detail {
        Detail {
            error_id: "REST-1066",
            message_id: "IA.LINE_NOT_BALANCED",
            message,
            target: target.to_owned(),
        }
    }

    pub(crate) fn not_mutable(target: &str) -> Detail {
        Detail {
            error_id: "REST-1048",
            message_id: "IA.FIELD_IS_NOT_MUTABLE",
            message: format!("{target} cannot be changed"),
            target: target.to_owned(),
        }
    }
}

/// An error answer of the API, before it gets its `supportId`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) error_id: &'static str,
    pub(crate) message_id: &'static str,
    // Boxed and narrow fields keep `Result<_, ApiError>` small on every handler's return path.
    pub(crate) message: Box<str>,
    pub(crate) placeholders: Vec<(&'static str, String)>,
    pub(crate) details: Vec<Detail>,
    /// Seconds for a `Retry-After` header (429 only).
    pub(crate) retry_after: Option<NonZeroU32>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        error_id: &'static str,
        message_id: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        let message: String = message.into();
        ApiError {
            status,
            code,
            error_id,
            message_id,
            message: message.into_boxed_str(),
            placeholders: Vec::new(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub(crate) fn placeholder(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.placeholders.push((name, value.into()));
        self
    }

    // --- the gateway's token checks ---

    pub(crate) fn authorization_header() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "GW-0034",
            "IA.INVALID_AUTHORIZATION_HEADER",
            "Invalid Authorization Header",
        )
    }

    pub(crate) fn token_unreadable() -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidToken",
            "REST-1206",
            "IA.THE_TOKEN_IS_NOT_VALID",
            "The token is not valid",
        )
    }

    pub(crate) fn token_expired() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "tokenExpired",
            "GW-0040",
            "IA.EXPIRED_TOKEN",
            "Expired token",
        )
    }

    pub(crate) fn token_revoked() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "tokenInvalid",
            "REST-2102",
            "IA.TOKEN_IS_INVALID",
            "Token is not valid",
        )
    }

    // --- knobs ---

    pub(crate) fn rate_limited(retry_after: NonZeroU32) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "tooManyRequests",
            "GW-0010",
            "IA.RATE_LIMIT_EXCEEDED",
            format!("Rate limit exceeded; retry after {retry_after} s"),
        )
        .placeholder("RETRY_AFTER", retry_after.to_string());
        error.retry_after = Some(retry_after);
        error
    }

    pub(crate) fn injected_fault() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceUnavailable",
            "EMU-0503",
            "IA.SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable (a fault injected by the emulator)",
        )
    }

    // --- routing and objects ---

    pub(crate) fn route_not_found(method: &str, path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "notFound",
            "REST-1002",
            "IA.RESOURCE_NOT_FOUND",
            format!("{method} {path} is not a resource of this API"),
        )
        .placeholder("RESOURCE", path)
    }

    pub(crate) fn unknown_object(object: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "notFound",
            "REST-1003",
            "IA.OBJECT_NOT_FOUND",
            format!("{object} is not a valid object"),
        )
        .placeholder("OBJECT", object)
    }

    pub(crate) fn record_not_found(object: &str, key: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "notFound",
            "REST-1018",
            "IA.RECORD_NOT_FOUND",
            format!("No {object} with key {key} was found"),
        )
        .placeholder("OBJECT", object)
        .placeholder("KEY", key)
    }

    pub(crate) fn unknown_entity(entity: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1072",
            "IA.INVALID_ENTITY",
            format!("{entity} is not a valid entity"),
        )
        .placeholder("ENTITY", entity)
    }

    // --- payloads ---

    pub(crate) fn payload_required(operation: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1028",
            "IA.REQUEST_REQUIRES_A_PAYLOAD",
            format!("A {operation} request requires a payload"),
        )
        .placeholder("OPERATION", operation)
    }

    pub(crate) fn malformed_json(reason: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1025",
            "IA.INVALID_JSON_PAYLOAD",
            format!("The request payload is not valid JSON: {reason}"),
        )
    }

    pub(crate) fn payload_not_object(operation: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1026",
            "IA.PAYLOAD_MUST_BE_AN_OBJECT",
            format!(
                "A {operation} payload must be a JSON object (or, for a batch, an array of them)"
            ),
        )
        .placeholder("OPERATION", operation)
    }

    pub(crate) fn payload_too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payloadTooLarge",
            "REST-1029",
            "IA.PAYLOAD_TOO_LARGE",
            format!("The request payload is larger than {limit} bytes"),
        )
        .placeholder("LIMIT", limit.to_string())
    }

    /// A schema error: unknown fields, wrong types, read-only fields (400).
    pub(crate) fn payload_errors(details: Vec<Detail>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1064",
            "IA.PAYLOAD_CONTAINS_ERRORS",
            "Payload contains errors",
        );
        error.details = details;
        error
    }

    /// A business-rule error: missing required fields, dangling references (422).
    pub(crate) fn validation_failed(details: Vec<Detail>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalidRequest",
            "REST-1065",
            "IA.PAYLOAD_FAILED_VALIDATION",
            "Payload failed validation",
        );
        error.details = details;
        error
    }

    /// A journal entry whose debits and credits differ, or that lacks one side (422).
    pub(crate) fn unbalanced_entry(
        debits: &str,
        credits: &str,
        has_both: bool,
        details: Vec<Detail>,
    ) -> ApiError {
        let message = if has_both {
            format!("The entry is not balanced: debits total {debits}, credits total {credits}")
        } else {
            "A journal entry needs at least one debit line and one credit line".to_owned()
        };
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "operationFailed",
            "REST-1066",
            "IA.ENTRY_NOT_BALANCED",
            message,
        )
        .placeholder("DEBITS", debits)
        .placeholder("CREDITS", credits);
        error.details = details;
        error
    }

    pub(crate) fn duplicate_id(object: &str, id: &str) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "REST-1070",
            "IA.DUPLICATE_RECORD",
            format!("A {object} with id {id} already exists"),
        )
        .placeholder("OBJECT", object)
        .placeholder("ID", id);
        error.details.push(Detail {
            error_id: "REST-1070",
            message_id: "IA.DUPLICATE_RECORD",
            message: format!("/id {id} is already used"),
            target: "/id".to_owned(),
        });
        error
    }

    pub(crate) fn idempotency_conflict(key: &str) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "REST-1071",
            "IA.IDEMPOTENCY_KEY_REUSED",
            format!("Idempotency-Key {key} was already used with a different request"),
        )
        .placeholder("IDEMPOTENCY_KEY", key)
    }

    // --- query and model services ---

    pub(crate) fn invalid_query(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1100",
            "IA.INVALID_QUERY",
            message,
        )
    }

    /// Intacct's recorded error for a field a query cannot use (docs/emulator.md, "Query").
    pub(crate) fn field_not_queryable(field: &str, object: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1106",
            "IA.THE_FIELD_IN_OBJECT_CANNOT_BE_USED_IN_QUERY",
            format!("The {field} field in {object} object cannot be used in query in version 1"),
        )
        .placeholder("FIELD", field)
        .placeholder("OBJECT", object)
        .placeholder("VERSION", "1")
    }

    pub(crate) fn invalid_page(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1107",
            "IA.INVALID_PAGE",
            message,
        )
    }

    /// The JSON body of this error, with its `supportId`.
    pub(crate) fn body(&self, support_id: &str) -> Value {
        let placeholders: Map<String, Value> = self
            .placeholders
            .iter()
            .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
            .collect();
        let mut error = Map::new();
        error.insert("code".into(), json!(self.code));
        error.insert("message".into(), json!(self.message));
        error.insert("errorId".into(), json!(self.error_id));
        error.insert(
            "additionalInfo".into(),
            json!({"messageId": self.message_id, "placeholders": placeholders, "propertySet": {}}),
        );
        error.insert("supportId".into(), json!(support_id));
        if !self.details.is_empty() {
            let details: Vec<Value> = self
                .details
                .iter()
                .map(|detail| {
                    json!({
                        "code": "invalidRequest",
                        "message": detail.message,
                        "errorId": detail.error_id,
                        "target": detail.target,
                        "additionalInfo": {"messageId": detail.message_id, "placeholders": {}, "propertySet": {}},
                    })
                })
                .collect();
            error.insert("details".into(), Value::Array(details));
        }
        json!({
            "ia::result": {"ia::error": error},
            "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1},
        })
    }
}

/// The `supportId` of the `counter`-th error answer of an emulator with this seed: new for
/// every response, yet the same sequence on every run, so failures can be replayed.
pub(crate) fn support_id(seed: u64, counter: u64) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"courier-emulator support id");
    hasher.update(seed.to_le_bytes());
    hasher.update(counter.to_le_bytes());
    let digest = hasher.finalize();
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..21]);
    // Intacct's ids carry a URL-encoded `~` after a short prefix; keep that look.
    let mut id = String::with_capacity(encoded.len() + 3);
    id.push_str(&encoded[..5]);
    id.push_str("%7E");
    id.push_str(&encoded[5..]);
    id
}

/// The `ia::meta` of a single-record success (create, update, get).
pub(crate) fn single_meta() -> Value {
    json!({"totalCount": 1, "totalSuccess": 1, "totalError": 0})
}

/// The `ia::meta` of a page: `next` and `previous` are 1-based start rows or null, as recorded
/// from real traffic (docs/emulator.md, "Object routes").
pub(crate) fn page_meta(total: usize, start: usize, size: usize) -> Value {
    let next = start.checked_add(size).filter(|next| *next <= total);
    let previous = (start > 1).then(|| start.saturating_sub(size).max(1));
    json!({"totalCount": total, "start": start, "pageSize": size, "next": next, "previous": previous})
}

/// The relative `href` of a record, as Intacct writes it (no base URL).
pub(crate) fn href(object: &str, key: &str) -> String {
    let mut href = String::with_capacity(object.len() + key.len() + 10);
    let _ = write!(href, "/objects/{object}/{key}");
    href
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_ids_are_new_per_response_and_fixed_per_seed() {
        assert_eq!(support_id(7, 1), support_id(7, 1));
        assert_ne!(support_id(7, 1), support_id(7, 2));
        assert_ne!(support_id(7, 1), support_id(8, 1));
        assert!(support_id(0, 0).contains("%7E"));
    }

    #[test]
    fn paging_meta_matches_recorded_traffic() {
        // 128 rows: start 1 → next 101; start 101 → previous 1 (KBC recordings).
        assert_eq!(page_meta(128, 1, 100)["next"], json!(101));
        assert_eq!(page_meta(128, 1, 100)["previous"], Value::Null);
        assert_eq!(page_meta(128, 101, 100)["next"], Value::Null);
        assert_eq!(page_meta(128, 101, 100)["previous"], json!(1));
        assert_eq!(page_meta(508, 401, 100)["next"], json!(501));
        assert_eq!(page_meta(508, 501, 100)["next"], Value::Null);
        assert_eq!(page_meta(30, 21, 10)["previous"], json!(11));
        assert_eq!(page_meta(0, 1, 100)["next"], Value::Null);
        assert_eq!(page_meta(5, usize::MAX, 100)["next"], Value::Null);
    }

    #[test]
    fn error_bodies_have_the_official_shape() {
        let body = ApiError::payload_required("POST").body("S%7EID");
        assert_eq!(
            body,
            json!({"ia::result": {"ia::error": {
                "code": "invalidRequest", "message": "A POST request requires a payload",
                "errorId": "REST-1028",
                "additionalInfo": {"messageId": "IA.REQUEST_REQUIRES_A_PAYLOAD",
                    "placeholders": {"OPERATION": "POST"}, "propertySet": {}},
                "supportId": "S%7EID"}},
             "ia::meta": {"totalCount": 1, "totalSuccess": 0, "totalError": 1}})
        );
    }
}
