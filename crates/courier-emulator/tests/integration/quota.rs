//! The hourly quota, as docs/emulator-services.md ("Hourly quota") describes it: every API
//! answer under a quota says what is left in `X-IA-Hour-Rate-Limit*`; beyond it, 429
//! `GW-0010` naming the window's end in `X-IA-Hour-Rate-Limit-Retry-After` (and not the
//! concurrent slots) until the window ends; OAuth never counts.

use std::time::Duration;

use courier_emulator::{EmulatorOptions, HourQuota};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

use crate::support::{Harness, error_of, get_with_headers};

const VENDOR: &str = "/objects/accounts-payable/vendor/84";

async fn get(harness: &Harness, token: &str) -> (StatusCode, HeaderMap, serde_json::Value) {
    get_with_headers(&harness.client, &harness.url(VENDOR), token).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn requests_beyond_the_quota_are_refused_until_the_window_ends() {
    let harness = Harness::start(EmulatorOptions {
        hour_quota: Some(HourQuota {
            requests: 2,
            window: Duration::from_secs(2),
        }),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    for left in ["1", "0"] {
        let (status, headers, _) = get(&harness, &token).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&headers, "x-ia-hour-rate-limit"), Some("2"));
        assert_eq!(
            header(&headers, "x-ia-hour-rate-limit-remaining"),
            Some(left)
        );
    }
    let (status, headers, body) = get(&harness, &token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_of(&body)["errorId"], "GW-0010");
    assert!(
        error_of(&body)["message"]
            .as_str()
            .is_some_and(|m| m.contains("exceed quota")),
        "{body}"
    );
    assert_eq!(
        header(&headers, "x-ia-hour-rate-limit-remaining"),
        Some("0")
    );
    let wait: u64 = header(&headers, "x-ia-hour-rate-limit-retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a wait in seconds");
    assert!((1..=2).contains(&wait), "{wait}");
    // Not the concurrent slots, and the wait is named in Intacct's header only.
    assert_eq!(header(&headers, "x-ia-throttle-limit-remaining"), None);
    assert_eq!(header(&headers, "retry-after"), None);
    // Tokens do not count, and are not refused.
    harness.token().await;
    let stats = harness.stats().await;
    assert_eq!(stats["api_requests"], 3);
    assert_eq!(stats["rejected"]["429"], 1);

    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, headers, _) = get(&harness, &token).await;
    assert_eq!(status, StatusCode::OK, "a new window");
    assert_eq!(
        header(&headers, "x-ia-hour-rate-limit-remaining"),
        Some("1")
    );
}

#[tokio::test]
async fn the_quota_changes_at_run_time_and_answers_carry_no_quota_headers_without_one() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, headers, _) = get(&harness, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "x-ia-hour-rate-limit"), None);
    let set = |body: serde_json::Value| {
        harness
            .client
            .post(harness.admin("faults"))
            .json(&body)
            .send()
    };
    let settings: serde_json::Value = set(json!({"hour_quota": 1}))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(settings["hour_quota"], "1/h");
    assert_eq!(get(&harness, &token).await.0, StatusCode::OK);
    let (status, headers, _) = get(&harness, &token).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The hour's end, in whole seconds.
    let wait: u64 = header(&headers, "x-ia-hour-rate-limit-retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a wait");
    assert!((3590..=3600).contains(&wait), "{wait}");
    let refused = set(json!({"hour_quota": "0/h"})).await.expect("answers");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let settings: serde_json::Value = set(json!({"hour_quota": null}))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(settings["hour_quota"], json!(null));
    assert_eq!(get(&harness, &token).await.0, StatusCode::OK);
}
