//! The concurrency cap, as docs/emulator-services.md ("Concurrency limit") describes it:
//! beyond `max_concurrent` API requests in flight, 429 `GW-0010` with `Retry-After` and the
//! throttle headers; OAuth never counts; `/__emulator/stats` counts the rejections.

use std::time::Duration;

use courier_emulator::EmulatorOptions;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{Harness, error_of, get_with_headers};

const VENDOR: &str = "/objects/accounts-payable/vendor/84";

#[tokio::test]
async fn requests_beyond_the_cap_are_429_gw_0010_and_counted() {
    let harness = Harness::start(EmulatorOptions {
        max_concurrent: Some(2),
        latency: Duration::from_millis(800),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let client = harness.client.clone();
        let url = harness.url(VENDOR);
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            get_with_headers(&client, &url, &token).await
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        let (status, headers, body) = task.await.expect("a task");
        match status {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_eq!(error_of(&body)["errorId"], "GW-0010");
                assert_eq!(
                    headers.get("retry-after").and_then(|v| v.to_str().ok()),
                    Some("1")
                );
                assert_eq!(
                    headers
                        .get("x-ia-throttle-limit")
                        .and_then(|v| v.to_str().ok()),
                    Some("2")
                );
                assert_eq!(
                    headers
                        .get("x-ia-throttle-limit-remaining")
                        .and_then(|v| v.to_str().ok()),
                    Some("0")
                );
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((ok, limited), (2, 3));
    let stats = harness.stats().await;
    assert_eq!(stats["concurrency_rejections"], 3);
    assert_eq!(stats["rejected"]["429"], 3);
    // Tokens are not API requests: they never take a slot.
    harness.token().await;
}

#[tokio::test]
async fn requests_within_the_cap_all_pass_and_the_knob_changes_at_run_time() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let stats = harness.stats().await;
    assert_eq!(stats["concurrency_rejections"], 0, "no cap by default");
    let response = harness
        .client
        .post(harness.admin("faults"))
        .json(&json!({"max_concurrent": 1, "latency": "500ms"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let settings: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(settings["max_concurrent"], 1);
    // One at a time passes every request.
    for _ in 0..3 {
        assert_eq!(harness.get(VENDOR, &token).await.0, StatusCode::OK);
    }
    let (first, second) = tokio::join!(harness.get(VENDOR, &token), async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        harness.get(VENDOR, &token).await
    });
    let mut statuses = [first.0.as_u16(), second.0.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 429], "one in flight, the other refused");
    let response = harness
        .client
        .post(harness.admin("faults"))
        .json(&json!({"max_concurrent": null, "latency": "0"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    let (first, second) = tokio::join!(harness.get(VENDOR, &token), harness.get(VENDOR, &token));
    assert_eq!((first.0, second.0), (StatusCode::OK, StatusCode::OK));
    assert_eq!(harness.stats().await["concurrency_rejections"], 1);
}

#[tokio::test]
async fn clients_that_keep_within_the_cap_never_meet_it() {
    // The emulator's half of the runner's acceptance run: two workers (a run's
    // `max_concurrency: 2`) send 100 requests against `--max-concurrent 2 --latency 20ms`.
    let harness = Harness::start(EmulatorOptions {
        max_concurrent: Some(2),
        latency: Duration::from_millis(20),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let mut workers = Vec::new();
    for _ in 0..2 {
        let client = harness.client.clone();
        let url = harness.url(VENDOR);
        let token = token.clone();
        workers.push(tokio::spawn(async move {
            let mut ok = 0;
            for _ in 0..50 {
                let response = client
                    .get(&url)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("answers");
                if response.status() == StatusCode::OK {
                    ok += 1;
                }
                response.bytes().await.expect("a body");
            }
            ok
        }));
    }
    let mut ok = 0;
    for worker in workers {
        ok += worker.await.expect("a worker");
    }
    assert_eq!(ok, 100);
    let stats = harness.stats().await;
    assert_eq!(stats["in_flight_peak"], 2);
    assert_eq!(stats["concurrency_rejections"], 0);
}
