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
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::envelope::{ApiError, Detail, href};
use crate::schema::{ENTITY_OBJECT, ObjectSpec, USER};
use crate::seed::{Dataset, entity_ref};
use crate::txn;
use crate::validate::{self, Mode};

/// A stored record with its ready-made JSON.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) value: Value,
    pub(crate) json: Bytes,
    /// The id of the entity the record belongs to; `None` at top level.
    pub(crate) entity: Option<String>,
}

impl Stored {
    pub(crate) fn new(value: Value) -> Arc<Stored> {
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

/// The records of one object, by key.
#[derive(Debug, Default, Clone)]
pub(crate) struct Table {
    pub(crate) records: BTreeMap<u64, Arc<Stored>>,
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

pub(crate) fn reference_body(record: &Value) -> Bytes {
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

    /// Create a record (201 and a reference body); a transaction with its lines, a line with
    /// its owner's totals brought up to date.
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
        let mut problems = Vec::new();
        let mut fields =
            validate::check(spec.fields, payload, Mode::Create, None, "", &mut problems);
        if !problems.is_empty() {
            return Err(ApiError::payload_errors(problems));
        }
        validate::required(spec.fields, &fields, true, "", &mut problems);
        validate::resolve_references(&data.tables, spec.fields, &mut fields, "", &mut problems);
        if let Some(rules) = spec.txn {
            txn::check_create_state(spec, rules, &mut fields, &mut problems);
        }
        validate::failed(problems)?;
        let id_given = spec.field("id").is_some_and(|field| !field.read_only);
        let table = data.tables.entry(spec.name).or_default();
        let id = fields.get("id").cloned().unwrap_or(Value::Null);
        if id_given
            && table
                .records
                .values()
                .any(|stored| stored.value["id"] == id)
        {
            return Err(ApiError::duplicate_id(
                spec.name,
                id.as_str().unwrap_or_default(),
            ));
        }
        let key_number = table.records.keys().next_back().map_or(1, |last| last + 1);
        let key = key_number.to_string();
        let audit = new_audit(&data);
        let body = if spec.txn.is_some() || spec.owner.is_some() {
            txn::create(&mut data.tables, spec, key_number, fields, &entity, &audit)?
        } else {
            let record = validate::complete(spec, &key, fields, &entity, &audit);
            let body = reference_body(&record);
            let table = data.tables.entry(spec.name).or_default();
            table.records.insert(key_number, Stored::new(record));
            body
        };
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
        let mut problems = Vec::new();
        let mut fields = validate::check(
            spec.fields,
            payload,
            Mode::Update,
            Some(key),
            "",
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(ApiError::payload_errors(problems));
        }
        validate::required(spec.fields, &fields, false, "", &mut problems);
        for field in spec.fields {
            let Some(value) = fields.get(field.name) else {
                continue;
            };
            if !field.mutable && !field.read_only && existing.value.get(field.name) != Some(value) {
                problems.push(Detail::not_mutable(&format!("/{}", field.name)));
            }
        }
        validate::resolve_references(&data.tables, spec.fields, &mut fields, "", &mut problems);
        validate::failed(problems)?;
        let audit = new_audit(&data);
        let body = if spec.txn.is_some() || spec.owner.is_some() {
            txn::update(&mut data.tables, spec, &existing, fields, &audit)?
        } else {
            let mut record = existing.value.clone();
            validate::merge(spec.fields, &mut record, fields);
            touch(&mut record, &audit);
            let body = reference_body(&record);
            if let Some(table) = data.tables.get_mut(spec.name) {
                table.records.insert(number, Stored::new(record));
            }
            body
        };
        remember(&mut data, idempotency, 200, &body);
        Ok((200, body))
    }

    /// Delete records by key (all or none: any missing key is a 404). A transaction takes its
    /// lines with it; a line leaves its owner's totals up to date.
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
        if spec.txn.is_some() || spec.owner.is_some() {
            return txn::delete(&mut data.tables, spec, &numbers);
        }
        for number in numbers {
            table.records.remove(&number);
        }
        Ok(())
    }
}

/// The audit block of a change made now by the Web Services user.
fn new_audit(data: &Data) -> Value {
    let stamp = now();
    json!({
        "createdDateTime": stamp,
        "modifiedDateTime": stamp,
        "createdBy": "2",
        "modifiedBy": "2",
        "createdByUser": user_ref(data),
        "modifiedByUser": user_ref(data),
    })
}

/// Stamp a changed record's `audit` with the modification of `audit`.
pub(crate) fn touch(record: &mut Value, audit: &Value) {
    if let Some(existing) = record
        .get_mut("audit")
        .filter(|existing| existing.is_object())
    {
        existing["modifiedDateTime"] = audit["modifiedDateTime"].clone();
        existing["modifiedBy"] = audit["modifiedBy"].clone();
        existing["modifiedByUser"] = audit["modifiedByUser"].clone();
    }
}

pub(crate) fn parse_key(key: &str) -> Option<u64> {
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
