//! Running collections against a fresh emulator and collecting what the executor reported.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};

use courier_core::plan::{Plan, PlanOptions, Purpose};
use courier_core::secret::Secrets;
use courier_core::template::{VarMap, json_to_value};
use courier_emulator::EmulatorOptions;
use courier_events::{Event, Outcome, RequestResult};
use courier_exec::runner::{self, RunInput, RunOptions, RunTotals};

/// An environment with the embedded emulator and the OAuth profile `intacct` that the
/// built-in `local` environment has.
const ENVIRONMENT: &str = r#"scope: non-production
emulator: { kind: intacct }
auth:
  intacct:
    type: oauth2
    grant: client_credentials
    token_url: "{{ base_url }}/oauth2/token"
    client_id: "{{ client_id }}"
    client_secret: "{{ client_secret }}"
    token_params: { username: "{{ ws_user }}" }
"#;

/// What a run reported.
pub(crate) struct Ran {
    pub(crate) results: Vec<Arc<RequestResult>>,
    pub(crate) totals: RunTotals,
}

impl Ran {
    /// `(request, outcome, skip reason)` per reported request, in the order reported.
    pub(crate) fn lines(&self) -> Vec<(String, Outcome, Option<String>)> {
        self.results
            .iter()
            .map(|r| (r.name().to_owned(), r.outcome, r.skip_reason.clone()))
            .collect()
    }

    pub(crate) fn of(&self, name: &str) -> &RequestResult {
        self.results
            .iter()
            .find(|r| r.name() == name)
            .unwrap_or_else(|| panic!("no result for `{name}` in {:#?}", self.lines()))
    }
}

/// Runs `collections` (file name, YAML) in file order with `options` against an emulator
/// started with `emulator` (port 0 and the defaults otherwise).
pub(crate) fn run(
    collections: &[(&str, &str)],
    emulator: EmulatorOptions,
    options: RunOptions,
) -> Ran {
    let dir = tempfile::tempdir().expect("tempdir");
    let collections_dir = dir.path().join("collections");
    std::fs::create_dir_all(&collections_dir).expect("mkdir");
    for (name, yaml) in collections {
        std::fs::write(collections_dir.join(name), yaml).expect("write collection");
    }
    let env_path = dir.path().join("test-env.yaml");
    std::fs::write(&env_path, ENVIRONMENT).expect("write environment");
    let env_arg = env_path.display().to_string();
    let paths: Vec<PathBuf> = vec![collections_dir];
    let dotenv = HashMap::new();
    let plan = Plan::build(&PlanOptions {
        read_only: options.read_only,
        ..PlanOptions::new(Purpose::Run, &paths, Some(&env_arg), &dotenv)
    })
    .unwrap_or_else(|d| {
        let shown: Vec<String> = d
            .iter()
            .map(courier_core::diag::Diagnostic::render)
            .collect();
        panic!("the plan failed:\n{}", shown.join("\n"))
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let emulator = courier_emulator::start(EmulatorOptions {
            port: 0,
            ..emulator
        })
        .await
        .expect("the emulator starts");
        let creds = emulator.credentials();
        let text = |s: &str| json_to_value(&serde_json::Value::String(s.to_owned()));
        let mut variables = VarMap::new();
        variables.insert("base_url".into(), text(&emulator.base_url()));
        variables.insert("client_id".into(), text(&creds.client_id));
        variables.insert("client_secret".into(), text(&creds.client_secret));
        variables.insert("ws_user".into(), text(&creds.username));
        let input = RunInput {
            environment: plan
                .environment
                .clone()
                .expect("a run's plan has its environment"),
            collections: plan.collections,
            cli_vars: Vec::new(),
            dotenv,
            secrets: Secrets::new(),
            options,
            emulator_variables: Some(variables),
        };
        let (tx, rx) = mpsc::channel();
        let totals = runner::run(input, tx).await.expect("the run starts");
        emulator.shutdown().await;
        let results = rx
            .try_iter()
            .filter_map(|e| match e {
                Event::RequestFinished(r) => Some(r),
                _ => None,
            })
            .collect();
        Ran { results, totals }
    })
}
