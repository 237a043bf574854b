//! Targeted extraction against a full parse, on the body the performance work measured: a
//! ~100 KB Intacct-shaped response read with `$['ia::result'].name`.
//!
//! `cargo bench -p courier-core --bench jsonpath`
//!
//! - `full_parse_select`: `serde_json::from_slice` into a `Value`, then `select` (what a runner
//!   without targeted parsing does);
//! - `extract_from_slice`: our targeted pass (the validating scanner), which accepts exactly
//!   what the full parse accepts (see the `extract` module);
//! - `ignored_any_reference`: the same pass skipping with serde's `IgnoredAny`, which only checks
//!   syntax — shown for what exact validation costs, not used by Courier;
//! - `jsonpath_query_parsed`: queries on the parsed body, for scale: a singular query (direct
//!   walk), `$..name` (our evaluator) and a filter (the engine).
//!
//! Measured on this 2-core machine (shared, so ±10%): full parse + select 1.18 ms,
//! `extract_from_slice` 0.077 ms (15× less), the `IgnoredAny` reference 0.115 ms.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark on generated data fails loudly"
)]

use std::fmt;
use std::hint::black_box;

use courier_core::jsonpath::{JsonPath, Selection};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};

/// An Intacct-style read of one record with many fields and line items, padded to ~100 KB.
fn body() -> Vec<u8> {
    let mut record = serde_json::Map::new();
    record.insert("key".into(), json!("53"));
    record.insert("id".into(), json!("V-0053"));
    for field in 0..40 {
        record.insert(
            format!("field{field}"),
            json!(format!("value of field {field}")),
        );
    }
    record.insert("name".into(), json!("Acme Supplies"));
    let lines: Vec<Value> = (0..280)
        .map(|line| {
            json!({
                "key": line.to_string(),
                "id": format!("L-{line}"),
                "amount": format!("{}.{:02}", line * 37 % 10_000, line % 100),
                "txnAmount": f64::from(line) * 1.25,
                "memo": "Office supplies, \"quoted\" and escaped \\ text, déjà vu",
                "status": "active",
                "dimensions": {"department": {"key": "3", "id": "D-3"}, "location": {"key": "1", "id": "L-1"}},
                "audit": {"createdDateTime": "2025-01-02T03:04:05Z", "createdBy": "1", "modifiedBy": null},
                "href": format!("/objects/accounts-payable/bill-line/{line}"),
            })
        })
        .collect();
    record.insert("lines".into(), Value::Array(lines));
    let doc = json!({
        "ia::result": record,
        "ia::meta": {"totalCount": 1, "totalSuccess": 1, "totalError": 0},
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

fn jsonpath(c: &mut Criterion) {
    let body = body();
    let path = JsonPath::compile("$['ia::result'].name").unwrap();
    let expected = Some(json!("Acme Supplies"));
    assert_eq!(path.extract_from_slice(&body).unwrap(), expected);
    assert_eq!(ignored_any_name(&body), expected);
    println!("body: {} bytes", body.len());

    let mut group = c.benchmark_group("jsonpath_100k");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("full_parse_select", |b| {
        b.iter(|| {
            let doc: Value = serde_json::from_slice(black_box(&body)).unwrap();
            match path.select(&doc) {
                Selection::Singular(found) => found.cloned(),
                Selection::Nodes(_) => None,
            }
        });
    });
    group.bench_function("extract_from_slice", |b| {
        b.iter(|| path.extract_from_slice(black_box(&body)).unwrap());
    });
    group.bench_function("ignored_any_reference", |b| {
        b.iter(|| ignored_any_name(black_box(&body)));
    });
    group.finish();

    let doc: Value = serde_json::from_slice(&body).unwrap();
    // `$..name` runs on our own evaluator, the filter on the engine.
    let descendant = JsonPath::compile("$..name").unwrap();
    let filter = JsonPath::compile("$['ia::result'].lines[?@.status=='active'].id").unwrap();
    let mut group = c.benchmark_group("jsonpath_query_parsed");
    group.bench_function("singular_select", |b| {
        b.iter(|| path.query(black_box(&doc)).len());
    });
    group.bench_function("descendant", |b| {
        b.iter(|| descendant.query(black_box(&doc)).len());
    });
    group.bench_function("filter_engine", |b| {
        b.iter(|| filter.query(black_box(&doc)).len());
    });
    group.finish();
}

/// `$['ia::result'].name` read with `IgnoredAny` skipping (syntax checks only).
fn ignored_any_name(body: &[u8]) -> Option<Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let found = Member(&["ia::result", "name"])
        .deserialize(&mut deserializer)
        .ok()?;
    deserializer.end().ok()?;
    found
}

struct Member<'p>(&'p [&'p str]);

impl<'de> DeserializeSeed<'de> for Member<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.0.split_first() {
            None => serde::Deserialize::deserialize(deserializer).map(Some),
            Some(_) => deserializer.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Member<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (name, rest) = self.0.split_first().unwrap_or((&"", &[]));
        let mut found = None;
        while let Some(matches) = map.next_key_seed(KeyIs(name))? {
            if matches {
                found = map.next_value_seed(Member(rest))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Compares a member name without allocating.
struct KeyIs<'s>(&'s str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<bool, E> {
        Ok(name == self.0)
    }
}

criterion_group!(benches, jsonpath);
criterion_main!(benches);
