//! Transactions with owned lines (bills, invoices, journal entries): the `state` a create may
//! ask for, lines stored as records of their own line object, the owner's `lines` and totals
//! rebuilt from them after every change, and the journal-entry balance rule. Every change is
//! all-or-nothing: the tables it touches are put back when a rule fails.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::envelope::{ApiError, Detail};
use crate::schema::{Kind, ObjectSpec, RefSpec, TxnRules, lookup_exact};
use crate::store::{Stored, Table, reference_body, touch};
use crate::validate;

type Tables = HashMap<&'static str, Table>;

/// The `state` of a new transaction: one the object allows on create (an invoice's
/// write-only `action: draft` asks for a draft too), or the object's default.
pub(crate) fn check_create_state(
    spec: &ObjectSpec,
    rules: &TxnRules,
    fields: &mut Map<String, Value>,
    problems: &mut Vec<Detail>,
) {
    let asked = fields
        .get("state")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let state = match asked {
        Some(state) if rules.create_states.contains(&state.as_str()) => state,
        Some(state) => {
            problems.push(Detail::invalid_state(
                "/state",
                &state,
                spec.name,
                rules.create_states,
            ));
            return;
        }
        None if fields.get("action").and_then(Value::as_str) == Some("draft") => "draft".into(),
        None => rules.default_state.to_owned(),
    };
    fields.insert("state".into(), json!(state));
}

fn line_spec(spec: &ObjectSpec) -> Option<&'static ObjectSpec> {
    spec.txn.and_then(|rules| lookup_exact(rules.lines))
}

fn owner_of(line: &'static ObjectSpec) -> Option<(&'static str, &'static ObjectSpec)> {
    let (field, owner) = line.owner?;
    Some((field, lookup_exact(owner)?))
}

fn ref_spec(spec: &ObjectSpec, field: &str) -> Option<&'static RefSpec> {
    match spec.field(field)?.kind {
        Kind::Ref(reference) => Some(reference),
        _ => None,
    }
}

/// Amount in cents of a two-decimal string.
fn cents(value: &Value) -> i128 {
    let text = value.as_str().unwrap_or("0");
    let negative = text.starts_with('-');
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let magnitude: i128 = digits.parse().unwrap_or(0);
    if negative { -magnitude } else { magnitude }
}

fn money(cents: i128) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let magnitude = cents.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// The balance rule of a journal entry (docs/emulator.md, "Journal entries"): at least one
/// debit and one credit, amounts not negative, debits equal to credits. The details name
/// every line.
fn balance(lines: &[Value]) -> Result<(), ApiError> {
    let (mut debits, mut credits, mut negative) = (0i128, 0i128, false);
    for line in lines {
        let amount = cents(&line["txnAmount"]);
        negative |= amount < 0;
        if line["txnType"] == "credit" {
            credits += amount;
        } else {
            debits += amount;
        }
    }
    let has_both = lines.iter().any(|line| line["txnType"] == "credit")
        && lines.iter().any(|line| line["txnType"] != "credit");
    if has_both && !negative && debits == credits {
        return Ok(());
    }
    let details = lines
        .iter()
        .enumerate()
        .map(|(index, line)| {
            let kind = line["txnType"].as_str().unwrap_or("debit");
            let amount = line["txnAmount"].as_str().unwrap_or("0.00");
            Detail::line(
                &format!("/lines/{index}"),
                format!(
                    "line {}: {kind} {amount} (debits {}, credits {})",
                    index + 1,
                    money(debits),
                    money(credits)
                ),
            )
        })
        .collect();
    Err(ApiError::unbalanced_entry(
        &money(debits),
        &money(credits),
        has_both,
        details,
    ))
}

/// The lines of an owner, in line-key order.
fn lines_of(tables: &Tables, line: &ObjectSpec, owner_field: &str, owner_key: &str) -> Vec<Value> {
    tables.get(line.name).map_or_else(Vec::new, |table| {
        table
            .records
            .values()
            .filter(|stored| stored.value[owner_field]["key"] == owner_key)
            .map(|stored| stored.value.clone())
            .collect()
    })
}

/// Rebuild an owner's `lines`, totals and `dueInDays` from its line records.
fn refresh(tables: &mut Tables, owner: &'static ObjectSpec, owner_key: u64) {
    let Some(line) = line_spec(owner) else {
        return;
    };
    let Some((owner_field, _)) = owner_of(line) else {
        return;
    };
    let Some(stored) = tables
        .get(owner.name)
        .and_then(|table| table.records.get(&owner_key))
    else {
        return;
    };
    let mut record = stored.value.clone();
    let lines = lines_of(tables, line, owner_field, &owner_key.to_string());
    if owner.field("totalTxnAmount").is_some() {
        let total = money(lines.iter().map(|line| cents(&line["txnAmount"])).sum());
        for name in [
            "totalTxnAmount",
            "totalBaseAmount",
            "totalTxnAmountDue",
            "totalBaseAmountDue",
        ] {
            record[name] = json!(total);
        }
    }
    if let Some(field) = owner.field("dueInDays") {
        let start = record
            .get("createdDate")
            .or_else(|| record.get("invoiceDate"))
            .and_then(Value::as_str)
            .and_then(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
        let due = record["dueDate"]
            .as_str()
            .and_then(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
        record["dueInDays"] = match (start, due) {
            (Some(start), Some(due)) => {
                let days = (due - start).num_days();
                if field.kind == Kind::Text {
                    json!(days.to_string())
                } else {
                    json!(days)
                }
            }
            _ => Value::Null,
        };
    }
    record["lines"] = Value::Array(lines);
    if let Some(table) = tables.get_mut(owner.name) {
        table.records.insert(owner_key, Stored::new(record));
    }
}

fn next_key(tables: &Tables, object: &str) -> u64 {
    tables
        .get(object)
        .and_then(|table| table.records.keys().next_back())
        .map_or(1, |last| last + 1)
}

/// Store one line of an owner record.
fn add_line(
    tables: &mut Tables,
    line: &'static ObjectSpec,
    owner_record: &Value,
    mut fields: Map<String, Value>,
    line_number: usize,
    audit: &Value,
) -> u64 {
    let key = next_key(tables, line.name);
    if let Some((owner_field, _)) = line.owner
        && let Some(reference) = ref_spec(line, owner_field)
    {
        fields.insert(
            owner_field.to_owned(),
            validate::reference_to(owner_record, reference),
        );
    }
    let number = match line.field("lineNumber").map(|field| field.kind) {
        Some(Kind::Text) => json!(line_number.to_string()),
        _ => json!(line_number),
    };
    fields.insert("lineNumber".into(), number);
    fields.remove("key");
    fields.remove("ia::operation");
    if let Some(amount) = fields.get("txnAmount").cloned()
        && line.field("baseAmount").is_some()
    {
        fields.insert("baseAmount".into(), amount);
    }
    let record = validate::complete(
        line,
        &key.to_string(),
        fields,
        &owner_record["entity"],
        audit,
    );
    tables
        .entry(line.name)
        .or_default()
        .records
        .insert(key, Stored::new(record));
    key
}

/// Put back the tables a failed change touched.
fn restore(tables: &mut Tables, saved: Vec<(&'static str, Table)>) {
    for (name, table) in saved {
        tables.insert(name, table);
    }
}

fn save(tables: &Tables, names: &[&'static str]) -> Vec<(&'static str, Table)> {
    names
        .iter()
        .map(|name| (*name, tables.get(name).cloned().unwrap_or_default()))
        .collect()
}

/// Check the owner's balance rule after a change; put the tables back when it fails.
fn settle(
    tables: &mut Tables,
    owner: &'static ObjectSpec,
    owner_key: u64,
    saved: Vec<(&'static str, Table)>,
) -> Result<(), ApiError> {
    refresh(tables, owner, owner_key);
    if owner.txn.is_some_and(|rules| rules.balanced) {
        let lines = tables
            .get(owner.name)
            .and_then(|table| table.records.get(&owner_key))
            .and_then(|stored| stored.value["lines"].as_array().cloned())
            .unwrap_or_default();
        if let Err(error) = balance(&lines) {
            restore(tables, saved);
            return Err(error);
        }
    }
    Ok(())
}

/// Create a transaction with its lines, or a line of an existing transaction.
pub(crate) fn create(
    tables: &mut Tables,
    spec: &'static ObjectSpec,
    key_number: u64,
    mut fields: Map<String, Value>,
    entity: &Value,
    audit: &Value,
) -> Result<Bytes, ApiError> {
    let key = key_number.to_string();
    if let Some(line) = line_spec(spec) {
        let lines: Vec<Map<String, Value>> = match fields.remove("lines") {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        if spec.txn.is_some_and(|rules| rules.balanced) {
            let filled: Vec<Value> = lines
                .iter()
                .map(|line| {
                    let mut line = line.clone();
                    line.entry("txnType").or_insert_with(|| json!("debit"));
                    Value::Object(line)
                })
                .collect();
            balance(&filled)?;
        }
        if spec.field("txnNumber").is_some() {
            fields.insert("txnNumber".into(), json!(key_number));
        }
        let record = validate::complete(spec, &key, fields, entity, audit);
        let body = reference_body(&record);
        tables
            .entry(spec.name)
            .or_default()
            .records
            .insert(key_number, Stored::new(record.clone()));
        for (index, fields) in lines.into_iter().enumerate() {
            add_line(tables, line, &record, fields, index + 1, audit);
        }
        refresh(tables, spec, key_number);
        return Ok(body);
    }
    // A line on its own: it needs an owner, takes the next line number and the owner's entity.
    let Some((owner_field, owner)) = owner_of(spec) else {
        return Err(ApiError::unknown_object(spec.name));
    };
    let owner_key = fields
        .get(owner_field)
        .and_then(|reference| reference["key"].as_str())
        .and_then(crate::store::parse_key);
    let Some(owner_key) = owner_key else {
        return Err(ApiError::validation_failed(vec![Detail::required(
            &format!("/{owner_field}"),
        )]));
    };
    let Some(owner_record) = tables
        .get(owner.name)
        .and_then(|table| table.records.get(&owner_key))
        .map(|stored| stored.value.clone())
    else {
        return Err(ApiError::record_not_found(
            owner.name,
            &owner_key.to_string(),
        ));
    };
    let saved = save(tables, &[owner.name, spec.name]);
    let count = owner_record["lines"].as_array().map_or(0, Vec::len);
    fields.remove(owner_field);
    let line_key = add_line(tables, spec, &owner_record, fields, count + 1, audit);
    settle(tables, owner, owner_key, saved)?;
    let body = tables
        .get(spec.name)
        .and_then(|table| table.records.get(&line_key))
        .map_or_else(Bytes::new, |stored| reference_body(&stored.value));
    Ok(body)
}

/// Update a transaction (its lines by `key`: patched, deleted with `"ia::operation":
/// "delete"`, added when they carry no key) or one line.
pub(crate) fn update(
    tables: &mut Tables,
    spec: &'static ObjectSpec,
    existing: &Stored,
    mut fields: Map<String, Value>,
    audit: &Value,
) -> Result<Bytes, ApiError> {
    let key_number = crate::store::parse_key(existing.key()).unwrap_or(0);
    let mut record = existing.value.clone();
    if let Some(line) = line_spec(spec) {
        let saved = save(tables, &[spec.name, line.name]);
        let patches = fields.remove("lines");
        validate::merge(spec.fields, &mut record, fields);
        touch(&mut record, audit);
        tables
            .entry(spec.name)
            .or_default()
            .records
            .insert(key_number, Stored::new(record.clone()));
        if let Some(Value::Array(items)) = patches
            && let Err(error) = patch_lines(tables, line, &record, items, audit)
        {
            restore(tables, saved);
            return Err(error);
        }
        settle(tables, spec, key_number, saved)?;
        return Ok(reference_body(&record));
    }
    let Some((owner_field, owner)) = owner_of(spec) else {
        return Err(ApiError::unknown_object(spec.name));
    };
    if let Some(moved) = fields.get(owner_field)
        && moved["key"] != existing.value[owner_field]["key"]
    {
        return Err(ApiError::validation_failed(vec![Detail::not_mutable(
            &format!("/{owner_field}"),
        )]));
    }
    let owner_key = existing.value[owner_field]["key"]
        .as_str()
        .and_then(crate::store::parse_key)
        .unwrap_or(0);
    let saved = save(tables, &[owner.name, spec.name]);
    if let Some(amount) = fields.get("txnAmount").cloned()
        && spec.field("baseAmount").is_some()
    {
        fields.insert("baseAmount".into(), amount);
    }
    validate::merge(spec.fields, &mut record, fields);
    touch(&mut record, audit);
    let body = reference_body(&record);
    tables
        .entry(spec.name)
        .or_default()
        .records
        .insert(key_number, Stored::new(record));
    settle(tables, owner, owner_key, saved)?;
    Ok(body)
}

fn patch_lines(
    tables: &mut Tables,
    line: &'static ObjectSpec,
    owner_record: &Value,
    items: Vec<Value>,
    audit: &Value,
) -> Result<(), ApiError> {
    let owner_field = line.owner.map_or("", |(field, _)| field);
    let owner_key = owner_record["key"].as_str().unwrap_or_default().to_owned();
    let mut count = owner_record["lines"].as_array().map_or(0, Vec::len);
    let mut problems = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let Value::Object(mut fields) = item else {
            continue;
        };
        let Some(key) = fields.remove("key") else {
            count += 1;
            add_line(tables, line, owner_record, fields, count, audit);
            continue;
        };
        let number = key.as_str().and_then(crate::store::parse_key);
        let found = number.and_then(|number| {
            tables
                .get(line.name)
                .and_then(|table| table.records.get(&number))
                .filter(|stored| stored.value[owner_field]["key"] == owner_key.as_str())
                .map(|stored| (number, stored.value.clone()))
        });
        let Some((number, mut existing)) = found else {
            problems.push(Detail::reference_not_found(
                &format!("/lines/{index}/key"),
                line.name,
                &format!("key {key} on this record"),
            ));
            continue;
        };
        let table = tables.entry(line.name).or_default();
        if fields.remove("ia::operation") == Some(json!("delete")) {
            table.records.remove(&number);
            continue;
        }
        if let Some(amount) = fields.get("txnAmount").cloned() {
            fields.insert("baseAmount".into(), amount);
        }
        validate::merge(line.fields, &mut existing, fields);
        touch(&mut existing, audit);
        table.records.insert(number, Stored::new(existing));
    }
    validate::failed(problems)
}

/// Delete transactions with their lines, or lines (their owners' rules still hold after).
pub(crate) fn delete(
    tables: &mut Tables,
    spec: &'static ObjectSpec,
    numbers: &[u64],
) -> Result<(), ApiError> {
    if let Some(line) = line_spec(spec) {
        let owner_field = line.owner.map_or("", |(field, _)| field);
        for number in numbers {
            tables.entry(spec.name).or_default().records.remove(number);
            let key = number.to_string();
            if let Some(table) = tables.get_mut(line.name) {
                table
                    .records
                    .retain(|_, stored| stored.value[owner_field]["key"] != key.as_str());
            }
        }
        return Ok(());
    }
    let Some((owner_field, owner)) = owner_of(spec) else {
        return Err(ApiError::unknown_object(spec.name));
    };
    let saved = save(tables, &[owner.name, spec.name]);
    let mut owners = Vec::new();
    for number in numbers {
        if let Some(stored) = tables
            .get_mut(spec.name)
            .and_then(|table| table.records.remove(number))
            && let Some(owner_key) = stored.value[owner_field]["key"]
                .as_str()
                .and_then(crate::store::parse_key)
            && !owners.contains(&owner_key)
        {
            owners.push(owner_key);
        }
    }
    for owner_key in owners {
        settle(tables, owner, owner_key, saved.clone())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_balance_only_with_equal_debits_and_credits() {
        let line = |kind: &str, amount: &str| json!({"txnType": kind, "txnAmount": amount});
        assert!(balance(&[line("debit", "250.00"), line("credit", "250.00")]).is_ok());
        let unbalanced =
            balance(&[line("debit", "250.00"), line("credit", "200.00")]).expect_err("unbalanced");
        assert_eq!(unbalanced.details.len(), 2);
        assert_eq!(unbalanced.details[1].target, "/lines/1");
        assert!(balance(&[line("debit", "0.00")]).is_err(), "no credit");
        assert!(balance(&[line("debit", "-5.00"), line("credit", "-5.00")]).is_err());
    }
}
