//! `courier validate`: load and compile every collection and environment file, and report
//! every problem with its position. Sends nothing, starts no emulator.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;

use courier_core::plan::{Plan, PlanOptions, Purpose};
use courier_events::Exit;

use super::common::{paths_or_default, print_diagnostics};
use super::error::{CliError, CliResult};

/// Check collections and environments without sending anything.
///
/// Loads every collection under PATHS and compiles every template, JSONPath and regex in
/// it; checks that every variable has a source and that auth profiles exist; lints every
/// environment file in the `environments/` folders that `--env` would search. Every problem is
/// reported with `file:line:col`, the line and a caret — all of them, not just the first.
///
/// Without `--env`, variables that no collection, capture or `--var` defines are taken to
/// come from an environment and listed.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier validate\n  courier validate collections/vendors-crud.yaml --env sandbox\n\nExit codes: 0 no problems; 2 problems found."
)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) color: super::common::ColorArg,
    /// Collection files or folders (default: `collections`).
    pub(crate) paths: Vec<PathBuf>,
    /// Check variables and auth profiles against this environment (a name or a file).
    #[arg(long, env = "COURIER_ENV", value_name = "NAME")]
    pub(crate) env: Option<String>,
    /// Define a variable, as a run would (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::common::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
}

pub(crate) fn run(args: &ValidateArgs) -> CliResult {
    let paths = paths_or_default(&args.paths);
    let dotenv = HashMap::new();
    let options = PlanOptions {
        vars: &args.vars,
        ..PlanOptions::new(Purpose::Validate, &paths, args.env.as_deref(), &dotenv)
    };
    let (plan, diags) = Plan::check(&options);
    // Nothing found to check: the discovery error alone.
    if plan.files.is_empty() {
        return Err(CliError::input(diags));
    }
    let collections = plan.checked_collections;
    let requests = plan.checked_requests;
    let env_count = plan.environment_files;
    let expected: Vec<(String, String)> = plan
        .expected_from_env
        .iter()
        .map(|(name, loc)| (name.clone(), loc.short()))
        .collect();

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.env.is_none() && !expected.is_empty() {
        let _ = writeln!(out, "variables expected from an environment:");
        for (name, at) in &expected {
            let _ = writeln!(out, "  {name} (first used at {at})");
        }
    }
    if diags.is_empty() {
        let _ = writeln!(
            out,
            "{} collection{}, {requests} request{}, {env_count} environment file{}: no problems found",
            collections,
            plural(collections),
            plural(requests),
            plural(env_count)
        );
        Ok(Exit::Success)
    } else {
        drop(out);
        print_diagnostics(&diags);
        eprintln!("{} problem{} found", diags.len(), plural(diags.len()));
        Ok(Exit::Invalid)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
