//! The stats document: exact under concurrency, with the right in-flight peak.

use std::sync::Arc;
use std::time::Duration;

use courier_emulator::EmulatorOptions;
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;

use crate::snapshot;
use crate::support::{Harness, client};

#[tokio::test]
async fn the_stats_document_has_the_spec_shape() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    harness
        .get("/objects/accounts-payable/vendor/84", &token)
        .await;
    harness
        .get("/objects/accounts-payable/vendor", &token)
        .await;
    harness
        .get("/objects/accounts-payable/vendor/999", &token)
        .await;
    harness.query(&token, json!({"object": "vendor"})).await;
    harness
        .get("/services/core/model?name=vendor", &token)
        .await;
    harness
        .get("/objects/accounts-payable/vendor/84", "bogus")
        .await;
    harness
        .token_form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "courier-np.app.sage.com"),
            ("client_secret", "courier-np-secret"),
            ("refresh_token", "x"),
        ])
        .await;
    let stats = harness.stats().await;
    snapshot!("stats_document", &stats);
    assert_eq!(
        stats,
        harness.emulator.stats(),
        "the HTTP document and the method agree"
    );
}

#[tokio::test]
async fn counters_are_exact_with_64_concurrent_clients() {
    const CLIENTS: usize = 64;
    const EACH: usize = 10;
    // Latency keeps every client's first request in flight at once.
    let harness = Harness::start(EmulatorOptions {
        latency: Duration::from_millis(300),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let base = harness.emulator.base_url();
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let mut tasks = Vec::new();
    for index in 0..CLIENTS {
        let (base, token, barrier) = (base.clone(), token.clone(), Arc::clone(&barrier));
        tasks.push(tokio::spawn(async move {
            let client = client();
            barrier.wait().await;
            let mut ok = 0;
            for round in 0..EACH {
                let path = if (index + round) % 2 == 0 {
                    format!("{base}/objects/accounts-payable/vendor/84")
                } else {
                    format!("{base}/objects/general-ledger/account")
                };
                let response = client
                    .get(path)
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("answers");
                if response.status() == StatusCode::OK {
                    ok += 1;
                }
                // Keep the connection reusable.
                response.bytes().await.expect("body");
            }
            ok
        }));
    }
    let mut ok = 0;
    for task in tasks {
        ok += task.await.expect("a client task");
    }
    assert_eq!(ok, CLIENTS * EACH);
    let stats = harness.stats().await;
    assert_eq!(stats["api_requests"], CLIENTS * EACH);
    assert_eq!(
        stats["routes"]["GET /objects/{application}/{object}/{key}"],
        CLIENTS * EACH / 2
    );
    assert_eq!(
        stats["routes"]["GET /objects/{application}/{object}"],
        CLIENTS * EACH / 2
    );
    assert_eq!(stats["token_requests"]["client_credentials"], 1);
    assert_eq!(
        stats["in_flight_peak"], CLIENTS,
        "all 64 first requests overlap, and no more can"
    );
    assert_eq!(stats["rejected"], json!({}));
}
