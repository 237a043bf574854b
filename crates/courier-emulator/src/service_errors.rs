//! The errors of the services this module's siblings add (batch, composite, bulk jobs, method
//! and permission checks), in the `ia::error` envelope of `envelope.rs`. Their `errorId`s are
//! the emulator's choice in Intacct's style, as docs/emulator-services.md lists them.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::envelope::{ApiError, Detail};

impl ApiError {
    /// A known path asked with a method it does not take (405, before authentication).
    pub(crate) fn method_not_allowed(method: &str, path: &str, allowed: &str) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            "REST-1004",
            "IA.METHOD_NOT_ALLOWED",
            format!("{method} is not supported for {path}: use {allowed}"),
        )
        .placeholder("METHOD", method)
        .placeholder("ALLOWED", allowed)
    }

    /// The user may not touch this object (the `deny_objects` knob).
    pub(crate) fn permission_denied(object: &str) -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "permissionDenied",
            "REST-1009",
            "IA.INSUFFICIENT_PERMISSION",
            format!("You do not have permission to access {object}"),
        )
        .placeholder("OBJECT", object)
    }

    /// A batch of more records than Intacct takes in one call.
    pub(crate) fn batch_too_large(count: usize, max: usize) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1080",
            "IA.BATCH_SIZE_EXCEEDED",
            format!("A batch takes at most {max} records; this one has {count}"),
        )
        .placeholder("MAX", max.to_string())
        .placeholder("COUNT", count.to_string())
    }

    /// A batch item that is not a JSON object, or a PATCH item without its `key`.
    pub(crate) fn batch_item(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1081",
            "IA.INVALID_BATCH_ITEM",
            message,
        )
    }

    /// A composite body that breaks the subrequest rules (400, nothing run).
    pub(crate) fn invalid_composite(message: impl Into<String>, details: Vec<Detail>) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1090",
            "IA.INVALID_COMPOSITE_REQUEST",
            message,
        );
        error.details = details;
        error
    }

    /// An `@{reference.path}` that names no earlier result.
    pub(crate) fn unresolved_reference(reference: &str) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1091",
            "IA.UNRESOLVED_REFERENCE",
            format!("@{{{reference}}} does not name a value of an earlier subrequest's result"),
        )
        .placeholder("REFERENCE", reference)
    }

    /// An `Idempotency-Key` longer than Intacct takes.
    pub(crate) fn idempotency_key_too_long(max: usize) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1082",
            "IA.IDEMPOTENCY_KEY_TOO_LONG",
            format!("An Idempotency-Key has at most {max} characters"),
        )
        .placeholder("MAX", max.to_string())
    }

    /// A bulk job request that cannot be read.
    pub(crate) fn invalid_bulk(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "REST-1095",
            "IA.INVALID_BULK_REQUEST",
            message,
        )
    }

    pub(crate) fn job_not_found(job: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "notFound",
            "REST-1096",
            "IA.JOB_NOT_FOUND",
            format!("No bulk job with id {job} was found"),
        )
        .placeholder("JOB_ID", job)
    }

    /// `download=true` before the job completed.
    pub(crate) fn job_not_completed(job: &str, status: &str) -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "REST-1097",
            "IA.JOB_NOT_COMPLETED",
            format!("Bulk job {job} is {status}: its results can be downloaded once completed"),
        )
        .placeholder("JOB_ID", job)
        .placeholder("STATUS", status)
    }
}

/// The `ia::error` of an operation skipped because an earlier one failed, exactly as the
/// official composite example shows it (no `errorId`).
pub(crate) fn unprocessed() -> Value {
    json!({"code": "unprocessed", "message": "Operation skipped due to atomic transaction failure"})
}

/// The `ia::error` of an operation that ran but was rolled back with its transaction.
pub(crate) fn rolled_back() -> Value {
    json!({"code": "unprocessed", "message": "Operation rolled back due to atomic transaction failure"})
}
