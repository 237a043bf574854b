//! Bulk jobs, as docs/emulator-services.md ("Bulk jobs") describes them: a multipart create,
//! a status that moves from `queued` to `completed` over `bulk_duration`, and per-record
//! results where bad records are reported and the rest written.

use std::time::{Duration, Instant};

use courier_emulator::EmulatorOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::Harness;

const BOUNDARY: &str = "courier-test-boundary";

fn multipart(request: &Value, file_name: &str, file: &str) -> Vec<u8> {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"ia::requestBody\"\r\nContent-Type: application/json\r\n\r\n{request}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_name}\"; filename=\"records.json\"\r\nContent-Type: application/json\r\n\r\n{file}\r\n\
         --{BOUNDARY}--\r\n"
    )
    .into_bytes()
}

async fn create_job(harness: &Harness, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = harness
        .client
        .post(harness.url("/services/bulk/job/create"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .expect("answers");
    let status = response.status();
    (status, response.json().await.expect("JSON"))
}

async fn status_of(harness: &Harness, token: &str, job: &str) -> Value {
    let (status, body) = harness
        .get(&format!("/services/bulk/job/status?jobId={job}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["ia::result"].clone()
}

#[tokio::test]
async fn a_job_moves_through_its_statuses_and_reports_every_record() {
    let harness = Harness::start(EmulatorOptions {
        bulk_duration: Duration::from_millis(1500),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let records = json!([
        {"id": "V-BULK1", "name": "Bulk One"},
        {"id": "V-BULK2"},
        {"id": "V-BULK3", "name": "Bulk Three"}
    ]);
    let request = json!({"objectName": "vendor", "operation": "create", "jobFile": "file", "fileContentType": "json"});
    let started = Instant::now();
    let (status, body) = create_job(
        &harness,
        &token,
        multipart(&request, "file", &records.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let job = body["ia::result"]["jobId"]
        .as_str()
        .expect("a job id")
        .to_owned();
    assert_eq!(
        body["ia::result"]["statusURL"],
        format!("/services/bulk/job/status?jobId={job}")
    );
    let first = status_of(&harness, &token, &job).await;
    assert_eq!(first["status"], "queued");
    assert_eq!(first["percentComplete"], 0);
    assert!(first.get("downloadURL").is_none());
    let (status, _) = harness
        .get(
            &format!("/services/bulk/job/status?jobId={job}&download=true"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "no results before completion");

    let mut seen: Vec<String> = Vec::new();
    let mut percents: Vec<u64> = Vec::new();
    loop {
        let now = status_of(&harness, &token, &job).await;
        let name = now["status"].as_str().expect("a status").to_owned();
        if now["status"] == "processing" {
            percents.push(now["percentComplete"].as_u64().expect("a percent"));
        }
        if seen.last() != Some(&name) {
            seen.push(name.clone());
        }
        if name == "completed" {
            assert_eq!(now["percentComplete"], 100);
            assert_eq!(
                now["downloadURL"],
                format!("/services/bulk/job/status?jobId={job}&download=true")
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the job never completed"
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    assert!(started.elapsed() >= Duration::from_millis(1500));
    assert_eq!(
        seen,
        [
            "queued",
            "preprocessing",
            "processing",
            "postprocessing",
            "completed"
        ]
    );
    assert!(
        percents.windows(2).all(|pair| pair[0] <= pair[1]),
        "{percents:?}"
    );
    let (status, results) = harness
        .get(
            &format!("/services/bulk/job/status?jobId={job}&download=true"),
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let results = results.as_array().expect("one result per record");
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["ia::status"], 201);
    assert_eq!(results[0]["id"], "V-BULK1");
    assert_eq!(results[1]["ia::status"], 422);
    assert_eq!(results[1]["ia::error"]["details"][0]["target"], "/name");
    assert_eq!(results[2]["ia::status"], 201);
    let (_, found) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/vendor", "fields": ["id"],
                   "filters": [{"$in": {"id": ["V-BULK1", "V-BULK2", "V-BULK3"]}}], "orderBy": [{"id": "asc"}]}),
        )
        .await;
    assert_eq!(
        found["ia::result"],
        json!([{"id": "V-BULK1"}, {"id": "V-BULK3"}])
    );
}

#[tokio::test]
async fn a_file_that_is_not_records_fails_the_job() {
    let harness = Harness::start(EmulatorOptions {
        bulk_duration: Duration::from_millis(200),
        ..EmulatorOptions::default()
    })
    .await;
    let token = harness.token().await;
    let request =
        json!({"objectName": "accounts-payable/vendor", "operation": "create", "jobFile": "data"});
    let (status, body) = create_job(
        &harness,
        &token,
        multipart(&request, "data", "{\"not\": \"an array\"}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let job = body["ia::result"]["jobId"]
        .as_str()
        .expect("a job id")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let now = status_of(&harness, &token, &job).await;
    assert_eq!(now["status"], "failed");
    assert!(now.get("downloadURL").is_none());
}

#[tokio::test]
async fn bad_job_requests_are_400_and_unknown_jobs_404() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let records = "[]";
    for (request, part) in [
        (
            json!({"objectName": "vendor", "operation": "upsert", "jobFile": "file"}),
            "file",
        ),
        (
            json!({"objectName": "vendor", "operation": "create", "jobFile": "missing"}),
            "file",
        ),
        (json!({"operation": "create", "jobFile": "file"}), "file"),
        (
            json!({"objectName": "vendor", "operation": "create", "jobFile": "file", "fileContentType": "csv"}),
            "file",
        ),
    ] {
        let (status, body) = create_job(&harness, &token, multipart(&request, part, records)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}: {body}");
    }
    let (status, _) = harness
        .call(
            reqwest::Method::POST,
            "/services/bulk/job/create",
            &token,
            Some(json!({"objectName": "vendor"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "JSON instead of multipart");
    let (status, body) = harness
        .get(
            "/services/bulk/job/status?jobId=00000000-0000-0000-0000-000000000000",
            &token,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["ia::result"]["ia::error"]["code"], "notFound");
}
