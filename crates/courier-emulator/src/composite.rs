//! The composite service, `POST /services/core/composite` (docs/emulator-services.md,
//! "Composite"): 2 to 10 subrequests run in order, each answered in its own item; a
//! `resultReference` names a result that later paths and bodies read through
//! `@{name.path.to.value}`.
//!
//! All succeed: 200. On the first failure that item carries its error, every later item is
//! not run and reads 422 `unprocessed`, and the answer is 207. What the earlier items wrote is
//! rolled back unless the `composite_rollback` knob is off.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use serde_json::{Map, Value, json};

use crate::api::{Call, serve};
use crate::envelope::{ApiError, Detail};
use crate::server::{Shared, json_response};
use crate::service_errors::unprocessed;

/// The fewest and most subrequests a composite takes.
pub(crate) const MIN_SUBREQUESTS: usize = 2;
pub(crate) const MAX_SUBREQUESTS: usize = 10;

/// The composite service's own path, which no subrequest may name.
pub(crate) const COMPOSITE_PATH: &str = "/services/core/composite";

/// A checked subrequest.
#[derive(Debug)]
struct Subrequest {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    reference: Option<String>,
}

/// Intacct's pattern `^/(objects|services)/[a-z_][a-z_0-9.\-:]+(.*)?$`.
fn path_ok(path: &str) -> bool {
    let Some(rest) = path
        .strip_prefix("/objects/")
        .or_else(|| path.strip_prefix("/services/"))
    else {
        return false;
    };
    let mut chars = rest.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let second = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-:".contains(c));
    first && second
}

fn reference_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Check every subrequest; any problem refuses the whole composite with a detail per problem.
fn validate(payload: &Value) -> Result<Vec<Subrequest>, ApiError> {
    let Some(items) = payload.as_array() else {
        return Err(ApiError::invalid_composite(
            "A composite request is a JSON array of subrequests",
            Vec::new(),
        ));
    };
    if !(MIN_SUBREQUESTS..=MAX_SUBREQUESTS).contains(&items.len()) {
        return Err(ApiError::invalid_composite(
            format!(
                "A composite request takes {MIN_SUBREQUESTS} to {MAX_SUBREQUESTS} subrequests; this one has {}",
                items.len()
            ),
            Vec::new(),
        ));
    }
    let mut problems = Vec::new();
    let mut subrequests = Vec::with_capacity(items.len());
    let mut names: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let at = |member: &str| format!("/{index}/{member}");
        let Some(members) = item.as_object() else {
            problems.push(Detail::wrong_type(
                &format!("/{index}"),
                "an object with method and path",
            ));
            continue;
        };
        for name in members.keys() {
            if !["method", "path", "headers", "body", "resultReference"].contains(&name.as_str()) {
                problems.push(Detail::unknown_field(&at(name)));
            }
        }
        let method = match members.get("method").and_then(Value::as_str) {
            Some("GET") => Some(Method::GET),
            Some("POST") => Some(Method::POST),
            Some("PATCH") => Some(Method::PATCH),
            Some("DELETE") => Some(Method::DELETE),
            Some(_) => {
                problems.push(Detail::wrong_type(
                    &at("method"),
                    "one of GET, POST, PATCH, DELETE",
                ));
                None
            }
            None => {
                problems.push(Detail::required(&at("method")));
                None
            }
        };
        let path = match members.get("path").and_then(Value::as_str) {
            Some(path) if path.split('?').next() == Some(COMPOSITE_PATH) => {
                problems.push(Detail::wrong_type(
                    &at("path"),
                    "a path other than the composite service's own",
                ));
                None
            }
            Some(path) if path_ok(path) => Some(path.to_owned()),
            Some(_) => {
                problems.push(Detail::wrong_type(
                    &at("path"),
                    "a path under /objects/ or /services/, without the base URL",
                ));
                None
            }
            None => {
                problems.push(Detail::required(&at("path")));
                None
            }
        };
        let mut headers = Vec::new();
        match members.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    match value.as_str() {
                        Some(text)
                            if HeaderName::from_bytes(name.as_bytes()).is_ok()
                                && HeaderValue::from_str(text).is_ok() =>
                        {
                            headers.push((name.clone(), text.to_owned()));
                        }
                        _ => problems.push(Detail::wrong_type(
                            &format!("{}/{name}", at("headers")),
                            "a header value string",
                        )),
                    }
                }
            }
            Some(_) => problems.push(Detail::wrong_type(
                &at("headers"),
                "an object of header names and values",
            )),
        }
        let body = match members.get("body") {
            None | Some(Value::Null) => None,
            Some(body @ (Value::Object(_) | Value::Array(_))) => {
                if matches!(method, Some(Method::GET | Method::DELETE)) {
                    problems.push(Detail::wrong_type(
                        &at("body"),
                        "left out: only POST and PATCH take a body",
                    ));
                }
                Some(body.clone())
            }
            Some(_) => {
                problems.push(Detail::wrong_type(&at("body"), "a JSON object"));
                None
            }
        };
        let reference = match members.get("resultReference") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) if reference_name_ok(name) => {
                if names.contains(name) {
                    problems.push(Detail::wrong_type(
                        &at("resultReference"),
                        "a name no other subrequest uses",
                    ));
                }
                names.push(name.clone());
                Some(name.clone())
            }
            Some(_) => {
                problems.push(Detail::wrong_type(
                    &at("resultReference"),
                    "a name of letters, digits, `_` or `-`",
                ));
                None
            }
        };
        if let (Some(method), Some(path)) = (method, path) {
            subrequests.push(Subrequest {
                method,
                path,
                headers,
                body,
                reference,
            });
        }
    }
    if problems.is_empty() {
        Ok(subrequests)
    } else {
        Err(ApiError::invalid_composite(
            "The composite request contains errors",
            problems,
        ))
    }
}

/// The value `@{name.a.b}` names: members by name, array elements by 1-based position.
fn resolve(inner: &str, results: &HashMap<String, Value>) -> Result<Value, ApiError> {
    let mut segments = inner.split('.');
    let name = segments.next().unwrap_or_default();
    let mut current = results
        .get(name)
        .ok_or_else(|| ApiError::unresolved_reference(inner))?;
    for segment in segments {
        let next = match current {
            Value::Object(members) => members.get(segment),
            Value::Array(items) => segment
                .parse::<usize>()
                .ok()
                .and_then(|position| position.checked_sub(1))
                .and_then(|index| items.get(index)),
            _ => None,
        };
        current = next.ok_or_else(|| ApiError::unresolved_reference(inner))?;
    }
    Ok(current.clone())
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Replace the references in a string: a string that is one reference becomes the value
/// itself (keeping its JSON type); references inside longer text become text.
fn substitute_text(text: &str, results: &HashMap<String, Value>) -> Result<Value, ApiError> {
    if let Some(inner) = text
        .strip_prefix("@{")
        .and_then(|rest| rest.strip_suffix('}'))
        && !inner.contains(['{', '}'])
    {
        return resolve(inner, results);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("@{") {
        let Some(length) = rest[start + 2..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&as_text(&resolve(
            &rest[start + 2..start + 2 + length],
            results,
        )?));
        rest = &rest[start + 3 + length..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

fn substitute(value: &Value, results: &HashMap<String, Value>) -> Result<Value, ApiError> {
    Ok(match value {
        Value::String(text) if text.contains("@{") => substitute_text(text, results)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute(item, results))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(members) => {
            let mut out = Map::new();
            for (name, member) in members {
                out.insert(name.clone(), substitute(member, results)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

type Boxed<'a> = Pin<Box<dyn Future<Output = Result<Response, ApiError>> + Send + 'a>>;

/// Run one subrequest as the API would, inside the composite's transaction.
async fn execute(
    shared: &Arc<Shared>,
    parent: &Call<'_>,
    subrequest: &Subrequest,
    results: &HashMap<String, Value>,
) -> Result<(u16, Value), ApiError> {
    let path = as_text(&substitute_text(&subrequest.path, results)?);
    let body = match &subrequest.body {
        Some(body) => Bytes::from(substitute(body, results)?.to_string()),
        None => Bytes::new(),
    };
    // Authorization and the entity come from the composite; the subrequest's own headers
    // (an `Idempotency-Key`, say) are added to what it inherits.
    let mut headers = HeaderMap::new();
    for (name, value) in parent.headers {
        if name != "idempotency-key" && name != axum::http::header::CONTENT_LENGTH {
            headers.insert(name, value.clone());
        }
    }
    for (name, value) in &subrequest.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (path, None),
    };
    let call = Call {
        method: subrequest.method.clone(),
        path: &path,
        query: query.as_deref(),
        headers: &headers,
        entity: parent.entity,
        in_transaction: true,
    };
    let response = match serve(shared, &call, body).await {
        Ok(response) => response,
        Err(error) => return Ok((error.status.as_u16(), shared.error_body(&error))),
    };
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    Ok((status, value))
}

/// `POST /services/core/composite` (boxed: the composite's subrequests enter [`serve`]
/// again, and a boxed future breaks that cycle of future types).
pub(crate) fn run<'a>(
    shared: &'a Arc<Shared>,
    call: &'a Call<'a>,
    payload: &'a Value,
) -> Boxed<'a> {
    Box::pin(run_inner(shared, call, payload))
}

async fn run_inner(
    shared: &Arc<Shared>,
    call: &Call<'_>,
    payload: &Value,
) -> Result<Response, ApiError> {
    let subrequests = validate(payload)?;
    let rollback = shared.composite_rollback;
    // Rolled back: the composite runs alone, so its rollback undoes only its own writes.
    // Kept: it writes side by side with others, like any write.
    let _exclusive = if rollback && !call.in_transaction {
        Some(shared.gate.write().await)
    } else {
        None
    };
    let _shared = if !rollback && !call.in_transaction {
        Some(shared.gate.read().await)
    } else {
        None
    };
    let before = rollback.then(|| shared.store.snapshot());
    let mut results: HashMap<String, Value> = HashMap::new();
    let mut items = Vec::with_capacity(subrequests.len());
    let mut failed = false;
    let mut succeeded = 0usize;
    for subrequest in &subrequests {
        if failed {
            items.push(json!({"ia::error": unprocessed(), "ia::status": 422}));
            continue;
        }
        let (status, body) = match execute(shared, call, subrequest, &results).await {
            Ok(answer) => answer,
            Err(error) => (error.status.as_u16(), shared.error_body(&error)),
        };
        if status >= 400 {
            failed = true;
            let error = body
                .get("ia::result")
                .and_then(|result| result.get("ia::error"))
                .cloned()
                .unwrap_or(Value::Null);
            items.push(json!({"ia::error": error, "ia::status": status}));
            continue;
        }
        succeeded += 1;
        let mut item = Map::new();
        if let Value::Object(mut members) = body {
            let result = members.remove("ia::result").unwrap_or(Value::Null);
            if let Some(name) = &subrequest.reference {
                results.insert(name.clone(), result.clone());
            }
            item.insert("ia::result".into(), result);
            if let Some(meta) = members.remove("ia::meta") {
                item.insert("ia::meta".into(), meta);
            }
        }
        item.insert("ia::status".into(), json!(status));
        items.push(Value::Object(item));
    }
    if failed && let Some(before) = before {
        shared.store.restore(before);
    }
    let total = items.len();
    let meta =
        json!({"totalCount": total, "totalSuccess": succeeded, "totalError": total - succeeded});
    let status = if failed {
        StatusCode::MULTI_STATUS
    } else {
        StatusCode::OK
    };
    Ok(json_response(
        status,
        json!({"ia::result": items, "ia::meta": meta}).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_intacct_s_pattern() {
        assert!(path_ok("/objects/accounts-payable/vendor"));
        assert!(path_ok("/services/core/query"));
        assert!(path_ok("/objects/accounts-payable/vendor/@{v.key}"));
        assert!(!path_ok("/workflows/accounts-payable/bill/submit"));
        assert!(!path_ok("https://api.intacct.com/ia/api/v1/objects/x"));
        assert!(!path_ok("/objects/A"));
        assert!(!path_ok("/objects/a"));
    }

    #[test]
    fn references_keep_types_alone_and_become_text_inside_text() {
        let results = HashMap::from([(
            "vendor".to_owned(),
            json!({"key": "84", "id": "V-1", "lines": [{"n": 5}]}),
        )]);
        assert_eq!(
            substitute_text("@{vendor.key}", &results).ok(),
            Some(json!("84"))
        );
        assert_eq!(
            substitute_text("@{vendor.lines.1.n}", &results).ok(),
            Some(json!(5))
        );
        assert_eq!(
            substitute_text("/objects/accounts-payable/vendor/@{vendor.key}", &results).ok(),
            Some(json!("/objects/accounts-payable/vendor/84"))
        );
        assert!(substitute_text("@{vendor.lines.0.n}", &results).is_err());
        assert!(substitute_text("@{other.key}", &results).is_err());
        assert_eq!(
            substitute_text("email@{x", &results).ok(),
            Some(json!("email@{x"))
        );
    }
}
