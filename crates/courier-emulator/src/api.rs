//! The API under `/ia/api/v1`: one entry point that routes by hand, so every request is
//! counted on its route before anything else happens, then passes the rate limit, latency and
//! fault knobs, the bearer-token check and the entity context, in that order, before the
//! object, query and model handlers run.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::envelope::{ApiError, page_meta, single_meta};
use crate::query;
use crate::schema::{self, OBJECTS, ObjectSpec};
use crate::server::{BODY_LIMIT, BodyError, Shared, json_response, read_body};
use crate::stats::Route;
use crate::store::{Actor, Idempotency};
use crate::tokens::Check;

/// The header that puts a request in an entity's context.
const ENTITY_HEADER: &str = "x-ia-api-param-entity";

/// What a path named.
struct Target<'a> {
    route: Route,
    /// The object, or the unknown `application/object` the path named.
    object: Result<&'static ObjectSpec, String>,
    key: Cow<'a, str>,
}

fn decode(segment: &str) -> Option<Cow<'_, str>> {
    percent_decode_str(segment).decode_utf8().ok()
}

fn find_object(application: &str, object: &str) -> Result<&'static ObjectSpec, String> {
    OBJECTS
        .iter()
        .find(|spec| spec.name.split_once('/') == Some((application, object)))
        .ok_or_else(|| format!("{application}/{object}"))
}

/// Match a path relative to `/ia/api/v1` against the API routes.
fn route<'a>(method: &Method, path: &'a str) -> Option<Target<'a>> {
    let mut segments = path.strip_prefix('/')?.split('/');
    let first = segments.next()?;
    let parts: [Option<&str>; 4] = [
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ];
    match (first, parts) {
        ("objects", [Some(application), Some(object), key, None]) => {
            let object = find_object(&decode(application)?, &decode(object)?);
            let (route, key) = match (method, key) {
                (&Method::GET, None) => (Route::List, Cow::Borrowed("")),
                (&Method::POST, None) => (Route::Create, Cow::Borrowed("")),
                (_, None | Some("")) => return None,
                (&Method::GET, Some(key)) => (Route::Get, decode(key)?),
                (&Method::PATCH, Some(key)) => (Route::Update, decode(key)?),
                (&Method::DELETE, Some(key)) => (Route::Delete, decode(key)?),
                _ => return None,
            };
            Some(Target { route, object, key })
        }
        ("services", [Some("core"), Some(service), None, None]) => {
            let route = match (method, service) {
                (&Method::POST, "query") => Route::Query,
                (&Method::GET, "model") => Route::Model,
                _ => return None,
            };
            Some(Target {
                route,
                object: Err(String::new()),
                key: Cow::Borrowed(""),
            })
        }
        _ => None,
    }
}

/// The entry point of every API request.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let relative = path.strip_prefix("/ia/api/v1").unwrap_or(path);
    let target = route(&parts.method, relative);
    let _in_flight = shared.stats.api_request(
        target
            .as_ref()
            .map(|target| target.route)
            .ok_or(parts.method.as_str()),
    );
    let response = match handle(&shared, &parts, target, relative, body).await {
        Ok(response) => response,
        Err(error) => shared.error_response(&error),
    };
    if response.status().as_u16() >= 400 {
        shared.stats.rejected(response.status().as_u16());
    }
    response
}

async fn handle(
    shared: &Shared,
    parts: &Parts,
    target: Option<Target<'_>>,
    relative: &str,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    shared.faults.admit().map_err(ApiError::rate_limited)?;
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if shared.faults.should_fail() {
        return Err(ApiError::injected_fault());
    }
    let subject = authenticate(shared, parts)?;
    let entity: Option<Cow<'_, str>> = match parts.headers.get(ENTITY_HEADER) {
        Some(value) => {
            let id = value
                .to_str()
                .map_err(|_| ApiError::unknown_entity("(not text)"))?
                .trim();
            if id.is_empty() {
                None
            } else if shared.store.entity_exists(id) {
                Some(Cow::Borrowed(id))
            } else {
                return Err(ApiError::unknown_entity(id));
            }
        }
        None => subject.entity.as_deref().map(Cow::Borrowed),
    };
    let entity = entity.as_deref();
    let Some(target) = target else {
        return Err(ApiError::route_not_found(parts.method.as_str(), relative));
    };
    let spec = || {
        target
            .object
            .clone()
            .map_err(|name| ApiError::unknown_object(&name))
    };
    match target.route {
        Route::Get => get(shared, spec()?, &target.key, entity),
        Route::List => list(shared, spec()?, parts, entity),
        Route::Create | Route::Update => {
            let spec = spec()?;
            let operation = if target.route == Route::Create {
                "POST"
            } else {
                "PATCH"
            };
            let bytes = body_bytes(body).await?;
            let payload = parse_json(&bytes, operation)?;
            let idempotency = parts
                .headers
                .get("idempotency-key")
                .and_then(|value| value.to_str().ok())
                .filter(|key| !key.trim().is_empty())
                .map(|key| Idempotency::new(key.trim(), operation, relative, entity, &bytes));
            let actor = Actor { entity };
            let (status, body) = if target.route == Route::Create {
                shared.store.create(spec, &payload, actor, idempotency)?
            } else {
                shared
                    .store
                    .update(spec, &target.key, &payload, actor, idempotency)?
            };
            Ok(json_response(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body,
            ))
        }
        Route::Delete => {
            let spec = spec()?;
            let keys: Vec<&str> = target.key.split(',').map(str::trim).collect();
            shared.store.delete(spec, &keys, entity)?;
            Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(axum::body::Body::empty())
                .unwrap_or_default())
        }
        Route::Query => {
            let bytes = body_bytes(body).await?;
            let payload = parse_json(&bytes, "POST")?;
            let result = query::run(&shared.store, &payload, entity)?;
            Ok(json_response(StatusCode::OK, result.to_string()))
        }
        Route::Model => model(parts),
    }
}

/// The token check of SPEC §9.
fn authenticate(shared: &Shared, parts: &Parts) -> Result<Arc<crate::tokens::Subject>, ApiError> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(ApiError::authorization_header)?;
    let token = match header.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(ApiError::authorization_header()),
    };
    if token.is_empty() || token.contains(' ') {
        return Err(ApiError::authorization_header());
    }
    match shared.tokens.check(token) {
        Check::Valid(subject) => Ok(subject),
        Check::Unreadable => Err(ApiError::token_unreadable()),
        Check::Expired => Err(ApiError::token_expired()),
        Check::Revoked => Err(ApiError::token_revoked()),
    }
}

async fn body_bytes(body: axum::body::Body) -> Result<Bytes, ApiError> {
    read_body(body).await.map_err(|error| match error {
        BodyError::TooLarge => ApiError::payload_too_large(BODY_LIMIT),
        BodyError::Broken => ApiError::malformed_json("the body could not be read"),
    })
}

fn parse_json(bytes: &[u8], operation: &str) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::payload_required(operation));
    }
    serde_json::from_slice(bytes).map_err(|error| ApiError::malformed_json(&error.to_string()))
}

/// The single-record envelope around a record's ready-made JSON.
const GET_HEAD: &[u8] = b"{\"ia::result\":";
const GET_TAIL: &[u8] = b",\"ia::meta\":{\"totalCount\":1,\"totalSuccess\":1,\"totalError\":0}}";

fn get(
    shared: &Shared,
    spec: &'static ObjectSpec,
    keys: &str,
    entity: Option<&str>,
) -> Result<Response, ApiError> {
    if !keys.contains(',') {
        let stored = shared
            .store
            .get(spec.name, keys, entity)
            .ok_or_else(|| ApiError::record_not_found(spec.name, keys))?;
        // The hot path: copy the record's ready-made JSON into the envelope.
        let mut body = Vec::with_capacity(GET_HEAD.len() + stored.json.len() + GET_TAIL.len());
        body.extend_from_slice(GET_HEAD);
        body.extend_from_slice(&stored.json);
        body.extend_from_slice(GET_TAIL);
        return Ok(json_response(StatusCode::OK, body));
    }
    let mut records = Vec::new();
    for key in keys.split(',').map(str::trim) {
        let stored = shared
            .store
            .get(spec.name, key, entity)
            .ok_or_else(|| ApiError::record_not_found(spec.name, key))?;
        records.push(stored.value.clone());
    }
    let count = records.len();
    let body = json!({
        "ia::result": records,
        "ia::meta": {"totalCount": count, "totalSuccess": count, "totalError": 0},
    });
    Ok(json_response(StatusCode::OK, body.to_string()))
}

fn query_params(parts: &Parts) -> Vec<(String, String)> {
    url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn list(
    shared: &Shared,
    spec: &'static ObjectSpec,
    parts: &Parts,
    entity: Option<&str>,
) -> Result<Response, ApiError> {
    let params = query_params(parts);
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| Value::String(value.clone()))
    };
    let (start, size) = query::page_bounds(param("start").as_ref(), param("size").as_ref())?;
    let records = shared.store.visible(spec.name, entity);
    let page: Vec<Value> = records
        .iter()
        .skip(start - 1)
        .take(size)
        .map(|stored| json!({"key": stored.value["key"], "id": stored.value["id"], "href": stored.value["href"]}))
        .collect();
    let body = json!({"ia::result": page, "ia::meta": page_meta(records.len(), start, size)});
    Ok(json_response(StatusCode::OK, body.to_string()))
}

fn model(parts: &Parts) -> Result<Response, ApiError> {
    let params = query_params(parts);
    let name = params
        .iter()
        .find(|(key, _)| key == "name")
        .map(|(_, value)| value.as_str())
        .filter(|name| !name.is_empty());
    let result = match name {
        None => schema::catalogue(),
        Some(name) => {
            schema::model(schema::lookup(name).ok_or_else(|| ApiError::unknown_object(name))?)
        }
    };
    let body = json!({"ia::result": result, "ia::meta": single_meta()});
    Ok(json_response(StatusCode::OK, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_matched_by_method_and_shape() {
        let get = route(&Method::GET, "/objects/accounts-payable/vendor/84").expect("a route");
        assert_eq!(get.route, Route::Get);
        assert_eq!(get.key, "84");
        assert_eq!(
            route(&Method::GET, "/objects/accounts-payable/vendor").map(|t| t.route),
            Some(Route::List)
        );
        assert_eq!(
            route(&Method::POST, "/services/core/query").map(|t| t.route),
            Some(Route::Query)
        );
        assert!(route(&Method::PUT, "/objects/accounts-payable/vendor/84").is_none());
        assert!(route(&Method::GET, "/objects/accounts-payable/vendor/84/extra").is_none());
        assert!(route(&Method::GET, "/objects/accounts-payable/vendor/").is_none());
        assert!(route(&Method::GET, "/services/core/query").is_none());
        let unknown = route(
            &Method::GET,
            "/objects/order-entry/document::Sales%20Invoice/1",
        )
        .expect("a route");
        assert_eq!(
            unknown.object.err().as_deref(),
            Some("order-entry/document::Sales Invoice")
        );
    }
}
