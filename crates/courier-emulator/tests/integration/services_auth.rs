//! Method, permission and token errors and redirect URIs, as docs/emulator-services.md
//! ("Errors and auth") describes them: 405 for a known path with the wrong method, 403 for a
//! denied object, the expired-token status knob, `http://` redirect URIs refused and app
//! schemes accepted, and `Idempotency-Key` replay on batch writes.

use std::time::Duration;

use courier_emulator::{EmulatorError, EmulatorOptions};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Harness, error_of};

const VENDORS: &str = "/objects/accounts-payable/vendor";

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_with_allow_even_without_a_token() {
    let harness = Harness::default().await;
    for (method, path, allow) in [
        (
            Method::PUT,
            "/objects/accounts-payable/vendor/84",
            "GET, PATCH, DELETE",
        ),
        (Method::DELETE, VENDORS, "GET, POST, PATCH"),
        (Method::GET, "/services/core/query", "POST"),
        (Method::GET, "/services/core/composite", "POST"),
        (Method::POST, "/services/bulk/job/status", "GET"),
    ] {
        let response = harness
            .client
            .request(method.clone(), harness.url(path))
            .send()
            .await
            .expect("answers");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok()),
            Some(allow)
        );
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(error_of(&body)["code"], "methodNotAllowed");
        assert_eq!(body["ia::meta"]["totalError"], 1);
    }
    let token = harness.token().await;
    let (status, _) = harness.get("/nothing/here", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown paths stay 404");
}

#[tokio::test]
async fn a_denied_object_is_403_everywhere_and_others_still_work() {
    let harness = Harness::start(EmulatorOptions {
        deny_objects: vec!["accounts-payable/vendor".into()],
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let (status, body) = harness.get(&format!("{VENDORS}/84"), &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_of(&body)["code"], "permissionDenied");
    let (status, _) = harness
        .call(
            Method::POST,
            VENDORS,
            &token,
            Some(json!({"id": "V-X", "name": "X"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = harness
        .query(&token, json!({"object": "vendor", "fields": ["id"]}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "unprefixed names are denied too"
    );
    let (status, _) = harness
        .get("/objects/accounts-receivable/customer", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn expired_tokens_answer_401_by_default_and_400_rest_1206_on_request() {
    for (status_knob, expected, error_id) in [
        (401, StatusCode::UNAUTHORIZED, "GW-0040"),
        (400, StatusCode::BAD_REQUEST, "REST-1206"),
    ] {
        let harness = Harness::start(EmulatorOptions {
            token_ttl: Duration::from_millis(300),
            expired_token_status: status_knob,
            ..EmulatorOptions::default()
        })
        .await;
        let token = harness.token().await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (status, body) = harness.get(&format!("{VENDORS}/84"), &token).await;
        assert_eq!(status, expected);
        assert_eq!(error_of(&body)["errorId"], error_id);
        if status_knob == 400 {
            assert_eq!(error_of(&body)["message"], "The token is not valid");
        }
    }
    let refused = courier_emulator::start(EmulatorOptions {
        expired_token_status: 403,
        ..EmulatorOptions::default()
    })
    .await;
    assert!(
        refused.is_err(),
        "only 401 and 400 are expired-token statuses"
    );
}

#[tokio::test]
async fn redirect_uris_refuse_http_and_take_https_and_app_schemes() {
    for uri in ["http://127.0.0.1/callback", "http://app.example.com/cb"] {
        let refused = courier_emulator::start(EmulatorOptions {
            redirect_uris: vec![uri.into()],
            ..EmulatorOptions::default()
        })
        .await;
        assert!(
            matches!(refused, Err(EmulatorError::RedirectUri { .. })),
            "{uri}"
        );
    }
    let app = "com.example.courier:/oauth/done";
    let harness = Harness::start(EmulatorOptions {
        redirect_uris: vec![app.into(), "https://app.example.com/cb".into()],
        ..EmulatorOptions::default()
    })
    .await;
    let client_id = harness.emulator.credentials().client_id.clone();
    let response = harness
        .client
        .get(harness.url("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", app),
            ("state", "s1"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(location.starts_with(&format!("{app}?code=")), "{location}");
}

#[tokio::test]
async fn idempotency_keys_replay_batches_and_refuse_other_bodies() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let send = |body: serde_json::Value| {
        let harness = &harness;
        let token = token.clone();
        async move {
            let response = harness
                .client
                .post(harness.url(VENDORS))
                .bearer_auth(token)
                .header("Idempotency-Key", "batch-key-1")
                .json(&body)
                .send()
                .await
                .expect("answers");
            let status = response.status();
            let cached = response
                .headers()
                .contains_key("x-ia-idempotency-cached-date");
            (status, cached, response.text().await.expect("a body"))
        }
    };
    let batch = json!([{"id": "V-I1", "name": "One"}, {"id": "V-I2", "name": "Two"}]);
    let first = send(batch.clone()).await;
    let again = send(batch).await;
    assert_eq!(first.0, StatusCode::OK);
    assert!(!first.1 && again.1, "only the replay is marked cached");
    assert_eq!(first.2, again.2, "the replay is the first answer");
    let (_, list) = harness.get(VENDORS, &token).await;
    let (_, found) = harness
        .query(&token, json!({"object": "accounts-payable/vendor", "fields": ["id"], "filters": [{"$eq": {"id": "V-I1"}}]}))
        .await;
    assert_eq!(
        found["ia::result"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
    let other = send(json!([{"id": "V-I3", "name": "Three"}])).await;
    assert_eq!(other.0, StatusCode::CONFLICT);
    let response = harness
        .client
        .post(harness.url(VENDORS))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k".repeat(257))
        .json(&json!({"id": "V-LONG", "name": "Long key"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "keys have at most 256 characters"
    );
}
