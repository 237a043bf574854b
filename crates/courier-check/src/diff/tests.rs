use courier_core::jsonpath::JsonPath;
use pretty_assertions::assert_eq;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// [`diff`] of documents well within the JSONPath node budget.
fn diff_ok(left: &Value, right: &Value, options: &DiffOptions<'_>) -> DiffReport {
    diff(left, right, options).expect("within the node budget")
}

/// `[[[…[leaf]…]]]`, `depth` arrays deep.
fn nested(depth: usize, leaf: i64) -> Value {
    (0..depth).fold(json!(leaf), |inner, _| json!([inner]))
}

/// An ignore or `match_by` query past the node budget fails the comparison with the budget's
/// message rather than ignoring or pairing nothing (which would report false differences).
#[test]
fn queries_past_the_node_budget_are_an_error_not_an_empty_selection() {
    let (left, right) = (nested(120, 1), nested(120, 2));
    let ignore = paths(&["$..*..*..*..*..*..*[?@ == 1]"]);
    let options = DiffOptions {
        match_by: &[],
        ignore: &ignore,
    };
    let e = diff(&left, &right, &options).expect_err("past the budget");
    assert!(e.to_string().contains("node budget"), "{e}");
    let match_by = keyed(&[("$..*..*..*..*..*..*", "id")]);
    let options = DiffOptions {
        match_by: &match_by,
        ignore: &[],
    };
    let e = diff(&left, &right, &options).expect_err("past the budget");
    assert!(e.to_string().contains("$..*..*..*..*..*..*"), "{e}");
}

fn paths(texts: &[&str]) -> Vec<JsonPath> {
    texts
        .iter()
        .map(|text| JsonPath::compile(text).unwrap())
        .collect()
}

fn keyed(pairs: &[(&str, &str)]) -> Vec<(JsonPath, String)> {
    pairs
        .iter()
        .map(|(path, field)| (JsonPath::compile(path).unwrap(), (*field).to_owned()))
        .collect()
}

/// `(path, kind)` of each difference, the shape most tests check.
fn summary(report: &DiffReport) -> Vec<(String, DiffKind)> {
    report
        .differences
        .iter()
        .map(|difference| (difference.path.clone(), difference.kind))
        .collect()
}

fn plain(left: &Value, right: &Value) -> DiffReport {
    diff_ok(left, right, &DiffOptions::default())
}

fn d(path: &str, kind: DiffKind) -> (String, DiffKind) {
    (path.to_owned(), kind)
}

use DiffKind::{Added, Changed, Removed, TypeChanged};

#[test]
fn identical_documents_have_no_differences() {
    let doc = json!({"a": [1, {"b": null}], "c": "x", "d": {}, "e": []});
    assert!(plain(&doc, &doc.clone()).is_identical());
    assert!(plain(&json!(null), &json!(null)).is_identical());
}

#[test]
fn nested_objects_report_the_changed_leaf_with_its_values() {
    let left = json!({"ia::result": {"name": "Acme", "contact": {"email": "a@x", "phone": "1"}}});
    let right = json!({"ia::result": {"name": "Acme", "contact": {"email": "b@x", "phone": "1"}}});
    let report = plain(&left, &right);
    assert_eq!(
        report.differences,
        vec![Difference {
            path: "$['ia::result']['contact']['email']".into(),
            kind: Changed,
            left: Some(json!("a@x")),
            right: Some(json!("b@x")),
        }]
    );
    assert!(report.warnings.is_empty());
}

#[test]
fn objects_compare_by_member_whatever_the_order() {
    let left = json!({"a": 1, "b": 2, "c": 3});
    let right = json!({"c": 3, "b": 2, "a": 1});
    assert!(plain(&left, &right).is_identical());
    let right = json!({"c": 3, "d": 4, "a": 9});
    assert_eq!(
        summary(&plain(&left, &right)),
        [
            d("$['a']", Changed),
            d("$['b']", Removed),
            d("$['d']", Added)
        ]
    );
}

#[test]
fn arrays_of_scalars_pair_by_index_and_report_the_tail() {
    let report = plain(&json!([1, 2, 3]), &json!([1, 5, 3, 4, 6]));
    assert_eq!(
        summary(&report),
        [d("$[1]", Changed), d("$[3]", Added), d("$[4]", Added)]
    );
    assert_eq!(report.differences[1].right, Some(json!(4)));
    assert_eq!(report.differences[1].left, None);
    assert_eq!(
        summary(&plain(&json!(["a", "b"]), &json!(["a"]))),
        [d("$[1]", Removed)]
    );
}

#[test]
fn arrays_of_objects_pair_by_index_without_match_by() {
    let left = json!({"items": [{"id": "A", "n": 1}, {"id": "B", "n": 2}]});
    let right = json!({"items": [{"id": "A", "n": 1}, {"id": "B", "n": 3}]});
    assert_eq!(
        summary(&plain(&left, &right)),
        [d("$['items'][1]['n']", Changed)]
    );
}

#[test]
fn type_changes_include_null_and_containers_but_not_integer_against_float() {
    let left = json!({"s": "1", "n": null, "m": 1, "o": {}, "a": [], "f": 1, "g": 2, "b": true});
    let right =
        json!({"s": 1, "n": 0, "m": null, "o": [], "a": {}, "f": 1.0, "g": 2.5, "b": "true"});
    assert_eq!(
        summary(&plain(&left, &right)),
        [
            d("$['s']", TypeChanged),
            d("$['n']", TypeChanged),
            d("$['m']", TypeChanged),
            d("$['o']", TypeChanged),
            d("$['a']", TypeChanged),
            d("$['g']", Changed),
            d("$['b']", TypeChanged),
        ]
    );
    // The whole values travel with a type change.
    let report = plain(&json!({"x": {"y": 1}}), &json!({"x": [1]}));
    assert_eq!(report.differences[0].left, Some(json!({"y": 1})));
    assert_eq!(report.differences[0].right, Some(json!([1])));
    // The root itself.
    assert_eq!(
        summary(&plain(&json!(1), &json!("1"))),
        [d("$", TypeChanged)]
    );
}

#[test]
fn empty_containers() {
    assert!(plain(&json!({"a": {}, "b": []}), &json!({"a": {}, "b": []})).is_identical());
    assert_eq!(
        summary(&plain(
            &json!({"a": {}, "b": []}),
            &json!({"a": {"k": 1}, "b": [null]})
        )),
        [d("$['a']['k']", Added), d("$['b'][0]", Added)]
    );
    assert_eq!(
        summary(&plain(&json!({}), &json!({"k": []}))),
        [d("$['k']", Added)]
    );
}

#[test]
fn numbers_compare_by_value_and_large_integers_exactly() {
    assert!(plain(&json!(1), &json!(1.0)).is_identical());
    assert!(plain(&json!(-0.0), &json!(0)).is_identical());
    assert!(plain(&json!(1e2), &json!(100)).is_identical());
    assert!(plain(&json!(u64::MAX), &json!(u64::MAX)).is_identical());
    // 2^53 + 1 and 2^53 are the same f64, but not the same integer.
    assert_eq!(
        summary(&plain(
            &json!(9_007_199_254_740_993_u64),
            &json!(9_007_199_254_740_992_u64)
        )),
        [d("$", Changed)]
    );
    // u64::MAX against the nearest float (2^64).
    let float: Value = serde_json::from_str("18446744073709551615.0").unwrap();
    assert_eq!(summary(&plain(&json!(u64::MAX), &float)), [d("$", Changed)]);
    assert_eq!(
        summary(&plain(&json!(i64::MIN), &json!(u64::MAX))),
        [d("$", Changed)]
    );
    assert!(plain(&json!(0.1 + 0.2), &json!(0.1 + 0.2)).is_identical());
}

#[test]
fn unicode_keys_and_keys_needing_escapes() {
    let left = json!({"naïve": 1, "日本": 1, "it's": 1, "back\\slash": 1, "line\nfeed": 1, "tab\t": 1, "\u{1}": 1, "": 1});
    let right = json!({"naïve": 2, "日本": 2, "it's": 2, "back\\slash": 2, "line\nfeed": 2, "tab\t": 2, "\u{1}": 2, "": 2});
    let report = plain(&left, &right);
    assert_eq!(
        report
            .differences
            .iter()
            .map(|d| d.path.as_str())
            .collect::<Vec<_>>(),
        [
            "$['naïve']",
            "$['日本']",
            "$['it\\'s']",
            "$['back\\\\slash']",
            "$['line\\nfeed']",
            "$['tab\\t']",
            "$['\\u0001']",
            "$['']",
        ]
    );
    // Every path is a query that selects exactly the node it names.
    for difference in &report.differences {
        let query = JsonPath::compile(&difference.path).unwrap();
        assert_eq!(query.query(&left), [&json!(1)], "{}", difference.path);
    }
}

#[test]
fn differences_come_in_document_order_left_then_right_only() {
    let left = json!({"z": 1, "a": {"y": 1, "x": 1}, "m": [1]});
    let right = json!({"new": 1, "m": [2, 3], "a": {"x": 2, "w": 1, "y": 1}, "z": 2});
    assert_eq!(
        summary(&plain(&left, &right)),
        [
            d("$['z']", Changed),
            d("$['a']['x']", Changed),
            d("$['a']['w']", Added),
            d("$['m'][0]", Changed),
            d("$['m'][1]", Added),
            d("$['new']", Added),
        ]
    );
}

fn vendors(ids: &[&str]) -> Value {
    let records: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "name": format!("Vendor {id}"), "status": "active"}))
        .collect();
    json!({"ia::result": records, "ia::meta": {"totalCount": ids.len()}})
}

#[test]
fn match_by_reports_an_insert_as_one_addition() {
    let left = vendors(&["V-1", "V-2", "V-3"]);
    let right = vendors(&["V-0", "V-1", "V-2", "V-3"]);
    let match_by = keyed(&[("$['ia::result']", "id")]);
    let options = DiffOptions {
        match_by: &match_by,
        ignore: &[],
    };
    let report = diff_ok(&left, &right, &options);
    assert_eq!(
        summary(&report),
        [
            d("$['ia::result'][?@['id']=='V-0']", Added),
            d("$['ia::meta']['totalCount']", Changed),
        ]
    );
    assert_eq!(
        report.differences[0].right,
        Some(right["ia::result"][0].clone())
    );
    assert!(report.warnings.is_empty());

    // Without match_by, the same insert shifts every record: index changes and one addition.
    let report = plain(&left, &right);
    assert_eq!(
        summary(&report),
        [
            d("$['ia::result'][0]['id']", Changed),
            d("$['ia::result'][0]['name']", Changed),
            d("$['ia::result'][1]['id']", Changed),
            d("$['ia::result'][1]['name']", Changed),
            d("$['ia::result'][2]['id']", Changed),
            d("$['ia::result'][2]['name']", Changed),
            d("$['ia::result'][3]", Added),
            d("$['ia::meta']['totalCount']", Changed),
        ]
    );
}

#[test]
fn match_by_addresses_paired_elements_by_filter_in_any_order() {
    let left = json!({"r": [{"id": "V-1", "n": 1}, {"id": "it's", "n": 1}, {"id": 7, "n": 1}]});
    let right = json!({"r": [{"id": 7.0, "n": 2}, {"id": "it's", "n": 2}, {"id": "V-2", "n": 1}]});
    let match_by = keyed(&[("$.r", "id")]);
    let report = diff_ok(
        &left,
        &right,
        &DiffOptions {
            match_by: &match_by,
            ignore: &[],
        },
    );
    assert_eq!(
        summary(&report),
        [
            d("$['r'][?@['id']=='V-1']", Removed),
            d("$['r'][?@['id']=='it\\'s']['n']", Changed),
            d("$['r'][?@['id']==7]['n']", Changed),
            d("$['r'][?@['id']=='V-2']", Added),
        ]
    );
    // The filter paths select the element they name on each side.
    let query = JsonPath::compile("$['r'][?@['id']==7]['n']").unwrap();
    assert_eq!(query.query(&left), [&json!(1)]);
    assert_eq!(query.query(&right), [&json!(2)]);
}

#[test]
fn match_by_applies_to_every_array_it_selects_including_nested_ones() {
    let left = json!({"bills": [
        {"id": "B-1", "lines": [{"line": 1, "amount": "10.00"}, {"line": 2, "amount": "5.00"}]},
        {"id": "B-2", "lines": []}
    ]});
    let right = json!({"bills": [
        {"id": "B-2", "lines": []},
        {"id": "B-1", "lines": [{"line": 0, "amount": "1.00"}, {"line": 1, "amount": "10.00"}, {"line": 2, "amount": "6.00"}]}
    ]});
    let match_by = keyed(&[("$.bills", "id"), ("$.bills[*].lines", "line")]);
    let report = diff_ok(
        &left,
        &right,
        &DiffOptions {
            match_by: &match_by,
            ignore: &[],
        },
    );
    assert_eq!(
        summary(&report),
        [
            d(
                "$['bills'][?@['id']=='B-1']['lines'][?@['line']==2]['amount']",
                Changed
            ),
            d("$['bills'][?@['id']=='B-1']['lines'][?@['line']==0]", Added),
        ]
    );
}

#[test]
fn duplicate_or_missing_match_keys_fall_back_to_index_pairing_with_a_warning() {
    let match_by = keyed(&[("$['ia::result']", "id")]);
    let options = DiffOptions {
        match_by: &match_by,
        ignore: &[],
    };

    let left = json!({"ia::result": [{"id": "V-1", "n": 1}, {"id": "V-1", "n": 2}]});
    let right = json!({"ia::result": [{"id": "V-1", "n": 1}, {"id": "V-2", "n": 2}]});
    let report = diff_ok(&left, &right, &options);
    assert_eq!(summary(&report), [d("$['ia::result'][1]['id']", Changed)]);
    assert_eq!(
        report.warnings,
        [
            "$['ia::result']: cannot pair by `id`: `id` 'V-1' appears twice in the left array; paired by index"
        ]
    );

    let left = json!({"ia::result": [{"id": "V-1"}, {"name": "no id"}]});
    let right = json!({"ia::result": [{"id": "V-1"}, {"name": "no id"}]});
    let report = diff_ok(&left, &right, &options);
    assert!(report.is_identical());
    assert_eq!(
        report.warnings,
        [
            "$['ia::result']: cannot pair by `id`: element 1 of the left array has no `id` string or number; paired by index"
        ]
    );

    // A key that is neither string nor number counts as missing; the right side is checked too.
    let left = json!({"ia::result": [{"id": 1}]});
    let right = json!({"ia::result": [{"id": 1}, {"id": 1}]});
    let report = diff_ok(&left, &right, &options);
    assert_eq!(summary(&report), [d("$['ia::result'][1]", Added)]);
    assert_eq!(report.warnings.len(), 1);
    assert!(
        report.warnings[0].contains("appears twice in the right array"),
        "{:?}",
        report.warnings
    );
    let report = diff_ok(
        &json!({"ia::result": [{"id": null}]}),
        &json!({"ia::result": [{"id": null}]}),
        &options,
    );
    assert!(
        report.warnings[0].contains("element 0 of the left array"),
        "{:?}",
        report.warnings
    );
}

#[test]
fn ignores_apply_after_pairing_with_wildcards_and_descendants() {
    let left = json!({"ia::result": [
        {"id": "V-1", "audit": {"modifiedDateTime": "1"}, "supportId": "a", "name": "x"},
        {"id": "V-2", "audit": {"modifiedDateTime": "1"}, "name": "y"}
    ], "ia::meta": {"supportId": "s1"}});
    let right = json!({"ia::result": [
        {"id": "V-0", "audit": {"modifiedDateTime": "9"}, "name": "new"},
        {"id": "V-1", "audit": {"modifiedDateTime": "2"}, "supportId": "b", "name": "x"},
        {"id": "V-2", "audit": {"modifiedDateTime": "3"}, "name": "z"}
    ], "ia::meta": {"supportId": "s2"}});
    let match_by = keyed(&[("$['ia::result']", "id")]);
    let ignore = paths(&["$..supportId", "$['ia::result'][*].audit"]);
    let report = diff_ok(
        &left,
        &right,
        &DiffOptions {
            match_by: &match_by,
            ignore: &ignore,
        },
    );
    assert_eq!(
        summary(&report),
        [
            d("$['ia::result'][?@['id']=='V-2']['name']", Changed),
            d("$['ia::result'][?@['id']=='V-0']", Added),
        ]
    );

    // The filter path of a difference, pasted into ignore, removes exactly that difference.
    let ignore = paths(&[
        "$..supportId",
        "$['ia::result'][*].audit",
        "$['ia::result'][?@['id']=='V-0']",
    ]);
    let report = diff_ok(
        &left,
        &right,
        &DiffOptions {
            match_by: &match_by,
            ignore: &ignore,
        },
    );
    assert_eq!(
        summary(&report),
        [d("$['ia::result'][?@['id']=='V-2']['name']", Changed)]
    );
}

#[test]
fn ignoring_a_container_on_one_side_hides_what_was_added_to_it() {
    let left = json!({"items": [1], "flag": true});
    let right = json!({"items": [1, 2], "flag": true});
    assert_eq!(summary(&plain(&left, &right)), [d("$['items'][1]", Added)]);
    // This query selects `items` on the left only (one element there, two on the right); the
    // element added on the right has no left location, but its container's counts.
    let ignore = paths(&["$[?count(@.*) == 1]"]);
    assert!(ignore[0].query(&right).is_empty());
    let options = DiffOptions {
        match_by: &[],
        ignore: &ignore,
    };
    assert!(diff_ok(&left, &right, &options).is_identical());
    // An ignore beside the addition, not above it, leaves it.
    let ignore = paths(&["$.items[0]", "$.flag"]);
    let options = DiffOptions {
        match_by: &[],
        ignore: &ignore,
    };
    assert_eq!(
        summary(&diff_ok(&left, &right, &options)),
        [d("$['items'][1]", Added)]
    );
    // The root covers everything.
    let ignore = paths(&["$"]);
    assert!(
        diff_ok(
            &left,
            &right,
            &DiffOptions {
                match_by: &[],
                ignore: &ignore
            }
        )
        .is_identical()
    );
}

#[test]
fn warnings_about_ignored_arrays_are_dropped() {
    let match_by = keyed(&[("$.r", "id")]);
    let ignore = paths(&["$.r"]);
    let left = json!({"r": [{"id": 1}, {"id": 1}]});
    let report = diff_ok(
        &left,
        &left,
        &DiffOptions {
            match_by: &match_by,
            ignore: &ignore,
        },
    );
    assert!(report.warnings.is_empty(), "{report:?}");
}

#[test]
fn status_differences_have_the_root_path() {
    assert_eq!(diff_status(200, 200), None);
    assert_eq!(
        diff_status(200, 404),
        Some(Difference {
            path: "$".into(),
            kind: DiffKind::Status,
            left: Some(json!(200)),
            right: Some(json!(404)),
        })
    );
}

#[test]
fn differences_serialize_as_the_compare_report_says() {
    let report = plain(&json!({"a": null, "b": 1}), &json!({"a": 1}));
    assert_eq!(
        serde_json::to_value(&report.differences).unwrap(),
        json!([
            {"path": "$['a']", "kind": "type_changed", "left": null, "right": 1},
            {"path": "$['b']", "kind": "removed", "left": 1, "right": null},
        ])
    );
    for (kind, name) in [
        (Changed, "changed"),
        (Added, "added"),
        (Removed, "removed"),
        (TypeChanged, "type_changed"),
        (DiffKind::Status, "status"),
    ] {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(name));
        assert_eq!(kind.to_string(), name);
    }
}

// Property tests: the diff is empty exactly when the documents are equal, and every path it
// reports is a query selecting the reported values on each side.

fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..3).prop_map(Value::from),
        // Non-integral floats only: `serde_json`'s own equality (the oracle below) tells 1 and
        // 1.0 apart, the diff does not.
        (-3i64..3).prop_map(|n| Value::from(n as f64 + 0.5)),
        prop::sample::select(vec!["", "a", "b", "it's", "é", "\\", "\n"]).prop_map(Value::from),
    ]
}

fn arb_doc() -> impl Strategy<Value = Value> {
    arb_scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["a", "b", "c", "id", "it's", "ü", "x\ty"]),
                inner,
                0..5
            )
            .prop_map(|members| Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect()
            )),
        ]
    })
}

/// A record list with unique ids, for `match_by`.
fn arb_records() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(0u8..12, arb_scalar(), 0..8).prop_flat_map(|records| {
        let items: Vec<Value> = records
            .into_iter()
            .map(|(id, value)| {
                let id = if id % 2 == 0 {
                    json!(format!("V-{id}"))
                } else {
                    json!(id)
                };
                json!({"id": id, "v": value})
            })
            .collect();
        Just(items.clone())
            .prop_shuffle()
            .prop_map(|items| json!({"r": items}))
    })
}

fn assert_paths_resolve(
    left: &Value,
    right: &Value,
    report: &DiffReport,
) -> Result<(), TestCaseError> {
    for difference in &report.differences {
        let query = JsonPath::compile(&difference.path)
            .map_err(|error| TestCaseError::fail(format!("{}: {error}", difference.path)))?;
        let on_left: Vec<Value> = query.query(left).into_iter().cloned().collect();
        let on_right: Vec<Value> = query.query(right).into_iter().cloned().collect();
        prop_assert_eq!(
            on_left,
            difference.left.iter().cloned().collect::<Vec<_>>(),
            "left at {}",
            &difference.path
        );
        prop_assert_eq!(
            on_right,
            difference.right.iter().cloned().collect::<Vec<_>>(),
            "right at {}",
            &difference.path
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn empty_exactly_when_equal_and_paths_resolve(left in arb_doc(), right in arb_doc()) {
        let report = plain(&left, &right);
        prop_assert_eq!(report.is_identical(), left == right);
        assert_paths_resolve(&left, &right, &report)?;
        prop_assert!(plain(&left, &left).is_identical());
    }

    #[test]
    fn keyed_paths_resolve_on_both_sides(left in arb_records(), right in arb_records()) {
        let match_by = keyed(&[("$.r", "id")]);
        let report = diff_ok(&left, &right, &DiffOptions { match_by: &match_by, ignore: &[] });
        prop_assert!(report.warnings.is_empty());
        assert_paths_resolve(&left, &right, &report)?;
        // Ignoring every reported path leaves nothing.
        let ignore: Vec<JsonPath> = report.differences.iter().map(|d| JsonPath::compile(&d.path).unwrap()).collect();
        let ignored = diff_ok(&left, &right, &DiffOptions { match_by: &match_by, ignore: &ignore });
        prop_assert!(ignored.is_identical(), "{:?}", ignored);
    }
}
