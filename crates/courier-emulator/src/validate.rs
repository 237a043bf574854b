//! Payload checks driven by the object registry: the schema pass (unknown, read-only and
//! mistyped fields are 400s naming each `target`), required fields, reference resolution
//! (422 for a reference to nothing), and the filling of a stored record with every field of
//! its object, in the object's order, defaults where nothing was given.

use std::collections::HashMap;

use serde_json::{Map, Number, Value, json};

use crate::envelope::{ApiError, Detail, href};
use crate::schema::{Field, Kind, ObjectSpec, lookup_exact};
use crate::store::{Table, normalize_decimal};

/// What is being checked: a whole create, a partial update, or the lines inside either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Create,
    /// A PATCH; the key in the path may be repeated in the body.
    Update,
    /// A line inside an update: it may carry its `key` and an `ia::operation`.
    UpdateLine,
}

/// The schema pass over one object's payload: returns the payload with values normalized
/// (decimals with two places, numeric strings as numbers), or every problem found.
pub(crate) fn check(
    fields: &'static [Field],
    payload: &Map<String, Value>,
    mode: Mode,
    path_key: Option<&str>,
    prefix: &str,
    problems: &mut Vec<Detail>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in payload {
        let target = format!("{prefix}/{name}");
        if mode == Mode::UpdateLine && (name == "key" || name == "ia::operation") {
            let fine = match name.as_str() {
                "key" => value.is_string(),
                _ => matches!(value.as_str(), Some("delete" | "patch")),
            };
            if fine {
                out.insert(name.clone(), value.clone());
            } else {
                problems.push(Detail::wrong_type(
                    &target,
                    "a key string, or `delete` / `patch`",
                ));
            }
            continue;
        }
        let Some(field) = fields.iter().find(|field| field.name == name) else {
            problems.push(Detail::unknown_field(&target));
            continue;
        };
        if field.read_only {
            // A PATCH may repeat its own key, as batch updates carry it.
            let same_key = name == "key"
                && mode == Mode::Update
                && path_key.is_some_and(|key| value.as_str() == Some(key));
            if !same_key {
                problems.push(Detail::read_only(&target));
            }
            continue;
        }
        if value.is_null() {
            if field.nullable {
                out.insert(name.clone(), Value::Null);
            } else {
                problems.push(Detail::wrong_type(&target, "a value, not null"));
            }
            continue;
        }
        if let Some(value) = normalize(field, value, mode, &target, problems) {
            out.insert(name.clone(), value);
        }
    }
    out
}

fn normalize(
    field: &Field,
    value: &Value,
    mode: Mode,
    target: &str,
    problems: &mut Vec<Detail>,
) -> Option<Value> {
    let mut wrong = |expected: &str| {
        problems.push(Detail::wrong_type(target, expected));
        None
    };
    match field.kind {
        Kind::Text => match value {
            Value::String(_) => Some(value.clone()),
            _ => wrong("a string"),
        },
        Kind::Decimal => {
            let text = match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            };
            match text.as_deref().and_then(normalize_decimal) {
                Some(decimal) => Some(Value::String(decimal)),
                None => wrong("a decimal with at most two decimals, such as \"100.00\""),
            }
        }
        Kind::Number => match number(value) {
            Some(number) => Some(Value::Number(number)),
            None => wrong("a number, such as 2500"),
        },
        Kind::Integer => match number(value).filter(Number::is_i64) {
            Some(number) => Some(Value::Number(number)),
            None => wrong("an integer"),
        },
        Kind::Boolean => match value {
            Value::Bool(_) => Some(value.clone()),
            _ => wrong("true or false"),
        },
        Kind::Date => match value.as_str() {
            Some(text)
                if text.len() == 10
                    && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok() =>
            {
                Some(value.clone())
            }
            _ => wrong("a date written YYYY-MM-DD"),
        },
        Kind::Enum(values) => match value.as_str() {
            Some(text) if values.contains(&text) => Some(value.clone()),
            _ => wrong(&format!("one of {}", values.join(", "))),
        },
        Kind::Ref(_) => {
            let Some(members) = value.as_object() else {
                return wrong("an object such as {\"id\": \"...\"}");
            };
            let before = problems.len();
            for (member, inner) in members {
                let inner_target = format!("{target}/{member}");
                match member.as_str() {
                    "key" | "id" if inner.is_string() => {}
                    "key" | "id" => problems.push(Detail::wrong_type(&inner_target, "a string")),
                    _ => problems.push(Detail::unknown_field(&inner_target)),
                }
            }
            (problems.len() == before).then(|| value.clone())
        }
        Kind::Group(inner) => {
            let Some(members) = value.as_object() else {
                return wrong("an object");
            };
            let inner_mode = match mode {
                Mode::UpdateLine => Mode::Update,
                other => other,
            };
            Some(Value::Object(check(
                inner, members, inner_mode, None, target, problems,
            )))
        }
        Kind::Lines(object) => {
            let Some(items) = value.as_array() else {
                return wrong("an array of line objects");
            };
            let Some(line_spec) = lookup_exact(object) else {
                return wrong("left out");
            };
            let line_mode = match mode {
                Mode::Create => Mode::Create,
                _ => Mode::UpdateLine,
            };
            let owner_field = line_spec.owner.map_or("", |(field, _)| field);
            let mut lines = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let line_target = format!("{target}/{index}");
                let Some(members) = item.as_object() else {
                    problems.push(Detail::wrong_type(&line_target, "a line object"));
                    continue;
                };
                // The owner of a line sent inside it is that owner: leave the member out.
                let members: Map<String, Value> = members
                    .iter()
                    .filter(|(name, _)| name.as_str() != owner_field)
                    .map(|(name, value)| (name.clone(), value.clone()))
                    .collect();
                lines.push(Value::Object(check(
                    line_spec.fields,
                    &members,
                    line_mode,
                    None,
                    &line_target,
                    problems,
                )));
            }
            Some(Value::Array(lines))
        }
        // Read-only kinds never get here.
        Kind::Key | Kind::Entity | Kind::Audit | Kind::Href | Kind::Binary => {
            wrong("left out: it is read-only")
        }
    }
}

/// A JSON number, from a number or from a string that reads as one; whole numbers stay
/// integers (`2500`, not `2500.0`).
fn number(value: &Value) -> Option<Number> {
    let parsed = match value {
        Value::Number(number) => return Some(number.clone()),
        Value::String(text) => text.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !parsed.is_finite() {
        return None;
    }
    if parsed.fract() == 0.0 && parsed.abs() < 9.0e15 {
        #[allow(clippy::cast_possible_truncation)]
        return Some(Number::from(parsed as i64));
    }
    Number::from_f64(parsed)
}

fn blank(value: &Value) -> bool {
    value.is_null() || value.as_str().is_some_and(|text| text.trim().is_empty())
}

/// Required fields missing from a create (`all`) or blanked by an update, lines included:
/// new lines (no `key`) need every required line field.
pub(crate) fn required(
    fields: &[Field],
    payload: &Map<String, Value>,
    all: bool,
    prefix: &str,
    problems: &mut Vec<Detail>,
) {
    for field in fields {
        let target = format!("{prefix}/{}", field.name);
        let value = payload.get(field.name);
        if field.required && !field.read_only {
            let missing = match value {
                None => all,
                Some(value) => blank(value),
            };
            let empty_lines = matches!(field.kind, Kind::Lines(_))
                && all
                && value.and_then(Value::as_array).is_some_and(Vec::is_empty);
            if missing || empty_lines {
                problems.push(Detail::required(&target));
            }
        }
        if let (Kind::Lines(object), Some(Value::Array(items))) = (field.kind, value) {
            let Some(line_spec) = lookup_exact(object) else {
                continue;
            };
            let owner_field = line_spec.owner.map_or("", |(field, _)| field);
            let line_fields: Vec<Field> = line_spec
                .fields
                .iter()
                .filter(|field| field.name != owner_field)
                .copied()
                .collect();
            for (index, item) in items.iter().enumerate() {
                if let Some(members) = item.as_object() {
                    let new_line = !members.contains_key("key");
                    if members.get("ia::operation").and_then(Value::as_str) == Some("delete") {
                        continue;
                    }
                    required(
                        &line_fields,
                        members,
                        new_line,
                        &format!("{target}/{index}"),
                        problems,
                    );
                }
            }
        }
    }
}

/// Find a record by `key` and/or `id` in an object's table.
fn find<'a>(
    tables: &'a HashMap<&'static str, Table>,
    object: &str,
    wanted_key: Option<&str>,
    wanted_id: Option<&str>,
) -> Option<&'a Value> {
    if wanted_key.is_none() && wanted_id.is_none() {
        return None;
    }
    tables.get(object).and_then(|table| {
        table
            .records
            .values()
            .find(|stored| {
                wanted_key.is_none_or(|key| stored.key() == key)
                    && wanted_id.is_none_or(|id| stored.value["id"] == id)
            })
            .map(|stored| &stored.value)
    })
}

/// Turn `{"id": "D100"}` or `{"key": "3"}` into the full reference its object's model
/// describes (`name` and other exposed members included), in groups and lines too; or add a
/// 422 detail when no such record exists (a blank id included, as Intacct refuses those).
pub(crate) fn resolve_references(
    tables: &HashMap<&'static str, Table>,
    fields: &[Field],
    payload: &mut Map<String, Value>,
    prefix: &str,
    problems: &mut Vec<Detail>,
) {
    for field in fields {
        let target = format!("{prefix}/{}", field.name);
        match field.kind {
            Kind::Ref(reference) => {
                let Some(Value::Object(members)) = payload.get(field.name) else {
                    continue;
                };
                let wanted_key = members.get("key").and_then(Value::as_str);
                let wanted_id = members.get("id").and_then(Value::as_str);
                if let Some(record) = find(tables, reference.target, wanted_key, wanted_id) {
                    payload.insert(field.name.to_owned(), reference_to(record, reference));
                } else {
                    let what = match (wanted_key, wanted_id) {
                        (Some(key), _) => format!("key {key:?}"),
                        (None, Some(id)) => format!("id {id:?}"),
                        (None, None) => "no key or id".to_owned(),
                    };
                    problems.push(Detail::reference_not_found(
                        &target,
                        reference.target,
                        &what,
                    ));
                }
            }
            Kind::Group(inner) => {
                if let Some(Value::Object(members)) = payload.get_mut(field.name) {
                    resolve_references(tables, inner, members, &target, problems);
                }
            }
            Kind::Lines(object) => {
                let Some(line_spec) = lookup_exact(object) else {
                    continue;
                };
                if let Some(Value::Array(items)) = payload.get_mut(field.name) {
                    for (index, item) in items.iter_mut().enumerate() {
                        if let Value::Object(members) = item {
                            resolve_references(
                                tables,
                                line_spec.fields,
                                members,
                                &format!("{target}/{index}"),
                                problems,
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The reference to a record, with the members its model lists.
pub(crate) fn reference_to(record: &Value, reference: &crate::schema::RefSpec) -> Value {
    let mut out = Map::new();
    for member in reference.members() {
        let value = match member {
            "name" => record.get("name").cloned().unwrap_or(Value::Null),
            other => record.get(other).cloned().unwrap_or(Value::Null),
        };
        out.insert(member.to_owned(), value);
    }
    Value::Object(out)
}

/// A record with every field of its object in the object's order: the given values, then
/// `key`, `href`, `entity` and `audit` from the caller, defaults for the rest. Write-only
/// fields are never stored.
pub(crate) fn complete(
    spec: &ObjectSpec,
    key: &str,
    mut given: Map<String, Value>,
    entity: &Value,
    audit: &Value,
) -> Value {
    let mut out = Map::new();
    for field in spec.fields.iter().filter(|field| !field.write_only) {
        let value = match field.name {
            "key" => Value::String(key.to_owned()),
            "href" => Value::String(href(spec.name, key)),
            "entity" => entity.clone(),
            "audit" => audit.clone(),
            "id" if field.read_only => Value::String(key.to_owned()),
            name => match (given.remove(name), field.kind) {
                (Some(Value::Object(members)), Kind::Group(inner)) => fill_group(inner, members),
                (Some(value), _) => value,
                (None, Kind::Group(inner)) => fill_group(inner, Map::new()),
                (None, Kind::Lines(_)) => json!([]),
                (None, _) => field.fill.value(),
            },
        };
        out.insert(field.name.to_owned(), value);
    }
    Value::Object(out)
}

fn fill_group(fields: &[Field], mut given: Map<String, Value>) -> Value {
    let mut out = Map::new();
    for field in fields.iter().filter(|field| !field.write_only) {
        let value = match (given.remove(field.name), field.kind) {
            (Some(Value::Object(members)), Kind::Group(inner)) => fill_group(inner, members),
            (Some(value), _) => value,
            (None, Kind::Group(inner)) => fill_group(inner, Map::new()),
            (None, _) => field.fill.value(),
        };
        out.insert(field.name.to_owned(), value);
    }
    Value::Object(out)
}

/// Merge an update into a stored record: groups member by member, other fields whole.
pub(crate) fn merge(fields: &[Field], record: &mut Value, update: Map<String, Value>) {
    for (name, value) in update {
        let kind = fields
            .iter()
            .find(|field| field.name == name)
            .map(|field| field.kind);
        match (kind, value, record.get_mut(&name)) {
            (Some(Kind::Group(inner)), Value::Object(members), Some(existing))
                if existing.is_object() =>
            {
                merge(inner, existing, members);
            }
            (_, value, _) => record[name] = value,
        }
    }
}

/// A 422 for a request that passed the schema but breaks a business rule.
pub(crate) fn failed(problems: Vec<Detail>) -> Result<(), ApiError> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation_failed(problems))
    }
}
