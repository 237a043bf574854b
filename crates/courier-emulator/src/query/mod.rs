//! The query service, `POST /services/core/query` (docs/emulator.md, "Query"): the filter
//! operators (`$has` and date macros such as `priorMonth` included), `filterExpression` with
//! its `and` / `or` shortcuts, `filterParameters`, `orderBy`, dotted reference fields returned
//! flat (`"department.id"`), `start`/`size` paging and the aggregates of [`aggregate`].
//! Write-only fields are refused with REST-1106, as Intacct refuses them.
//!
//! Bounds keep hostile queries cheap: at most [`MAX_FILTERS`] filters, a `filterExpression` at
//! most [`MAX_DEPTH`] parentheses deep, pages of at most [`MAX_PAGE`] rows.

use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, Detail, page_meta};
use crate::schema::{Kind, ObjectSpec, lookup, path_kind};
use crate::store::{Store, Stored};

mod aggregate;
mod expression;
mod macros;

use expression::parse_expression;

use aggregate::aggregate;
#[cfg(test)]
use aggregate::{cents, format_cents};

/// The most filters one query may carry.
pub(crate) const MAX_FILTERS: usize = 1_000;
/// How deep parentheses may nest in a `filterExpression`.
pub(crate) const MAX_DEPTH: usize = 32;
/// The largest page (`size`), as Intacct documents.
pub(crate) const MAX_PAGE: usize = 4_000;
/// The page size when none is asked for.
pub(crate) const DEFAULT_PAGE: usize = 100;

const OPERATORS: [&str; 17] = [
    "$has",
    "$eq",
    "$ne",
    "$lt",
    "$lte",
    "$gt",
    "$gte",
    "$in",
    "$notIn",
    "$between",
    "$notBetween",
    "$contains",
    "$notContains",
    "$startsWith",
    "$notStartsWith",
    "$endsWith",
    "$notEndsWith",
];

const AGGREGATES: [&str; 5] = ["count", "sum", "min", "max", "avg"];

#[derive(Debug)]
struct Filter {
    operator: &'static str,
    path: String,
    kind: Kind,
    value: Value,
    /// A date macro's first and last day (`priorMonth`), relative to `asOfDate`.
    range: Option<(String, String)>,
}

#[derive(Debug, Clone)]
enum Expr {
    Leaf(usize),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Debug)]
enum Column {
    Plain(String),
    Aggregate {
        name: String,
        function: &'static str,
        path: String,
        kind: Kind,
    },
}

/// Read `start` and `size` as the list and query endpoints both take them.
pub(crate) fn page_bounds(
    start: Option<&Value>,
    size: Option<&Value>,
) -> Result<(usize, usize), ApiError> {
    fn number(value: Option<&Value>, name: &str) -> Result<Option<u64>, ApiError> {
        match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number.as_u64().map(Some).ok_or_else(|| {
                ApiError::invalid_page(format!("{name} must be a positive integer"))
            }),
            Some(Value::String(text)) => text
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ApiError::invalid_page(format!("{name} must be a positive integer"))),
            Some(_) => Err(ApiError::invalid_page(format!(
                "{name} must be a positive integer"
            ))),
        }
    }
    let start = number(start, "start")?.unwrap_or(1);
    let size = number(size, "size")?.unwrap_or(DEFAULT_PAGE as u64);
    if start == 0 {
        return Err(ApiError::invalid_page(
            "start must be 1 or more (rows count from 1)",
        ));
    }
    if size == 0 || size > MAX_PAGE as u64 {
        return Err(ApiError::invalid_page(format!(
            "size must be from 1 to {MAX_PAGE}, not {size}"
        )));
    }
    Ok((usize::try_from(start).unwrap_or(usize::MAX), size as usize))
}

/// Run a query in an entity context and build the whole response body.
pub(crate) fn run(store: &Store, body: &Value, entity: Option<&str>) -> Result<Value, ApiError> {
    let request = body
        .as_object()
        .ok_or_else(|| ApiError::payload_not_object("query"))?;
    let unknown: Vec<Detail> = request
        .keys()
        .filter(|key| {
            ![
                "object",
                "fields",
                "filters",
                "filterExpression",
                "filterParameters",
                "orderBy",
                "start",
                "size",
            ]
            .contains(&key.as_str())
        })
        .map(|key| Detail::unknown_field(&format!("/{key}")))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::payload_errors(unknown));
    }
    let object_name = match request.get("object") {
        Some(Value::String(name)) => name.as_str(),
        Some(_) => {
            return Err(ApiError::payload_errors(vec![Detail::wrong_type(
                "/object", "a string",
            )]));
        }
        None => {
            return Err(ApiError::validation_failed(vec![Detail::required(
                "/object",
            )]));
        }
    };
    let spec = lookup(object_name)
        .ok_or_else(|| ApiError::invalid_query(format!("{object_name} is not a valid object")))?;
    let columns = columns(spec, request.get("fields"))?;
    let as_of = macros::as_of(request.get("filterParameters"))?;
    let filters = filters(spec, request.get("filters"), as_of)?;
    let expression = match request.get("filterExpression") {
        None | Some(Value::Null) => Expr::And((0..filters.len()).map(Expr::Leaf).collect()),
        Some(Value::String(text)) => parse_expression(text, filters.len())?,
        Some(_) => {
            return Err(ApiError::payload_errors(vec![Detail::wrong_type(
                "/filterExpression",
                "a string",
            )]));
        }
    };
    let case_sensitive = case_sensitivity(request.get("filterParameters"))?;
    let order = order_by(spec, request.get("orderBy"))?;
    let (start, size) = page_bounds(request.get("start"), request.get("size"))?;

    let mut records: Vec<std::sync::Arc<Stored>> = store
        .visible(spec.name, entity)
        .into_iter()
        .filter(|stored| evaluate(&expression, &filters, &stored.value, case_sensitive))
        .collect();
    if !order.is_empty() {
        records.sort_by(|a, b| {
            for (path, kind, descending) in &order {
                let ordering = compare_values(
                    *kind,
                    field_value(&a.value, path),
                    field_value(&b.value, path),
                    case_sensitive,
                )
                .unwrap_or(Ordering::Equal);
                let ordering = if *descending {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            Ordering::Equal
        });
    }

    let rows = if columns
        .iter()
        .any(|column| matches!(column, Column::Aggregate { .. }))
    {
        aggregate(&columns, &records)
    } else {
        records
            .iter()
            .map(|stored| project(&columns, &stored.value))
            .collect()
    };
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().skip(start - 1).take(size).collect();
    Ok(json!({"ia::result": page, "ia::meta": page_meta(total, start, size)}))
}

fn columns(spec: &ObjectSpec, fields: Option<&Value>) -> Result<Vec<Column>, ApiError> {
    let names: Vec<&str> = match fields {
        None | Some(Value::Null) => vec!["key", "id", "href"],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().ok_or_else(|| {
                    ApiError::payload_errors(vec![Detail::wrong_type(
                        &format!("/fields/{index}"),
                        "a string",
                    )])
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::payload_errors(vec![Detail::wrong_type(
                "/fields",
                "a non-empty array of field names",
            )]));
        }
    };
    names
        .into_iter()
        .map(|name| match name.split_once(':') {
            None => path_kind(spec, name)
                .map(|_| Column::Plain(name.to_owned()))
                .ok_or_else(|| ApiError::field_not_queryable(name, spec.name)),
            Some((function, path)) => {
                let function = AGGREGATES
                    .iter()
                    .find(|known| **known == function)
                    .ok_or_else(|| ApiError::invalid_query(format!("{function}: is not an aggregate function; use count:, sum:, min:, max: or avg:")))?;
                let kind = path_kind(spec, path).ok_or_else(|| ApiError::field_not_queryable(path, spec.name))?;
                if matches!(*function, "sum" | "avg")
                    && !matches!(kind, Kind::Decimal | Kind::Number | Kind::Integer)
                {
                    return Err(ApiError::invalid_query(format!("{function}: takes a decimal field; {path} is not one")));
                }
                Ok(Column::Aggregate {
                    name: name.to_owned(),
                    function,
                    path: path.to_owned(),
                    kind,
                })
            }
        })
        .collect()
}

fn filters(
    spec: &ObjectSpec,
    filters: Option<&Value>,
    as_of: chrono::NaiveDate,
) -> Result<Vec<Filter>, ApiError> {
    let items = match filters {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::payload_errors(vec![Detail::wrong_type(
                "/filters", "an array",
            )]));
        }
    };
    if items.len() > MAX_FILTERS {
        return Err(ApiError::invalid_query(format!(
            "A query takes at most {MAX_FILTERS} filters; this one has {}",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let target = format!("/filters/{index}");
            let bad = |why: &str| ApiError::payload_errors(vec![Detail::wrong_type(&target, why)]);
            let (operator, argument) = match item.as_object() {
                Some(map) if map.len() == 1 => {
                    map.iter().next().ok_or_else(|| bad("one operator"))?
                }
                _ => {
                    return Err(bad(
                        "an object with one operator, such as {\"$eq\": {\"status\": \"active\"}}",
                    ));
                }
            };
            let operator = OPERATORS
                .iter()
                .find(|known| **known == operator)
                .ok_or_else(|| {
                    ApiError::invalid_query(format!("{operator} is not a filter operator"))
                })?;
            let (path, value) = match argument.as_object() {
                Some(map) if map.len() == 1 => map.iter().next().ok_or_else(|| bad("one field"))?,
                _ => {
                    return Err(bad(
                        "an operator over one field, such as {\"status\": \"active\"}",
                    ));
                }
            };
            let kind = path_kind(spec, path)
                .ok_or_else(|| ApiError::field_not_queryable(path, spec.name))?;
            let shape_ok = match *operator {
                "$in" | "$notIn" => value
                    .as_array()
                    .is_some_and(|values| values.iter().all(is_scalar)),
                "$between" | "$notBetween" => value
                    .as_array()
                    .is_some_and(|values| values.len() == 2 && values.iter().all(is_scalar)),
                "$contains" | "$notContains" | "$startsWith" | "$notStartsWith" | "$endsWith"
                | "$notEndsWith" => value.is_string() || value.is_number(),
                _ => is_scalar(value),
            };
            if !shape_ok {
                let expected = match *operator {
                    "$in" | "$notIn" => "an array of values",
                    "$between" | "$notBetween" => "an array of two values",
                    _ => "a single value",
                };
                return Err(bad(&format!("{operator} takes {expected}")));
            }
            let range = match (kind, value.as_str()) {
                (Kind::Date, Some(word)) => macros::range(word, as_of),
                _ => None,
            };
            Ok(Filter {
                operator,
                path: path.clone(),
                kind,
                value: value.clone(),
                range,
            })
        })
        .collect()
}

fn is_scalar(value: &Value) -> bool {
    !value.is_array() && !value.is_object()
}

fn case_sensitivity(parameters: Option<&Value>) -> Result<bool, ApiError> {
    let Some(parameters) = parameters.filter(|value| !value.is_null()) else {
        return Ok(true);
    };
    let map = parameters.as_object().ok_or_else(|| {
        ApiError::payload_errors(vec![Detail::wrong_type("/filterParameters", "an object")])
    })?;
    let mut problems = Vec::new();
    for (name, value) in map {
        let target = format!("/filterParameters/{name}");
        match name.as_str() {
            "caseSensitiveComparison" | "includePrivate" | "includeHierarchyFields"
                if !value.is_boolean() =>
            {
                problems.push(Detail::wrong_type(&target, "true or false"));
            }
            "asOfDate" if !value.is_string() => {
                problems.push(Detail::wrong_type(&target, "a date"));
            }
            "caseSensitiveComparison"
            | "includePrivate"
            | "includeHierarchyFields"
            | "asOfDate" => {}
            _ => problems.push(Detail::unknown_field(&target)),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::payload_errors(problems));
    }
    Ok(map
        .get("caseSensitiveComparison")
        .and_then(Value::as_bool)
        .unwrap_or(true))
}

fn order_by(
    spec: &ObjectSpec,
    order: Option<&Value>,
) -> Result<Vec<(String, Kind, bool)>, ApiError> {
    let items = match order {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::payload_errors(vec![Detail::wrong_type(
                "/orderBy", "an array",
            )]));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let target = format!("/orderBy/{index}");
            let entry = item
                .as_object()
                .filter(|map| map.len() == 1)
                .and_then(|map| map.iter().next())
                .ok_or_else(|| {
                    ApiError::payload_errors(vec![Detail::wrong_type(
                        &target,
                        "an object such as {\"id\": \"asc\"}",
                    )])
                })?;
            let (path, direction) = entry;
            let kind = path_kind(spec, path)
                .ok_or_else(|| ApiError::field_not_queryable(path, spec.name))?;
            let descending = match direction.as_str() {
                Some("asc") => false,
                Some("desc") => true,
                _ => {
                    return Err(ApiError::payload_errors(vec![Detail::wrong_type(
                        &target,
                        "\"asc\" or \"desc\"",
                    )]));
                }
            };
            Ok((path.clone(), kind, descending))
        })
        .collect()
}

fn evaluate(expr: &Expr, filters: &[Filter], record: &Value, case_sensitive: bool) -> bool {
    match expr {
        Expr::Leaf(index) => filters
            .get(*index)
            .is_some_and(|filter| matches(filter, record, case_sensitive)),
        Expr::And(terms) => terms
            .iter()
            .all(|term| evaluate(term, filters, record, case_sensitive)),
        Expr::Or(terms) => terms
            .iter()
            .any(|term| evaluate(term, filters, record, case_sensitive)),
    }
}

/// The value at a dotted path (`department.id`), or null.
pub(crate) fn field_value<'a>(record: &'a Value, path: &str) -> &'a Value {
    let mut current = record;
    for part in path.split('.') {
        current = current.get(part).unwrap_or(&Value::Null);
    }
    current
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(flag) => Some(*flag),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

/// Compare a record's value with another by the field's kind; `None` when they cannot be
/// compared (a null, or a value of another type).
fn compare_values(
    kind: Kind,
    left: &Value,
    right: &Value,
    case_sensitive: bool,
) -> Option<Ordering> {
    if left.is_null() || right.is_null() {
        return (left.is_null() && right.is_null()).then_some(Ordering::Equal);
    }
    match kind {
        Kind::Key | Kind::Decimal | Kind::Number | Kind::Integer => {
            as_number(left)?.partial_cmp(&as_number(right)?)
        }
        Kind::Boolean => Some(as_bool(left)?.cmp(&as_bool(right)?)),
        _ => {
            let (left, right) = (as_text(left)?, as_text(right)?);
            Some(if case_sensitive {
                left.cmp(&right)
            } else {
                left.to_lowercase().cmp(&right.to_lowercase())
            })
        }
    }
}

fn matches(filter: &Filter, record: &Value, case_sensitive: bool) -> bool {
    let actual = field_value(record, &filter.path);
    if let Some((first, last)) = &filter.range {
        return macros::matches(filter.operator, actual.as_str(), first, last);
    }
    let compare = |expected: &Value| compare_values(filter.kind, actual, expected, case_sensitive);
    let equal = |expected: &Value| compare(expected) == Some(Ordering::Equal);
    let text = |value: &Value| {
        as_text(value).map(|text| {
            if case_sensitive {
                text
            } else {
                text.to_lowercase()
            }
        })
    };
    let string_test = |test: fn(&str, &str) -> bool| match (text(actual), text(&filter.value)) {
        (Some(actual), Some(expected)) => test(&actual, &expected),
        _ => false,
    };
    let between = || match filter.value.as_array().map(Vec::as_slice) {
        Some([low, high]) => {
            matches!(compare(low), Some(Ordering::Greater | Ordering::Equal))
                && matches!(compare(high), Some(Ordering::Less | Ordering::Equal))
        }
        _ => false,
    };
    let member = || {
        filter
            .value
            .as_array()
            .is_some_and(|values| values.iter().any(equal))
    };
    match filter.operator {
        // An array field holds the value; on a plain field, `$has` is equality.
        "$has" => match actual {
            Value::Array(items) => items.iter().any(|item| {
                compare_values(Kind::Text, item, &filter.value, case_sensitive)
                    == Some(Ordering::Equal)
            }),
            _ => equal(&filter.value),
        },
        "$eq" => equal(&filter.value),
        "$ne" => !equal(&filter.value),
        "$lt" => compare(&filter.value) == Some(Ordering::Less),
        "$lte" => matches!(
            compare(&filter.value),
            Some(Ordering::Less | Ordering::Equal)
        ),
        "$gt" => compare(&filter.value) == Some(Ordering::Greater),
        "$gte" => matches!(
            compare(&filter.value),
            Some(Ordering::Greater | Ordering::Equal)
        ),
        "$in" => member(),
        "$notIn" => !member(),
        "$between" => between(),
        "$notBetween" => !between(),
        "$contains" => string_test(|a, b| a.contains(b)),
        "$notContains" => !string_test(|a, b| a.contains(b)),
        "$startsWith" => string_test(|a, b| a.starts_with(b)),
        "$notStartsWith" => !string_test(|a, b| a.starts_with(b)),
        "$endsWith" => string_test(|a, b| a.ends_with(b)),
        "$notEndsWith" => !string_test(|a, b| a.ends_with(b)),
        _ => false,
    }
}

fn project(columns: &[Column], record: &Value) -> Value {
    let mut row = Map::new();
    for column in columns {
        if let Column::Plain(path) = column {
            row.insert(path.clone(), field_value(record, path).clone());
        }
    }
    Value::Object(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_bind_and_tighter_than_or() {
        let expr = parse_expression("1 or 2 AND 3", 3).expect("valid");
        assert!(matches!(expr, Expr::Or(ref terms) if terms.len() == 2));
        assert!(parse_expression("(1 or 2) and 3", 3).is_ok());
        assert!(matches!(parse_expression("or", 3), Ok(Expr::Or(ref terms)) if terms.len() == 3));
        assert!(
            matches!(parse_expression(" AND ", 2), Ok(Expr::And(ref terms)) if terms.len() == 2)
        );
        for bad in [
            "4", "0", "1 and", "(1", "1 2", "1 xor 2", "1 & 2", "", "and or",
        ] {
            assert!(
                parse_expression(bad, 3).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn deep_parentheses_are_refused_without_recursing_forever() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse_expression(&deep, 1).is_err());
        let fine = format!("{}1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse_expression(&fine, 1).is_ok());
    }

    #[test]
    fn comparisons_follow_the_field_kind() {
        assert_eq!(
            compare_values(Kind::Decimal, &json!("900.00"), &json!("1000"), true),
            Some(Ordering::Less)
        );
        assert_eq!(
            compare_values(Kind::Text, &json!("Acme"), &json!("acme"), false),
            Some(Ordering::Equal)
        );
        assert_ne!(
            compare_values(Kind::Text, &json!("Acme"), &json!("acme"), true),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare_values(Kind::Text, &Value::Null, &json!("x"), true),
            None
        );
    }

    #[test]
    fn money_sums_are_exact() {
        assert_eq!(cents(&json!("28800.05")), Some(2_880_005));
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(2_880_005), "28800.05");
    }
}
