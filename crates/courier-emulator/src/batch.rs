//! Batch requests (docs/emulator-services.md, "Batch"): many records of one object in one
//! synchronous call — `GET` and `DELETE` with comma-separated keys, `POST` with an array of
//! records, `PATCH` on the object's path with an array whose items carry their `key`.
//!
//! All succeed: 200 (`DELETE`: 204, no body) with plain items. Otherwise 207 Multi-Status,
//! each item with its `ia::status` and, on failure, its `ia::error`; `ia::meta` sums up.
//! With `X-IA-API-Param-Transaction: true` the batch is all or nothing: on the first failure
//! everything it wrote is rolled back, the failed item says why, the items before it read
//! "rolled back" and those after it "skipped", all as 422 `unprocessed`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::envelope::ApiError;
use crate::schema::ObjectSpec;
use crate::server::{Shared, json_response};
use crate::service_errors::{rolled_back, unprocessed};
use crate::store::Actor;

/// The most records one batch takes, as Intacct documents.
pub(crate) const MAX_BATCH: usize = 500;

/// The header that makes a batch all or nothing.
pub(crate) const TRANSACTION_HEADER: &str = "x-ia-api-param-transaction";

/// Which write a batch makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    Create,
    Update,
    Delete,
}

/// One item's outcome.
#[derive(Debug)]
struct Item {
    status: u16,
    /// The result (`{key, id, href}`, a record, or nothing for a delete) or the `ia::error`.
    value: Value,
    ok: bool,
}

fn check_size(count: usize) -> Result<(), ApiError> {
    if count > MAX_BATCH {
        return Err(ApiError::batch_too_large(count, MAX_BATCH));
    }
    Ok(())
}

/// The keys of a comma-separated path segment; an empty key (`84,,85`, `,`) is refused.
pub(crate) fn split_keys(keys: &str) -> Result<Vec<&str>, ApiError> {
    let keys: Vec<&str> = keys.split(',').map(str::trim).collect();
    if keys.len() > 1 && keys.iter().any(|key| key.is_empty()) {
        return Err(ApiError::batch_item(
            "A list of keys has no empty entries: write them as 84,85,86",
        ));
    }
    Ok(keys)
}

/// `GET /objects/{app}/{object}/k1,k2,…`.
pub(crate) fn get_many(
    shared: &Shared,
    spec: &'static ObjectSpec,
    keys: &[&str],
    entity: Option<&str>,
) -> Result<Response, ApiError> {
    check_size(keys.len())?;
    let items: Vec<Item> = keys
        .iter()
        .map(|key| match shared.store.get(spec.name, key, entity) {
            Some(stored) => Item {
                status: 200,
                value: stored.value.clone(),
                ok: true,
            },
            None => failure(shared, &ApiError::record_not_found(spec.name, key)),
        })
        .collect();
    Ok(answer(items, StatusCode::OK))
}

fn failure(shared: &Shared, error: &ApiError) -> Item {
    Item {
        status: error.status.as_u16(),
        value: shared.error_value(error),
        ok: false,
    }
}

/// The `ia::result` of a store answer's JSON body.
fn result_of(body: &[u8]) -> Value {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|mut value| value.get_mut("ia::result").map(Value::take))
        .unwrap_or(Value::Null)
}

/// Write one record; the caller decides what a failure means for the rest.
fn write_one(
    shared: &Shared,
    spec: &'static ObjectSpec,
    write: Write,
    item: &Value,
    entity: Option<&str>,
) -> Result<Item, ApiError> {
    let actor = Actor { entity };
    match write {
        Write::Create => {
            let (status, body) = shared.store.create(spec, item, actor, None)?;
            Ok(Item {
                status,
                value: result_of(&body),
                ok: true,
            })
        }
        Write::Update => {
            let key = item_key(item)?;
            let (status, body) = shared.store.update(spec, &key, item, actor, None)?;
            Ok(Item {
                status,
                value: result_of(&body),
                ok: true,
            })
        }
        Write::Delete => {
            let key = item_key(item)?;
            shared.store.delete(spec, &[key.as_str()], entity)?;
            Ok(Item {
                status: 204,
                value: Value::Null,
                ok: true,
            })
        }
    }
}

/// The `key` a PATCH or DELETE item names: a string (or a bare key for deletes).
fn item_key(item: &Value) -> Result<String, ApiError> {
    let key = match item {
        Value::Object(members) => members.get("key"),
        other => Some(other),
    };
    match key {
        Some(Value::String(key)) if !key.trim().is_empty() => Ok(key.trim().to_owned()),
        Some(Value::Number(number)) => Ok(number.to_string()),
        _ => Err(ApiError::batch_item(
            "Each item of a batch update carries the key of its record, such as {\"key\": \"84\", ...}",
        )),
    }
}

/// `POST` / `PATCH` with an array, or `DELETE` with several keys (given as strings).
pub(crate) fn write_many(
    shared: &Shared,
    spec: &'static ObjectSpec,
    write: Write,
    items: &[Value],
    entity: Option<&str>,
    atomic: bool,
) -> Result<Response, ApiError> {
    check_size(items.len())?;
    if items.is_empty() {
        return Err(ApiError::batch_item("A batch needs at least one record"));
    }
    let success = match write {
        Write::Create | Write::Update => StatusCode::OK,
        Write::Delete => StatusCode::NO_CONTENT,
    };
    if !atomic {
        let outcomes = items
            .iter()
            .map(|item| {
                write_one(shared, spec, write, item, entity)
                    .unwrap_or_else(|error| failure(shared, &error))
            })
            .collect();
        return Ok(answer(outcomes, success));
    }
    let before = shared.store.snapshot();
    let mut outcomes: Vec<Item> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match write_one(shared, spec, write, item, entity) {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => {
                shared.store.restore(before);
                let mut all: Vec<Item> = outcomes
                    .iter()
                    .map(|_| Item {
                        status: 422,
                        value: rolled_back(),
                        ok: false,
                    })
                    .collect();
                all.push(failure(shared, &error));
                all.extend((index + 1..items.len()).map(|_| Item {
                    status: 422,
                    value: unprocessed(),
                    ok: false,
                }));
                return Ok(answer(all, success));
            }
        }
    }
    Ok(answer(outcomes, success))
}

/// 200 (or 204) with plain items when every item succeeded, else 207 with `ia::status` on
/// each item.
fn answer(items: Vec<Item>, success: StatusCode) -> Response {
    let total = items.len();
    let succeeded = items.iter().filter(|item| item.ok).count();
    let meta =
        json!({"totalCount": total, "totalSuccess": succeeded, "totalError": total - succeeded});
    if succeeded == total {
        if success == StatusCode::NO_CONTENT {
            return Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(axum::body::Body::empty())
                .unwrap_or_default();
        }
        let results: Vec<Value> = items.into_iter().map(|item| item.value).collect();
        let body = json!({"ia::result": results, "ia::meta": meta});
        return json_response(success, body.to_string());
    }
    let results: Vec<Value> = items.into_iter().map(item_value).collect();
    let body = json!({"ia::result": results, "ia::meta": meta});
    json_response(StatusCode::MULTI_STATUS, body.to_string())
}

/// An item as a 207 lists it: the result's members (none for a delete) or `ia::error`, and
/// `ia::status`.
fn item_value(item: Item) -> Value {
    let mut members = Map::new();
    if item.ok {
        if let Value::Object(result) = item.value {
            members = result;
        }
    } else {
        members.insert("ia::error".into(), item.value);
    }
    members.insert("ia::status".into(), json!(item.status));
    Value::Object(members)
}

/// Write one record on its own and report it as a 207 item (bulk jobs).
pub(crate) fn write_item(
    shared: &Shared,
    spec: &'static ObjectSpec,
    write: Write,
    record: &Value,
    entity: Option<&str>,
) -> Value {
    item_value(
        write_one(shared, spec, write, record, entity)
            .unwrap_or_else(|error| failure(shared, &error)),
    )
}
