//! The production guard (docs/environments.md#production-safety): a run against a production
//! environment refuses to start while a selected request could write to it, unless
//! `--read-only` skips those requests or `--allow-production-writes` says the user means it.

use crate::diag::Diagnostic;
use crate::model::{Collection, Environment, Request, Scope, Skip};

use super::PlannedCollection;

/// The requests the production guard refuses: selected, could mutate (a templated `skip`
/// counts as could), and not turned off by `skip: true`.
pub fn guarded_requests<'a>(c: &'a Collection, selected: &[bool]) -> Vec<&'a Request> {
    c.requests
        .iter()
        .filter(|r| selected.get(r.index).copied().unwrap_or(false))
        .filter(|r| {
            r.mutates_in(&c.defaults) && !matches!(r.skip.as_deref(), Some(Skip::Always(true)))
        })
        .collect()
}

/// Whether an environment is production scope.
pub fn is_production(env: &Environment) -> bool {
    env.scope == Scope::Production
}

/// The guard's verdict on a plan: `None` when it may run, else the refusal naming every
/// request that could write.
pub fn check(
    env: &Environment,
    planned: &[PlannedCollection],
    read_only: bool,
    allow_production_writes: bool,
) -> Option<Diagnostic> {
    if !is_production(env) || allow_production_writes || read_only {
        return None;
    }
    let mut guarded = Vec::new();
    for pc in planned {
        for r in guarded_requests(&pc.collection, &pc.selected) {
            // A reading method that mutates here does so by a method-override header.
            let method = if r.mutates() {
                r.method.value.clone()
            } else {
                format!("{} with a method-override header", r.method.value)
            };
            guarded.push(format!(
                "  {} / {} ({method} at {}:{})",
                pc.collection.name.value,
                r.name.value,
                pc.collection.file.display(),
                r.name.span.start.line
            ));
        }
    }
    if guarded.is_empty() {
        return None;
    }
    Some(Diagnostic::new(format!(
        "refusing to run against the production environment `{}`: these requests could write to it:\n{}",
        env.identity,
        guarded.join("\n")
    ))
    .with_help("run with --read-only to skip them, or --allow-production-writes if you mean it"))
}
