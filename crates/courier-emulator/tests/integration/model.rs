//! The model service.

use reqwest::StatusCode;
use serde_json::json;

use crate::snapshot;
use crate::support::{Harness, error_of};

#[tokio::test]
async fn the_model_of_a_seeded_object_describes_its_fields() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .get("/services/core/model?name=accounts-payable/vendor", &token)
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("model_vendor", &body);
    let (_, vendor) = harness
        .get("/objects/accounts-payable/vendor/84", &token)
        .await;
    // Every field of a record is described as a field, a ref or a group.
    for field in vendor["ia::result"].as_object().expect("object").keys() {
        let model = &body["ia::result"];
        assert!(
            model["fields"].get(field).is_some()
                || model["refs"].get(field).is_some()
                || model["groups"].get(field).is_some(),
            "{field} is not in the model"
        );
    }
    assert_eq!(
        body["ia::meta"],
        json!({"totalCount": 1, "totalSuccess": 1, "totalError": 0})
    );
}

#[tokio::test]
async fn every_seeded_object_has_a_model_and_the_catalogue_lists_them() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness.get("/services/core/model", &token).await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("model_catalogue", &body);
    for entry in body["ia::result"].as_array().expect("catalogue") {
        let name = entry["apiObject"].as_str().expect("name");
        let (status, model) = harness
            .get(&format!("/services/core/model?name={name}"), &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert_eq!(model["ia::result"]["idempotenceSupported"], true);
    }
    let (status, body) = harness
        .get("/services/core/model?name=employee", &token)
        .await;
    assert_eq!(status, StatusCode::OK, "short names work");
    assert_eq!(
        body["ia::result"]["refs"]["department"]["apiObject"],
        "company-config/department"
    );
    // A transaction lists its lines; the line object is owned; types come from one schema.
    let (_, bill) = harness
        .get("/services/core/model?name=accounts-payable/bill", &token)
        .await;
    assert_eq!(
        bill["ia::result"]["lists"]["lines"]["apiObject"],
        "accounts-payable/bill-line"
    );
    assert_eq!(bill["ia::result"]["fields"]["dueInDays"]["type"], "string");
    assert_eq!(
        bill["ia::result"]["refs"]["vendor"]["fields"]["name"]["readOnly"],
        true
    );
    let (_, line) = harness
        .get(
            "/services/core/model?name=accounts-payable/bill-line",
            &token,
        )
        .await;
    assert_eq!(line["ia::result"]["type"], "ownedObject");
    let (_, invoice) = harness
        .get(
            "/services/core/model?name=accounts-receivable/invoice",
            &token,
        )
        .await;
    assert_eq!(
        invoice["ia::result"]["fields"]["dueInDays"]["type"],
        "integer"
    );
    assert_eq!(invoice["ia::result"]["fields"]["action"]["writeOnly"], true);
    let (status, body) = harness
        .get("/services/core/model?name=order-entry/document", &token)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body)["code"], "notFound");
}
