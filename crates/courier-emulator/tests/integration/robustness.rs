//! Bad requests get Intacct-shaped errors: never a panic, a hang or a dropped connection.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::snapshot;
use crate::support::{Harness, error_of};

async fn raw(
    harness: &Harness,
    method: Method,
    path: &str,
    token: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        harness
            .client
            .request(method, harness.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send(),
    )
    .await
    .expect("no hang")
    .expect("the connection stays up for the answer");
    let status = response.status();
    let body = response.json().await.expect("an ia::error JSON body");
    (status, body)
}

#[tokio::test]
async fn malformed_json_and_wrong_payloads_are_400() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let vendors = "/objects/accounts-payable/vendor";
    let (status, body) = raw(
        &harness,
        Method::POST,
        vendors,
        &token,
        b"{\"id\": \"V-1\",".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("malformed_json", &body);
    let (status, body) = raw(&harness, Method::POST, vendors, &token, Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("empty_payload", &body);
    // An array is a batch (docs/emulator-services.md, "Batch"): its bad record fails alone.
    let (status, body) = raw(
        &harness,
        Method::POST,
        vendors,
        &token,
        b"[{\"id\": \"V-1\"}]".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(body["ia::result"][0]["ia::status"], 422);
    for bad in [
        &b"\xff\xfe"[..],
        b"null",
        b"42",
        b"\"text\"",
        b"{\"id\": {\"deep\": [1, 2]}}",
        b"{\"name\": true, \"id\": 5}",
    ] {
        let (status, body) = raw(&harness, Method::POST, vendors, &token, bad.to_vec()).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(error_of(&body)["code"], "invalidRequest");
        let (status, _) = raw(
            &harness,
            Method::PATCH,
            &format!("{vendors}/84"),
            &token,
            bad.to_vec(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "PATCH {}",
            String::from_utf8_lossy(bad)
        );
        let (status, _) = raw(
            &harness,
            Method::POST,
            "/services/core/query",
            &token,
            bad.to_vec(),
        )
        .await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "query {}",
            String::from_utf8_lossy(bad)
        );
    }
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let (status, _) = raw(
        &harness,
        Method::POST,
        "/services/core/query",
        &token,
        deep.into_bytes(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "deep nesting is refused by the JSON parser, not the stack"
    );
}

#[tokio::test]
async fn a_body_over_one_megabyte_is_413_on_a_live_connection() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let big = json!({"id": "V-BIG", "name": "x".repeat(1_100_000)})
        .to_string()
        .into_bytes();
    let (status, body) = raw(
        &harness,
        Method::POST,
        "/objects/accounts-payable/vendor",
        &token,
        big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    snapshot!("payload_too_large", &body);
    let huge = vec![b' '; 5 * 1024 * 1024];
    let (status, _) = raw(&harness, Method::POST, "/services/core/query", &token, huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // The emulator still answers normally afterwards.
    assert_eq!(
        harness
            .get("/objects/accounts-payable/vendor/84", &token)
            .await
            .0,
        StatusCode::OK
    );
    // Exactly 1 MB of valid JSON is fine.
    let mut exact = json!({"object": "vendor", "fields": ["id"]})
        .to_string()
        .into_bytes();
    exact.resize(1024 * 1024, b' ');
    let (status, _) = raw(
        &harness,
        Method::POST,
        "/services/core/query",
        &token,
        exact,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn ten_thousand_filters_and_deep_expressions_are_refused_quickly() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let filters: Vec<Value> = (0..10_000)
        .map(|i| json!({"$eq": {"id": format!("V-{i}")}}))
        .collect();
    let expression = (1..=10_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" or ");
    let started = std::time::Instant::now();
    let (status, body) = harness
        .query(&token, json!({"object": "accounts-payable/vendor", "filters": filters, "filterExpression": expression}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("ten_thousand_filters", &body);
    assert!(started.elapsed() < Duration::from_secs(5));
    // A thousand filters are accepted, with a flat thousand-term expression.
    let filters: Vec<Value> = (0..1_000)
        .map(|i| json!({"$eq": {"id": format!("V-{i:04}")}}))
        .collect();
    let expression = (1..=1_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(" or ");
    let (status, body) = harness
        .query(&token, json!({"object": "accounts-payable/vendor", "fields": ["id"], "filters": filters, "filterExpression": expression}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ia::meta"]["totalCount"], 12);
    let nested = format!("{}1{}", "(".repeat(5_000), ")".repeat(5_000));
    let (status, body) = harness
        .query(&token, json!({"object": "accounts-payable/vendor", "filters": [{"$eq": {"id": "V-0001"}}], "filterExpression": nested}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["errorId"], "REST-1100");
}

#[tokio::test]
async fn odd_paths_and_headers_never_break_the_server() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    for path in [
        "/objects/%ff%fe/vendor",
        "/objects/accounts-payable/vendor/%2C%2C",
        "/objects/accounts-payable/vendor/,",
        "/objects/accounts-payable/vendor/99999999999999999999999",
        "/objects/accounts-payable/vendor/-1",
        "/objects//vendor",
        "/services/core/model?name=%00",
        "/objects/accounts-payable/vendor?start=0",
        "/objects/accounts-payable/vendor?size=abc",
        "/objects/accounts-payable/vendor?start=99999999999999999999999",
    ] {
        let (status, body) = harness.get(path, &token).await;
        assert!(status.is_client_error(), "{path}: {status}");
        assert!(error_of(&body)["supportId"].is_string(), "{path}: {body}");
    }
    // The largest start a u64 holds is a valid, empty page, not an overflow.
    let (status, body) = harness
        .query(&token, json!({"object": "vendor", "start": u64::MAX}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ia::meta"]["next"], Value::Null);
    assert_eq!(body["ia::result"], json!([]));
    let response = harness
        .client
        .get(harness.url("/objects/accounts-payable/vendor"))
        .bearer_auth(&token)
        .header("X-IA-API-Param-Entity", "\u{e9}t\u{e9}".as_bytes())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
