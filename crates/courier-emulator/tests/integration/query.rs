//! The query service: operators, expressions, case sensitivity, ordering, dotted fields,
//! paging and aggregates. Expected rows are computed in the test from the records the object
//! endpoints return, not from the emulator's own filter code.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::snapshot;
use crate::support::{Harness, error_of};

/// Every customer record, in full, through the object endpoints.
async fn customers(harness: &Harness, token: &str) -> Vec<Value> {
    let (_, list) = harness
        .get("/objects/accounts-receivable/customer", token)
        .await;
    let keys: Vec<&str> = list["ia::result"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    let (_, body) = harness
        .get(
            &format!("/objects/accounts-receivable/customer/{}", keys.join(",")),
            token,
        )
        .await;
    body["ia::result"].as_array().expect("records").clone()
}

fn ids(body: &Value) -> Vec<String> {
    body["ia::result"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect()
}

/// A predicate on a record, for the expected side of a filter.
type Check = Box<dyn Fn(&Value) -> bool>;

/// An amount: a 2-decimal string (`totalDue`) or a JSON number (`creditLimit`).
fn money(value: &Value) -> f64 {
    value
        .as_f64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
        .expect("an amount")
}

#[tokio::test]
async fn the_official_example_query_has_the_documented_shape() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/vendor", "fields": ["id", "name", "status", "href"],
                   "filters": [{"$eq": {"status": "active"}}, {"$eq": {"billingType": "openItem"}}],
                   "filterExpression": "1 and 2",
                   "filterParameters": {"caseSensitiveComparison": true, "includePrivate": true},
                   "orderBy": [{"id": "asc"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("query_official_example", &body);
    for row in body["ia::result"].as_array().expect("rows") {
        assert_eq!(
            row.as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>()),
            Some(vec![
                "id".into(),
                "name".into(),
                "status".into(),
                "href".into()
            ])
        );
    }
}

#[tokio::test]
async fn all_sixteen_operators_select_what_they_say() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let records = customers(&harness, &token).await;
    let limit = |r: &Value| money(&r["creditLimit"]);
    let pivot = limit(&records[3]);
    let low = limit(&records[1]).min(limit(&records[5]));
    let high = limit(&records[1]).max(limit(&records[5]));
    let name = records[2]["name"].as_str().expect("name").to_owned();
    let prefix: String = name.chars().take(3).collect();
    let suffix: String = name
        .chars()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let middle: String = name.chars().skip(1).take(3).collect();
    let in_ids = [records[0]["id"].clone(), records[4]["id"].clone()];
    let n = name.clone();
    let (p, s, m) = (prefix.clone(), suffix.clone(), middle.clone());
    let (p2, s2, m2) = (prefix.clone(), suffix.clone(), middle.clone());
    let (i1, i2) = (in_ids.clone(), in_ids.clone());
    let cases: Vec<(Value, Check)> = vec![
        (
            json!({"$eq": {"name": name}}),
            Box::new(move |r| r["name"] == n.as_str()),
        ),
        (
            json!({"$ne": {"status": "active"}}),
            Box::new(|r| r["status"] != "active"),
        ),
        (
            json!({"$lt": {"creditLimit": pivot.to_string()}}),
            Box::new(move |r| limit(r) < pivot),
        ),
        (
            json!({"$lte": {"creditLimit": pivot}}),
            Box::new(move |r| limit(r) <= pivot),
        ),
        (
            json!({"$gt": {"creditLimit": pivot.to_string()}}),
            Box::new(move |r| limit(r) > pivot),
        ),
        (
            json!({"$gte": {"creditLimit": pivot.to_string()}}),
            Box::new(move |r| limit(r) >= pivot),
        ),
        (
            json!({"$in": {"id": in_ids}}),
            Box::new(move |r| i1.contains(&r["id"])),
        ),
        (
            json!({"$notIn": {"id": in_ids}}),
            Box::new(move |r| !i2.contains(&r["id"])),
        ),
        (
            json!({"$between": {"creditLimit": [low.to_string(), high.to_string()]}}),
            Box::new(move |r| (low..=high).contains(&limit(r))),
        ),
        (
            json!({"$notBetween": {"creditLimit": [low, high]}}),
            Box::new(move |r| !(low..=high).contains(&limit(r))),
        ),
        (
            json!({"$contains": {"name": middle}}),
            Box::new(move |r| r["name"].as_str().is_some_and(|x| x.contains(m.as_str()))),
        ),
        (
            json!({"$notContains": {"name": m2.clone()}}),
            Box::new(move |r| !r["name"].as_str().is_some_and(|x| x.contains(m2.as_str()))),
        ),
        (
            json!({"$startsWith": {"name": prefix}}),
            Box::new(move |r| {
                r["name"]
                    .as_str()
                    .is_some_and(|x| x.starts_with(p.as_str()))
            }),
        ),
        (
            json!({"$notStartsWith": {"name": p2.clone()}}),
            Box::new(move |r| {
                !r["name"]
                    .as_str()
                    .is_some_and(|x| x.starts_with(p2.as_str()))
            }),
        ),
        (
            json!({"$endsWith": {"name": suffix}}),
            Box::new(move |r| r["name"].as_str().is_some_and(|x| x.ends_with(s.as_str()))),
        ),
        (
            json!({"$notEndsWith": {"name": s2.clone()}}),
            Box::new(move |r| !r["name"].as_str().is_some_and(|x| x.ends_with(s2.as_str()))),
        ),
    ];
    assert_eq!(cases.len(), 16);
    for (filter, check) in &cases {
        let (status, body) = harness
            .query(&token, json!({"object": "accounts-receivable/customer", "fields": ["id"], "filters": [filter]}))
            .await;
        assert_eq!(status, StatusCode::OK, "{filter}: {body}");
        let expected: Vec<String> = records
            .iter()
            .filter(|r| check(r))
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(ids(&body), expected, "{filter}");
    }
}

#[tokio::test]
async fn filter_expressions_combine_filters_with_and_or_and_parentheses() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let records = customers(&harness, &token).await;
    let filters = json!([{"$eq": {"entity.id": "US"}}, {"$eq": {"entity.id": "UK"}}, {"$eq": {"status": "active"}}]);
    let entity = |r: &Value, e: &str| r["entity"]["id"] == e;
    let active = |r: &Value| r["status"] == "active";
    for (expression, check) in [
        (
            "(1 or 2) and 3",
            Box::new(move |r: &Value| (entity(r, "US") || entity(r, "UK")) && active(r))
                as Box<dyn Fn(&Value) -> bool>,
        ),
        (
            "1 or 2 and 3",
            Box::new(move |r: &Value| entity(r, "US") || (entity(r, "UK") && active(r))),
        ),
        (
            "1 AND 3",
            Box::new(move |r: &Value| entity(r, "US") && active(r)),
        ),
    ] {
        let (status, body) = harness
            .query(&token, json!({"object": "customer", "fields": ["id"], "filters": filters, "filterExpression": expression}))
            .await;
        assert_eq!(status, StatusCode::OK, "{expression}");
        let expected: Vec<String> = records
            .iter()
            .filter(|r| check(r))
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(ids(&body), expected, "{expression}");
    }
    let (status, body) = harness
        .query(
            &token,
            json!({"object": "customer", "filters": filters, "filterExpression": "1 and 4"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("query_bad_expression", &body);
}

#[tokio::test]
async fn case_sensitivity_follows_filter_parameters() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (_, body) = harness
        .get("/objects/accounts-payable/vendor/84", &token)
        .await;
    let name = body["ia::result"]["name"]
        .as_str()
        .expect("name")
        .to_uppercase();
    let run = |sensitive: Option<bool>| {
        let mut query = json!({"object": "accounts-payable/vendor", "fields": ["key"], "filters": [{"$eq": {"name": name}}]});
        if let Some(sensitive) = sensitive {
            query["filterParameters"] = json!({"caseSensitiveComparison": sensitive});
        }
        let harness = &harness;
        let token = token.clone();
        async move {
            harness.query(&token, query).await.1["ia::result"]
                .as_array()
                .map_or(0, Vec::len)
        }
    };
    assert_eq!(
        run(None).await,
        0,
        "comparisons are case-sensitive by default"
    );
    assert_eq!(run(Some(true)).await, 0);
    assert_eq!(run(Some(false)).await, 1);
}

#[tokio::test]
async fn order_by_and_dotted_fields_come_back_flat() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .query(
            &token,
            json!({"object": "company-config/employee", "fields": ["id", "name", "department.id", "department.key", "location.id"],
                   "orderBy": [{"department.id": "desc"}, {"id": "asc"}], "size": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    snapshot!("query_dotted_fields", &body);
    let rows = body["ia::result"].as_array().expect("rows");
    let departments: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["department.id"].as_str())
        .collect();
    let mut sorted = departments.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(departments, sorted);
    let (status, body) = harness
        .query(&token, json!({"object": "general-ledger/account", "fields": ["id"], "orderBy": [{"id": "desc"}], "size": 3}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&body), ["6700", "6600", "6500"]);
}

#[tokio::test]
async fn paging_follows_the_recorded_next_and_previous() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let mut seen = Vec::new();
    let mut start = Some(1u64);
    let mut metas = Vec::new();
    while let Some(at) = start {
        let (status, body) = harness
            .query(&token, json!({"object": "general-ledger/account", "fields": ["id"], "start": at, "size": 10}))
            .await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(ids(&body));
        metas.push(body["ia::meta"].clone());
        start = body["ia::meta"]["next"].as_u64();
    }
    assert_eq!(
        metas,
        [
            json!({"totalCount": 30, "start": 1, "pageSize": 10, "next": 11, "previous": null}),
            json!({"totalCount": 30, "start": 11, "pageSize": 10, "next": 21, "previous": 1}),
            json!({"totalCount": 30, "start": 21, "pageSize": 10, "next": null, "previous": 11}),
        ]
    );
    assert_eq!(seen.len(), 30);
    let (_, body) = harness
        .query(&token, json!({"object": "general-ledger/account"}))
        .await;
    assert_eq!(body["ia::meta"]["pageSize"], 100, "default size");
    assert_eq!(
        body["ia::result"][0].as_object().map(serde_json::Map::len),
        Some(3),
        "key, id, href by default"
    );
    let (status, _) = harness
        .query(
            &token,
            json!({"object": "general-ledger/account", "size": 4000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = harness
        .query(
            &token,
            json!({"object": "general-ledger/account", "size": 4001}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("query_oversize_page", &body);
}

#[tokio::test]
async fn count_and_sum_aggregate_per_group() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let records = customers(&harness, &token).await;
    let (status, body) = harness
        .query(&token, json!({"object": "accounts-receivable/customer", "fields": ["count:key", "sum:totalDue", "max:creditLimit"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let total: f64 = records.iter().map(|r| money(&r["totalDue"])).sum();
    let row = &body["ia::result"][0];
    assert_eq!(row["count:key"], records.len());
    assert!((money(&row["sum:totalDue"]) - total).abs() < 0.001, "{row}");
    let max = records
        .iter()
        .map(|r| money(&r["creditLimit"]))
        .fold(0.0, f64::max);
    assert!((money(&row["max:creditLimit"]) - max).abs() < 0.001);
    snapshot!("query_aggregates", &body);
    let (_, body) = harness
        .query(&token, json!({"object": "accounts-receivable/customer", "fields": ["status", "count:key"], "orderBy": [{"status": "asc"}]}))
        .await;
    let groups = body["ia::result"].as_array().expect("groups");
    assert_eq!(groups.len(), 2);
    for group in groups {
        let expected = records
            .iter()
            .filter(|r| r["status"] == group["status"])
            .count();
        assert_eq!(group["count:key"], expected);
    }
}

#[tokio::test]
async fn bad_queries_are_400_in_the_error_envelope() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (status, body) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/vendor", "fields": ["id", "nickname"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    snapshot!("query_field_not_queryable", &body);
    assert_eq!(
        error_of(&body)["additionalInfo"]["placeholders"],
        json!({"FIELD": "nickname", "OBJECT": "accounts-payable/vendor", "VERSION": "1"})
    );
    for (name, query) in [
        (
            "unknown_object",
            json!({"object": "accounts-payable/vendr"}),
        ),
        (
            "unknown_operator",
            json!({"object": "vendor", "filters": [{"$like": {"name": "A%"}}]}),
        ),
        (
            "between_needs_two",
            json!({"object": "vendor", "filters": [{"$between": {"creditLimit": [1]}}]}),
        ),
        (
            "top_level_case_flag",
            json!({"object": "vendor", "caseSensitiveComparison": false}),
        ),
        ("missing_object", json!({"fields": ["id"]})),
        (
            "order_direction",
            json!({"object": "vendor", "orderBy": [{"id": "up"}]}),
        ),
        (
            "sum_of_text",
            json!({"object": "vendor", "fields": ["sum:name"]}),
        ),
    ] {
        let (status, body) = harness.query(&token, query).await;
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{name}: {status}"
        );
        assert_eq!(error_of(&body)["code"], "invalidRequest", "{name}");
        snapshot!(format!("query_error_{name}"), &body);
    }
    let (status, _) = harness
        .call(Method::POST, "/services/core/query", &token, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a query needs a payload");
}
