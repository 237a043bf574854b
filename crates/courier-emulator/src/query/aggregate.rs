//! The `count:` / `sum:` / `min:` / `max:` / `avg:` aggregates of a query: one row per group
//! of the plain fields asked for.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::{Column, compare_values, field_value};
use crate::schema::Kind;
use crate::store::{Stored, normalize_decimal};

/// A whole number stays an integer.
fn number_value(number: f64) -> Value {
    if number.fract() == 0.0 && number.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)]
        return json!(number as i64);
    }
    json!(number)
}

pub(super) fn cents(value: &Value) -> Option<i128> {
    let text = normalize_decimal(value.as_str()?)?;
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let magnitude: i128 = digits.parse().ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

pub(super) fn format_cents(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

pub(super) fn aggregate(columns: &[Column], records: &[std::sync::Arc<Stored>]) -> Vec<Value> {
    // Groups in the order their first record appears (after orderBy).
    let mut groups: Vec<(Vec<Value>, Vec<&Value>)> = Vec::new();
    let plain: Vec<&str> = columns
        .iter()
        .filter_map(|column| match column {
            Column::Plain(path) => Some(path.as_str()),
            Column::Aggregate { .. } => None,
        })
        .collect();
    for stored in records {
        let key: Vec<Value> = plain
            .iter()
            .map(|path| field_value(&stored.value, path).clone())
            .collect();
        match groups.iter_mut().find(|(group, _)| *group == key) {
            Some((_, members)) => members.push(&stored.value),
            None => groups.push((key, vec![&stored.value])),
        }
    }
    if groups.is_empty() && plain.is_empty() {
        groups.push((Vec::new(), Vec::new()));
    }
    groups
        .into_iter()
        .map(|(key, members)| {
            let mut row = Map::new();
            let mut plain_values = key.into_iter();
            for column in columns {
                match column {
                    Column::Plain(path) => {
                        row.insert(path.clone(), plain_values.next().unwrap_or(Value::Null));
                    }
                    Column::Aggregate {
                        name,
                        function,
                        path,
                        kind,
                    } => {
                        let values: Vec<&Value> = members
                            .iter()
                            .map(|record| field_value(record, path))
                            .filter(|value| !value.is_null())
                            .collect();
                        let value = match *function {
                            "count" => json!(values.len()),
                            "sum" | "avg" if *kind != Kind::Decimal => {
                                let numbers: Vec<f64> =
                                    values.iter().filter_map(|v| v.as_f64()).collect();
                                let total: f64 = numbers.iter().sum();
                                if *function == "sum" {
                                    number_value(total)
                                } else if numbers.is_empty() {
                                    Value::Null
                                } else {
                                    number_value(total / numbers.len() as f64)
                                }
                            }
                            "sum" => {
                                json!(format_cents(values.iter().filter_map(|v| cents(v)).sum()))
                            }
                            "avg" => {
                                let amounts: Vec<i128> =
                                    values.iter().filter_map(|v| cents(v)).collect();
                                if amounts.is_empty() {
                                    Value::Null
                                } else {
                                    let count = amounts.len() as i128;
                                    let total: i128 = amounts.iter().sum();
                                    // Round half away from zero, to the cent.
                                    let rounded =
                                        (2 * total + total.signum() * count) / (2 * count);
                                    json!(format_cents(rounded))
                                }
                            }
                            _ => {
                                let pick = values.iter().copied().reduce(|best, next| {
                                    let ordering = compare_values(*kind, next, best, true)
                                        .unwrap_or(Ordering::Equal);
                                    let better = if *function == "min" {
                                        ordering == Ordering::Less
                                    } else {
                                        ordering == Ordering::Greater
                                    };
                                    if better { next } else { best }
                                });
                                pick.cloned().unwrap_or(Value::Null)
                            }
                        };
                        row.insert(name.clone(), value);
                    }
                }
            }
            Value::Object(row)
        })
        .collect()
}
