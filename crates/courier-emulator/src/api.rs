//! The API under `/ia/api/v1`: one entry point that routes by hand, so every request is
//! counted on its route before anything else happens, then takes a concurrency slot, passes
//! the rate limit, latency and fault knobs, the method check (405), the bearer-token check
//! and the entity context, in that order, before [`serve`] runs the object, batch, query,
//! model, composite and bulk handlers. Composite subrequests enter at [`serve`] too.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::batch::{self, TRANSACTION_HEADER, Write};
use crate::envelope::{ApiError, page_meta, single_meta};
use crate::idempotency::Lookup;
use crate::schema::{self, OBJECTS, ObjectSpec};
use crate::server::{BODY_LIMIT, BodyError, Shared, json_response, read_body};
use crate::stats::Route;
use crate::store::{Actor, Idempotency};
use crate::tokens::Check;
use crate::{bulk, composite, concurrency, query, quota};

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
                (&Method::PATCH, None) => (Route::UpdateMany, Cow::Borrowed("")),
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
                (&Method::POST, "composite") => Route::Composite,
                _ => return None,
            };
            Some(Target {
                route,
                object: Err(String::new()),
                key: Cow::Borrowed(""),
            })
        }
        ("services", [Some("bulk"), Some("job"), Some(operation), None]) => {
            let route = match (method, operation) {
                (&Method::POST, "create") => Route::BulkCreate,
                (&Method::GET, "status") => Route::BulkStatus,
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

/// The methods a path takes, when some other method would match it: the `Allow` of a 405.
fn allowed_methods(path: &str) -> Option<String> {
    let allowed: Vec<&str> = [Method::GET, Method::POST, Method::PATCH, Method::DELETE]
        .iter()
        .filter(|method| route(method, path).is_some())
        .map(Method::as_str)
        .collect();
    (!allowed.is_empty()).then(|| allowed.join(", "))
}

/// A request as [`serve`] takes it: from the wire, or a composite's subrequest.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// The path relative to `/ia/api/v1`, without the query string.
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) entity: Option<&'a str>,
    /// Inside a composite that already holds the store's transaction gate.
    pub(crate) in_transaction: bool,
}

/// The entry point of every API request.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path();
    let relative = path.strip_prefix("/ia/api/v1").unwrap_or(path);
    let matched = route(&parts.method, relative).map(|target| target.route);
    let _in_flight = shared
        .stats
        .api_request(matched.ok_or(parts.method.as_str()));
    let max = shared.faults.max_concurrent();
    let response = match shared.slots.enter(max) {
        None => {
            shared.stats.concurrency_rejection();
            let mut response = shared.error_response(&concurrency::over_limit(max));
            concurrency::throttle_headers(&mut response, max);
            response
        }
        Some(_slot) => {
            let quota = shared.faults.take_quota();
            let mut response = match quota {
                quota::Answer::Spent { limit, wait } => {
                    shared.error_response(&quota::spent(limit, wait))
                }
                _ => match handle(&shared, &parts, relative, body).await {
                    Ok(response) => response,
                    Err(error) => {
                        let mut response = shared.error_response(&error);
                        if error.status == StatusCode::METHOD_NOT_ALLOWED
                            && let Some(allowed) = allowed_methods(relative)
                            && let Ok(value) = HeaderValue::from_str(&allowed)
                        {
                            response.headers_mut().insert(header::ALLOW, value);
                        }
                        response
                    }
                },
            };
            quota::headers(&mut response, quota);
            response
        }
    };
    if response.status().as_u16() >= 400 {
        shared.stats.rejected(response.status().as_u16());
    }
    response
}

async fn handle(
    shared: &Arc<Shared>,
    parts: &Parts,
    relative: &str,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    shared.faults.admit().map_err(ApiError::rate_limited)?;
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        crate::latency::hold(latency).await;
    }
    if shared.faults.should_fail() {
        return Err(ApiError::injected_fault());
    }
    // A known path with the wrong method is a 405 whatever the credentials.
    if route(&parts.method, relative).is_none()
        && let Some(allowed) = allowed_methods(relative)
    {
        return Err(ApiError::method_not_allowed(
            parts.method.as_str(),
            relative,
            &allowed,
        ));
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
    let bytes = if matches!(parts.method, Method::POST | Method::PATCH) {
        body_bytes(body).await?
    } else {
        Bytes::new()
    };
    let call = Call {
        method: parts.method.clone(),
        path: relative,
        query: parts.uri.query(),
        headers: &parts.headers,
        entity: entity.as_deref(),
        in_transaction: false,
    };
    serve(shared, &call, bytes).await
}

/// The store's own replay guard for a single create or update. [`serve`] answers replays and
/// conflicts before the store is reached, so this only keeps the store's table in step.
fn store_idempotency(call: &Call<'_>, operation: &str, bytes: &[u8]) -> Option<Idempotency> {
    call.headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .filter(|key| !key.trim().is_empty())
        .map(|key| Idempotency::new(key.trim(), operation, call.path, call.entity, bytes))
}

/// Whether a request asks for an all-or-nothing batch.
fn atomic(headers: &HeaderMap) -> bool {
    headers
        .get(TRANSACTION_HEADER)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// Route an authenticated request (or a composite's subrequest) to its handler, with the
/// permission check, `Idempotency-Key` replay and the store's transaction gate around it.
pub(crate) async fn serve(
    shared: &Arc<Shared>,
    call: &Call<'_>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let Some(target) = route(&call.method, call.path) else {
        return Err(match allowed_methods(call.path) {
            Some(allowed) => {
                ApiError::method_not_allowed(call.method.as_str(), call.path, &allowed)
            }
            None => ApiError::route_not_found(call.method.as_str(), call.path),
        });
    };
    if let Ok(spec) = &target.object
        && shared.denied(spec.name)
    {
        return Err(ApiError::permission_denied(spec.name));
    }
    let writes = matches!(
        target.route,
        Route::Create | Route::Update | Route::UpdateMany | Route::Composite | Route::BulkCreate
    );
    let claim = if writes {
        match shared.replays.lookup(
            call.headers,
            call.method.as_str(),
            call.path,
            call.entity,
            &bytes,
        )? {
            Some(Lookup::Answer(response)) => return Ok(response),
            Some(Lookup::Run(claim)) => Some(claim),
            None => None,
        }
    } else {
        None
    };
    let atomic = atomic(call.headers);
    let mutating = matches!(
        target.route,
        Route::Create | Route::Update | Route::UpdateMany | Route::Delete
    );
    // An all-or-nothing batch runs alone; other writes run side by side. Composites take the
    // gate themselves, and their subrequests run under it.
    let _exclusive = if mutating && atomic && !call.in_transaction {
        Some(shared.gate.write().await)
    } else {
        None
    };
    let _shared = if mutating && !atomic && !call.in_transaction {
        Some(shared.gate.read().await)
    } else {
        None
    };
    let response = route_to(shared, call, &target, &bytes, atomic).await?;
    Ok(match claim {
        Some(claim) => shared.replays.keep(claim, response).await,
        None => response,
    })
}

async fn route_to(
    shared: &Arc<Shared>,
    call: &Call<'_>,
    target: &Target<'_>,
    bytes: &Bytes,
    atomic: bool,
) -> Result<Response, ApiError> {
    let entity = call.entity;
    let spec = || {
        target
            .object
            .clone()
            .map_err(|name| ApiError::unknown_object(&name))
    };
    match target.route {
        Route::Get => {
            let keys = batch::split_keys(&target.key)?;
            if keys.len() > 1 {
                batch::get_many(shared, spec()?, &keys, entity)
            } else {
                get(shared, spec()?, &target.key, entity)
            }
        }
        Route::List => list(shared, spec()?, call.query, entity),
        Route::Create => {
            let spec = spec()?;
            match parse_json(bytes, "POST")? {
                Value::Array(items) => {
                    batch::write_many(shared, spec, Write::Create, &items, entity, atomic)
                }
                payload => {
                    let idempotency = store_idempotency(call, "POST", bytes);
                    let (status, body) =
                        shared
                            .store
                            .create(spec, &payload, Actor { entity }, idempotency)?;
                    Ok(json_response(
                        StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
                        body,
                    ))
                }
            }
        }
        Route::Update => {
            let spec = spec()?;
            let payload = parse_json(bytes, "PATCH")?;
            if payload.is_array() {
                return Err(ApiError::batch_item(
                    "A batch update is sent to the object's path, without a key: PATCH /objects/{application}/{object}",
                ));
            }
            let idempotency = store_idempotency(call, "PATCH", bytes);
            let (status, body) =
                shared
                    .store
                    .update(spec, &target.key, &payload, Actor { entity }, idempotency)?;
            Ok(json_response(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                body,
            ))
        }
        Route::UpdateMany => {
            let spec = spec()?;
            let Value::Array(items) = parse_json(bytes, "PATCH")? else {
                return Err(ApiError::batch_item(
                    "PATCH on an object's path takes an array of records, each with its key; a single record is patched at /objects/{application}/{object}/{key}",
                ));
            };
            batch::write_many(shared, spec, Write::Update, &items, entity, atomic)
        }
        Route::Delete => {
            let spec = spec()?;
            let keys = batch::split_keys(&target.key)?;
            if keys.len() > 1 {
                let items: Vec<Value> = keys.iter().map(|key| json!(key)).collect();
                return batch::write_many(shared, spec, Write::Delete, &items, entity, atomic);
            }
            shared.store.delete(spec, &keys, entity)?;
            Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(axum::body::Body::empty())
                .unwrap_or_default())
        }
        Route::Query => {
            let payload = parse_json(bytes, "POST")?;
            if let Some(object) = payload.get("object").and_then(Value::as_str)
                && shared.denied(object)
            {
                return Err(ApiError::permission_denied(object));
            }
            let result = query::run(&shared.store, &payload, entity)?;
            Ok(json_response(StatusCode::OK, result.to_string()))
        }
        Route::Model => model(call.query),
        Route::Composite => {
            let payload = parse_json(bytes, "POST")?;
            composite::run(shared, call, &payload).await
        }
        Route::BulkCreate => bulk::create(shared, call.headers, bytes, entity),
        Route::BulkStatus => bulk::status(shared, &query_params(call.query)),
    }
}

/// The token check of docs/emulator.md.
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
        // Real gateways have been seen answering an expired token with 400 REST-1206.
        Check::Expired if shared.expired_token_status == 400 => Err(ApiError::token_unreadable()),
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

pub(crate) fn parse_json(bytes: &[u8], operation: &str) -> Result<Value, ApiError> {
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
    key: &str,
    entity: Option<&str>,
) -> Result<Response, ApiError> {
    let stored = shared
        .store
        .get(spec.name, key, entity)
        .ok_or_else(|| ApiError::record_not_found(spec.name, key))?;
    // The hot path: copy the record's ready-made JSON into the envelope.
    let mut body = Vec::with_capacity(GET_HEAD.len() + stored.json.len() + GET_TAIL.len());
    body.extend_from_slice(GET_HEAD);
    body.extend_from_slice(&stored.json);
    body.extend_from_slice(GET_TAIL);
    Ok(json_response(StatusCode::OK, body))
}

fn query_params(query: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn list(
    shared: &Shared,
    spec: &'static ObjectSpec,
    query: Option<&str>,
    entity: Option<&str>,
) -> Result<Response, ApiError> {
    let params = query_params(query);
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

fn model(query: Option<&str>) -> Result<Response, ApiError> {
    let params = query_params(query);
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
        assert_eq!(
            allowed_methods("/objects/accounts-payable/vendor/84").as_deref(),
            Some("GET, PATCH, DELETE")
        );
        assert_eq!(
            allowed_methods("/objects/accounts-payable/vendor").as_deref(),
            Some("GET, POST, PATCH")
        );
        assert_eq!(allowed_methods("/nothing/here"), None);
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
