//! Transactions with lines, contacts, classes and projects, typed fields on the wire, and the
//! seeded company per seed (docs/emulator.md, "Transactions", "Field types", "Seeds").

use courier_emulator::{EmulatorOptions, Scope};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{Harness, error_of};

const BILLS: &str = "/objects/accounts-payable/bill";
const INVOICES: &str = "/objects/accounts-receivable/invoice";
const ENTRIES: &str = "/objects/general-ledger/journal-entry";

async fn count(harness: &Harness, token: &str, object: &str) -> u64 {
    let (status, body) = harness
        .query(token, json!({"object": object, "fields": ["count:key"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["ia::result"][0]["count:key"]
        .as_u64()
        .expect("a count")
}

#[tokio::test]
async fn a_bill_keeps_its_lines_as_records_and_totals_them() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let payload = json!({"vendor": {"id": "V-0002"}, "billNumber": "EXP-42",
        "createdDate": "2026-03-01", "dueDate": "2026-03-31",
        "lines": [{"glAccount": {"id": "6200"}, "txnAmount": "90", "memo": "Taxi",
                   "dimensions": {"department": {"id": "D200"}, "location": {"id": "NYC"}}},
                  {"glAccount": {"id": "6400"}, "txnAmount": 10.5}]});
    let (status, created) = harness
        .call(Method::POST, BILLS, &token, Some(payload))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let href = created["ia::result"]["href"].as_str().expect("href");
    let (_, body) = harness.get(href, &token).await;
    let bill = &body["ia::result"];
    assert_eq!(bill["state"], "posted");
    assert_eq!(bill["totalTxnAmount"], "100.50");
    assert_eq!(bill["totalTxnAmountDue"], "100.50");
    assert_eq!(bill["dueInDays"], "30", "a string on bills");
    assert_eq!(bill["recordType"], "pi");
    assert!(bill["vendor"]["name"].is_string(), "{}", bill["vendor"]);
    let lines = bill["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["lineNumber"], "1", "a string on bill lines");
    assert_eq!(lines[0]["txnAmount"], "90.00");
    assert_eq!(lines[0]["bill"]["key"], bill["key"]);
    assert_eq!(lines[0]["glAccount"]["name"], "Rent");
    assert_eq!(lines[0]["dimensions"]["location"]["name"], "New York");
    // The line is a record of its own, queryable by its owner.
    let (status, rows) = harness
        .query(
            &token,
            json!({"object": "accounts-payable/bill-line",
            "fields": ["key", "lineNumber", "txnAmount", "glAccount.id"],
            "filters": [{"$eq": {"bill.key": bill["key"]}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows["ia::meta"]["totalCount"], 2, "{rows}");
    // A line posted on its own joins the bill and its totals.
    let (status, _) = harness
        .call(Method::POST, "/objects/accounts-payable/bill-line", &token,
            Some(json!({"bill": {"key": bill["key"]}, "glAccount": {"id": "6300"}, "txnAmount": "4.50"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = harness.get(href, &token).await;
    assert_eq!(body["ia::result"]["totalTxnAmount"], "105.00");
    assert_eq!(body["ia::result"]["lines"][2]["lineNumber"], "3");
    // State moves only through workflows.
    let (status, body) = harness
        .call(Method::PATCH, href, &token, Some(json!({"state": "paid"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_of(&body)["details"][0]["target"], "/state");
    // A line of a bad payload is named by its pointer.
    let (status, body) = harness
        .call(
            Method::POST,
            BILLS,
            &token,
            Some(json!({"vendor": {"id": "V-0002"},
            "createdDate": "2026-03-01", "dueDate": "2026-03-31",
            "lines": [{"glAccount": {"id": "6200"}, "txnAmount": "1.00", "memo2": "x"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["details"][0]["target"], "/lines/0/memo2");
}

#[tokio::test]
async fn invoices_type_due_in_days_as_an_integer_and_take_only_draft_on_create() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let body = |extra: Value| {
        let mut payload = json!({"customer": {"id": "C-0002"}, "invoiceDate": "2026-03-01",
            "dueDate": "2026-03-16", "lines": [{"txnAmount": "63.75", "glAccount": {"id": "4000"}}]});
        for (key, value) in extra.as_object().expect("object") {
            payload[key] = value.clone();
        }
        payload
    };
    let (status, created) = harness
        .call(Method::POST, INVOICES, &token, Some(body(json!({}))))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (_, read) = harness
        .get(
            created["ia::result"]["href"].as_str().expect("href"),
            &token,
        )
        .await;
    let invoice = &read["ia::result"];
    assert_eq!(invoice["dueInDays"], 15);
    assert_eq!(invoice["lines"][0]["lineNumber"], 1);
    assert_eq!(invoice["totalTxnAmount"], "63.75");
    assert_eq!(invoice["state"], "posted");
    assert_eq!(invoice["moduleKey"], "accountsReceivable");
    assert!(
        invoice.get("action").is_none(),
        "write-only fields are never returned"
    );
    let (status, created) = harness
        .call(
            Method::POST,
            INVOICES,
            &token,
            Some(body(json!({"action": "draft"}))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, read) = harness
        .get(
            created["ia::result"]["href"].as_str().expect("href"),
            &token,
        )
        .await;
    assert_eq!(read["ia::result"]["state"], "draft");
    let (status, refused) = harness
        .call(
            Method::POST,
            INVOICES,
            &token,
            Some(body(json!({"state": "posted"}))),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(&refused)["details"][0]["target"], "/state");
    // Write-only fields cannot be queried, in fields or filters.
    for query in [
        json!({"object": "accounts-receivable/invoice", "fields": ["key", "createAPBill"]}),
        json!({"object": "accounts-receivable/invoice", "filters": [{"$eq": {"action": "draft"}}]}),
    ] {
        let (status, body) = harness.query(&token, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(error_of(&body)["errorId"], "REST-1106");
    }
}

#[tokio::test]
async fn journal_entries_must_balance_and_nothing_is_written_when_they_do_not() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let before = count(&harness, &token, "general-ledger/journal-entry-line").await;
    let entries = count(&harness, &token, "general-ledger/journal-entry").await;
    let line = |kind: &str, amount: &str, account: &str| json!({"txnType": kind, "txnAmount": amount, "glAccount": {"id": account}});
    let (status, body) = harness
        .call(
            Method::POST,
            ENTRIES,
            &token,
            Some(json!({"glJournal": {"id": "EJ"},
            "postingDate": "2026-03-31",
            "lines": [line("debit", "250.00", "6000"), line("credit", "200.00", "2000")]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error = error_of(&body);
    assert_eq!(error["code"], "operationFailed");
    let targets: Vec<&str> = error["details"]
        .as_array()
        .expect("details")
        .iter()
        .filter_map(|detail| detail["target"].as_str())
        .collect();
    assert_eq!(targets, ["/lines/0", "/lines/1"]);
    assert!(
        error["message"].as_str().unwrap_or("").contains("250.00"),
        "{error}"
    );
    let (status, _) = harness
        .call(
            Method::POST,
            ENTRIES,
            &token,
            Some(json!({"glJournal": {"id": "EJ"},
            "postingDate": "2026-03-31", "lines": [line("debit", "250.00", "6000")]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a credit line is needed"
    );
    assert_eq!(
        count(&harness, &token, "general-ledger/journal-entry").await,
        entries
    );
    assert_eq!(
        count(&harness, &token, "general-ledger/journal-entry-line").await,
        before
    );

    let (status, created) = harness
        .call(
            Method::POST,
            ENTRIES,
            &token,
            Some(json!({"glJournal": {"id": "EJ"},
            "postingDate": "2026-03-31", "state": "draft",
            "lines": [line("debit", "250.00", "6000"), line("credit", "250.00", "2000")]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let href = created["ia::result"]["href"]
        .as_str()
        .expect("href")
        .to_owned();
    let (_, read) = harness.get(&href, &token).await;
    let entry = &read["ia::result"];
    assert_eq!(entry["state"], "draft");
    assert!(entry["txnNumber"].is_u64());
    assert_eq!(entry["glJournal"]["name"], "Expense Journal");
    assert_eq!(entry["lines"][1]["lineNumber"], 2);
    let credit_key = entry["lines"][1]["key"].clone();
    // State is fixed after create; a line change that unbalances is refused and undone.
    let (status, _) = harness
        .call(
            Method::PATCH,
            &href,
            &token,
            Some(json!({"state": "posted"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = harness
        .call(
            Method::PATCH,
            &href,
            &token,
            Some(json!({"lines": [{"key": credit_key, "txnAmount": "1.00"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, read) = harness.get(&href, &token).await;
    assert_eq!(read["ia::result"]["lines"][1]["txnAmount"], "250.00");
    // Patching both sides, adding a balanced pair and deleting a line by key all work.
    let debit_key = read["ia::result"]["lines"][0]["key"].clone();
    let (status, body) = harness
        .call(
            Method::PATCH,
            &href,
            &token,
            Some(json!({"description": "Fixed", "lines": [
            {"key": debit_key, "txnAmount": "300.00"},
            {"key": credit_key, "txnAmount": "300.00"},
            line("debit", "5.00", "6100"), line("credit", "5.00", "2000")]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, read) = harness.get(&href, &token).await;
    assert_eq!(
        read["ia::result"]["lines"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(read["ia::result"]["description"], "Fixed");
    let (status, _) = harness
        .call(
            Method::DELETE,
            &format!(
                "/objects/general-ledger/journal-entry-line/{}",
                credit_key.as_str().expect("key")
            ),
            &token,
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "deleting a side unbalances"
    );
    let (status, _) = harness.call(Method::DELETE, &href, &token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        count(&harness, &token, "general-ledger/journal-entry-line").await,
        before
    );
}

#[tokio::test]
async fn contacts_hold_e_mail_and_customers_point_at_them() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let (_, body) = harness
        .get("/objects/accounts-receivable/customer/13", &token)
        .await;
    let customer = &body["ia::result"];
    assert!(customer.get("emailAddress").is_none());
    assert!(
        customer["creditLimit"].is_u64(),
        "{}",
        customer["creditLimit"]
    );
    assert_eq!(customer["discountPercent"], Value::Null);
    let email = customer["contacts"]["default"]["email1"]
        .as_str()
        .expect("an e-mail");
    assert!(email.ends_with(".example.com"), "{email}");
    let (status, rows) = harness
        .query(
            &token,
            json!({"object": "customer", "fields": ["id", "contacts.default.email1"],
            "filters": [{"$eq": {"contacts.default.email1": email}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        rows["ia::result"],
        json!([{"id": "C-0002", "contacts.default.email1": email}])
    );
    let (status, body) = harness
        .call(
            Method::POST,
            "/objects/accounts-receivable/customer",
            &token,
            Some(json!({"id": "C-NEW", "name": "New", "emailAddress": "a@b.c"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body)["details"][0]["target"], "/emailAddress");
    assert_eq!(error_of(&body)["details"][0]["errorId"], "REST-1043");
    // Contacts, classes and projects are created, read and queried like the rest.
    for (path, payload) in [
        (
            "/objects/company-config/contact",
            json!({"id": "Pat Doe", "email1": "pat@example.com",
            "mailingAddress": {"city": "Leeds"}}),
        ),
        (
            "/objects/company-config/class",
            json!({"id": "CL-NEW", "name": "New class",
            "parent": {"id": "CL-RETAIL"}}),
        ),
        (
            "/objects/projects/project",
            json!({"id": "P-NEW", "name": "New project",
            "customer": {"id": "C-0003"}, "startDate": "2026-01-01"}),
        ),
    ] {
        let (status, created) = harness
            .call(Method::POST, path, &token, Some(payload))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
        let (status, _) = harness
            .get(
                created["ia::result"]["href"].as_str().expect("href"),
                &token,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, rows) = harness
        .query(
            &token,
            json!({"object": "company-config/class", "fields": ["id", "parent.name"],
            "filters": [{"$eq": {"id": "CL-NEW"}}]}),
        )
        .await;
    assert_eq!(
        rows["ia::result"],
        json!([{"id": "CL-NEW", "parent.name": "Retail"}])
    );
    let (_, rows) = harness
        .query(
            &token,
            json!({"object": "company-config/contact", "fields": ["id", "mailingAddress.city"],
            "filters": [{"$eq": {"mailingAddress.city": "Leeds"}}]}),
        )
        .await;
    assert_eq!(
        rows["ia::result"],
        json!([{"id": "Pat Doe", "mailingAddress.city": "Leeds"}])
    );
}

#[tokio::test]
async fn filter_expression_shortcuts_has_and_date_macros() {
    let harness = Harness::default().await;
    let token = harness.token().await;
    let ids = |body: &Value| -> Vec<String> {
        body["ia::result"]
            .as_array()
            .expect("rows")
            .iter()
            .filter_map(|row| row["id"].as_str().map(str::to_owned))
            .collect()
    };
    let filters = json!([{"$eq": {"id": "V-0001"}}, {"$eq": {"id": "V-0002"}}]);
    let (status, any) = harness
        .query(&token, json!({"object": "vendor", "fields": ["id"], "filters": filters, "filterExpression": "or"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{any}");
    assert_eq!(ids(&any), ["V-0001", "V-0002"]);
    let (_, all) = harness
        .query(&token, json!({"object": "vendor", "fields": ["id"], "filters": filters, "filterExpression": "and"}))
        .await;
    assert!(ids(&all).is_empty());
    let (status, has) = harness
        .query(
            &token,
            json!({"object": "vendor", "fields": ["id"], "filters": [{"$has": {"id": "V-0003"}}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&has), ["V-0003"]);
    // Invoices dated in the month before asOfDate, by macro and by explicit range.
    let (_, rows) = harness
        .query(&token, json!({"object": "accounts-receivable/invoice", "fields": ["invoiceDate"], "size": 4000}))
        .await;
    let dates: Vec<String> = rows["ia::result"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|row| row["invoiceDate"].as_str().map(str::to_owned))
        .collect();
    let some = &dates[0];
    let as_of = format!("{}-15", month_after(&some[..7]));
    let month = &some[..7];
    let expected = dates.iter().filter(|date| date.starts_with(month)).count();
    let (status, macro_rows) = harness
        .query(
            &token,
            json!({"object": "accounts-receivable/invoice", "fields": ["invoiceDate"],
            "filters": [{"$eq": {"invoiceDate": "priorMonth"}}],
            "filterParameters": {"asOfDate": as_of}, "size": 4000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{macro_rows}");
    assert_eq!(
        macro_rows["ia::meta"]["totalCount"], expected,
        "{macro_rows}"
    );
    assert!(expected >= 1);
    let (_, later) = harness
        .query(
            &token,
            json!({"object": "accounts-receivable/invoice", "fields": ["invoiceDate"],
            "filters": [{"$gt": {"invoiceDate": "priorMonth"}}],
            "filterParameters": {"asOfDate": as_of}, "size": 4000}),
        )
        .await;
    let later_expected = dates
        .iter()
        .filter(|date| date.as_str() > format!("{month}-31").as_str())
        .count();
    assert_eq!(later["ia::meta"]["totalCount"], later_expected);
}

/// `YYYY-MM` of the month after `YYYY-MM`.
fn month_after(month: &str) -> String {
    let (year, month) = month.split_once('-').expect("YYYY-MM");
    let (year, month): (u32, u32) = (year.parse().expect("year"), month.parse().expect("month"));
    if month == 12 {
        format!("{}-01", year + 1)
    } else {
        format!("{year}-{:02}", month + 1)
    }
}

async fn vendors(harness: &Harness, token: &str) -> Vec<Value> {
    let (_, body) = harness.get("/objects/accounts-payable/vendor", token).await;
    body["ia::result"].as_array().expect("rows").clone()
}

#[tokio::test]
async fn another_seed_moves_keys_ids_and_counts_and_seed_zero_does_not() {
    let zero = Harness::scoped(Scope::NonProduction, 0).await;
    let token = zero.token().await;
    let vendors_zero = vendors(&zero, &token).await;
    assert_eq!(vendors_zero.len(), 12);
    assert_eq!(vendors_zero[0]["key"], "84");
    assert_eq!(vendors_zero[0]["id"], "V-0001");
    let mut counts = std::collections::BTreeSet::new();
    for seed in [3, 11] {
        let other = Harness::start(EmulatorOptions {
            seed,
            ..EmulatorOptions::default()
        })
        .await;
        let token = other.token().await;
        let vendors = vendors(&other, &token).await;
        assert_ne!(vendors[0]["key"], "84", "seed {seed}");
        assert_ne!(vendors[0]["id"], "V-0001", "seed {seed}");
        counts.insert(vendors.len());
    }
    counts.insert(12);
    assert!(
        counts.len() > 1,
        "the number of vendors changes with the seed"
    );
}
