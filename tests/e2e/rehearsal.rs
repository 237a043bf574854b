//! The `--env sandbox` rehearsal (docs/ci.md, "Rehearsing against a company that is not the
//! emulator's"): every example collection runs through `environments/sandbox.yaml` against an
//! in-process emulator whose seed is not 0 — other ids, keys, names and counts than the
//! embedded `--env local` company — with the credentials in the process environment and the
//! base URL given with `--var`. Every request passes, and every object's `totalCount` through
//! the query service is the same after the run as before it: the examples create what they read
//! and delete it again.

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::auth::{CLIENT_ID, CLIENT_SECRET, WS_USER};
use crate::support::{courier, examples, parts};

/// Every object the emulator serves (docs/emulator.md, "Objects").
const OBJECTS: &[&str] = &[
    "accounts-payable/vendor",
    "accounts-payable/bill",
    "accounts-payable/bill-line",
    "accounts-receivable/customer",
    "accounts-receivable/invoice",
    "accounts-receivable/invoice-line",
    "general-ledger/account",
    "general-ledger/journal",
    "general-ledger/journal-entry",
    "general-ledger/journal-entry-line",
    "company-config/department",
    "company-config/location",
    "company-config/employee",
    "company-config/entity",
    "company-config/user",
    "company-config/contact",
    "company-config/class",
    "projects/project",
];

struct Company {
    rt: tokio::runtime::Runtime,
    emulator: Option<courier_emulator::Emulator>,
    http: reqwest::Client,
}

impl Company {
    fn start(seed: u64) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let options = courier_emulator::EmulatorOptions {
            seed,
            ..courier_emulator::EmulatorOptions::default()
        };
        let emulator = rt.block_on(courier_emulator::start(options)).unwrap();
        courier_exec::client::install_crypto_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        Self {
            rt,
            emulator: Some(emulator),
            http,
        }
    }

    fn base_url(&self) -> String {
        self.emulator.as_ref().unwrap().base_url()
    }

    /// Every object's `totalCount`, read through the query service as a user would.
    fn counts(&self) -> BTreeMap<&'static str, u64> {
        let base = self.base_url();
        self.rt.block_on(async {
            let token: Value = serde_json::from_slice(
                &self
                    .http
                    .post(format!("{base}/oauth2/token"))
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", CLIENT_ID),
                        ("client_secret", CLIENT_SECRET),
                        ("username", WS_USER),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap(),
            )
            .unwrap();
            let token = token["access_token"].as_str().unwrap().to_owned();
            let mut counts = BTreeMap::new();
            for object in OBJECTS {
                let query = json!({"object": object, "fields": ["key"], "size": 1});
                let answer = self
                    .http
                    .post(format!("{base}/services/core/query"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(query.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 200, "query of {object}");
                let body: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
                let count = body["ia::meta"]["totalCount"].as_u64();
                counts.insert(*object, count.unwrap_or_else(|| panic!("{object}: {body}")));
            }
            counts
        })
    }
}

impl Drop for Company {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.rt.block_on(emulator.shutdown());
        }
    }
}

/// `courier run collections --env sandbox` (and `extra`) against `company`: exit code, stdout.
fn run_sandbox(company: &Company, extra: &[&str]) -> (i32, String, String) {
    let dir = examples();
    let out = courier(dir.path())
        .args(["run", "collections", "--env", "sandbox"])
        .args(extra)
        .arg("--var")
        .arg(format!("base_url={}", company.base_url()))
        .env("INTACCT_CLIENT_ID", CLIENT_ID)
        .env("INTACCT_CLIENT_SECRET", CLIENT_SECRET)
        .env("INTACCT_WS_USER", WS_USER)
        .output()
        .unwrap();
    parts(&out)
}

fn rehearse(seed: u64) {
    let company = Company::start(seed);
    let before = company.counts();
    let (code, stdout, stderr) = run_sandbox(&company, &[]);
    assert_eq!(code, 0, "seed {seed}:\n{stdout}\n{stderr}");
    assert!(stdout.contains(" 0 failed, 0 skipped"), "{stdout}");
    assert!(!stdout.contains("FAIL "), "{stdout}");
    let after = company.counts();
    assert_eq!(before, after, "seed {seed}: the run changed the company");
}

#[test]
fn every_example_passes_against_a_company_of_seed_7_and_leaves_its_counts_as_they_were() {
    rehearse(7);
}

#[test]
fn every_example_passes_against_a_company_of_seed_1234_and_leaves_its_counts_as_they_were() {
    rehearse(1234);
}

#[test]
fn the_two_companies_differ_from_the_embedded_one() {
    // The rehearsal means something only when the seeds move what a hard-coded example reads.
    let zero = Company::start(0).counts();
    for seed in [7, 1234] {
        assert_ne!(Company::start(seed).counts(), zero, "seed {seed}");
    }
}

#[test]
fn the_read_only_tag_selects_collections_that_only_read() {
    // What production may be given (docs/ci.md): no route that writes is ever called.
    let company = Company::start(7);
    let (code, stdout, stderr) = run_sandbox(&company, &["--tag", "read-only"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("PASS Vendor schema / the vendor matches its schema"),
        "{stdout}"
    );
    let routes = company.emulator.as_ref().unwrap().stats()["routes"].clone();
    let routes = routes.as_object().unwrap();
    assert!(
        routes.contains_key("POST /services/core/query"),
        "{routes:?}"
    );
    for route in routes.keys() {
        assert!(
            route.starts_with("GET ") || route == "POST /services/core/query",
            "a read-only collection called {route}: {routes:?}"
        );
    }
}
