//! The generated company's contacts, classes, projects, journals and transactions (bills,
//! invoices, journal entries with their lines). Transactions go through the same code as a
//! create over the API, so their lines, totals and references have the served shapes. Draws
//! come from streams of their own, so the master data of a seed never changes with these.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{Dataset, Layout, SplitMix, assemble, audit, date, entity_ref, fields};
use crate::schema::{
    ACCOUNT, BILL, CLASS, CONTACT, CUSTOMER, DEPARTMENT, INVOICE, JOURNAL, JOURNAL_ENTRY, Kind,
    LOCATION, PROJECT, VENDOR, lookup_exact,
};
use crate::store::{Stored, Table};
use crate::validate;

const CLASSES: [(&str, &str); 5] = [
    ("CL-RETAIL", "Retail"),
    ("CL-WHOLESALE", "Wholesale"),
    ("CL-ONLINE", "Online"),
    ("CL-GOV", "Government"),
    ("CL-NONPROFIT", "Non-profit"),
];

const PROJECTS: [&str; 8] = [
    "Warehouse Migration",
    "ERP Rollout",
    "Brand Refresh",
    "Store Openings",
    "Data Platform",
    "Office Fit-out",
    "Customer Portal",
    "Compliance Audit",
];

const JOURNALS: [(&str, &str); 3] = [
    ("GJ", "General Journal"),
    ("EJ", "Expense Journal"),
    ("ADJ", "Adjustments Journal"),
];

const MEMOS: [&str; 6] = [
    "Office supplies",
    "Consulting hours",
    "Freight",
    "Software licences",
    "Maintenance",
    "Travel",
];

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The reference a group member of an object takes (`contacts.default` of a vendor).
fn member_ref(object: &str, group: &str, member: &str) -> Option<&'static crate::schema::RefSpec> {
    let Kind::Group(inner) = lookup_exact(object)?.field(group)?.kind else {
        return None;
    };
    match inner.iter().find(|field| field.name == member)?.kind {
        Kind::Ref(reference) => Some(reference),
        _ => None,
    }
}

fn reference(record: &Value) -> Value {
    json!({"key": record["key"], "id": record["id"]})
}

/// Add everything after the master data.
pub(super) fn add(data: &mut Dataset, seed: u64, layout: &Layout) {
    let mut rng = SplitMix::new(seed, 20);
    let base = layout.ledger_key;

    // A contact per vendor and customer, holding its e-mail; the records point at it.
    let mut contacts = Vec::new();
    for object in [VENDOR, CUSTOMER] {
        let Some(records) = data.get_mut(object) else {
            continue;
        };
        let members: &[&str] = if object == VENDOR {
            &["default", "primary", "payTo", "returnTo"]
        } else {
            &["default", "primary", "billTo", "shipTo"]
        };
        for record in records.iter_mut() {
            let key = (base + contacts.len()).to_string();
            let name = record["name"].as_str().unwrap_or_default().to_owned();
            let mailbox = if object == VENDOR { "ar" } else { "ap" };
            let contact = assemble(
                CONTACT,
                &key,
                fields(vec![
                    ("id", json!(name)),
                    ("printAs", json!(name)),
                    ("companyName", json!(name)),
                    (
                        "email1",
                        json!(format!("{mailbox}@{}.example.com", slug(&name))),
                    ),
                    ("phone1", json!(format!("555-01{:02}", rng.below(100)))),
                    ("status", json!("active")),
                ]),
                &record["entity"],
                &audit(&mut rng),
            );
            let mut group = Map::new();
            for member in members {
                if let Some(spec) = member_ref(object, "contacts", member) {
                    group.insert((*member).to_owned(), validate::reference_to(&contact, spec));
                }
            }
            record["contacts"] = Value::Object(group);
            contacts.push(contact);
        }
    }
    data.insert(CONTACT, contacts);

    let classes: Vec<Value> = CLASSES
        .iter()
        .enumerate()
        .map(|(index, (id, name))| {
            assemble(
                CLASS,
                &(base + index).to_string(),
                fields(vec![
                    ("id", json!(id)),
                    ("name", json!(name)),
                    ("status", json!("active")),
                    ("description", json!(format!("{name} sales"))),
                ]),
                &entity_ref(None),
                &audit(&mut rng),
            )
        })
        .collect();
    data.insert(CLASS, classes);

    let journals: Vec<Value> = JOURNALS
        .iter()
        .enumerate()
        .map(|(index, (id, name))| {
            assemble(
                JOURNAL,
                &(base + index).to_string(),
                fields(vec![
                    ("id", json!(id)),
                    ("name", json!(name)),
                    ("status", json!("active")),
                ]),
                &entity_ref(None),
                &audit(&mut rng),
            )
        })
        .collect();
    data.insert(JOURNAL, journals);

    let customers = data.get(CUSTOMER).cloned().unwrap_or_default();
    let departments = data.get(DEPARTMENT).cloned().unwrap_or_default();
    let locations = data.get(LOCATION).cloned().unwrap_or_default();
    let project_count = 4 + rng.below(if seed == 0 { 1 } else { 5 }) as usize;
    let projects: Vec<Value> = (0..project_count)
        .map(|index| {
            let start = rng.below(1500);
            let customer = &customers[index % customers.len().max(1)];
            assemble(
                PROJECT,
                &(base + index).to_string(),
                fields(vec![
                    ("id", json!(format!("P-{:03}", base + index))),
                    ("name", json!(PROJECTS[index % PROJECTS.len()])),
                    (
                        "status",
                        json!(if index == 3 { "inactive" } else { "active" }),
                    ),
                    ("startDate", json!(date(start))),
                    ("endDate", json!(date(start + 90 + rng.below(400)))),
                    ("customer", reference(customer)),
                    (
                        "department",
                        reference(&departments[index % departments.len().max(1)]),
                    ),
                    (
                        "location",
                        reference(&locations[index % locations.len().max(1)]),
                    ),
                ]),
                &entity_ref(None),
                &audit(&mut rng),
            )
        })
        .collect();
    data.insert(PROJECT, projects);
    resolve_all(data, PROJECT);

    transactions(data, &mut rng, seed, base);
}

/// Fill the references of seeded records (given as `{key, id}`) with their served members.
fn resolve_all(data: &mut Dataset, object: &'static str) {
    let Some(spec) = lookup_exact(object) else {
        return;
    };
    let tables = tables_of(data);
    if let Some(records) = data.get_mut(object) {
        for record in records.iter_mut() {
            if let Value::Object(map) = record {
                let mut problems = Vec::new();
                validate::resolve_references(&tables, spec.fields, map, "", &mut problems);
            }
        }
    }
}

fn tables_of(data: &Dataset) -> HashMap<&'static str, Table> {
    data.iter()
        .map(|(object, records)| {
            let mut table = Table::default();
            for record in records {
                let key = record["key"]
                    .as_str()
                    .and_then(|key| key.parse().ok())
                    .unwrap_or(0);
                table.records.insert(key, Stored::new(record.clone()));
            }
            (*object, table)
        })
        .collect()
}

fn amount(rng: &mut SplitMix, most: u64) -> String {
    super::money(1_000 + rng.below(most))
}

/// Bills, invoices and journal entries, made with the API's own create.
fn transactions(data: &mut Dataset, rng: &mut SplitMix, seed: u64, base: usize) {
    let mut tables = tables_of(data);
    let vendors = data.get(VENDOR).cloned().unwrap_or_default();
    let customers = data.get(CUSTOMER).cloned().unwrap_or_default();
    let accounts = data.get(ACCOUNT).cloned().unwrap_or_default();
    let expense: Vec<&Value> = accounts
        .iter()
        .filter(|account| account["id"].as_str().is_some_and(|id| id.starts_with('6')))
        .collect();
    let revenue: Vec<&Value> = accounts
        .iter()
        .filter(|account| account["id"].as_str().is_some_and(|id| id.starts_with('4')))
        .collect();
    let extra = |rng: &mut SplitMix| if seed == 0 { 0 } else { rng.below(5) as usize };
    let make = |tables: &mut HashMap<&'static str, Table>,
                object: &'static str,
                index: usize,
                payload: Value,
                rng: &mut SplitMix| {
        let (Some(spec), Value::Object(payload)) = (lookup_exact(object), payload) else {
            return;
        };
        let mut problems = Vec::new();
        let mut fields = validate::check(
            spec.fields,
            &payload,
            validate::Mode::Create,
            None,
            "",
            &mut problems,
        );
        validate::resolve_references(tables, spec.fields, &mut fields, "", &mut problems);
        if let Some(rules) = spec.txn {
            crate::txn::check_create_state(spec, rules, &mut fields, &mut problems);
        }
        if !problems.is_empty() {
            return;
        }
        let _ = crate::txn::create(
            tables,
            spec,
            (base + index) as u64,
            fields,
            &entity_ref(None),
            &audit(rng),
        );
    };
    let bills = 8 + extra(rng);
    for index in 0..bills {
        let vendor = &vendors[index % vendors.len().max(1)];
        let start = 2000 + rng.below(600);
        let lines: Vec<Value> = (0..=rng.below(3))
            .map(|_| {
                let account = expense[rng.below(expense.len() as u64) as usize];
                json!({"glAccount": reference(account), "txnAmount": amount(rng, 250_000),
                       "memo": MEMOS[rng.below(MEMOS.len() as u64) as usize]})
            })
            .collect();
        let payload = json!({
            "billNumber": format!("BILL-{:04}", base + index),
            "vendor": reference(vendor),
            "createdDate": date(start),
            "dueDate": date(start + 30),
            "state": if index == 2 { "draft" } else { "posted" },
            "currency": {"baseCurrency": "USD", "txnCurrency": "USD"},
            "lines": lines,
        });
        make(&mut tables, BILL, index, payload, rng);
    }
    let invoices = 10 + extra(rng);
    for index in 0..invoices {
        let customer = &customers[index % customers.len().max(1)];
        let start = 2000 + rng.below(600);
        let lines: Vec<Value> = (0..=rng.below(3))
            .map(|_| {
                let account = revenue[rng.below(revenue.len() as u64) as usize];
                json!({"glAccount": reference(account), "txnAmount": amount(rng, 400_000),
                       "memo": MEMOS[rng.below(MEMOS.len() as u64) as usize]})
            })
            .collect();
        let mut payload = json!({
            "invoiceNumber": format!("INV-{:04}", base + index),
            "customer": reference(customer),
            "invoiceDate": date(start),
            "dueDate": date(start + [15, 30, 45, 60][index % 4]),
            "currency": {"baseCurrency": "USD", "txnCurrency": "USD"},
            "lines": lines,
        });
        if index == 4 {
            payload["state"] = json!("draft");
        }
        make(&mut tables, INVOICE, index, payload, rng);
    }
    let entries = 6 + extra(rng);
    for index in 0..entries {
        let value = amount(rng, 500_000);
        let debit = expense[rng.below(expense.len() as u64) as usize];
        let credit = accounts
            .iter()
            .find(|account| account["id"] == "2100")
            .unwrap_or(debit);
        let payload = json!({
            "glJournal": {"id": JOURNALS[index % JOURNALS.len()].0},
            "postingDate": date(2000 + rng.below(600)),
            "description": format!("Accrual {}", index + 1),
            "state": if index == 1 { "draft" } else { "posted" },
            "lines": [
                {"txnType": "debit", "txnAmount": value, "glAccount": reference(debit)},
                {"txnType": "credit", "txnAmount": value, "glAccount": reference(credit)},
            ],
        });
        make(&mut tables, JOURNAL_ENTRY, index, payload, rng);
    }
    for (object, table) in tables {
        if matches!(
            lookup_exact(object).map(|spec| spec.txn.is_some() || spec.owner.is_some()),
            Some(true)
        ) {
            data.insert(
                object,
                table
                    .records
                    .values()
                    .map(|stored| stored.value.clone())
                    .collect(),
            );
        }
    }
}
