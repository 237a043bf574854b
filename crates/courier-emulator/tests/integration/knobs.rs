//! The fault and latency knobs, the rate limit, and the admin endpoints that change them.

use std::time::{Duration, Instant};

use courier_emulator::EmulatorOptions;
use reqwest::StatusCode;
use serde_json::json;

use crate::snapshot;
use crate::support::{Harness, error_of};

const VENDOR: &str = "/objects/accounts-payable/vendor/84";

#[tokio::test]
async fn fail_first_fails_the_first_api_requests_only() {
    let harness = Harness::start(EmulatorOptions {
        fail_first: 2,
        ..EmulatorOptions::default()
    })
    .await;
    // OAuth is not an API route: the token comes at once.
    let token = harness.token().await;
    let (status, body) = harness.get(VENDOR, &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    snapshot!("injected_fault", &body);
    assert_eq!(
        harness.get(VENDOR, &token).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(harness.get(VENDOR, &token).await.0, StatusCode::OK);
    let stats = harness.stats().await;
    assert_eq!(stats["rejected"], json!({"503": 2}));
    assert_eq!(stats["api_requests"], 3);
}

#[tokio::test]
async fn fail_every_and_fail_rate_pick_requests() {
    let harness = Harness::start(EmulatorOptions {
        fail_every: 3,
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(harness.get(VENDOR, &token).await.0.as_u16());
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503]);
    let harness = Harness::start(EmulatorOptions {
        fail_rate: 1.0,
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    assert_eq!(
        harness.get(VENDOR, &token).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let harness = Harness::start(EmulatorOptions {
        rate_limit: Some(3),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    for _ in 0..3 {
        assert_eq!(harness.get(VENDOR, &token).await.0, StatusCode::OK);
    }
    let response = harness
        .client
        .get(harness.url(VENDOR))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body: serde_json::Value = response.json().await.expect("json");
    snapshot!("rate_limited", &body);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        harness.get(VENDOR, &token).await.0,
        StatusCode::OK,
        "the bucket refills"
    );
}

#[tokio::test]
async fn latency_delays_api_requests_only() {
    let harness = Harness::start(EmulatorOptions {
        latency: Duration::from_millis(150),
        ..EmulatorOptions::default()
    })
    .await;
    let started = Instant::now();
    let token = harness.token().await;
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "the token endpoint is not delayed"
    );
    let started = Instant::now();
    harness.get(VENDOR, &token).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn faults_change_at_run_time_through_the_admin_endpoint() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    assert_eq!(harness.get(VENDOR, &token).await.0, StatusCode::OK);
    let response = harness
        .client
        .post(harness.admin("faults"))
        .json(&json!({"fail_first": 1, "latency": "5ms", "rate_limit": "100/s"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let settings: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        settings,
        json!({"latency": "5ms", "fail_first": 1, "fail_every": 0, "fail_rate": 0.0, "rate_limit": "100/s", "max_concurrent": null, "hour_quota": null})
    );
    let (status, body) = harness.get(VENDOR, &token).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "fail_first counts from the change"
    );
    assert_eq!(error_of(&body)["code"], "serviceUnavailable");
    assert_eq!(harness.get(VENDOR, &token).await.0, StatusCode::OK);
    let response = harness
        .client
        .post(harness.admin("faults"))
        .json(&json!({"fail_rate": 7}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = harness
        .client
        .post(harness.admin("faults"))
        .json(&json!({"rate_limit": null, "latency": 0}))
        .send()
        .await
        .expect("answers");
    let settings: serde_json::Value = response.json().await.expect("json");
    assert_eq!(settings["rate_limit"], json!(null));
    let current: serde_json::Value = harness
        .client
        .get(harness.admin("faults"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("json");
    assert_eq!(current, settings);
}

#[tokio::test]
async fn reset_restores_the_seeded_data_and_zeroes_the_counters() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (_, before) = harness.get(VENDOR, &token).await;
    harness
        .call(
            reqwest::Method::PATCH,
            VENDOR,
            &token,
            Some(json!({"name": "Changed"})),
        )
        .await;
    harness
        .call(
            reqwest::Method::DELETE,
            "/objects/accounts-payable/vendor/85",
            &token,
            None,
        )
        .await;
    let response = harness
        .client
        .post(harness.admin("reset"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let stats = harness.stats().await;
    assert_eq!(stats["api_requests"], 0);
    assert_eq!(stats["token_requests"]["client_credentials"], 0);
    // Tokens survive a reset.
    let (status, after) = harness.get(VENDOR, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(before, after);
    assert_eq!(
        harness
            .get("/objects/accounts-payable/vendor/85", &token)
            .await
            .0,
        StatusCode::OK
    );
}
