//! The composite service, as docs/emulator-services.md ("Composite") describes it: 2–10
//! subrequests in order, `resultReference` and `@{name.path}` substitution, 200 when all
//! succeed, and on a failure that item's error, later items 422 `unprocessed`, overall 207,
//! with earlier writes rolled back unless `composite_rollback` is off.

use courier_emulator::EmulatorOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Harness, error_of};

const COMPOSITE: &str = "/services/core/composite";

async fn composite(harness: &Harness, token: &str, body: Value) -> (StatusCode, Value) {
    harness
        .call(reqwest::Method::POST, COMPOSITE, token, Some(body))
        .await
}

#[tokio::test]
async fn references_flow_into_later_paths_and_bodies() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = composite(
        &harness,
        &token,
        json!([
            {"method": "POST", "path": "/objects/accounts-payable/vendor",
             "body": {"id": "V-COMP", "name": "Composite Vendor"}, "resultReference": "vendor"},
            {"method": "GET", "path": "/objects/accounts-payable/vendor/@{vendor.key}",
             "resultReference": "read"},
            {"method": "PATCH", "path": "/objects/accounts-payable/vendor/@{vendor.key}",
             "body": {"name": "Renamed @{read.id}"}},
            {"method": "POST", "path": "/services/core/query",
             "body": {"object": "accounts-payable/vendor", "fields": ["id", "name"],
                      "filters": [{"$eq": {"id": "@{read.id}"}}]}}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["ia::result"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["ia::status"], 201);
    assert_eq!(items[0]["ia::result"]["id"], "V-COMP");
    assert_eq!(items[0]["ia::meta"]["totalCount"], 1);
    let key = items[0]["ia::result"]["key"].as_str().expect("a key");
    assert_eq!(items[1]["ia::status"], 200);
    assert_eq!(items[1]["ia::result"]["key"], key);
    assert_eq!(items[2]["ia::status"], 200);
    assert_eq!(
        items[3]["ia::result"],
        json!([{"id": "V-COMP", "name": "Renamed V-COMP"}])
    );
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 4, "totalSuccess": 4, "totalError": 0})
    );
}

#[tokio::test]
async fn a_failure_skips_the_rest_and_rolls_back_by_default() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = composite(
        &harness,
        &token,
        json!([
            {"method": "POST", "path": "/objects/accounts-payable/vendor",
             "body": {"id": "V-ROLL", "name": "Rolled back"}},
            {"method": "GET", "path": "/objects/accounts-payable/vendor/999999"},
            {"method": "DELETE", "path": "/objects/accounts-payable/vendor/84"}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    let items = body["ia::result"].as_array().expect("items");
    assert_eq!(items[0]["ia::status"], 201);
    assert_eq!(items[1]["ia::status"], 404);
    assert_eq!(items[1]["ia::error"]["code"], "notFound");
    assert_eq!(
        items[2],
        json!({"ia::error": {"code": "unprocessed",
            "message": "Operation skipped due to atomic transaction failure"}, "ia::status": 422})
    );
    assert_eq!(body["ia::meta"]["totalError"], 2);
    let (_, found) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/vendor", "fields": ["id"], "filters": [{"$eq": {"id": "V-ROLL"}}]}),
        )
        .await;
    assert_eq!(found["ia::result"], json!([]), "the create was rolled back");
    let (status, _) = harness
        .get("/objects/accounts-payable/vendor/84", &token)
        .await;
    assert_eq!(status, StatusCode::OK, "the skipped delete never ran");
}

#[tokio::test]
async fn with_rollback_off_earlier_writes_stay() {
    let harness = Harness::start(EmulatorOptions {
        composite_rollback: false,
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let (status, _) = composite(
        &harness,
        &token,
        json!([
            {"method": "POST", "path": "/objects/accounts-payable/vendor",
             "body": {"id": "V-KEEP", "name": "Kept"}},
            {"method": "PATCH", "path": "/objects/accounts-payable/vendor/999999", "body": {"name": "x"}}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    let (_, found) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/vendor", "fields": ["id"], "filters": [{"$eq": {"id": "V-KEEP"}}]}),
        )
        .await;
    assert_eq!(found["ia::result"], json!([{"id": "V-KEEP"}]));
}

#[tokio::test]
async fn malformed_composites_are_400_and_run_nothing() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let one = json!([{"method": "GET", "path": "/objects/accounts-payable/vendor/84"}]);
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({"method": "GET", "path": "/objects/accounts-payable/vendor/84"}))
        .collect();
    for bad in [one, json!(eleven), json!({"method": "GET"})] {
        let (status, body) = composite(&harness, &token, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, body) = composite(
        &harness,
        &token,
        json!([
            {"method": "PUT", "path": "/objects/accounts-payable/vendor/84"},
            {"method": "POST", "path": "/workflows/accounts-payable/bill/submit", "body": {}},
            {"method": "POST", "path": "/objects/accounts-payable/vendor",
             "body": {"id": "V-NEVER", "name": "Never"}, "extra": 1},
            {"method": "POST", "path": COMPOSITE, "body": {}}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let targets: Vec<&str> = error_of(&body)["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|detail| detail["target"].as_str())
        .collect();
    assert_eq!(targets, ["/0/method", "/1/path", "/2/extra", "/3/path"]);
    let (_, found) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/vendor", "fields": ["id"], "filters": [{"$eq": {"id": "V-NEVER"}}]}),
        )
        .await;
    assert_eq!(found["ia::result"], json!([]));
}

#[tokio::test]
async fn an_unresolvable_reference_fails_its_item() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = composite(
        &harness,
        &token,
        json!([
            {"method": "GET", "path": "/objects/accounts-payable/vendor/84", "resultReference": "v"},
            {"method": "GET", "path": "/objects/accounts-payable/vendor/@{v.nothing}"}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(body["ia::result"][1]["ia::status"], 400);
    assert!(
        body["ia::result"][1]["ia::error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("@{v.nothing}")),
        "{body}"
    );
}
