//! Conformance with the real API as docs/emulator.md records it: the documented and recorded
//! request/response examples (tests/data/conformance.json) run against the emulator and are
//! compared by shape, and the model service and seeded rows of four objects are measured
//! against a real company's model listing (tests/data/model-appendix.md).

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::Harness;

fn data(name: &str) -> String {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn docs() -> String {
    let path = format!("{}/../../docs/emulator.md", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `actual` differs in shape from `expected`: every key of an expected object must be
/// there with the same JSON type (an integer where a number is expected is fine); a null or
/// `"*"` expected matches anything; each actual array item is held to the first expected one.
fn shape_errors(expected: &Value, actual: &Value, path: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::String(star), _) if star == "*" => {}
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                match got.get(key) {
                    Some(inner) => shape_errors(value, inner, &format!("{path}.{key}"), errors),
                    None => errors.push(format!("{path}.{key} is missing")),
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            if let Some(first) = want.first() {
                for (index, item) in got.iter().enumerate() {
                    shape_errors(first, item, &format!("{path}[{index}]"), errors);
                }
            }
        }
        (Value::Number(_), Value::Number(_)) => {
            if type_name(expected) == "integer" && type_name(actual) != "integer" {
                errors.push(format!("{path}: expected an integer, got {actual}"));
            }
        }
        _ if type_name(expected) == type_name(actual) => {}
        _ => errors.push(format!(
            "{path}: expected {}, got {} ({actual})",
            type_name(expected),
            type_name(actual)
        )),
    }
}

fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(value, |current, part| match part.parse::<usize>() {
            Ok(index) => &current[index],
            Err(_) => &current[part],
        })
}

#[tokio::test]
async fn documented_examples_have_the_real_shapes() {
    let fixture: Value = serde_json::from_str(&data("conformance.json")).expect("JSON");
    let harness = Harness::default().await;
    let token = harness.token().await;
    let mut failures = Vec::new();
    let examples = fixture["examples"].as_array().expect("examples");
    assert!(examples.len() >= 10, "{} examples", examples.len());
    for example in examples {
        let name = example["name"].as_str().expect("a name");
        let (status, body) = if example["token_request"] == true {
            let credentials = harness.emulator.credentials().clone();
            harness
                .token_form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &credentials.client_id),
                    ("client_secret", &credentials.client_secret),
                    ("username", &credentials.username),
                ])
                .await
        } else {
            let request = &example["request"];
            let method: Method = request["method"]
                .as_str()
                .expect("method")
                .parse()
                .expect("a method");
            let path = request["path"].as_str().expect("path");
            if let Some(raw) = request["raw"].as_str() {
                let response = harness
                    .client
                    .request(method, harness.url(path))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(raw.to_owned())
                    .send()
                    .await
                    .expect("an answer");
                let status = response.status();
                (status, response.json().await.expect("JSON"))
            } else {
                let body = (!request["body"].is_null()).then(|| request["body"].clone());
                harness.call(method, path, &token, body).await
            }
        };
        let want = StatusCode::from_u16(example["status"].as_u64().expect("status") as u16)
            .expect("a status");
        if status != want {
            failures.push(format!("{name}: status {status}, expected {want}: {body}"));
            continue;
        }
        let mut errors = Vec::new();
        shape_errors(&example["response"], &body, "$", &mut errors);
        for path in example["exact"].as_array().into_iter().flatten() {
            let path = path.as_str().expect("a path");
            if at(&example["response"], path) != at(&body, path) {
                errors.push(format!(
                    "{path}: expected {}, got {}",
                    at(&example["response"], path),
                    at(&body, path)
                ));
            }
        }
        if !errors.is_empty() {
            failures.push(format!("{name}:\n  {}", errors.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The skipped examples each say why, and docs/emulator.md lists them too.
    let docs = docs();
    for skipped in fixture["skipped"].as_array().expect("skipped") {
        let name = skipped["name"].as_str().expect("name");
        assert!(
            !skipped["reason"].as_str().unwrap_or("").is_empty(),
            "{name}"
        );
        assert!(
            docs.contains(name),
            "docs/emulator.md does not list the skipped `{name}`"
        );
    }
}

/// One field of the real model listing.
#[derive(Debug)]
struct RealField {
    name: String,
    json_type: String,
    format: Option<String>,
    read_only: bool,
    write_only: bool,
    values: BTreeSet<String>,
}

/// Parse the appendix: `### A.<object>` then one line of `` `name`★ type[/format] [RO] [WO]
/// [N] [enum a|b] `` items separated by `; `.
fn appendix() -> Vec<(String, Vec<RealField>)> {
    let text = data("model-appendix.md");
    let mut objects = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(object) = line.strip_prefix("### A.") else {
            continue;
        };
        let listing = lines.next().expect("a field line");
        let fields = listing
            .split("; ")
            .map(|item| {
                let item = item.trim().trim_end_matches('.');
                let (name, rest) = item[1..].split_once('`').expect("a quoted name");
                let words: Vec<&str> = rest.trim_start_matches('★').split_whitespace().collect();
                let (json_type, format) = match words[0].split_once('/') {
                    Some((ty, format)) => (ty.to_owned(), Some(format.to_owned())),
                    None => (words[0].to_owned(), None),
                };
                let values = words
                    .iter()
                    .position(|word| *word == "enum")
                    .map(|at| {
                        words[at + 1]
                            .split('|')
                            .filter(|value| !value.is_empty() && *value != "null")
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                RealField {
                    name: name.to_owned(),
                    json_type,
                    format,
                    read_only: words.contains(&"RO"),
                    write_only: words.contains(&"WO"),
                    values,
                }
            })
            .collect();
        objects.push((object.to_owned(), fields));
    }
    objects
}

/// Whether a row value has the listed JSON type (null always fits: unset values are null).
fn row_fits(value: &Value, json_type: &str) -> bool {
    match (json_type, value) {
        (_, Value::Null)
        | ("number", Value::Number(_))
        | ("string", Value::String(_))
        | ("boolean", Value::Bool(_)) => true,
        ("integer", Value::Number(number)) => number.is_i64() || number.is_u64(),
        _ => false,
    }
}

#[tokio::test]
async fn model_and_rows_agree_with_a_real_company_for_nine_fields_in_ten() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let objects = appendix();
    assert_eq!(objects.len(), 4, "four objects in the appendix copy");
    let docs = docs();
    let (mut agreed, mut total) = (0usize, 0usize);
    let mut divergent = Vec::new();
    for (object, fields) in &objects {
        let (_, model) = harness
            .get(&format!("/services/core/model?name={object}"), &token)
            .await;
        let model_fields = &model["ia::result"]["fields"];
        let (_, rows) = harness
            .query(
                &token,
                serde_json::json!({"object": object, "fields": ["key"], "size": 1}),
            )
            .await;
        let key = rows["ia::result"][0]["key"]
            .as_str()
            .expect("a seeded record")
            .to_owned();
        let (_, record) = harness
            .get(&format!("/objects/{object}/{key}"), &token)
            .await;
        let row = &record["ia::result"];
        for real in fields {
            total += 1;
            let ours = &model_fields[&real.name];
            let values: BTreeSet<String> = ours["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|value| value.as_str().map(str::to_owned))
                .collect();
            let in_row = if real.write_only {
                row.get(&real.name).is_none()
            } else {
                row.get(&real.name)
                    .is_some_and(|value| row_fits(value, &real.json_type))
            };
            let same = ours["type"] == real.json_type.as_str()
                && ours["format"].as_str() == real.format.as_deref()
                && ours["readOnly"] == real.read_only
                && ours["writeOnly"] == real.write_only
                && values == real.values
                && in_row;
            if same {
                agreed += 1;
            } else {
                let name = format!("{object}.{}", real.name);
                assert!(
                    docs.contains(&format!("`{name}`")),
                    "{name} differs from the real model ({ours}, row {}) and docs/emulator.md does not list it",
                    row[&real.name]
                );
                divergent.push(name);
            }
        }
    }
    assert!(total >= 100, "the appendix copy lists {total} fields");
    assert!(
        agreed * 10 >= total * 9,
        "only {agreed} of {total} fields agree; divergent: {divergent:?}"
    );
}
