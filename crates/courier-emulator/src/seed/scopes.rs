//! The documented differences between the non-production and the production company, and
//! the README's table of them.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{
    ACCOUNT, COMPANIES, CUSTOMER, DEPARTMENT, Dataset, EMPLOYEE, Layout, ScopeChange,
    ScopeDifference, SplitMix, VENDOR, account, base_dataset, vendor,
};

/// A difference with the full record it adds, where it adds one.
pub(super) struct Planned {
    pub(super) difference: ScopeDifference,
    pub(super) added: Option<Value>,
}

impl Planned {
    /// A difference on an existing record of `object`, named by the record's key, id and name.
    fn on(object: &'static str, record: &Value, change: ScopeChange) -> Self {
        Planned {
            difference: ScopeDifference {
                object,
                key: text(record, "key"),
                id: text(record, "id"),
                name: text(record, "name"),
                change,
            },
            added: None,
        }
    }
}

fn text(record: &Value, field: &str) -> String {
    record[field].as_str().unwrap_or_default().to_owned()
}

/// Plan the production company's differences from the base dataset. Which records change is
/// drawn from the seed; what kind of change each is stays the same for every seed.
pub(super) fn plan(seed: u64, base: &Dataset) -> Vec<Planned> {
    let mut rng = SplitMix::new(seed, 2);
    let mut planned = Vec::new();
    let records = |object: &str| base.get(object).map_or(&[][..], Vec::as_slice);

    // A vendor renamed after an acquisition.
    let vendors = records(VENDOR);
    if let Some(vendor) = vendors.get(rng.below(vendors.len() as u64) as usize) {
        let name = text(vendor, "name");
        planned.push(Planned::on(
            VENDOR,
            vendor,
            ScopeChange::Changed {
                field: "name",
                production: json!(format!("{name} Holdings")),
                non_production: json!(name),
            },
        ));
    }

    // A vendor that only production has, appended after the shared keys.
    let mut vendor_rng = SplitMix::new(seed, 3);
    let used: Vec<String> = vendors.iter().map(|v| text(v, "name")).collect();
    let new_name = COMPANIES
        .iter()
        .find(|name| !used.iter().any(|u| u == *name))
        .copied()
        .unwrap_or("Production Only Vendor");
    let new_vendor = vendor(&mut vendor_rng, &Layout::of(seed), vendors.len(), new_name);
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
        let limit = customer["creditLimit"].as_u64().unwrap_or(0);
        planned.push(Planned::on(
            CUSTOMER,
            customer,
            ScopeChange::Changed {
                field: "creditLimit",
                non_production: json!(limit),
                production: json!(limit * 2),
            },
        ));
    }
    if let Some(customer) = customers.get(removed) {
        planned.push(Planned::on(
            CUSTOMER,
            customer,
            ScopeChange::RemovedInProduction,
        ));
    }

    // A general-ledger account that only production has.
    let accounts = records(ACCOUNT);
    let mut account_rng = SplitMix::new(seed, 4);
    let new_account = account(
        &mut account_rng,
        accounts
            .last()
            .and_then(|last| last["key"].as_str())
            .and_then(|key| key.parse::<usize>().ok())
            .map_or(1, |key| key + 1),
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
        planned.push(Planned::on(
            DEPARTMENT,
            department,
            ScopeChange::Changed {
                field: "name",
                production: json!(format!("{name} (Global)")),
                non_production: json!(name),
            },
        ));
    }

    // An employee who has left the production company.
    let employees = records(EMPLOYEE);
    let active: Vec<&Value> = employees
        .iter()
        .filter(|employee| employee["status"] == "active")
        .collect();
    if let Some(employee) = active.get(rng.below(active.len() as u64) as usize) {
        planned.push(Planned::on(
            EMPLOYEE,
            employee,
            ScopeChange::Changed {
                field: "status",
                non_production: json!("active"),
                production: json!("inactive"),
            },
        ));
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
