//! `courier validate`: load and compile every collection and environment file, and report
//! every problem with its position. Sends nothing, starts no emulator.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;

use courier_core::diag::Diagnostic;
use courier_core::load::{self, EnvSource};
use courier_core::model::Environment;
use courier_core::plan;
use courier_report::contract::Exit;

use super::common::{discover, paths_or_default, print_diagnostics};

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
    after_help = "Examples:\n  courier validate\n  courier validate collections/vendors.yaml --env sandbox\n\nExit codes: 0 no problems; 2 problems found."
)]
pub(crate) struct ValidateArgs {
    /// Collection files or folders (default: `collections`).
    pub(crate) paths: Vec<PathBuf>,
    /// Check variables and auth profiles against this environment (a name or a file).
    #[arg(long, env = "COURIER_ENV", value_name = "NAME")]
    pub(crate) env: Option<String>,
    /// Define a variable, as a run would (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::common::parse_var)]
    pub(crate) vars: Vec<(String, String)>,
}

pub(crate) fn run(args: &ValidateArgs) -> Exit {
    let paths = paths_or_default(&args.paths);
    let mut diags: Vec<Diagnostic> = Vec::new();
    let files = match discover(&paths) {
        Ok(f) => f,
        Err(d) => {
            print_diagnostics(&d);
            return Exit::Invalid;
        }
    };
    let (collections, mut load_diags) = load::load_all(&files);
    diags.append(&mut load_diags);

    let cli: BTreeSet<String> = args.vars.iter().map(|(k, _)| k.clone()).collect();
    let first = paths.first().map(PathBuf::as_path);

    // Lint every environment file that `--env` resolution would search.
    let mut linted: Vec<PathBuf> = Vec::new();
    let mut env_count = 0;
    for dir in load::environment_dirs(first) {
        for file in load::environment_files(&dir) {
            env_count += 1;
            match load::load_environment(&EnvSource::File(file.clone())) {
                Ok(env) => diags.extend(plan::check_environment(&env, &cli)),
                Err(mut d) => diags.append(&mut d),
            }
            linted.push(std::fs::canonicalize(&file).unwrap_or(file));
        }
    }

    let mut environment: Option<Environment> = None;
    if let Some(name) = &args.env {
        match load::resolve_environment(name, first) {
            Ok(source) => {
                let already = matches!(&source, EnvSource::File(p) if linted.contains(&std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
                match load::load_environment(&source) {
                    Ok(env) => {
                        if !already {
                            diags.extend(plan::check_environment(&env, &cli));
                        }
                        environment = Some(env);
                    }
                    Err(mut d) => {
                        if !already {
                            diags.append(&mut d);
                        }
                    }
                }
            }
            Err(d) => diags.push(d),
        }
    }

    let names: Vec<String> = cli.iter().cloned().collect();
    let mut expected: Vec<(String, String)> = Vec::new();
    let mut requests = 0;
    for c in &collections {
        requests += c.requests.len();
        let (check, _) = plan::check_collection(c, environment.as_ref(), &names, None);
        diags.extend(check.errors);
        for (name, loc) in check.expected_from_env {
            if !expected.iter().any(|(n, _)| *n == name) {
                expected.push((name, loc.short()));
            }
        }
    }

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
            collections.len(),
            plural(collections.len()),
            plural(requests),
            plural(env_count)
        );
        Exit::Success
    } else {
        drop(out);
        print_diagnostics(&diags);
        eprintln!("{} problem{} found", diags.len(), plural(diags.len()));
        Exit::Invalid
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
