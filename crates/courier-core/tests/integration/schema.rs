//! The JSON Schemas under `schemas/`: current with the types they are generated from, in step
//! with the loader (a kitchen-sink collection and environment that use every key load clean,
//! validate, and name every property of the schema), and accepting the examples while
//! refusing unknown keys.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use courier_core::diag::SourceFile;
use courier_core::load::{parse_collection, parse_environment};
use courier_core::schema::{collection_schema, environment_schema};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml_as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    courier_core::yaml::parse(&text).unwrap().to_json()
}

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Regenerate with `COURIER_BLESS=1 cargo test -p courier-core --test integration schema`.
#[test]
fn committed_schemas_are_current() {
    for (file, generated) in [
        ("collection.schema.json", collection_schema()),
        ("environment.schema.json", environment_schema()),
    ] {
        let path = root().join("schemas").join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            if std::env::var("COURIER_BLESS").is_ok_and(|v| v == "1") {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &generated).unwrap();
            } else {
                panic!(
                    "schemas/{file} is stale: run `COURIER_BLESS=1 cargo test -p courier-core --test integration schema` and commit it"
                );
            }
        }
    }
}

fn kitchen(name: &str) -> PathBuf {
    root().join("tests/data/kitchen-sink").join(name)
}

#[test]
fn the_kitchen_sink_loads_clean() {
    let path = kitchen("collection.yaml");
    let file = SourceFile::new(&path, std::fs::read_to_string(&path).unwrap());
    parse_collection(&file).unwrap_or_else(|d| panic!("{d:?}"));
    let path = kitchen("environment.yaml");
    let file = SourceFile::new(&path, std::fs::read_to_string(&path).unwrap());
    parse_environment(&file, "environment").unwrap_or_else(|d| panic!("{d:?}"));
}

#[test]
fn the_kitchen_sink_validates_against_the_schemas() {
    let c = validator(&collection_schema());
    assert_eq!(
        errors(&c, &yaml_as_json(&kitchen("collection.yaml"))),
        Vec::<String>::new()
    );
    let e = validator(&environment_schema());
    assert_eq!(
        errors(&e, &yaml_as_json(&kitchen("environment.yaml"))),
        Vec::<String>::new()
    );
}

fn schema_properties(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                out.extend(props.keys().cloned());
            }
            map.values().for_each(|v| schema_properties(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| schema_properties(v, out)),
        _ => {}
    }
}

fn document_keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            out.extend(map.keys().cloned());
            map.values().for_each(|v| document_keys(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| document_keys(v, out)),
        _ => {}
    }
}

/// The schema names no key the loader would refuse: every property appears in a kitchen
/// sink that loads clean.
#[test]
fn every_schema_property_is_used_by_the_kitchen_sink() {
    for (schema, doc) in [
        (collection_schema(), "collection.yaml"),
        (environment_schema(), "environment.yaml"),
    ] {
        let mut props = BTreeSet::new();
        schema_properties(&serde_json::from_str(&schema).unwrap(), &mut props);
        let mut keys = BTreeSet::new();
        document_keys(&yaml_as_json(&kitchen(doc)), &mut keys);
        let missing: Vec<&String> = props.difference(&keys).collect();
        assert!(missing.is_empty(), "{doc} does not use {missing:?}");
    }
}

#[test]
fn examples_validate_and_unknown_keys_do_not() {
    let c = validator(&collection_schema());
    let e = validator(&environment_schema());
    for entry in std::fs::read_dir(root().join("collections")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            assert_eq!(
                errors(&c, &yaml_as_json(&path)),
                Vec::<String>::new(),
                "{}",
                path.display()
            );
        }
    }
    for entry in std::fs::read_dir(root().join("environments")).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(
            errors(&e, &yaml_as_json(&path)),
            Vec::<String>::new(),
            "{}",
            path.display()
        );
    }
    for broken in [
        "unknown-key.yaml",
        "unknown-top-key.yaml",
        "unknown-operator.yaml",
        "two-bodies.yaml",
    ] {
        let doc = yaml_as_json(&root().join("tests/broken/collections").join(broken));
        if broken == "two-bodies.yaml" {
            // One body is a rule across keys that the loader enforces; the schema cannot.
            continue;
        }
        assert!(!errors(&c, &doc).is_empty(), "{broken} should not validate");
    }
    let doc = yaml_as_json(&root().join("tests/broken/environments/unknown-env-key.yaml"));
    assert!(!errors(&e, &doc).is_empty());
}

/// Every `pattern` in a value of the JSON Schema, depth first.
fn patterns(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("pattern", Value::String(p)) => out.push(p.clone()),
                    _ => patterns(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| patterns(v, out)),
        _ => {}
    }
}

/// Schema patterns are ECMA-262 regexes (editors, ajv and Python's jsonschema read them), so
/// each must compile with an ECMA-262 engine; Rust's `(?i)` inline flag is not one, and the
/// check must say so.
#[test]
fn schema_patterns_are_ecma_262() {
    assert!(
        regress::Regex::new("^(?i)(GET|HEAD)$").is_err(),
        "the engine must refuse an inline flag"
    );
    let mut all = Vec::new();
    for schema in [collection_schema(), environment_schema()] {
        let v: Value = serde_json::from_str(&schema).unwrap();
        patterns(&v, &mut all);
    }
    assert!(all.len() >= 3, "{all:?}");
    for p in &all {
        assert!(regress::Regex::new(p).is_ok(), "not ECMA-262: {p}");
    }
    let method = all.iter().find(|p| p.contains("[Gg]")).unwrap();
    let re = regress::Regex::new(method).unwrap();
    assert!(re.find("get").is_some() && re.find("PATCH").is_some());
    assert!(re.find("FETCH").is_none());
}
