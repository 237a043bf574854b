//! The plan of `courier validate`: every problem of every stage, in the order a user reads
//! them (each file's loading problems, then the environments', then each file's variable and
//! auth checks). Each collection file is loaded, checked and dropped on its own, so memory
//! holds the files being worked on and the problems found, not every file's model
//! (docs/cli.md#validate).

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::Location;
use crate::load::{self, EnvSource};
use crate::model::Environment;

use super::{Diagnostics, Plan, PlanOptions, check_collection, check_environment, discover};

/// What checking one collection file found.
struct FileCheck {
    /// Its loading problems (YAML, keys, types, compiling).
    loading: Diagnostics,
    /// Its variable and auth problems.
    checks: Diagnostics,
    /// Variables taken to come from an environment, first use first.
    expected_from_env: Vec<(String, Location)>,
    /// How many requests, when the file loaded far enough to have a collection.
    requests: Option<usize>,
}

/// Loads and checks one file, keeping only what the report needs.
fn check_file(path: &Path, env: Option<&Environment>, cli: &[String]) -> FileCheck {
    let (collection, loading) = load::load_collection_partial(path);
    let Some(c) = collection else {
        return FileCheck {
            loading,
            checks: Vec::new(),
            expected_from_env: Vec::new(),
            requests: None,
        };
    };
    let c = Arc::new(c);
    let (check, _) = check_collection(&c, env, cli, None);
    FileCheck {
        loading,
        checks: check.errors,
        expected_from_env: check.expected_from_env,
        requests: Some(c.requests.len()),
    }
}

pub(super) fn validate(opts: &PlanOptions<'_>) -> (Plan, Diagnostics) {
    let files = match discover(opts.paths) {
        Ok(f) => f,
        Err(d) => return (Plan::default(), d),
    };
    let cli: BTreeSet<String> = opts.vars.iter().map(|(k, _)| k.clone()).collect();
    let first = opts.paths.first().map(PathBuf::as_path);
    // The environments first: every collection is checked against the one `--env` names.
    let (environment, environment_files, env_diags) = environments(opts, first, &cli);

    let names: Vec<String> = cli.iter().cloned().collect();
    let mut loading = Vec::new();
    let mut checks = Vec::new();
    let mut expected_from_env: Vec<(String, Location)> = Vec::new();
    let mut expected: HashSet<String> = HashSet::new();
    let (mut collections, mut requests) = (0, 0);
    load::fold_files(
        &files,
        |f| check_file(f, environment.as_ref(), &names),
        |mut file| {
            loading.append(&mut file.loading);
            checks.append(&mut file.checks);
            for (name, loc) in file.expected_from_env {
                if expected.insert(name.clone()) {
                    expected_from_env.push((name, loc));
                }
            }
            if let Some(n) = file.requests {
                collections += 1;
                requests += n;
            }
        },
    );
    let mut diags = loading;
    diags.extend(env_diags);
    diags.append(&mut checks);
    let plan = Plan {
        files,
        environment: environment.map(Arc::new),
        expected_from_env,
        environment_files,
        checked_collections: collections,
        checked_requests: requests,
        ..Plan::default()
    };
    (plan, diags)
}

/// Lints every environment file that `--env` resolution would search, and loads the one
/// `--env` names: (that environment, how many files were linted, their problems).
fn environments(
    opts: &PlanOptions<'_>,
    first: Option<&Path>,
    cli: &BTreeSet<String>,
) -> (Option<Environment>, usize, Diagnostics) {
    let mut diags = Vec::new();
    let mut linted: Vec<PathBuf> = Vec::new();
    let mut environment_files = 0;
    for dir in load::environment_dirs(first) {
        for file in load::environment_files(&dir) {
            environment_files += 1;
            match load::load_environment(&EnvSource::File(file.clone())) {
                Ok(env) => diags.extend(check_environment(&env, cli)),
                Err(mut d) => diags.append(&mut d),
            }
            linted.push(std::fs::canonicalize(&file).unwrap_or(file));
        }
    }

    let mut environment: Option<Environment> = None;
    if let Some(name) = opts.environment {
        match load::resolve_environment(name, first) {
            Ok(source) => {
                let already = matches!(&source, EnvSource::File(p) if linted.contains(&std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
                match load::load_environment(&source) {
                    Ok(env) => {
                        if !already {
                            diags.extend(check_environment(&env, cli));
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
    (environment, environment_files, diags)
}
