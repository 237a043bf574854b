//! The bearer-token check every API call passes (docs/emulator-services.md, "Errors and auth": statuses and codes).

use reqwest::StatusCode;

use crate::snapshot;
use crate::support::{Harness, error_of};

const VENDOR: &str = "/objects/accounts-payable/vendor/84";

#[tokio::test]
async fn missing_or_malformed_authorization_is_gw_0034() {
    let harness = Harness::default().await;
    let response = harness
        .client
        .get(harness.url(VENDOR))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body: serde_json::Value = response.json().await.expect("json");
    snapshot!("missing_authorization", &body);
    for header in [
        "Basic Zm9vOmJhcg==",
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "token",
    ] {
        let response = harness
            .client
            .get(harness.url(VENDOR))
            .header("authorization", header)
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{header}");
        let body: serde_json::Value = response.json().await.expect("json");
        assert_eq!(error_of(&body)["errorId"], "GW-0034", "{header}");
    }
}

#[tokio::test]
async fn an_unreadable_token_is_rest_1206_with_400() {
    let harness = Harness::default().await;
    let (status, body) = harness.get(VENDOR, "not-a-token-we-issued").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("unreadable_token", &body);
}

#[tokio::test]
async fn a_revoked_token_is_rest_2102_token_invalid() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    harness
        .client
        .post(harness.admin("revoke-all"))
        .send()
        .await
        .expect("answers");
    let (status, body) = harness.get(VENDOR, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    snapshot!("revoked_token", &body);
    let stats = harness.stats().await;
    assert_eq!(stats["rejected"]["401"], 1);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let response = harness
        .client
        .get(harness.url(VENDOR))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}
