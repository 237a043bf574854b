//! One collection run (one data row): the flow rules of docs/collections.md#flow-within-a-collection.
//! Requests run in order; a collection goes on after a failure; a request that needs a capture
//! that was never made is skipped with the reason; `--bail` skips everything after the first
//! failure, except requests marked `always: true`; `--read-only` skips mutating requests;
//! `skip:` is rendered. Each request that is
//! not skipped goes to [`crate::request::execute`], and every result is emitted as an event.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::Value;

use courier_core::data::Row;
use courier_core::model::{Request, Skip};
use courier_core::plan::PlannedCollection;
use courier_core::template::{VarMap, Vars, json_to_value};

use crate::prepare::location;
use crate::runner::Shared;
use courier_events::{Event, Outcome, RequestResult};

/// What happened to each request of a collection run, for the flow rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    Deselected,
    Skipped,
    /// No response, or nothing sent (a template failed).
    NoResponse,
    Responded,
}

/// Runs one collection (one data row); returns (outcome, unchecked) per reported request.
pub(crate) async fn run_collection(
    shared: &Arc<Shared>,
    pc: &PlannedCollection,
    id: usize,
    row: Option<(usize, &Row)>,
) -> Vec<(Outcome, bool)> {
    let c = &pc.collection;
    shared.emit(Event::CollectionStarted {
        collection_id: id,
        collection: Arc::clone(c),
        row: row.map(|(n, _)| n),
    });
    let row_layer: Arc<VarMap> = Arc::new(row.map_or_else(VarMap::new, |(_, r)| {
        r.iter()
            .map(|(k, v)| (k.clone(), json_to_value(v)))
            .collect()
    }));

    // Collection vars: lowest precedence, rendered in order; a var overridden above is not
    // rendered at all.
    let mut vars_error: Option<String> = None;
    let mut coll_layer = VarMap::new();
    for def in &c.vars {
        let name = &def.name.value;
        let overridden = shared.emulator_layer.contains_key(name)
            || shared.env_layer.contains_key(name)
            || row_layer.contains_key(name)
            || shared.cli_layer.contains_key(name);
        if overridden {
            continue;
        }
        let vars = base_vars(shared, &Arc::new(coll_layer.clone()), &row_layer);
        match def.value.render(&vars) {
            Ok(v) => {
                coll_layer.insert(name.clone(), json_to_value(&v));
            }
            Err((e, span)) => {
                vars_error = Some(format!(
                    "the collection variable `{name}` failed to render ({}:{}:{}): {}",
                    c.file.display(),
                    span.start.line,
                    span.start.col,
                    shared.runtime.secrets.redact(&e.message)
                ));
                break;
            }
        }
    }
    let mut vars =
        base_vars(shared, &Arc::new(coll_layer), &row_layer).with_layer(Arc::new(VarMap::new()));
    let jar = crate::jar::Jar::default();

    let n = c.requests.len();
    let mut ran = vec![Ran::Deselected; n];
    let mut made: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut out = Vec::new();
    for r in &c.requests {
        let row_deselected = row.is_some_and(|(n, _)| !pc.is_row_selected(r.index, n));
        if !pc.selected.get(r.index).copied().unwrap_or(false) || row_deselected {
            continue;
        }
        shared.emit(Event::RequestStarted {
            collection_id: id,
            request_index: r.index,
            row: row.map(|(n, _)| n),
        });
        let mut report = true;
        let mut result = RequestResult {
            collection_id: id,
            collection: Arc::clone(c),
            request_index: r.index,
            row: row.map(|(n, _)| n),
            page: None,
            poll_attempts: None,
            outcome: Outcome::Skipped,
            skip_reason: None,
            status: None,
            duration: None,
            assertions: Vec::new(),
            captures: Vec::new(),
            snapshot: None,
            error: None,
            error_kind: None,
            exchange: None,
            body: None,
            attempts: 0,
            started: Some(shared.run_started.elapsed()),
        };
        if let Some(reason) = skip_reason(shared, pc, r, &ran, &made, &vars, vars_error.as_deref())
        {
            match reason {
                Skipping::Skip(reason) => {
                    result.started = None;
                    result.skip_reason = Some(reason);
                    ran[r.index] = Ran::Skipped;
                }
                Skipping::Fail(message) => {
                    result.outcome = Outcome::Failed;
                    result.error = Some(message);
                    ran[r.index] = Ran::NoResponse;
                }
            }
        } else {
            if let Some(poll) = r.poll.as_deref() {
                crate::repeat::poll(shared, c, r, poll, &mut vars, &jar, &mut result).await;
            } else if let Some(repeat) = r.repeat.as_deref() {
                report = crate::repeat::run_pages(
                    shared,
                    pc,
                    r,
                    repeat,
                    &mut vars,
                    &jar,
                    &mut result,
                    &mut out,
                )
                .await;
            } else {
                crate::request::execute(
                    shared,
                    c,
                    r,
                    &mut vars,
                    &jar,
                    row.map(|(n, _)| n),
                    &mut result,
                )
                .await;
            }
            ran[r.index] = if result.status.is_some() {
                Ran::Responded
            } else {
                Ran::NoResponse
            };
            made[r.index].clone_from(&result.captures);
        }
        if report {
            finish(shared, result, &mut out);
        }
    }
    shared.emit(Event::CollectionFinished {
        collection_id: id,
        collection: Arc::clone(c),
        row: row.map(|(n, _)| n),
    });
    out
}

/// Reports one result: counts it, and stops the run under `--bail` when it failed.
pub(crate) fn finish(shared: &Shared, result: RequestResult, out: &mut Vec<(Outcome, bool)>) {
    if matches!(result.outcome, Outcome::Failed | Outcome::Error) && shared.options.bail {
        shared.bail.store(true, Ordering::SeqCst);
    }
    let unchecked = result.outcome == Outcome::Error && result.error_kind.is_some();
    out.push((result.outcome, unchecked));
    shared.emit(Event::RequestFinished(Arc::new(result)));
}

fn base_vars(shared: &Shared, coll: &Arc<VarMap>, row: &Arc<VarMap>) -> Vars {
    Vars::new(Some(Arc::clone(&shared.runtime)))
        .with_layer(Arc::clone(coll))
        .with_layer(Arc::clone(&shared.emulator_layer))
        .with_layer(Arc::clone(&shared.env_layer))
        .with_layer(Arc::clone(row))
        .with_layer(Arc::clone(&shared.cli_layer))
}

enum Skipping {
    Skip(String),
    Fail(String),
}

fn skip_reason(
    shared: &Shared,
    pc: &PlannedCollection,
    r: &Request,
    ran: &[Ran],
    made: &[Vec<String>],
    vars: &Vars,
    vars_error: Option<&str>,
) -> Option<Skipping> {
    // `always: true` (a clean-up request) runs even after `--bail`.
    if shared.bail.load(Ordering::SeqCst) && !r.always {
        return Some(Skipping::Skip(
            "--bail: an earlier request failed".to_owned(),
        ));
    }
    // After SIGINT or SIGTERM only clean-ups start (docs/cli.md#interrupting-a-run).
    if shared.options.interrupt.code().is_some() && !r.always {
        return Some(Skipping::Skip("interrupted".to_owned()));
    }
    if let Some(e) = vars_error {
        return Some(Skipping::Fail(e.to_owned()));
    }
    if let Some(needs) = pc.needs.get(r.index) {
        for need in needs {
            if made
                .get(need.producer)
                .is_some_and(|m| m.contains(&need.var))
            {
                continue;
            }
            let producer = &pc.collection.requests[need.producer];
            let why = match ran.get(need.producer) {
                Some(Ran::Deselected) => "deselected",
                Some(Ran::Skipped) => "skipped",
                Some(Ran::NoResponse) => "failed",
                Some(Ran::Responded) | None => "matched nothing",
            };
            return Some(Skipping::Skip(format!(
                "needs {} from \"{}\" ({why})",
                need.var, producer.name.value
            )));
        }
    }
    match r.skip.as_deref() {
        Some(Skip::Always(true)) => return Some(Skipping::Skip("skip: true".to_owned())),
        Some(Skip::When(t)) => match t.value.render_json(vars) {
            Ok(v) if truthy(&v) => {
                return Some(Skipping::Skip(format!("skip: {}", t.value.source())));
            }
            Ok(_) => {}
            Err(e) => {
                return Some(Skipping::Fail(format!(
                    "`skip` failed to render ({}): {}",
                    location(&pc.collection, t.span),
                    shared.runtime.secrets.redact(&e.message)
                )));
            }
        },
        _ => {}
    }
    if shared.options.read_only && r.mutates_in(&pc.collection.defaults) {
        // A reading method that mutates here does so by a method-override header.
        let how = if r.mutates() {
            ""
        } else {
            " with a method-override header"
        };
        return Some(Skipping::Skip(format!(
            "--read-only: {}{how} mutates",
            r.method.value
        )));
    }
    None
}

pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !matches!(
            s.trim().to_lowercase().as_str(),
            "" | "false" | "0" | "no" | "none"
        ),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness() {
        assert!(!truthy(&Value::String("false".into())));
        assert!(truthy(&Value::String("production".into())));
        assert!(!truthy(&Value::Bool(false)));
        assert!(truthy(&Value::from(1)));
    }
}
