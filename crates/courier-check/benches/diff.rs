//! The structural diff on two ~5 MB Intacct-shaped documents with 1% of their values changed
//! (the target: under 200 ms per diff on a 2-core machine).
//!
//! `cargo bench -p courier-check --bench diff`
//!
//! - `by_index`: arrays paired by index, no ignores;
//! - `match_by_id`: `$['ia::result']` paired by `id` (the documented example);
//! - `match_by_id_ignore_descendant`: the same plus `$..audit` and `$..supportId` ignored,
//!   which evaluates both queries over both documents because there are differences.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark on generated data fails loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use courier_check::diff::{DiffOptions, diff};
use courier_core::jsonpath::JsonPath;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift64*), so every run diffs the same documents.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn record(index: u64) -> Value {
    json!({
        "key": index.to_string(),
        "id": format!("V-{index:06}"),
        "name": format!("Vendor {index} Supplies Ltd"),
        "status": if index.is_multiple_of(7) { "inactive" } else { "active" },
        "vendorType": {"key": "3", "id": "Supplier", "href": "/objects/accounts-payable/vendor-type/3"},
        "totalDue": format!("{}.{:02}", index * 131 % 100_000, index % 100),
        "creditLimit": index * 1000,
        "onHold": index.is_multiple_of(11),
        "taxId": format!("{:09}", index * 7919 % 1_000_000_000),
        "contacts": {
            "default": {"key": (index * 2).to_string(), "id": format!("C-{index}"), "email1": format!("ap{index}@example.com"), "phone1": "+1 555 0100"},
            "primary": {"key": (index * 2 + 1).to_string(), "id": format!("P-{index}"), "email1": null}
        },
        "paymentMethod": "check",
        "billingType": "openItem",
        "defaultLeadTime": 14,
        "isOneTimeUse": false,
        "tags": ["preferred", "net30"],
        "lines": [
            {"line": 1, "account": "6000", "amount": "100.00"},
            {"line": 2, "account": "6100", "amount": "25.50"}
        ],
        "audit": {
            "createdDateTime": "2024-01-02T03:04:05Z",
            "modifiedDateTime": "2025-06-07T08:09:10Z",
            "createdBy": "1",
            "modifiedBy": "95"
        },
        "href": format!("/objects/accounts-payable/vendor/{index}")
    })
}

/// The left document: `records` vendors in the `ia::result` envelope.
fn document(records: u64) -> Value {
    let result: Vec<Value> = (0..records).map(record).collect();
    json!({
        "ia::result": result,
        "ia::meta": {"totalCount": records, "start": 1, "pageSize": records, "next": null, "previous": null}
    })
}

/// Changes about one scalar in a hundred, in place.
fn perturb(value: &mut Value, rng: &mut Rng, changed: &mut usize) {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| perturb(item, rng, changed)),
        Value::Object(members) => members
            .values_mut()
            .for_each(|member| perturb(member, rng, changed)),
        scalar => {
            if rng.next().is_multiple_of(100) {
                *changed += 1;
                *scalar = match scalar {
                    Value::String(text) => Value::String(format!("{text}~")),
                    Value::Number(number) => json!(number.as_f64().unwrap_or(0.0) + 1.5),
                    Value::Bool(flag) => Value::Bool(!*flag),
                    _ => json!("was null"),
                };
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let left = document(6_200);
    let mut right = left.clone();
    let mut changed = 0;
    perturb(&mut right, &mut Rng(0x9e37_79b9_7f4a_7c15), &mut changed);
    let size = serde_json::to_vec(&left).unwrap().len();

    let match_by = vec![(
        JsonPath::compile("$['ia::result']").unwrap(),
        "id".to_owned(),
    )];
    let ignore = vec![
        JsonPath::compile("$..audit").unwrap(),
        JsonPath::compile("$..supportId").unwrap(),
    ];
    let by_index = DiffOptions::default();
    let keyed = DiffOptions {
        match_by: &match_by,
        ignore: &[],
    };
    let keyed_ignoring = DiffOptions {
        match_by: &match_by,
        ignore: &ignore,
    };
    for (name, options) in [
        ("by_index", &by_index),
        ("match_by_id", &keyed),
        ("match_by_id_ignore_descendant", &keyed_ignoring),
    ] {
        let report = diff(&left, &right, options).expect("within the node budget");
        println!(
            "{name}: {size} bytes per document, {changed} values changed, {} differences, {} warnings",
            report.differences.len(),
            report.warnings.len()
        );
    }

    let mut group = c.benchmark_group("diff_5mb");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("by_index", |b| {
        b.iter(|| {
            diff(black_box(&left), black_box(&right), &by_index).expect("within the node budget")
        });
    });
    group.bench_function("match_by_id", |b| {
        b.iter(|| {
            diff(black_box(&left), black_box(&right), &keyed).expect("within the node budget")
        });
    });
    group.bench_function("match_by_id_ignore_descendant", |b| {
        b.iter(|| {
            diff(black_box(&left), black_box(&right), &keyed_ignoring)
                .expect("within the node budget")
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
