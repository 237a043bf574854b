//! The in-memory company: records per object, their entity visibility, create / update /
//! delete with payload validation, and the `Idempotency-Key` replay table.
//!
//! Each record keeps its serialized JSON beside its value, so a `GET` by key copies bytes out
//! under a read lock instead of serializing. Mutations run synchronously under the write lock
//! (there is no await inside), which also makes an idempotent replay and the mutation it
//! guards one atomic step.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::envelope::{ApiError, Detail, href};
use crate::schema::{ENTITY_OBJECT, Kind, ObjectSpec, USER};
use crate::seed::{Dataset, entity_ref, money};

/// A stored record with its ready-made JSON.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) value: Value,
    pub(crate) json: Bytes,
    /// The id of the entity the record belongs to; `None` at top level.
    pub(crate) entity: Option<String>,
}

impl Stored {
    fn new(value: Value) -> Arc<Stored> {
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        let entity = value
            .get("entity")
            .and_then(|entity| entity.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Arc::new(Stored {
            value,
            json,
            entity,
        })
    }

    /// Whether a request in this entity context sees the record: the top level sees
    /// everything; an entity sees its own records and the top level's, not its siblings'.
    pub(crate) fn visible_in(&self, entity: Option<&str>) -> bool {
        match (entity, &self.entity) {
            (None, _) | (Some(_), None) => true,
            (Some(context), Some(own)) => context == own,
        }
    }

    pub(crate) fn key(&self) -> &str {
        self.value["key"].as_str().unwrap_or_default()
    }
}

#[derive(Debug, Default, Clone)]
struct Table {
    records: BTreeMap<u64, Arc<Stored>>,
}

/// The first answer to an `Idempotency-Key`, replayed for the same request.
#[derive(Debug, Clone)]
pub(crate) struct Replay {
    fingerprint: [u8; 32],
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

#[derive(Debug, Default, Clone)]
struct Data {
    tables: HashMap<&'static str, Table>,
    replays: HashMap<String, Replay>,
}

/// Who is changing data: written into the `audit` block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Actor<'a> {
    pub(crate) entity: Option<&'a str>,
}

/// An `Idempotency-Key` and the fingerprint of the request that carries it.
#[derive(Debug)]
pub(crate) struct Idempotency {
    key: String,
    fingerprint: [u8; 32],
}

impl Idempotency {
    pub(crate) fn new(
        key: &str,
        method: &str,
        path: &str,
        entity: Option<&str>,
        body: &[u8],
    ) -> Idempotency {
        let mut hasher = Sha256::new();
        for part in [
            method.as_bytes(),
            path.as_bytes(),
            entity.unwrap_or("").as_bytes(),
            body,
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Idempotency {
            key: key.to_owned(),
            fingerprint: hasher.finalize().into(),
        }
    }
}

/// The whole company at one moment (a batch or composite transaction's way back).
#[derive(Debug)]
pub(crate) struct Snapshot(Data);

/// What a mutation produced: the status and JSON body to send.
pub(crate) type Outcome = Result<(u16, Bytes), ApiError>;

#[derive(Debug)]
pub(crate) struct Store {
    data: RwLock<Data>,
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn reference_body(record: &Value) -> Bytes {
    let body = json!({
        "ia::result": {"key": record["key"], "id": record["id"], "href": record["href"]},
        "ia::meta": crate::envelope::single_meta(),
    });
    Bytes::from(body.to_string())
}

impl Store {
    pub(crate) fn new(dataset: Dataset) -> Store {
        let store = Store {
            data: RwLock::new(Data::default()),
        };
        store.load(dataset);
        store
    }

    /// Replace everything with a dataset and forget every idempotency key.
    pub(crate) fn load(&self, dataset: Dataset) {
        let mut tables = HashMap::new();
        for (object, records) in dataset {
            let mut table = Table::default();
            for record in records {
                let key = record["key"]
                    .as_str()
                    .and_then(|k| k.parse().ok())
                    .unwrap_or(0);
                table.records.insert(key, Stored::new(record));
            }
            tables.insert(object, table);
        }
        let mut data = self.data.write().unwrap_or_else(PoisonError::into_inner);
        data.tables = tables;
        data.replays.clear();
    }

    /// Everything as it is now, for [`Store::restore`] when a transaction fails.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot(self.read().clone())
    }

    /// Put back what [`Store::snapshot`] took (records share their `Arc`s, so it is cheap).
    pub(crate) fn restore(&self, snapshot: Snapshot) {
        *self.write() = snapshot.0;
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Data> {
        self.data.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Data> {
        self.data.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The record of an object by key, if visible in the entity context.
    pub(crate) fn get(&self, object: &str, key: &str, entity: Option<&str>) -> Option<Arc<Stored>> {
        let key: u64 = parse_key(key)?;
        let data = self.read();
        data.tables
            .get(object)?
            .records
            .get(&key)
            .filter(|stored| stored.visible_in(entity))
            .map(Arc::clone)
    }

    /// Every record of an object visible in the entity context, in key order.
    pub(crate) fn visible(&self, object: &str, entity: Option<&str>) -> Vec<Arc<Stored>> {
        let data = self.read();
        data.tables.get(object).map_or_else(Vec::new, |table| {
            table
                .records
                .values()
                .filter(|stored| stored.visible_in(entity))
                .map(Arc::clone)
                .collect()
        })
    }

    /// Whether an entity with this id exists (for `X-IA-API-Param-Entity` and usernames).
    pub(crate) fn entity_exists(&self, id: &str) -> bool {
        self.find_entity(id).is_some()
    }

    fn find_entity(&self, id: &str) -> Option<Value> {
        let data = self.read();
        data.tables.get(ENTITY_OBJECT).and_then(|table| {
            table
                .records
                .values()
                .find(|stored| stored.value["id"] == id)
                .map(|stored| {
                    entity_ref(Some((
                        stored.key(),
                        id,
                        stored.value["name"].as_str().unwrap_or_default(),
                    )))
                })
        })
    }

    /// Create a record (201 and a reference body).
    pub(crate) fn create(
        &self,
        spec: &'static ObjectSpec,
        body: &Value,
        actor: Actor<'_>,
        idempotency: Option<Idempotency>,
    ) -> Outcome {
        let payload = body
            .as_object()
            .ok_or_else(|| ApiError::payload_not_object("POST"))?;
        let entity = match actor.entity {
            Some(id) => self
                .find_entity(id)
                .ok_or_else(|| ApiError::unknown_entity(id))?,
            None => entity_ref(None),
        };
        let mut data = self.write();
        if let Some(replay) = replay(&data, idempotency.as_ref())? {
            return Ok(replay);
        }
        let mut fields = check_schema(spec, payload, None)?;
        let mut problems = Vec::new();
        for field in spec.fields.iter().filter(|field| field.required) {
            let missing = fields.get(field.name).is_none_or(|value| {
                value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty())
            });
            if missing {
                problems.push(Detail::required(&format!("/{}", field.name)));
            }
        }
        resolve_references(&data, spec, &mut fields, &mut problems);
        if !problems.is_empty() {
            return Err(ApiError::validation_failed(problems));
        }
        let table = data.tables.entry(spec.name).or_default();
        let id = fields.get("id").cloned().unwrap_or(Value::Null);
        if table
            .records
            .values()
            .any(|stored| stored.value["id"] == id)
        {
            return Err(ApiError::duplicate_id(
                spec.name,
                id.as_str().unwrap_or_default(),
            ));
        }
        for field in spec.fields {
            if fields.contains_key(field.name) {
                continue;
            }
            let default = match (field.name, field.kind) {
                ("status", _) => json!("active"),
                (_, Kind::Decimal) if field.read_only => json!(money(0)),
                (_, Kind::Boolean) => json!(false),
                _ => Value::Null,
            };
            fields.insert(field.name.to_owned(), default);
        }
        let key_number = table.records.keys().next_back().map_or(1, |last| last + 1);
        let key = key_number.to_string();
        let stamp = now();
        let audit = json!({
            "createdDateTime": stamp,
            "modifiedDateTime": stamp,
            "createdBy": "2",
            "modifiedBy": "2",
            "createdByUser": user_ref(&data),
            "modifiedByUser": user_ref(&data),
        });
        let record = crate::seed::assemble(spec.name, &key, fields, &entity, &audit);
        let body = reference_body(&record);
        let table = data.tables.entry(spec.name).or_default();
        table.records.insert(key_number, Stored::new(record));
        remember(&mut data, idempotency, 201, &body);
        Ok((201, body))
    }

    /// Update a record with a partial payload (200 and a reference body).
    pub(crate) fn update(
        &self,
        spec: &'static ObjectSpec,
        key: &str,
        body: &Value,
        actor: Actor<'_>,
        idempotency: Option<Idempotency>,
    ) -> Outcome {
        let payload = body
            .as_object()
            .ok_or_else(|| ApiError::payload_not_object("PATCH"))?;
        let mut data = self.write();
        if let Some(replay) = replay(&data, idempotency.as_ref())? {
            return Ok(replay);
        }
        let not_found = || ApiError::record_not_found(spec.name, key);
        let number = parse_key(key).ok_or_else(not_found)?;
        let existing = data
            .tables
            .get(spec.name)
            .and_then(|table| table.records.get(&number))
            .filter(|stored| stored.visible_in(actor.entity))
            .map(Arc::clone)
            .ok_or_else(not_found)?;
        let mut fields = check_schema(spec, payload, Some(key))?;
        let mut problems = Vec::new();
        for field in spec.fields {
            let Some(value) = fields.get(field.name) else {
                continue;
            };
            if field.required && value.as_str().is_some_and(|s| s.trim().is_empty()) {
                problems.push(Detail::required(&format!("/{}", field.name)));
            }
            if !field.mutable && !field.read_only && existing.value.get(field.name) != Some(value) {
                problems.push(Detail::not_mutable(&format!("/{}", field.name)));
            }
        }
        resolve_references(&data, spec, &mut fields, &mut problems);
        if !problems.is_empty() {
            return Err(ApiError::validation_failed(problems));
        }
        let mut record = existing.value.clone();
        for (name, value) in fields {
            record[name] = value;
        }
        let stamp = now();
        let modified_by = user_ref(&data);
        if let Some(audit) = record.get_mut("audit").filter(|audit| audit.is_object()) {
            audit["modifiedDateTime"] = json!(stamp);
            audit["modifiedBy"] = json!("2");
            audit["modifiedByUser"] = modified_by;
        }
        let body = reference_body(&record);
        if let Some(table) = data.tables.get_mut(spec.name) {
            table.records.insert(number, Stored::new(record));
        }
        remember(&mut data, idempotency, 200, &body);
        Ok((200, body))
    }

    /// Delete records by key (all or none: any missing key is a 404).
    pub(crate) fn delete(
        &self,
        spec: &'static ObjectSpec,
        keys: &[&str],
        entity: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut data = self.write();
        let table = data.tables.entry(spec.name).or_default();
        let mut numbers = Vec::with_capacity(keys.len());
        for key in keys {
            let number = parse_key(key)
                .filter(|number| {
                    table
                        .records
                        .get(number)
                        .is_some_and(|stored| stored.visible_in(entity))
                })
                .ok_or_else(|| ApiError::record_not_found(spec.name, key))?;
            numbers.push(number);
        }
        for number in numbers {
            table.records.remove(&number);
        }
        Ok(())
    }
}

fn parse_key(key: &str) -> Option<u64> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    key.parse().ok()
}

fn user_ref(data: &Data) -> Value {
    let id = data
        .tables
        .get(USER)
        .and_then(|table| table.records.get(&2))
        .map_or(Value::Null, |stored| stored.value["id"].clone());
    json!({"key": "2", "id": id, "href": href(USER, "2")})
}

fn replay(
    data: &Data,
    idempotency: Option<&Idempotency>,
) -> Result<Option<(u16, Bytes)>, ApiError> {
    let Some(idempotency) = idempotency else {
        return Ok(None);
    };
    match data.replays.get(&idempotency.key) {
        Some(first) if first.fingerprint == idempotency.fingerprint => {
            Ok(Some((first.status, first.body.clone())))
        }
        Some(_) => Err(ApiError::idempotency_conflict(&idempotency.key)),
        None => Ok(None),
    }
}

/// Only successes are remembered: a request that failed validation can be fixed and sent
/// again under the same key.
fn remember(data: &mut Data, idempotency: Option<Idempotency>, status: u16, body: &Bytes) {
    if let Some(idempotency) = idempotency {
        data.replays.insert(
            idempotency.key,
            Replay {
                fingerprint: idempotency.fingerprint,
                status,
                body: body.clone(),
            },
        );
    }
}

fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
        Some(_) => return false,
        None => (digits, ""),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() <= 2
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A decimal written with two decimals, as Intacct returns money.
pub(crate) fn normalize_decimal(text: &str) -> Option<String> {
    if !is_decimal(text) || text.len() > 20 {
        return None;
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole: u128 = whole.parse().ok()?;
    let fraction = format!("{fraction:0<2}");
    let sign = if negative { "-" } else { "" };
    Some(format!("{sign}{whole}.{fraction}"))
}

/// The schema pass: unknown and read-only fields and wrong types are 400s with a detail
/// each. Returns the payload with values normalized (money with two decimals).
fn check_schema(
    spec: &ObjectSpec,
    payload: &Map<String, Value>,
    path_key: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let mut problems = Vec::new();
    let mut fields = Map::new();
    for (name, value) in payload {
        let target = format!("/{name}");
        let Some(field) = spec.field(name) else {
            problems.push(Detail::unknown_field(&target));
            continue;
        };
        if field.read_only {
            // A PATCH may repeat its own key, as batch updates carry it.
            let same_key = name == "key" && path_key.is_some_and(|key| value.as_str() == Some(key));
            if !same_key {
                problems.push(Detail::read_only(&target));
            }
            continue;
        }
        if value.is_null() {
            if field.nullable {
                fields.insert(name.clone(), Value::Null);
            } else {
                problems.push(Detail::wrong_type(&target, "a value, not null"));
            }
            continue;
        }
        match normalize(field.kind, value, &target) {
            Ok(value) => {
                fields.insert(name.clone(), value);
            }
            Err(mut details) => problems.append(&mut details),
        }
    }
    if problems.is_empty() {
        Ok(fields)
    } else {
        Err(ApiError::payload_errors(problems))
    }
}

fn normalize(kind: Kind, value: &Value, target: &str) -> Result<Value, Vec<Detail>> {
    let wrong = |expected: &str| Err(vec![Detail::wrong_type(target, expected)]);
    match kind {
        Kind::Text => match value {
            Value::String(_) => Ok(value.clone()),
            _ => wrong("a string"),
        },
        Kind::Decimal => {
            let text = match value {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            };
            match text.as_deref().and_then(normalize_decimal) {
                Some(decimal) => Ok(Value::String(decimal)),
                None => wrong("a decimal with at most two decimals, such as \"100.00\""),
            }
        }
        Kind::Boolean => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => wrong("true or false"),
        },
        Kind::Date => match value.as_str() {
            Some(text)
                if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
                    && text.len() == 10 =>
            {
                Ok(value.clone())
            }
            _ => wrong("a date written YYYY-MM-DD"),
        },
        Kind::Enum(values) => match value.as_str() {
            Some(text) if values.contains(&text) => Ok(value.clone()),
            _ => wrong(&format!("one of {}", values.join(", "))),
        },
        Kind::Ref(_) => {
            let Some(members) = value.as_object() else {
                return wrong("an object such as {\"id\": \"...\"}");
            };
            let mut problems = Vec::new();
            for (member, inner) in members {
                let inner_target = format!("{target}/{member}");
                match member.as_str() {
                    "key" | "id" | "href" if inner.is_string() => {}
                    "key" | "id" | "href" => {
                        problems.push(Detail::wrong_type(&inner_target, "a string"));
                    }
                    _ => problems.push(Detail::unknown_field(&inner_target)),
                }
            }
            if problems.is_empty() {
                Ok(value.clone())
            } else {
                Err(problems)
            }
        }
        // Read-only kinds never get here.
        Kind::Key | Kind::Entity | Kind::Audit | Kind::Href => wrong("left out: it is read-only"),
    }
}

/// Turn `{"id": "D100"}` or `{"key": "3"}` into the full `{key, id, href}` reference, or add a
/// 422 detail when no such record exists (a blank id included, as Intacct refuses those).
fn resolve_references(
    data: &Data,
    spec: &ObjectSpec,
    fields: &mut Map<String, Value>,
    problems: &mut Vec<Detail>,
) {
    for field in spec.fields {
        let Kind::Ref(target_object) = field.kind else {
            continue;
        };
        let Some(Value::Object(members)) = fields.get(field.name) else {
            continue;
        };
        let wanted_key = members.get("key").and_then(Value::as_str);
        let wanted_id = members.get("id").and_then(Value::as_str);
        let found = data.tables.get(target_object).and_then(|table| {
            table.records.values().find(|stored| {
                wanted_key.is_none_or(|key| stored.key() == key)
                    && wanted_id.is_none_or(|id| stored.value["id"] == id)
                    && (wanted_key.is_some() || wanted_id.is_some())
            })
        });
        if let Some(stored) = found {
            let reference = json!({"key": stored.value["key"], "id": stored.value["id"], "href": stored.value["href"]});
            fields.insert(field.name.to_owned(), reference);
        } else {
            let what = match (wanted_key, wanted_id) {
                (Some(key), _) => format!("key {key:?}"),
                (None, Some(id)) => format!("id {id:?}"),
                (None, None) => "no key or id".to_owned(),
            };
            problems.push(Detail::reference_not_found(
                &format!("/{}", field.name),
                target_object,
                &what,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_normalized_to_two_places() {
        assert_eq!(normalize_decimal("28800").as_deref(), Some("28800.00"));
        assert_eq!(normalize_decimal("12.5").as_deref(), Some("12.50"));
        assert_eq!(normalize_decimal("-3.25").as_deref(), Some("-3.25"));
        for bad in ["", "1.234", "abc", "1e5", ".5", "1.", "--1"] {
            assert!(normalize_decimal(bad).is_none(), "{bad}");
        }
    }
}
