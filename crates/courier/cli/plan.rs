//! Planning a run against one environment: everything that is decided before anything is sent
//! (SPEC §8 exit 2) — finding and loading the collections, resolving the environment, checking
//! variables, selecting requests, the production guard of §6 and the missing secrets of §3.
//! `courier run` plans once; `courier compare` plans each side with the same function, so both
//! commands refuse the same inputs in the same words.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use courier_core::data::{DataSet, read_data};
use courier_core::diag::Diagnostic;
use courier_core::load;
use courier_core::model::{Collection, Environment};
use courier_core::plan::{self, Selection, Shard};
use courier_exec::context::lookup_env;
use courier_exec::runner::PlannedCollection;

use super::common::discover;

/// The flags that shape a plan, whichever command gave them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlanOptions<'a> {
    /// `--var k=v`, in order.
    pub(crate) vars: &'a [(String, String)],
    /// `--data FILE`.
    pub(crate) data: Option<&'a Path>,
    /// `-k TEXT`.
    pub(crate) filters: &'a [String],
    /// `--tag TAG`.
    pub(crate) tags: &'a [String],
    /// `--shard K/N`.
    pub(crate) shard: Option<Shard>,
    pub(crate) read_only: bool,
    pub(crate) allow_production_writes: bool,
}

/// A run, planned: everything checked, nothing sent yet.
pub(crate) struct Planned {
    pub(crate) environment: Arc<Environment>,
    pub(crate) collections: Vec<PlannedCollection>,
}

/// Everything that is decided before anything is sent, for the environment `env_name`.
pub(crate) fn plan_run(
    opts: &PlanOptions<'_>,
    paths: &[PathBuf],
    env_name: &str,
    dotenv: &HashMap<String, String>,
) -> Result<Planned, Vec<Diagnostic>> {
    let mut files = discover(paths)?;
    if let Some(shard) = opts.shard {
        files = plan::shard_files(&files, shard);
    }
    let (collections, load_diags) = load::load_all(&files);
    let first = paths.first().map(PathBuf::as_path);
    let env_result = load::resolve_environment(env_name, first)
        .map_err(|d| vec![d])
        .and_then(|s| load::load_environment(&s));
    let mut diags = load_diags;
    let environment = match env_result {
        Ok(e) => Some(e),
        Err(mut d) => {
            diags.append(&mut d);
            None
        }
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    let Some(environment) = environment else {
        return Err(diags);
    };
    let cli_names: BTreeSet<String> = opts.vars.iter().map(|(k, _)| k.clone()).collect();
    diags.extend(plan::check_environment(&environment, &cli_names));

    let data_override: Option<DataSet> = match opts.data {
        Some(p) => match read_data(p) {
            Ok(d) => Some(d),
            Err(e) => return Err(vec![Diagnostic::new(e.to_string())]),
        },
        None => None,
    };
    let selection = Selection::new(opts.filters, opts.tags);
    let names: Vec<String> = cli_names.iter().cloned().collect();
    let mut planned = Vec::new();
    for c in &collections {
        let (check, data) =
            plan::check_collection(c, Some(&environment), &names, data_override.as_ref());
        diags.extend(check.errors);
        let selected: Vec<bool> = c.requests.iter().map(|r| selection.selects(c, r)).collect();
        planned.push(PlannedCollection {
            collection: Arc::clone(c),
            selected,
            needs: check.needs,
            data,
        });
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    if plan::is_production(&environment) && !opts.allow_production_writes && !opts.read_only {
        let mut guarded = Vec::new();
        for pc in &planned {
            for r in plan::guarded_requests(&pc.collection, &pc.selected) {
                guarded.push(format!(
                    "  {} / {} ({} at {}:{})",
                    pc.collection.name.value,
                    r.name.value,
                    r.method.value,
                    pc.collection.file.display(),
                    r.name.span.start.line
                ));
            }
        }
        if !guarded.is_empty() {
            return Err(vec![Diagnostic::new(format!(
                "refusing to run against the production environment `{}`: these requests could write to it:\n{}",
                environment.identity,
                guarded.join("\n")
            ))
            .with_help("run with --read-only to skip them, or --allow-production-writes if you mean it")]);
        }
    }

    diags.extend(missing_secrets(&environment, &planned, dotenv));
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(Planned {
        environment: Arc::new(environment),
        collections: planned,
    })
}

/// The secrets that the selected requests need, resolved before anything is sent (SPEC §3):
/// a missing one names the variable to set.
fn missing_secrets(
    env: &Environment,
    planned: &[PlannedCollection],
    dotenv: &HashMap<String, String>,
) -> Vec<Diagnostic> {
    let mut templates = Vec::new();
    let mut profiles: BTreeSet<&str> = BTreeSet::new();
    for pc in planned {
        let c: &Collection = &pc.collection;
        for var in &c.vars {
            templates.extend(var.value.templates());
        }
        for r in c.requests.iter().filter(|r| pc.selected[r.index]) {
            templates.extend(plan::send_templates(c, r));
            templates.extend(plan::expect_templates(r));
            profiles.insert(
                r.auth
                    .as_ref()
                    .or(c.auth.as_ref())
                    .map_or("none", |a| a.value.as_str()),
            );
        }
    }
    for p in env
        .auth
        .iter()
        .filter(|p| profiles.contains(p.name.value.as_str()))
    {
        templates.extend(plan::profile_templates(p));
    }
    let mut env_templates = templates.clone();
    for v in &env.vars {
        env_templates.extend(v.value.templates());
    }
    let needed = plan::referenced_variables(templates.iter().copied(), env);
    let mut diags = Vec::new();
    for (var, env_var) in &env.secrets {
        if needed.contains(&var.value) && lookup_env(&env_var.value, dotenv).is_none() {
            diags.push(
                Diagnostic::at(
                    format!("missing secret: set the environment variable `{}` (for `{}`)", env_var.value, var.value),
                    &env.file,
                    env_var.span,
                )
                .with_help("set it in the process environment or in a `.env` file in the working directory"),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for t in env_templates {
        for (name, has_default) in t.value.env_references() {
            if !has_default && lookup_env(&name, dotenv).is_none() && seen.insert(name.clone()) {
                diags.push(Diagnostic::new(format!("missing secret: set the environment variable `{name}` (read by `env(\"{name}\")`)")));
            }
        }
    }
    diags
}
