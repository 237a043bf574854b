//! The seeded company: byte-identical reads for a seed, and the two scopes differing exactly
//! as `scope_differences` says.

use std::collections::BTreeMap;

use courier_emulator::{Scope, ScopeChange, ScopeDifference, scope_differences};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Harness, error_of};

const OBJECTS: [&str; 8] = [
    "accounts-payable/vendor",
    "accounts-receivable/customer",
    "general-ledger/account",
    "company-config/department",
    "company-config/location",
    "company-config/employee",
    "company-config/entity",
    "company-config/user",
];

/// Every list and every record of every object, as raw bytes.
async fn dump(harness: &Harness) -> Vec<(String, Vec<u8>)> {
    let token = harness.token().await;
    let mut out = Vec::new();
    for object in OBJECTS {
        let path = format!("/objects/{object}");
        let list = harness
            .client
            .get(harness.url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .expect("answers");
        assert_eq!(list.status(), StatusCode::OK);
        let bytes = list.bytes().await.expect("body").to_vec();
        let parsed: Value = serde_json::from_slice(&bytes).expect("json");
        out.push((path.clone(), bytes));
        for reference in parsed["ia::result"].as_array().expect("array") {
            let href = reference["href"].as_str().expect("href");
            let record = harness
                .client
                .get(harness.url(href))
                .bearer_auth(&token)
                .send()
                .await
                .expect("answers");
            out.push((
                href.to_owned(),
                record.bytes().await.expect("body").to_vec(),
            ));
        }
    }
    out
}

/// object → key → record.
async fn records(harness: &Harness) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for (path, bytes) in dump(harness).await {
        let value: Value = serde_json::from_slice(&bytes).expect("json");
        if let Some(record) = value["ia::result"]
            .as_object()
            .filter(|_| path.split('/').count() == 5)
        {
            let object = path
                .trim_start_matches("/objects/")
                .rsplit_once('/')
                .map(|(o, _)| o.to_owned())
                .expect("object");
            let key = record["key"].as_str().expect("key").to_owned();
            out.entry(object)
                .or_insert_with(BTreeMap::new)
                .insert(key, Value::Object(record.clone()));
        }
    }
    out
}

#[tokio::test]
async fn reads_are_byte_identical_for_the_same_seed() {
    let first = Harness::scoped(Scope::NonProduction, 7).await;
    let second = Harness::scoped(Scope::NonProduction, 7).await;
    let other_seed = Harness::scoped(Scope::NonProduction, 8).await;
    let (a, b, c) = (
        dump(&first).await,
        dump(&second).await,
        dump(&other_seed).await,
    );
    assert!(a.len() > 60);
    assert_eq!(a, b);
    assert_ne!(a, c, "another seed makes another company");
}

#[tokio::test]
async fn support_ids_are_new_per_answer_and_the_same_for_the_same_seed() {
    let mut sequences = Vec::new();
    for _ in 0..2 {
        let harness = Harness::scoped(Scope::NonProduction, 3).await;
        let mut ids = Vec::new();
        for _ in 0..3 {
            let (_, body) = harness
                .get("/objects/accounts-payable/vendor/1", "bogus")
                .await;
            ids.push(
                error_of(&body)["supportId"]
                    .as_str()
                    .expect("a supportId")
                    .to_owned(),
            );
        }
        sequences.push(ids);
    }
    assert_eq!(sequences[0], sequences[1]);
    assert_ne!(sequences[0][0], sequences[0][1]);
    assert_ne!(sequences[0][1], sequences[0][2]);
}

/// Compare the two scopes' datasets and describe every difference found.
fn observed_differences(
    np: &BTreeMap<String, BTreeMap<String, Value>>,
    prod: &BTreeMap<String, BTreeMap<String, Value>>,
) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    for object in OBJECTS {
        let empty = BTreeMap::new();
        let left = np.get(object).unwrap_or(&empty);
        let right = prod.get(object).unwrap_or(&empty);
        for (key, record) in left {
            match right.get(key) {
                None => found.push((object.to_owned(), key.clone(), "removed".to_owned())),
                Some(other) => {
                    for (field, value) in record.as_object().expect("object") {
                        if other.get(field) != Some(value) {
                            found.push((
                                object.to_owned(),
                                key.clone(),
                                format!("{field}: {value} -> {}", other[field]),
                            ));
                        }
                    }
                }
            }
        }
        for key in right.keys().filter(|key| !left.contains_key(*key)) {
            found.push((object.to_owned(), key.clone(), "added".to_owned()));
        }
    }
    found.sort();
    found
}

fn documented(differences: &[ScopeDifference]) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = differences
        .iter()
        .map(|d| {
            let what = match &d.change {
                ScopeChange::Changed {
                    field,
                    non_production,
                    production,
                } => format!("{field}: {non_production} -> {production}"),
                ScopeChange::AddedInProduction => "added".to_owned(),
                ScopeChange::RemovedInProduction => "removed".to_owned(),
            };
            (d.object.to_owned(), d.key.clone(), what)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn the_scopes_differ_exactly_as_documented() {
    for seed in [0, 11] {
        let np = records(&Harness::scoped(Scope::NonProduction, seed).await).await;
        let prod = records(&Harness::scoped(Scope::Production, seed).await).await;
        let differences = scope_differences(seed);
        assert_eq!(
            observed_differences(&np, &prod),
            documented(&differences),
            "seed {seed}"
        );
        assert!((4..=8).contains(&differences.len()));
        // Added records are appended after the shared keys.
        for difference in differences
            .iter()
            .filter(|d| d.change == ScopeChange::AddedInProduction)
        {
            let key: u64 = difference.key.parse().expect("numeric key");
            let shared_max = np[difference.object]
                .keys()
                .filter_map(|k| k.parse::<u64>().ok())
                .max()
                .expect("records");
            assert!(key > shared_max, "{difference:?}");
            assert_eq!(
                prod[difference.object][&difference.key]["id"],
                difference.id.as_str()
            );
        }
    }
}
