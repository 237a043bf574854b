//! The generated company: a deterministic dataset per (scope, seed), and the documented
//! differences between the non-production and the production company.
//!
//! Both scopes start from one base dataset made from the seed; the production company then
//! applies [`scope_differences`] to it, keeping the keys of the records both share and
//! appending its own. Everything comes from a SplitMix64 stream of our own, so the data cannot
//! change under us with a dependency's RNG.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::envelope::href;
use crate::options::Scope;
use crate::schema::{
    ACCOUNT, CUSTOMER, DEPARTMENT, EMPLOYEE, ENTITY_OBJECT, LOCATION, USER, VENDOR,
};

/// A small, stable PRNG (SplitMix64): the dataset must be the same on every run and every
/// version of our dependencies.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64, stream: u64) -> SplitMix {
        SplitMix(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// The items in an order drawn from the stream (Fisher–Yates).
    fn shuffled<T: Clone>(&mut self, items: &[T]) -> Vec<T> {
        let mut out = items.to_vec();
        for i in (1..out.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            out.swap(i, j);
        }
        out
    }
}

/// One record per object, in key order; objects in [`OBJECTS`] order.
pub(crate) type Dataset = BTreeMap<&'static str, Vec<Value>>;

/// How one record differs between the non-production and the production company.
#[derive(Debug, Clone, PartialEq)]
pub enum ScopeChange {
    /// A field holds another value in production.
    Changed {
        field: &'static str,
        non_production: Value,
        production: Value,
    },
    /// The record exists only in production (appended after the shared keys).
    AddedInProduction,
    /// The record exists only in non-production.
    RemovedInProduction,
}

/// A documented difference between the two scopes' datasets, for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeDifference {
    /// `application/object`.
    pub object: &'static str,
    pub key: String,
    pub id: String,
    /// The record's name (in the scope where it exists; the non-production one when changed).
    pub name: String,
    pub change: ScopeChange,
}

mod ledger;
mod names;
mod scopes;

use scopes::plan;
pub use scopes::{scope_differences, scope_differences_markdown};

use names::{
    ACCOUNTS, COMPANIES, CUSTOMERS, DEPARTMENTS, ENTITIES, FIRST_NAMES, JOB_TITLES, LAST_NAMES,
    LOCATIONS,
};

/// Money with two decimals from a number of cents, as Intacct writes it.
pub(crate) fn money(cents: u64) -> String {
    let mut out = String::new();
    let _ = write!(out, "{}.{:02}", cents / 100, cents % 100);
    out
}

fn datetime(minutes_since_2024: u64) -> String {
    let base = chrono::DateTime::from_timestamp(1_704_186_000, 0).unwrap_or_default(); // 2024-01-02T09:00:00Z
    let at = base + chrono::Duration::minutes(minutes_since_2024 as i64);
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn date(days_since_2018: u64) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2018, 1, 1).unwrap_or_default();
    (base + chrono::Duration::days(days_since_2018 as i64))
        .format("%Y-%m-%d")
        .to_string()
}

fn user_ref(key: &str, id: &str) -> Value {
    json!({"key": key, "id": id, "href": href(USER, key)})
}

/// The seeded audit block: created and last modified by the administrator.
fn audit(rng: &mut SplitMix) -> Value {
    let created = rng.below(200_000);
    let modified = created + rng.below(100_000);
    json!({
        "createdDateTime": datetime(created),
        "modifiedDateTime": datetime(modified),
        "createdBy": "1",
        "modifiedBy": "1",
        "createdByUser": user_ref("1", "Admin"),
        "modifiedByUser": user_ref("1", "Admin"),
    })
}

/// The `entity` member of a record: the entity's reference, or null members at top level.
pub(crate) fn entity_ref(entity: Option<(&str, &str, &str)>) -> Value {
    match entity {
        Some((key, id, name)) => {
            json!({"key": key, "id": id, "name": name, "href": href(ENTITY_OBJECT, key)})
        }
        None => json!({"key": null, "id": null, "name": null, "href": null}),
    }
}

fn entity_by_id(id: &str) -> Option<(&'static str, &'static str, &'static str)> {
    ENTITIES
        .iter()
        .find(|entity| entity.1 == id)
        .map(|(key, id, name, _)| (*key, *id, *name))
}

/// Put a record's fields in its object's field order, with `key`, `entity`, `audit` and
/// `href` where the object has them and the object's defaults for what is not given.
pub(crate) fn assemble(
    object: &'static str,
    key: &str,
    fields: Map<String, Value>,
    entity: &Value,
    audit: &Value,
) -> Value {
    match crate::schema::lookup_exact(object) {
        Some(spec) => crate::validate::complete(spec, key, fields, entity, audit),
        None => Value::Null,
    }
}

fn fields(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// The `{key, id, href}` reference to a seeded record (its own `href` is already relative).
fn reference(record: &Value) -> Value {
    json!({"key": record["key"], "id": record["id"], "href": record["href"]})
}

/// Where the numbering of each object starts and how many records it has. Seed 0 is the
/// company the examples and tests were written against; any other seed moves keys and ids
/// and changes the counts, so a collection that hard-codes them fails as it would on a real
/// company (docs/emulator.md, "Seeds").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub(crate) vendor_key: usize,
    pub(crate) vendor_id: usize,
    pub(crate) vendors: usize,
    pub(crate) customer_key: usize,
    pub(crate) customer_id: usize,
    pub(crate) customers: usize,
    pub(crate) employee_key: usize,
    pub(crate) employee_id: usize,
    pub(crate) employees: usize,
    pub(crate) department_key: usize,
    pub(crate) account_key: usize,
    /// Where the keys of contacts, classes, projects and transactions start.
    pub(crate) ledger_key: usize,
}

impl Layout {
    pub(crate) fn of(seed: u64) -> Layout {
        if seed == 0 {
            return Layout {
                vendor_key: 84,
                vendor_id: 1,
                vendors: 12,
                customer_key: 12,
                customer_id: 1,
                customers: 12,
                employee_key: 52,
                employee_id: 1,
                employees: 12,
                department_key: 3,
                account_key: 101,
                ledger_key: 1,
            };
        }
        let mut rng = SplitMix::new(seed, 7);
        let mut offset = |most: u64| 1 + rng.below(most) as usize;
        Layout {
            vendor_key: 10 + offset(900),
            vendor_id: offset(500),
            vendors: 7 + offset(9),
            customer_key: 10 + offset(900),
            customer_id: offset(500),
            customers: 7 + offset(7),
            employee_key: 10 + offset(900),
            employee_id: offset(500),
            employees: 5 + offset(11),
            department_key: 3 + offset(60),
            account_key: 100 + offset(400),
            ledger_key: offset(300),
        }
    }
}

/// The dataset both scopes start from. `ws_user` is the Web Services user's id (the part of
/// the username before `@`), which names user 2.
fn base_dataset(seed: u64, ws_user: &str) -> Dataset {
    let mut rng = SplitMix::new(seed, 1);
    let layout = Layout::of(seed);
    let mut data = Dataset::new();

    let entities: Vec<Value> = ENTITIES
        .iter()
        .map(|(key, id, name, currency)| {
            assemble(
                ENTITY_OBJECT,
                key,
                fields(vec![
                    ("id", json!(id)),
                    ("name", json!(name)),
                    ("status", json!("active")),
                    ("currency", json!(currency)),
                ]),
                &Value::Null,
                &audit(&mut rng),
            )
        })
        .collect();
    data.insert(ENTITY_OBJECT, entities);

    let users = vec![
        assemble(
            USER,
            "1",
            fields(vec![
                ("id", json!("Admin")),
                ("name", json!("Administrator")),
                ("status", json!("active")),
                ("userType", json!("business")),
            ]),
            &Value::Null,
            &Value::Null,
        ),
        assemble(
            USER,
            "2",
            fields(vec![
                ("id", json!(ws_user)),
                ("name", json!("Web Services user")),
                ("status", json!("active")),
                ("userType", json!("webServices")),
            ]),
            &Value::Null,
            &Value::Null,
        ),
    ];
    data.insert(USER, users);

    let department_names = rng.shuffled(&DEPARTMENTS);
    let mut departments: Vec<Value> = Vec::new();
    for (index, name) in department_names.iter().enumerate() {
        let key = (layout.department_key + index).to_string();
        // The first department is the root; two others report to it.
        let parent = if index == 1 || index == 2 {
            departments.first().map_or(Value::Null, reference)
        } else {
            Value::Null
        };
        departments.push(assemble(
            DEPARTMENT,
            &key,
            fields(vec![
                ("id", json!(format!("D{}", (index + 1) * 100))),
                ("name", json!(name)),
                ("status", json!("active")),
                ("parent", parent),
                ("reportTitle", json!(name)),
            ]),
            &entity_ref(None),
            &audit(&mut rng),
        ));
    }

    let locations: Vec<Value> = LOCATIONS
        .iter()
        .enumerate()
        .map(|(index, (id, name, entity))| {
            let key = (1 + index).to_string();
            let currency = if *entity == "US" { "USD" } else { "GBP" };
            assemble(
                LOCATION,
                &key,
                fields(vec![
                    ("id", json!(id)),
                    ("name", json!(name)),
                    ("status", json!("active")),
                    ("parent", Value::Null),
                    ("startDate", json!(date(rng.below(1500)))),
                    ("currency", json!(currency)),
                ]),
                &entity_ref(entity_by_id(entity)),
                &audit(&mut rng),
            )
        })
        .collect();

    let mut employees: Vec<Value> = Vec::new();
    let firsts = rng.shuffled(&FIRST_NAMES);
    let lasts = rng.shuffled(&LAST_NAMES);
    for index in 0..layout.employees {
        let key = (layout.employee_key + index).to_string();
        let location_index = rng.below(LOCATIONS.len() as u64) as usize;
        let location = &locations[location_index];
        let department = rng.pick(&departments).clone();
        let manager = match index {
            0 => Value::Null,
            1..=3 => reference(&employees[0]),
            _ => reference(&employees[1 + (index % 3)]),
        };
        let status = if rng.below(6) == 0 {
            "inactive"
        } else {
            "active"
        };
        employees.push(assemble(
            EMPLOYEE,
            &key,
            fields(vec![
                ("id", json!(format!("E-{:04}", index + layout.employee_id))),
                ("name", json!(format!("{} {}", firsts[index], lasts[index]))),
                ("status", json!(status)),
                ("jobTitle", json!(rng.pick(&JOB_TITLES))),
                ("startDate", json!(date(rng.below(2500)))),
                ("department", reference(&department)),
                ("location", reference(location)),
                ("manager", manager),
            ]),
            &entity_ref(entity_by_id(LOCATIONS[location_index].2)),
            &audit(&mut rng),
        ));
    }

    let vendor_names = rng.shuffled(&COMPANIES);
    let vendors: Vec<Value> = (0..layout.vendors)
        .map(|index| vendor(&mut rng, &layout, index, vendor_names[index]))
        .collect();

    let customer_names = rng.shuffled(&CUSTOMERS);
    let customers: Vec<Value> = (0..layout.customers)
        .map(|index| {
            let key = (layout.customer_key + index).to_string();
            let name = customer_names[index];
            let entity = entity_for(index);
            let currency = if entity == Some("UK") { "GBP" } else { "USD" };
            assemble(
                CUSTOMER,
                &key,
                fields(vec![
                    ("id", json!(format!("C-{:04}", index + layout.customer_id))),
                    ("name", json!(name)),
                    (
                        "status",
                        json!(if index == 7 { "inactive" } else { "active" }),
                    ),
                    ("creditLimit", json!((10 + rng.below(90)) * 500)),
                    ("totalDue", json!(money(rng.below(5_000_000)))),
                    ("isOnHold", json!(rng.below(8) == 0)),
                    ("currency", json!(currency)),
                ]),
                &entity_ref(entity.and_then(entity_by_id)),
                &audit(&mut rng),
            )
        })
        .collect();

    let accounts: Vec<Value> = ACCOUNTS
        .iter()
        .enumerate()
        .map(|(index, (number, name, balance_sheet, debit))| {
            account(
                &mut rng,
                layout.account_key + index,
                number,
                name,
                *balance_sheet,
                *debit,
            )
        })
        .collect();

    data.insert(DEPARTMENT, departments);
    data.insert(LOCATION, locations);
    data.insert(EMPLOYEE, employees);
    data.insert(VENDOR, vendors);
    data.insert(CUSTOMER, customers);
    data.insert(ACCOUNT, accounts);
    ledger::add(&mut data, seed, &layout);
    data
}

/// Records alternate between the two entities and the top level.
fn entity_for(index: usize) -> Option<&'static str> {
    match index % 3 {
        0 => Some("US"),
        1 => Some("UK"),
        _ => None,
    }
}

fn vendor(rng: &mut SplitMix, layout: &Layout, index: usize, name: &str) -> Value {
    let key = (layout.vendor_key + index).to_string();
    assemble(
        VENDOR,
        &key,
        fields(vec![
            ("id", json!(format!("V-{:04}", index + layout.vendor_id))),
            ("name", json!(name)),
            (
                "status",
                json!(if index == 5 { "inactive" } else { "active" }),
            ),
            (
                "taxId",
                json!(format!(
                    "{:02}-{:07}",
                    10 + rng.below(89),
                    rng.below(10_000_000)
                )),
            ),
            ("creditLimit", json!((4 + rng.below(60)) * 1_200)),
            ("totalDue", json!(money(rng.below(9_000_000)))),
            (
                "billingType",
                json!(if rng.below(3) == 0 {
                    "balanceForward"
                } else {
                    "openItem"
                }),
            ),
            (
                "paymentPriority",
                json!(rng.pick(&["low", "normal", "normal", "high", "urgent"])),
            ),
            ("isOnHold", json!(rng.below(7) == 0)),
            (
                "vendorAccountNumber",
                json!(format!("ACCT-{}", 10_000 + rng.below(90_000))),
            ),
        ]),
        &entity_ref(entity_for(index).and_then(entity_by_id)),
        &audit(rng),
    )
}

fn account(
    rng: &mut SplitMix,
    key: usize,
    number: &str,
    name: &str,
    balance_sheet: bool,
    debit: bool,
) -> Value {
    assemble(
        ACCOUNT,
        &key.to_string(),
        fields(vec![
            ("id", json!(number)),
            ("name", json!(name)),
            ("status", json!("active")),
            (
                "accountType",
                json!(if balance_sheet {
                    "balanceSheet"
                } else {
                    "incomeStatement"
                }),
            ),
            (
                "normalBalance",
                json!(if debit { "debit" } else { "credit" }),
            ),
            (
                "closingType",
                json!(if balance_sheet {
                    "nonClosingAccount"
                } else {
                    "closingAccount"
                }),
            ),
            ("isTaxable", json!(number.starts_with('4'))),
        ]),
        &entity_ref(None),
        &audit(rng),
    )
}

/// The company of a scope: the base dataset, with the production differences applied.
pub(crate) fn dataset(scope: Scope, seed: u64, ws_user: &str) -> Dataset {
    let mut data = base_dataset(seed, ws_user);
    if scope == Scope::Production {
        for planned in plan(seed, &data) {
            let difference = planned.difference;
            let Some(records) = data.get_mut(difference.object) else {
                continue;
            };
            match difference.change {
                ScopeChange::Changed {
                    field, production, ..
                } => {
                    if let Some(record) = records.iter_mut().find(|r| r["key"] == *difference.key) {
                        record[field] = production;
                    }
                }
                ScopeChange::AddedInProduction => records.extend(planned.added),
                ScopeChange::RemovedInProduction => {
                    records.retain(|record| record["key"] != *difference.key);
                }
            }
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::OBJECTS;

    #[test]
    fn the_dataset_is_large_enough_and_deterministic() {
        let data = dataset(Scope::NonProduction, 0, "ci-bot");
        let main_six = [VENDOR, CUSTOMER, ACCOUNT, DEPARTMENT, LOCATION, EMPLOYEE];
        let total: usize = main_six.iter().map(|object| data[object].len()).sum();
        assert!(total >= 60, "only {total} records");
        assert!(data[ACCOUNT].len() >= 25);
        assert_eq!(data[ENTITY_OBJECT].len(), 2);
        assert_eq!(data, dataset(Scope::NonProduction, 0, "ci-bot"));
        assert_ne!(data, dataset(Scope::NonProduction, 1, "ci-bot"));
        assert!(OBJECTS.iter().all(|spec| data.contains_key(spec.name)));
    }

    #[test]
    fn records_carry_string_keys_money_and_relative_hrefs() {
        let data = dataset(Scope::NonProduction, 42, "ci-bot");
        for (object, records) in &data {
            let mut previous = 0u64;
            for record in records {
                let key = record["key"].as_str().expect("keys are strings");
                let number: u64 = key.parse().expect("keys are digits");
                assert!(number > previous, "{object} keys ascend");
                previous = number;
                assert_eq!(record["href"], json!(format!("/objects/{object}/{key}")));
            }
        }
        // Typed per field: a credit limit is a JSON number, a total due a 2-decimal string.
        assert!(data[VENDOR][0]["creditLimit"].is_u64());
        let due = data[VENDOR][0]["totalDue"].as_str().expect("a string");
        assert_eq!(due.split_once('.').map(|(_, cents)| cents.len()), Some(2));
    }

    #[test]
    fn seed_zero_keeps_its_company_and_other_seeds_move_keys_ids_and_counts() {
        let zero = dataset(Scope::NonProduction, 0, "ci-bot");
        assert_eq!(zero[VENDOR].len(), 12);
        assert_eq!(zero[VENDOR][0]["key"], "84");
        assert_eq!(zero[VENDOR][0]["id"], "V-0001");
        assert_eq!(zero[CUSTOMER][1]["key"], "13");
        assert_eq!(zero[CUSTOMER][1]["id"], "C-0002");
        assert_eq!(zero[EMPLOYEE][0]["key"], "52");
        let mut counts = std::collections::BTreeSet::new();
        for seed in 1..=6 {
            let other = dataset(Scope::NonProduction, seed, "ci-bot");
            assert_ne!(
                other[VENDOR][0]["key"], zero[VENDOR][0]["key"],
                "seed {seed}"
            );
            assert_ne!(other[VENDOR][0]["id"], zero[VENDOR][0]["id"], "seed {seed}");
            assert_ne!(
                other[CUSTOMER][0]["key"], zero[CUSTOMER][0]["key"],
                "seed {seed}"
            );
            counts.insert((
                other[VENDOR].len(),
                other[CUSTOMER].len(),
                other[EMPLOYEE].len(),
            ));
        }
        assert!(counts.len() > 1, "counts vary with the seed: {counts:?}");
    }

    #[test]
    fn differences_are_modest_and_seed_dependent() {
        let differences = scope_differences(0);
        assert!((4..=8).contains(&differences.len()));
        assert_ne!(differences, scope_differences(9));
    }

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(2_880_000), "28800.00");
        assert_eq!(money(5), "0.05");
    }
}
