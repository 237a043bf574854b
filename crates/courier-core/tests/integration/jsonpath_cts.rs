//! The RFC 9535 JSONPath Compliance Test Suite, every case through `courier_core::jsonpath`
//! (docs/collections.md, "JSONPath"). The suite is a copy of
//! <https://github.com/jsonpath-standard/jsonpath-compliance-test-suite> in `tests/data/`
//! (BSD-2, licence beside it).
//!
//! A case passes when an invalid selector fails to compile, or when a valid one compiles and
//! its node list equals the expected one (or one of the allowed orders), with the normalized
//! paths of `query_located` equal to the expected paths where the suite gives them. The test
//! fails on any failure not in [`KNOWN_FAILURES`], and on any listed case that passes, so the
//! list stays honest.

use std::collections::BTreeMap;

use courier_core::jsonpath::{JsonPath, Selection};
use serde_json::Value;

/// Cases our module is known to fail, by CTS name, with the reason. Each is an engine
/// (jsonpath-rust 1.0.12) defect that the wrapper cannot fix cheaply.
const KNOWN_FAILURES: &[(&str, &str)] = &[(
    "filter, nested",
    "`$[?@[?@>1]]`: the engine evaluates a filter applied to a filter's current node as a \
         boolean instead of a node list, so the outer existence test never holds",
)];

const SUITE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/jsonpath-cts.json"
);

#[derive(Debug)]
enum Outcome {
    Pass,
    Fail(String),
}

fn run_case(case: &Value) -> Outcome {
    let Some(selector) = case["selector"].as_str() else {
        return Outcome::Fail("case has no selector".into());
    };
    let compiled = JsonPath::compile(selector);
    if case["invalid_selector"].as_bool() == Some(true) {
        return match compiled {
            Err(_) => Outcome::Pass,
            Ok(_) => Outcome::Fail("invalid selector compiled".into()),
        };
    }
    let query = match compiled {
        Ok(query) => query,
        Err(error) => return Outcome::Fail(format!("valid selector refused: {error}")),
    };
    let document = &case["document"];
    let nodes: Vec<Value> = query.query(document).into_iter().cloned().collect();
    let located = query.query_located(document);
    let paths: Vec<String> = located.iter().map(|(path, _)| path.to_string()).collect();
    let located_nodes: Vec<Value> = located.iter().map(|(_, node)| (*node).clone()).collect();
    if located_nodes != nodes {
        return Outcome::Fail(format!(
            "query_located found {located_nodes:?}, query found {nodes:?}"
        ));
    }
    // `select` must agree with `query`: one value or none for a singular query.
    match query.select(document) {
        Selection::Singular(found) => {
            if nodes.len() > 1 || found.cloned() != nodes.first().cloned() {
                return Outcome::Fail(format!("select gave {found:?}, query {nodes:?}"));
            }
        }
        Selection::Nodes(found) => {
            if found.into_iter().cloned().collect::<Vec<_>>() != nodes {
                return Outcome::Fail("select and query disagree".into());
            }
        }
    }

    // One expected result, or several allowed orders with their paths alongside.
    let alternatives: Vec<(&Value, Option<&Value>)> = if let Some(result) = case.get("result") {
        vec![(result, case.get("result_paths"))]
    } else if let Some(Value::Array(results)) = case.get("results") {
        let all_paths = case.get("results_paths").and_then(Value::as_array);
        results
            .iter()
            .enumerate()
            .map(|(index, result)| (result, all_paths.and_then(|all| all.get(index))))
            .collect()
    } else {
        return Outcome::Fail("case has neither result nor results".into());
    };
    let matched = alternatives.iter().any(|(result, expected_paths)| {
        result.as_array() == Some(&nodes)
            && expected_paths.is_none_or(|expected| {
                expected.as_array().is_some_and(|expected| {
                    expected
                        .iter()
                        .map(Value::as_str)
                        .eq(paths.iter().map(|p| Some(p.as_str())))
                })
            })
    });
    if matched {
        Outcome::Pass
    } else {
        Outcome::Fail(format!(
            "got {} at {paths:?}; expected {}",
            Value::Array(nodes),
            alternatives
                .iter()
                .map(|(result, paths)| format!(
                    "{result} at {}",
                    paths.map_or("-".into(), ToString::to_string)
                ))
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    }
}

#[test]
fn jsonpath_compliance_test_suite() {
    let text = std::fs::read_to_string(SUITE).expect("the CTS is in tests/data");
    let suite: Value = serde_json::from_str(&text).expect("the CTS is JSON");
    let cases = suite["tests"].as_array().expect("the CTS has tests");
    assert!(
        cases.len() >= 703,
        "the suite shrank: {} cases",
        cases.len()
    );

    let known: BTreeMap<&str, &str> = KNOWN_FAILURES.iter().copied().collect();
    let mut passed = 0;
    let mut unexpected = Vec::new();
    let mut seen_known = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let outcome = run_case(case);
        match (outcome, known.contains_key(name)) {
            (Outcome::Pass, false) => passed += 1,
            (Outcome::Pass, true) => {
                unexpected.push(format!("{name}: passes now, take it off KNOWN_FAILURES"));
            }
            (Outcome::Fail(_), true) => seen_known.push(name),
            (Outcome::Fail(why), false) => unexpected.push(format!(
                "{name} ({}): {why}",
                case["selector"].as_str().unwrap_or("?")
            )),
        }
    }
    let missing: Vec<&&str> = known
        .keys()
        .filter(|name| !seen_known.contains(name))
        .collect();
    for name in missing {
        unexpected.push(format!("{name}: on KNOWN_FAILURES but not in the suite"));
    }
    println!(
        "JSONPath CTS: {passed}/{} passed, {} known failures",
        cases.len(),
        seen_known.len()
    );
    assert!(
        unexpected.is_empty(),
        "{} unexpected CTS outcomes:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
}
