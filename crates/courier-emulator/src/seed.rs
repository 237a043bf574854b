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

const COMPANIES: [&str; 16] = [
    "Northwind Traders",
    "Acme Supplies",
    "Globex Logistics",
    "Initech Office Products",
    "Umbrella Packaging",
    "Stark Components",
    "Wayne Freight",
    "Hooli Cloud Services",
    "Vandelay Industries",
    "Soylent Foods",
    "Tyrell Fabrication",
    "Cyberdyne Electronics",
    "Wonka Confectionery",
    "Gringotts Banking",
    "Oceanic Airlines",
    "Pied Piper Storage",
];

const CUSTOMERS: [&str; 14] = [
    "Blue Harbor Retail",
    "Summit Outdoor Co",
    "Maple Leaf Clinics",
    "Redwood Architects",
    "Silver Lake Hotels",
    "Granite State Schools",
    "Copperline Breweries",
    "Harborview Dental",
    "Evergreen Landscaping",
    "Lighthouse Media",
    "Pinecrest Realty",
    "Riverside Bakery",
    "Golden Gate Fitness",
    "Northstar Consulting",
];

const FIRST_NAMES: [&str; 16] = [
    "Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Lena", "Omar", "Priya", "Lucas", "Chloe",
    "Mateo", "Hana", "Felix", "Iris", "Tomas",
];

const LAST_NAMES: [&str; 16] = [
    "Nguyen",
    "Okafor",
    "Schmidt",
    "Rossi",
    "Tanaka",
    "Garcia",
    "Kowalski",
    "Haddad",
    "Silva",
    "Murphy",
    "Larsen",
    "Dubois",
    "Novak",
    "Patel",
    "Moreau",
    "Lindqvist",
];

const JOB_TITLES: [&str; 8] = [
    "Staff Accountant",
    "AP Specialist",
    "Controller",
    "Sales Manager",
    "Software Engineer",
    "Operations Analyst",
    "Marketing Lead",
    "Support Engineer",
];

const DEPARTMENTS: [&str; 6] = [
    "Finance",
    "Sales",
    "Engineering",
    "Operations",
    "Marketing",
    "Customer Success",
];

/// (number, name, balance sheet?, normal balance debit?)
const ACCOUNTS: [(&str, &str, bool, bool); 30] = [
    ("1000", "Cash - Operating", true, true),
    ("1010", "Cash - Payroll", true, true),
    ("1100", "Accounts Receivable", true, true),
    ("1150", "Allowance for Doubtful Accounts", true, false),
    ("1200", "Inventory", true, true),
    ("1300", "Prepaid Expenses", true, true),
    ("1500", "Furniture and Equipment", true, true),
    ("1550", "Accumulated Depreciation", true, false),
    ("2000", "Accounts Payable", true, false),
    ("2100", "Accrued Liabilities", true, false),
    ("2200", "Sales Tax Payable", true, false),
    ("2300", "Payroll Liabilities", true, false),
    ("2500", "Deferred Revenue", true, false),
    ("2700", "Long-term Debt", true, false),
    ("3000", "Common Stock", true, false),
    ("3100", "Retained Earnings", true, false),
    ("4000", "Product Revenue", false, false),
    ("4100", "Service Revenue", false, false),
    ("4200", "Subscription Revenue", false, false),
    ("4900", "Discounts Given", false, true),
    ("5000", "Cost of Goods Sold", false, true),
    ("5100", "Freight In", false, true),
    ("6000", "Salaries and Wages", false, true),
    ("6100", "Payroll Taxes", false, true),
    ("6200", "Rent", false, true),
    ("6300", "Utilities", false, true),
    ("6400", "Travel", false, true),
    ("6500", "Software Subscriptions", false, true),
    ("6600", "Professional Fees", false, true),
    ("6700", "Depreciation Expense", false, true),
];

/// (id, name, entity id)
const LOCATIONS: [(&str, &str, &str); 4] = [
    ("NYC", "New York", "US"),
    ("SFO", "San Francisco", "US"),
    ("LON", "London", "UK"),
    ("MAN", "Manchester", "UK"),
];

/// (key, id, name, currency)
const ENTITIES: [(&str, &str, &str, &str); 2] = [
    ("1", "US", "Courier US", "USD"),
    ("2", "UK", "Courier UK", "GBP"),
];

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

/// Put a record's fields in its object's field order and add `key`, `entity`, `audit` and
/// `href` where the object has them.
pub(crate) fn assemble(
    object: &'static str,
    key: &str,
    mut fields: Map<String, Value>,
    entity: &Value,
    audit: &Value,
) -> Value {
    let spec = crate::schema::lookup_exact(object);
    let mut out = Map::new();
    for field in spec.map_or(&[][..], |spec| spec.fields) {
        let value = match field.name {
            "key" => Value::String(key.to_owned()),
            "href" => Value::String(href(object, key)),
            "entity" => entity.clone(),
            "audit" => audit.clone(),
            name => fields.remove(name).unwrap_or(Value::Null),
        };
        out.insert(field.name.to_owned(), value);
    }
    Value::Object(out)
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

/// The dataset both scopes start from. `ws_user` is the Web Services user's id (the part of
/// the username before `@`), which names user 2.
fn base_dataset(seed: u64, ws_user: &str) -> Dataset {
    let mut rng = SplitMix::new(seed, 1);
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
        let key = (3 + index).to_string();
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
    for index in 0..12 {
        let key = (52 + index).to_string();
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
                ("id", json!(format!("E-{:04}", index + 1))),
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
    let vendors: Vec<Value> = (0..12)
        .map(|index| vendor(&mut rng, index, vendor_names[index]))
        .collect();

    let customer_names = rng.shuffled(&CUSTOMERS);
    let customers: Vec<Value> = (0..12)
        .map(|index| {
            let key = (12 + index).to_string();
            let name = customer_names[index];
            let entity = entity_for(index);
            let currency = if entity == Some("UK") { "GBP" } else { "USD" };
            let slug: String = name
                .to_lowercase()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            assemble(
                CUSTOMER,
                &key,
                fields(vec![
                    ("id", json!(format!("C-{:04}", index + 1))),
                    ("name", json!(name)),
                    (
                        "status",
                        json!(if index == 7 { "inactive" } else { "active" }),
                    ),
                    ("creditLimit", json!(money((10 + rng.below(90)) * 50_000))),
                    ("totalDue", json!(money(rng.below(5_000_000)))),
                    ("isOnHold", json!(rng.below(8) == 0)),
                    ("currency", json!(currency)),
                    ("emailAddress", json!(format!("ap@{slug}.example.com"))),
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
            account(&mut rng, 101 + index, number, name, *balance_sheet, *debit)
        })
        .collect();

    data.insert(DEPARTMENT, departments);
    data.insert(LOCATION, locations);
    data.insert(EMPLOYEE, employees);
    data.insert(VENDOR, vendors);
    data.insert(CUSTOMER, customers);
    data.insert(ACCOUNT, accounts);
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

fn vendor(rng: &mut SplitMix, index: usize, name: &str) -> Value {
    let key = (84 + index).to_string();
    assemble(
        VENDOR,
        &key,
        fields(vec![
            ("id", json!(format!("V-{:04}", index + 1))),
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
            ("creditLimit", json!(money((4 + rng.below(60)) * 120_000))),
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

/// A difference with the full record it adds, where it adds one.
struct Planned {
    difference: ScopeDifference,
    added: Option<Value>,
}

fn text(record: &Value, field: &str) -> String {
    record[field].as_str().unwrap_or_default().to_owned()
}

/// Plan the production company's differences from the base dataset. Which records change is
/// drawn from the seed; what kind of change each is stays the same for every seed.
fn plan(seed: u64, base: &Dataset) -> Vec<Planned> {
    let mut rng = SplitMix::new(seed, 2);
    let mut planned = Vec::new();
    let records = |object: &str| base.get(object).map_or(&[][..], Vec::as_slice);

    // A vendor renamed after an acquisition.
    let vendors = records(VENDOR);
    if let Some(vendor) = vendors.get(rng.below(vendors.len() as u64) as usize) {
        let name = text(vendor, "name");
        planned.push(Planned {
            difference: ScopeDifference {
                object: VENDOR,
                key: text(vendor, "key"),
                id: text(vendor, "id"),
                name: name.clone(),
                change: ScopeChange::Changed {
                    field: "name",
                    production: json!(format!("{name} Holdings")),
                    non_production: json!(name),
                },
            },
            added: None,
        });
    }

    // A vendor that only production has, appended after the shared keys.
    let mut vendor_rng = SplitMix::new(seed, 3);
    let used: Vec<String> = vendors.iter().map(|v| text(v, "name")).collect();
    let new_name = COMPANIES
        .iter()
        .find(|name| !used.iter().any(|u| u == *name))
        .copied()
        .unwrap_or("Production Only Vendor");
    let new_vendor = vendor(&mut vendor_rng, vendors.len(), new_name);
    planned.push(Planned {
        difference: ScopeDifference {
            object: VENDOR,
            key: text(&new_vendor, "key"),
            id: text(&new_vendor, "id"),
            name: new_name.to_owned(),
            change: ScopeChange::AddedInProduction,
        },
        added: Some(new_vendor),
    });

    // A customer with a raised credit limit, and another that production never had.
    let customers = records(CUSTOMER);
    let raised = rng.below(customers.len() as u64) as usize;
    let removed = (raised + 1 + rng.below(customers.len().saturating_sub(1) as u64) as usize)
        % customers.len().max(1);
    if let Some(customer) = customers.get(raised) {
        let limit = text(customer, "creditLimit");
        let cents: u64 = limit.replace('.', "").parse().unwrap_or(0);
        planned.push(Planned {
            difference: ScopeDifference {
                object: CUSTOMER,
                key: text(customer, "key"),
                id: text(customer, "id"),
                name: text(customer, "name"),
                change: ScopeChange::Changed {
                    field: "creditLimit",
                    non_production: json!(limit),
                    production: json!(money(cents * 2)),
                },
            },
            added: None,
        });
    }
    if let Some(customer) = customers.get(removed) {
        planned.push(Planned {
            difference: ScopeDifference {
                object: CUSTOMER,
                key: text(customer, "key"),
                id: text(customer, "id"),
                name: text(customer, "name"),
                change: ScopeChange::RemovedInProduction,
            },
            added: None,
        });
    }

    // A general-ledger account that only production has.
    let accounts = records(ACCOUNT);
    let mut account_rng = SplitMix::new(seed, 4);
    let new_account = account(
        &mut account_rng,
        101 + accounts.len(),
        "1900",
        "Intercompany Clearing",
        true,
        true,
    );
    planned.push(Planned {
        difference: ScopeDifference {
            object: ACCOUNT,
            key: text(&new_account, "key"),
            id: "1900".to_owned(),
            name: "Intercompany Clearing".to_owned(),
            change: ScopeChange::AddedInProduction,
        },
        added: Some(new_account),
    });

    // A department renamed for the production org chart.
    let departments = records(DEPARTMENT);
    if let Some(department) = departments.get(rng.below(departments.len() as u64) as usize) {
        let name = text(department, "name");
        planned.push(Planned {
            difference: ScopeDifference {
                object: DEPARTMENT,
                key: text(department, "key"),
                id: text(department, "id"),
                name: name.clone(),
                change: ScopeChange::Changed {
                    field: "name",
                    production: json!(format!("{name} (Global)")),
                    non_production: json!(name),
                },
            },
            added: None,
        });
    }

    // An employee who has left the production company.
    let employees = records(EMPLOYEE);
    let active: Vec<&Value> = employees
        .iter()
        .filter(|employee| employee["status"] == "active")
        .collect();
    if let Some(employee) = active.get(rng.below(active.len() as u64) as usize) {
        planned.push(Planned {
            difference: ScopeDifference {
                object: EMPLOYEE,
                key: text(employee, "key"),
                id: text(employee, "id"),
                name: text(employee, "name"),
                change: ScopeChange::Changed {
                    field: "status",
                    non_production: json!("active"),
                    production: json!("inactive"),
                },
            },
            added: None,
        });
    }
    planned
}

/// The documented differences between the two scopes for a seed, in table order.
pub fn scope_differences(seed: u64) -> Vec<ScopeDifference> {
    let base = base_dataset(seed, DEFAULT_WS_USER);
    plan(seed, &base)
        .into_iter()
        .map(|planned| planned.difference)
        .collect()
}

const DEFAULT_WS_USER: &str = "ci-bot";

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

fn cell(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => format!("`{other}`"),
    }
}

/// The README's table of the differences, generated from [`scope_differences`].
pub fn scope_differences_markdown(seed: u64) -> String {
    let mut out = String::from(
        "| object | key | id | difference | non-production | production |\n|---|---|---|---|---|---|\n",
    );
    for difference in scope_differences(seed) {
        let (what, left, right) = match &difference.change {
            ScopeChange::Changed {
                field,
                non_production,
                production,
            } => (
                format!("`{field}` changed"),
                cell(non_production),
                cell(production),
            ),
            ScopeChange::AddedInProduction => (
                "only in production".to_owned(),
                "—".to_owned(),
                format!("`{}`", difference.name),
            ),
            ScopeChange::RemovedInProduction => (
                "only in non-production".to_owned(),
                format!("`{}`", difference.name),
                "—".to_owned(),
            ),
        };
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` | {what} | {left} | {right} |",
            difference.object, difference.key, difference.id
        );
    }
    out
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
        let limit = data[VENDOR][0]["creditLimit"]
            .as_str()
            .expect("money is a string");
        assert!(limit.ends_with(".00") && limit.len() > 4, "{limit}");
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
