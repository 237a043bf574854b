//! Bulk jobs (docs/emulator-services.md, "Bulk jobs"): `POST /services/bulk/job/create` takes
//! a multipart body — an `ia::requestBody` JSON part naming the object and the operation, and
//! a JSON file of records — and answers a job id at once. The job then moves through
//! `queued → preprocessing → processing → postprocessing → completed` (or `failed`, when the
//! file is not a JSON array of records) over the `bulk_duration` knob;
//! `GET /services/bulk/job/status?jobId=` reports it, and `download=true` returns one result
//! per record. Each record is its own transaction: bad records are reported, the rest written.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::batch::{self, Write};
use crate::envelope::{ApiError, single_meta};
use crate::schema::{OBJECTS, ObjectSpec};
use crate::server::{Shared, json_response};
use crate::tokens::lock;

/// Where each phase ends, as a fraction of the job's duration.
const QUEUED_UNTIL: f64 = 0.1;
const PREPROCESSING_UNTIL: f64 = 0.2;
const PROCESSING_UNTIL: f64 = 0.8;

#[derive(Debug)]
enum Outcome {
    /// Not processed yet.
    Pending,
    /// The file could not be read as records.
    Failed(String),
    /// One result per record, in file order.
    Done(Vec<Value>),
}

#[derive(Debug)]
struct Job {
    started: Instant,
    duration: Duration,
    outcome: Mutex<Outcome>,
}

/// The jobs of this emulator.
#[derive(Debug, Default)]
pub(crate) struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    counter: AtomicU64,
}

impl Jobs {
    pub(crate) fn clear(&self) {
        lock(&self.jobs).clear();
    }
}

/// One part of a multipart body.
#[derive(Debug)]
struct Part {
    name: String,
    filename: Option<String>,
    data: Bytes,
}

/// The boundary of a `multipart/form-data` content type.
fn boundary(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let (kind, parameters) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters.split(';').find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// A parameter of a `Content-Disposition` header: `name="ia::requestBody"`.
fn disposition_parameter(line: &str, wanted: &str) -> Option<String> {
    line.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        (name.trim().eq_ignore_ascii_case(wanted))
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Split a multipart body into its parts (RFC 7578), enough for what curl and HTTP clients
/// send.
fn parts(body: &Bytes, boundary: &str) -> Result<Vec<Part>, ApiError> {
    let bad = || ApiError::invalid_bulk("The multipart body could not be read");
    let delimiter = format!("--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or_else(bad)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        let head_start = find(body, b"\r\n", at).ok_or_else(bad)? + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or_else(bad)?;
        let head = std::str::from_utf8(&body[head_start..head_end]).map_err(|_| bad())?;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), head_end).ok_or_else(bad)?;
        let disposition = head
            .split("\r\n")
            .find(|line| {
                line.split_once(':').is_some_and(|(name, _)| {
                    name.trim().eq_ignore_ascii_case("content-disposition")
                })
            })
            .ok_or_else(bad)?;
        parts.push(Part {
            name: disposition_parameter(disposition, "name").ok_or_else(bad)?,
            filename: disposition_parameter(disposition, "filename"),
            data: body.slice(head_end + 4..next),
        });
        at = next + 2 + delimiter.len();
    }
}

/// The object a job names: `accounts-payable/vendor` or just `vendor`.
fn find_object(name: &str) -> Option<&'static ObjectSpec> {
    OBJECTS
        .iter()
        .find(|spec| spec.name == name || spec.short_name() == name)
}

/// A job id in Intacct's UUID look, drawn from the seed and a counter.
fn job_id(seed: u64, counter: u64) -> String {
    let digest = Sha256::new()
        .chain_update(b"courier-emulator bulk job")
        .chain_update(seed.to_le_bytes())
        .chain_update(counter.to_le_bytes())
        .finalize();
    let hex = digest[..16].iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    });
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `POST /services/bulk/job/create`.
pub(crate) fn create(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    body: &Bytes,
    entity: Option<&str>,
) -> Result<Response, ApiError> {
    let boundary = boundary(headers).ok_or_else(|| {
        ApiError::invalid_bulk(
            "A bulk job is created with a multipart/form-data body: an ia::requestBody part and a file part",
        )
    })?;
    let parts = parts(body, &boundary)?;
    let request = parts
        .iter()
        .find(|part| part.name == "ia::requestBody")
        .ok_or_else(|| ApiError::invalid_bulk("The multipart body has no ia::requestBody part"))?;
    let request: Value = serde_json::from_slice(&request.data).map_err(|error| {
        ApiError::invalid_bulk(format!(
            "The ia::requestBody part is not valid JSON: {error}"
        ))
    })?;
    let text = |name: &str| request.get(name).and_then(Value::as_str);
    let object_name = text("objectName").ok_or_else(|| {
        ApiError::invalid_bulk("ia::requestBody needs objectName, such as \"vendor\"")
    })?;
    let spec = find_object(object_name).ok_or_else(|| ApiError::unknown_object(object_name))?;
    if shared.denied(spec.name) {
        return Err(ApiError::permission_denied(spec.name));
    }
    let write = match text("operation") {
        Some("create") => Write::Create,
        Some("update") => Write::Update,
        Some("delete") => Write::Delete,
        _ => {
            return Err(ApiError::invalid_bulk(
                "ia::requestBody needs operation: create, update or delete",
            ));
        }
    };
    if text("fileContentType").is_some_and(|kind| kind != "json") {
        return Err(ApiError::invalid_bulk("fileContentType must be json"));
    }
    let job_file = text("jobFile").ok_or_else(|| {
        ApiError::invalid_bulk("ia::requestBody needs jobFile, the name of the file part")
    })?;
    let file = parts
        .iter()
        .find(|part| part.name == job_file || part.filename.as_deref() == Some(job_file))
        .ok_or_else(|| {
            ApiError::invalid_bulk(format!("The multipart body has no part named {job_file}"))
        })?
        .data
        .clone();
    let counter = shared.jobs.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let id = job_id(shared.seed, counter);
    let job = Arc::new(Job {
        started: Instant::now(),
        duration: shared.bulk_duration,
        outcome: Mutex::new(Outcome::Pending),
    });
    lock(&shared.jobs.jobs).insert(id.clone(), Arc::clone(&job));
    let worker = Arc::clone(shared);
    let entity = entity.map(str::to_owned);
    tokio::spawn(async move {
        tokio::time::sleep(job.duration.mul_f64(PREPROCESSING_UNTIL)).await;
        let _shared_gate = worker.gate.read().await;
        let outcome = process(&worker, spec, write, &file, entity.as_deref());
        *lock(&job.outcome) = outcome;
    });
    let body = json!({
        "ia::result": {
            "jobId": id,
            "statusURL": format!("/services/bulk/job/status?jobId={id}"),
            "createdDateTime": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        },
        "ia::meta": single_meta(),
    });
    Ok(json_response(StatusCode::OK, body.to_string()))
}

/// Apply every record of the file, each on its own.
fn process(
    shared: &Shared,
    spec: &'static ObjectSpec,
    write: Write,
    file: &[u8],
    entity: Option<&str>,
) -> Outcome {
    let records = match serde_json::from_slice::<Value>(file) {
        Ok(Value::Array(records)) => records,
        Ok(_) => return Outcome::Failed("The job file is not a JSON array of records".to_owned()),
        Err(error) => return Outcome::Failed(format!("The job file is not valid JSON: {error}")),
    };
    let results = records
        .iter()
        .map(|record| batch::write_item(shared, spec, write, record, entity))
        .collect();
    Outcome::Done(results)
}

/// `GET /services/bulk/job/status?jobId=…[&download=true]`.
pub(crate) fn status(shared: &Shared, params: &[(String, String)]) -> Result<Response, ApiError> {
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let id = param("jobId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApiError::invalid_bulk("The status service needs ?jobId="))?;
    let job = lock(&shared.jobs.jobs)
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::job_not_found(id))?;
    let fraction = if job.duration.is_zero() {
        1.0
    } else {
        job.started.elapsed().as_secs_f64() / job.duration.as_secs_f64()
    };
    let outcome = lock(&job.outcome);
    let (status, percent) = match &*outcome {
        Outcome::Failed(_) => ("failed", 0),
        _ if fraction < QUEUED_UNTIL => ("queued", 0),
        _ if fraction < PREPROCESSING_UNTIL => ("preprocessing", 0),
        _ if fraction < PROCESSING_UNTIL => {
            let share = (fraction - PREPROCESSING_UNTIL) / (PROCESSING_UNTIL - PREPROCESSING_UNTIL);
            ("processing", (share * 100.0).floor() as u32)
        }
        Outcome::Done(_) if fraction >= 1.0 => ("completed", 100),
        _ => ("postprocessing", 100),
    };
    if param("download") == Some("true") {
        let Outcome::Done(results) = &*outcome else {
            return Err(ApiError::job_not_completed(id, status));
        };
        if status != "completed" {
            return Err(ApiError::job_not_completed(id, status));
        }
        let mut response = json_response(StatusCode::OK, Value::Array(results.clone()).to_string());
        if let Ok(value) =
            HeaderValue::from_str(&format!("attachment; filename=\"{id}-response.json\""))
        {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
        return Ok(response);
    }
    let mut result = json!({
        "jobId": id,
        "status": status,
        "percentComplete": percent,
        "jobStatusFile": format!("{id}-response.json"),
    });
    if status == "completed" {
        result["downloadURL"] = json!(format!(
            "/services/bulk/job/status?jobId={id}&download=true"
        ));
    }
    if let Outcome::Failed(reason) = &*outcome {
        result["message"] = json!(reason);
    }
    Ok(json_response(
        StatusCode::OK,
        json!({"ia::result": result, "ia::meta": single_meta()}).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_split_into_named_parts() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"ia::requestBody\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"vendors.json\"\r\n\r\n[1,2]\r\n--XyZ--\r\n",
        );
        let parts = parts(&body, "XyZ").expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "ia::requestBody");
        assert_eq!(&parts[0].data[..], b"{\"a\":1}");
        assert_eq!(parts[1].filename.as_deref(), Some("vendors.json"));
        assert_eq!(&parts[1].data[..], b"[1,2]");
        assert!(super::parts(&Bytes::from_static(b"garbage"), "XyZ").is_err());
    }

    #[test]
    fn job_ids_look_like_uuids_and_differ() {
        let id = job_id(0, 1);
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, job_id(0, 2));
    }
}
