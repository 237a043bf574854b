//! Object CRUD under `/objects/{application}/{object}`: list, get, create, update, delete,
//! field errors, `Idempotency-Key`, `X-IA-API-Param-Entity` and unknown routes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::snapshot;
use crate::support::{Harness, error_of};

const VENDORS: &str = "/objects/accounts-payable/vendor";

fn redact_audit(mut body: Value) -> Value {
    if let Some(audit) = body["ia::result"].get_mut("audit") {
        audit["createdDateTime"] = json!("[datetime]");
        audit["modifiedDateTime"] = json!("[datetime]");
    }
    body
}

#[tokio::test]
async fn list_returns_references_and_paging_meta() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness.get(VENDORS, &token).await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("vendor_list", &body);
    let first = &body["ia::result"][0];
    assert_eq!(
        first
            .as_object()
            .map(|m| m.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["key".into(), "id".into(), "href".into()])
    );
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 12, "start": 1, "pageSize": 100, "next": null, "previous": null})
    );
}

#[tokio::test]
async fn list_pages_with_start_and_size() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .get("/objects/general-ledger/account?start=11&size=10", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 30, "start": 11, "pageSize": 10, "next": 21, "previous": 1})
    );
    assert_eq!(body["ia::result"][0]["key"], "111");
    let (status, body) = harness
        .get("/objects/general-ledger/account?size=4001", &token)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("list_oversize_page", &body);
}

#[tokio::test]
async fn get_by_key_returns_the_full_object() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .get("/objects/accounts-payable/vendor/84", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("vendor_84", &body);
    let (status, body) = harness
        .get("/objects/company-config/employee/53", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("employee_53", &body);
    let department = &body["ia::result"]["department"];
    let key = department["key"].as_str().expect("a string key");
    assert_eq!(
        department["href"],
        json!(format!("/objects/company-config/department/{key}"))
    );
}

#[tokio::test]
async fn comma_separated_keys_get_several_records() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .get("/objects/accounts-payable/vendor/84,86,85", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = body["ia::result"]
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(keys, ["84", "86", "85"]);
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 3, "totalSuccess": 3, "totalError": 0})
    );
    // A missing key fails its own item only (docs/emulator-services.md, "Batch").
    let (status, body) = harness
        .get("/objects/accounts-payable/vendor/84,999", &token)
        .await;
    assert_eq!(status, StatusCode::MULTI_STATUS);
    assert_eq!(body["ia::result"][1]["ia::error"]["code"], "notFound");
}

#[tokio::test]
async fn missing_records_objects_and_routes_are_404_not_found() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .get("/objects/accounts-payable/vendor/999", &token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    snapshot!("vendor_not_found", &body);
    let (status, body) = harness.get("/objects/accounts-payable/vendr", &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    snapshot!("unknown_object", &body);
    let (status, body) = harness
        .get("/objects/accounts-payable/vendor/abc", &token)
        .await;
    assert_eq!(
        (status, error_of(&body)["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("notFound"))
    );
    // A known path with another method is a 405 (docs/emulator-services.md, "Errors and auth").
    for (method, path, expected) in [
        (Method::GET, "/nothing/here", StatusCode::NOT_FOUND),
        (
            Method::PUT,
            "/objects/accounts-payable/vendor/84",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::DELETE,
            "/objects/accounts-payable/vendor",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::GET,
            "/services/core/query",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (Method::GET, "/services/core/nothing", StatusCode::NOT_FOUND),
        (Method::GET, "", StatusCode::NOT_FOUND),
    ] {
        let (status, body) = harness.call(method.clone(), path, &token, None).await;
        assert_eq!(status, expected, "{method} {path}");
        let code = if expected == StatusCode::NOT_FOUND {
            "notFound"
        } else {
            "methodNotAllowed"
        };
        assert_eq!(error_of(&body)["code"], code, "{method} {path}");
        if path == "/nothing/here" {
            snapshot!("route_not_found", &body);
        }
    }
    // Outside /ia/api/v1 too, though those are not API requests.
    let response = harness
        .client
        .get(format!("http://{}/elsewhere", harness.emulator.addr()))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let stats = harness.stats().await;
    assert_eq!(stats["routes"]["PUT /{*path}"], 1);
    assert_eq!(stats["api_requests"], 9);
}

#[tokio::test]
async fn create_answers_201_with_a_reference_and_the_record_reads_back() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let payload = json!({"id": "V-NEW", "name": "Acme Supplies", "creditLimit": 28800, "billingType": "openItem", "isOnHold": false});
    let (status, body) = harness
        .call(Method::POST, VENDORS, &token, Some(payload))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    snapshot!("vendor_created", &body);
    let href = body["ia::result"]["href"].as_str().expect("href");
    assert_eq!(
        href, "/objects/accounts-payable/vendor/96",
        "appended after the last key"
    );
    let (status, body) = harness.get(href, &token).await;
    assert_eq!(status, StatusCode::OK);
    let record = &body["ia::result"];
    assert_eq!(
        record["creditLimit"],
        json!(28800),
        "creditLimit is a JSON number (docs/emulator.md, \"Field types\")"
    );
    assert_eq!(record["totalDue"], "0.00");
    assert_eq!(record["status"], "active");
    snapshot!("vendor_created_read_back", &redact_audit(body));
}

#[tokio::test]
async fn create_resolves_references_and_sets_the_entity_from_the_context() {
    let harness = Harness::default().await;
    let token = harness.token_for("ci-bot@COURIER-SANDBOX|UK").await;
    let payload = json!({"id": "E-NEW", "name": "Ada Lovelace", "department": {"id": "D100"}, "startDate": "2025-01-06"});
    let (status, body) = harness
        .call(
            Method::POST,
            "/objects/company-config/employee",
            &token,
            Some(payload),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let href = body["ia::result"]["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let (_, body) = harness.get(&href, &token).await;
    let record = &body["ia::result"];
    assert_eq!(record["department"]["id"], "D100");
    assert_eq!(
        record["department"]["href"],
        json!(format!(
            "/objects/company-config/department/{}",
            record["department"]["key"].as_str().unwrap_or_default()
        ))
    );
    assert_eq!(record["entity"]["id"], "UK");
    assert_eq!(record["audit"]["createdByUser"]["id"], "ci-bot");
}

#[tokio::test]
async fn schema_errors_are_400_with_a_target_per_field() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let payload = json!({"id": "V-X", "name": 42, "newDate": "2024-01-01", "isOnHold": "yes", "creditLimit": "lots", "key": "1", "status": "gone"});
    let (status, body) = harness
        .call(Method::POST, VENDORS, &token, Some(payload))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("vendor_schema_errors", &body);
    let targets: Vec<&str> = error_of(&body)["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|d| d["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "/name",
            "/newDate",
            "/isOnHold",
            "/creditLimit",
            "/key",
            "/status"
        ]
    );
}

#[tokio::test]
async fn business_rule_errors_are_422_and_duplicates_409() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .call(
            Method::POST,
            VENDORS,
            &token,
            Some(json!({"status": "active"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    snapshot!("vendor_missing_required", &body);
    let (status, body) = harness
        .call(
            Method::POST,
            "/objects/company-config/employee",
            &token,
            Some(json!({"id": "E-X", "name": "X", "department": {"id": ""}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(&body)["details"][0]["target"], "/department");
    let (status, body) = harness
        .call(
            Method::POST,
            VENDORS,
            &token,
            Some(json!({"id": "V-0001", "name": "Copy"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    snapshot!("vendor_duplicate_id", &body);
}

#[tokio::test]
async fn patch_updates_fields_and_answers_a_reference() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let path = "/objects/accounts-payable/vendor/85";
    let (status, body) = harness
        .call(
            Method::PATCH,
            path,
            &token,
            Some(json!({"name": "Renamed Ltd", "creditLimit": "100"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("vendor_patched", &body);
    let (_, body) = harness.get(path, &token).await;
    assert_eq!(body["ia::result"]["name"], "Renamed Ltd");
    assert_eq!(body["ia::result"]["creditLimit"], json!(100));
    let (status, body) = harness
        .call(
            Method::PATCH,
            path,
            &token,
            Some(json!({"id": "V-CHANGED"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(&body)["details"][0]["target"], "/id");
    let (status, _) = harness
        .call(
            Method::PATCH,
            "/objects/accounts-payable/vendor/999",
            &token,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = harness
        .call(Method::PATCH, path, &token, Some(json!({"name": ""})))
        .await;
    assert_eq!(
        (status, error_of(&body)["details"][0]["target"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/name"))
    );
}

#[tokio::test]
async fn delete_answers_204_without_a_body() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let response = harness
        .client
        .delete(harness.url("/objects/accounts-payable/vendor/86"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(
        harness
            .get("/objects/accounts-payable/vendor/86", &token)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, _) = harness
        .call(
            Method::DELETE,
            "/objects/accounts-payable/vendor/87,88",
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = harness.get(VENDORS, &token).await;
    assert_eq!(body["ia::meta"]["totalCount"], 9);
    let (status, _) = harness
        .call(
            Method::DELETE,
            "/objects/accounts-payable/vendor/86",
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn post_with_key(
    harness: &Harness,
    token: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, String) {
    let response = harness
        .client
        .post(harness.url(VENDORS))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("answers");
    (response.status(), response.text().await.expect("body"))
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer_and_refuse_other_bodies() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let body = json!({"id": "V-IDEM", "name": "Once Only"});
    let first = post_with_key(&harness, &token, "4b8c-key", &body).await;
    let again = post_with_key(&harness, &token, "4b8c-key", &body).await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(first, again, "the replay is byte-identical");
    let (_, list) = harness.get(VENDORS, &token).await;
    assert_eq!(list["ia::meta"]["totalCount"], 13, "created once");
    let (status, text) = post_with_key(
        &harness,
        &token,
        "4b8c-key",
        &json!({"id": "V-IDEM2", "name": "Other"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    snapshot!(
        "idempotency_conflict",
        &serde_json::from_str::<Value>(&text).expect("json")
    );
    // PATCH honours keys too.
    let patch = |name: &'static str| {
        let harness = &harness;
        let token = token.clone();
        async move {
            let response = harness
                .client
                .patch(harness.url("/objects/accounts-payable/vendor/84"))
                .bearer_auth(token)
                .header("Idempotency-Key", "patch-1")
                .json(&json!({"name": name}))
                .send()
                .await
                .expect("answers");
            response.status()
        }
    };
    assert_eq!(patch("First").await, StatusCode::OK);
    assert_eq!(patch("First").await, StatusCode::OK);
    assert_eq!(patch("Second").await, StatusCode::CONFLICT);
}

/// GET a vendor, in an entity context or none: the status and the record's entity id.
async fn entity_of(
    harness: &Harness,
    token: &str,
    key: String,
    entity: Option<&'static str>,
) -> (StatusCode, Value) {
    let mut request = harness
        .client
        .get(harness.url(&format!("{VENDORS}/{key}")))
        .bearer_auth(token);
    if let Some(entity) = entity {
        request = request.header("X-IA-API-Param-Entity", entity);
    }
    let response = request.send().await.expect("answers");
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    (status, body["ia::result"]["entity"]["id"].clone())
}

#[tokio::test]
async fn the_entity_header_filters_lists_gets_and_queries() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (_, all) = harness.get(VENDORS, &token).await;
    let mut by_entity: Vec<(String, Value)> = Vec::new();
    for reference in all["ia::result"].as_array().expect("array") {
        let key = reference["key"].as_str().expect("key").to_owned();
        let (_, entity) = entity_of(&harness, &token, key.clone(), None).await;
        by_entity.push((key, entity));
    }
    assert!(
        by_entity.iter().any(|(_, e)| e == "US")
            && by_entity.iter().any(|(_, e)| e == "UK")
            && by_entity.iter().any(|(_, e)| e.is_null())
    );
    let response = harness
        .client
        .get(harness.url(VENDORS))
        .bearer_auth(&token)
        .header("X-IA-API-Param-Entity", "UK")
        .send()
        .await
        .expect("answers");
    let body: Value = response.json().await.expect("json");
    let listed: Vec<&str> = body["ia::result"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    let expected: Vec<&str> = by_entity
        .iter()
        .filter(|(_, e)| e != "US")
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(
        listed, expected,
        "the UK entity sees its own and top-level vendors"
    );
    let us_key = by_entity
        .iter()
        .find(|(_, e)| e == "US")
        .map(|(k, _)| k.clone())
        .expect("a US vendor");
    assert_eq!(
        entity_of(&harness, &token, us_key.clone(), Some("UK"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        entity_of(&harness, &token, us_key, Some("US")).await.0,
        StatusCode::OK
    );
    // Queries too, and the entity of a token made with user@company|entity.
    let uk_token = harness.token_for("ci-bot@COURIER-SANDBOX|UK").await;
    let (_, queried) = harness
        .query(
            &uk_token,
            json!({"object": "accounts-payable/vendor", "fields": ["key", "entity.id"]}),
        )
        .await;
    let queried_keys: Vec<&str> = queried["ia::result"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(queried_keys, expected);
    // An unknown entity is refused.
    let response = harness
        .client
        .get(harness.url(VENDORS))
        .bearer_auth(&token)
        .header("X-IA-API-Param-Entity", "FR")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    snapshot!("unknown_entity_header", &body);
}
