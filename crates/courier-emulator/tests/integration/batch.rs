//! Batch requests, as docs/emulator-services.md ("Batch") describes them: comma-separated keys
//! for GET and DELETE, arrays for POST and PATCH, 200 / 204 when every item succeeds, 207 with
//! a per-item `ia::status` otherwise, and `X-IA-API-Param-Transaction: true` for all or nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::Harness;

const VENDORS: &str = "/objects/accounts-payable/vendor";

async fn vendor_count(harness: &Harness, token: &str) -> u64 {
    let (_, body) = harness.get(VENDORS, token).await;
    body["ia::meta"]["totalCount"].as_u64().expect("a count")
}

async fn send(
    harness: &Harness,
    method: Method,
    path: &str,
    token: &str,
    body: &Value,
    atomic: bool,
) -> (StatusCode, Value) {
    let mut request = harness
        .client
        .request(method, harness.url(path))
        .bearer_auth(token)
        .json(body);
    if atomic {
        request = request.header("X-IA-API-Param-Transaction", "true");
    }
    let response = request.send().await.expect("answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn post_arrays_create_every_record_and_answer_200_with_references() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let before = vendor_count(&harness, &token).await;
    let (status, body) = send(
        &harness,
        Method::POST,
        VENDORS,
        &token,
        &json!([{"id": "V-B1", "name": "Batch One"}, {"id": "V-B2", "name": "Batch Two"}]),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["ia::result"].as_array().expect("an array");
    assert_eq!(items.len(), 2);
    for (item, id) in items.iter().zip(["V-B1", "V-B2"]) {
        assert_eq!(item["id"], id);
        let key = item["key"].as_str().expect("a string key");
        assert_eq!(item["href"], format!("{VENDORS}/{key}"));
        assert!(item.get("ia::status").is_none(), "plain items on 200");
    }
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 2, "totalSuccess": 2, "totalError": 0})
    );
    assert_eq!(vendor_count(&harness, &token).await, before + 2);
}

#[tokio::test]
async fn a_mixed_batch_is_207_with_a_status_and_error_per_item() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let before = vendor_count(&harness, &token).await;
    let (status, body) = send(
        &harness,
        Method::POST,
        VENDORS,
        &token,
        &json!([
            {"id": "V-OK", "name": "Fine"},
            {"id": "V-BAD", "name": "Bad", "nonsense": 1},
            {"id": "V-OK2", "name": "Fine too"}
        ]),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    let items = body["ia::result"].as_array().expect("an array");
    assert_eq!(items[0]["ia::status"], 201);
    assert_eq!(items[0]["id"], "V-OK");
    assert_eq!(items[1]["ia::status"], 400);
    assert_eq!(items[1]["ia::error"]["errorId"], "REST-1064");
    assert_eq!(items[1]["ia::error"]["details"][0]["target"], "/nonsense");
    assert!(items[1]["ia::error"]["supportId"].is_string());
    assert_eq!(items[2]["ia::status"], 201);
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 3, "totalSuccess": 2, "totalError": 1})
    );
    assert_eq!(
        vendor_count(&harness, &token).await,
        before + 2,
        "the good ones are written"
    );
}

#[tokio::test]
async fn the_transaction_header_makes_a_batch_all_or_nothing() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let before = vendor_count(&harness, &token).await;
    let (status, body) = send(
        &harness,
        Method::POST,
        VENDORS,
        &token,
        &json!([
            {"id": "V-T1", "name": "First"},
            {"id": "V-T2"},
            {"id": "V-T3", "name": "Third"}
        ]),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    let items = body["ia::result"].as_array().expect("an array");
    assert_eq!(items[0]["ia::status"], 422);
    assert_eq!(items[0]["ia::error"]["code"], "unprocessed");
    assert_eq!(items[1]["ia::status"], 422);
    assert_eq!(items[1]["ia::error"]["details"][0]["target"], "/name");
    assert_eq!(
        items[2]["ia::error"],
        json!({"code": "unprocessed", "message": "Operation skipped due to atomic transaction failure"})
    );
    assert_eq!(body["ia::meta"]["totalSuccess"], 0);
    assert_eq!(body["ia::meta"]["totalError"], 3);
    assert_eq!(
        vendor_count(&harness, &token).await,
        before,
        "nothing written"
    );
    // The same batch without the failing record goes through whole.
    let (status, _) = send(
        &harness,
        Method::POST,
        VENDORS,
        &token,
        &json!([{"id": "V-T1", "name": "First"}, {"id": "V-T3", "name": "Third"}]),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(vendor_count(&harness, &token).await, before + 2);
}

#[tokio::test]
async fn patch_arrays_carry_each_key_and_update_in_place() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = send(
        &harness,
        Method::PATCH,
        VENDORS,
        &token,
        &json!([{"key": "84", "name": "Renamed 84"}, {"key": "85", "name": "Renamed 85"}]),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ia::result"][1]["key"], "85");
    let (_, vendor) = harness.get(&format!("{VENDORS}/85"), &token).await;
    assert_eq!(vendor["ia::result"]["name"], "Renamed 85");
    let (status, body) = send(
        &harness,
        Method::PATCH,
        VENDORS,
        &token,
        &json!([{"key": "84", "name": "Again"}, {"key": "999999", "name": "Nobody"}, {"name": "No key"}]),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    let statuses: Vec<&Value> = body["ia::result"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| &item["ia::status"])
        .collect();
    assert_eq!(statuses, [&json!(200), &json!(404), &json!(400)]);
    // A single object is not a batch update.
    let (status, _) = send(
        &harness,
        Method::PATCH,
        VENDORS,
        &token,
        &json!({"key": "84"}),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn get_and_delete_take_comma_separated_keys() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness.get(&format!("{VENDORS}/84,85"), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["ia::result"][0]["key"], "84");
    assert_eq!(body["ia::meta"]["totalSuccess"], 2);
    let (status, body) = harness.get(&format!("{VENDORS}/84,999999"), &token).await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(body["ia::result"][0]["ia::status"], 200);
    assert_eq!(body["ia::result"][0]["key"], "84");
    assert_eq!(body["ia::result"][1]["ia::status"], 404);
    assert_eq!(body["ia::result"][1]["ia::error"]["code"], "notFound");

    let (status, body) = harness
        .call(Method::DELETE, &format!("{VENDORS}/86,87"), &token, None)
        .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = harness
        .call(Method::DELETE, &format!("{VENDORS}/88,86"), &token, None)
        .await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(
        body["ia::result"][0],
        json!({"ia::status": 204}),
        "no key on a delete"
    );
    assert_eq!(body["ia::result"][1]["ia::status"], 404);
    assert_eq!(
        harness.get(&format!("{VENDORS}/88"), &token).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn batches_take_at_most_500_records() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let keys: Vec<String> = (1..=501).map(|n| n.to_string()).collect();
    let (status, body) = harness
        .get(&format!("{VENDORS}/{}", keys.join(",")), &token)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["ia::result"]["ia::error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("500")),
        "{body}"
    );
    let records: Vec<Value> = (0..501)
        .map(|n| json!({"id": format!("V-{n}"), "name": "x"}))
        .collect();
    let (status, _) = send(
        &harness,
        Method::POST,
        VENDORS,
        &token,
        &json!(records),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
