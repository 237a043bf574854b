//! Requests sent more than once. `repeat: { while, max }` (docs/collections-language.md#paging-loops):
//! page after page while a condition holds after a response, each page a result of its own
//! (`name [page N]`), with `append: true` captures collected across the pages. `poll:
//! { interval, timeout }` (docs/collections-language.md#polling): the same request again
//! until its `expect` holds, reported once with its number of attempts.

use std::sync::Arc;

use serde_json::Value;

use courier_check::matcher::{AssertKind, AssertOutcome};
use courier_core::model::{Collection, Poll, Repeat, Request};
use courier_core::plan::PlannedCollection;
use courier_core::template::{Vars, json_to_value};
use courier_events::{Event, Outcome, RequestResult};

use crate::flow::{finish, truthy};
use crate::prepare::location;
use crate::runner::Shared;

/// Sends the pages of a `repeat` request. Every page but the last is reported here; the last
/// is left in `result` for the caller to report, as for any other request, when this returns
/// true. Under a `-k` that matches only some `[page N]` names, only those pages are reported.
#[expect(clippy::too_many_arguments, reason = "the state of one collection run")]
pub(crate) async fn run_pages(
    shared: &Arc<Shared>,
    pc: &PlannedCollection,
    r: &Request,
    repeat: &Repeat,
    vars: &mut Vars,
    jar: &crate::jar::Jar,
    result: &mut RequestResult,
    out: &mut Vec<(Outcome, bool)>,
) -> bool {
    let c: &Collection = &pc.collection;
    let reported = |result: &RequestResult| {
        pc.reports_page(
            r.index,
            &format!("{} / {}", c.name.value, result.display_name()),
        )
    };
    let appending: Vec<&str> = r
        .captures
        .iter()
        .filter(|cap| cap.append)
        .map(|cap| cap.name.value.as_str())
        .collect();
    // Appending captures start empty in each collection run (each data row).
    let mut collected: Vec<Vec<Value>> = vec![Vec::new(); appending.len()];
    for name in &appending {
        vars.top_mut()
            .insert((*name).to_owned(), json_to_value(&Value::Array(Vec::new())));
    }
    let blank = result.clone();
    let mut page: u32 = 1;
    loop {
        result.page = Some(page as usize);
        crate::request::execute(shared, c, r, vars, jar, result.row, result).await;
        for (name, items) in appending.iter().zip(collected.iter_mut()) {
            if !result.captures.iter().any(|made| made == name) {
                continue;
            }
            let value = vars
                .get(name)
                .and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or(Value::Null);
            match value {
                Value::Array(values) => items.extend(values),
                one => items.push(one),
            }
            vars.top_mut().insert(
                (*name).to_owned(),
                json_to_value(&Value::Array(items.clone())),
            );
        }
        // A page that errors or fails a check ends the loop.
        if result.outcome != Outcome::Passed {
            return reported(result);
        }
        let again = match repeat.condition.value.render_json(vars) {
            Ok(v) => truthy(&v),
            Err(e) => {
                result.outcome = Outcome::Failed;
                result.error = Some(format!(
                    "`repeat.while` failed to render ({}): {}",
                    location(c, repeat.condition.span),
                    shared.runtime.secrets.redact(&e.message)
                ));
                return reported(result);
            }
        };
        if !again {
            return reported(result);
        }
        if page >= repeat.max {
            result.outcome = Outcome::Failed;
            result.assertions.push(AssertOutcome {
                kind: AssertKind::Repeat,
                path: None,
                matcher: "max".to_owned(),
                expected: Value::from(repeat.max),
                actual: Some(Value::from(page)),
                passed: false,
                message: Some(format!(
                    "the loop reached `max` ({}) with `while` still true: raise `max` or check the condition",
                    repeat.max
                )),
                span: repeat.span,
            });
            return reported(result);
        }
        let done = std::mem::replace(result, blank.clone());
        if reported(&done) {
            finish(shared, done, out);
        }
        page += 1;
        shared.emit(Event::RequestStarted {
            collection_id: result.collection_id,
            request_index: r.index,
            row: result.row,
        });
    }
}

/// Sends a `poll` request until its checks pass; no attempt starts after `timeout`. The last
/// attempt is left in `result`, with the number of attempts.
pub(crate) async fn poll(
    shared: &Arc<Shared>,
    c: &Collection,
    r: &Request,
    poll: &Poll,
    vars: &mut Vars,
    jar: &crate::jar::Jar,
    result: &mut RequestResult,
) {
    let start = tokio::time::Instant::now();
    let blank = result.clone();
    let mut attempts: u32 = 0;
    let mut sent: u32 = 0;
    // A poll started when its first attempt did (docs/reports-v2.md, `started_ms`).
    let mut first_started = None;
    // Under `-v`, a line per attempt that another followed, shown before the last one's
    // exchange (docs/cli.md#verbose-output).
    let mut earlier: Vec<String> = Vec::new();
    let show_earlier = |result: &mut RequestResult, earlier: &[String]| {
        if let Some(x) = result.exchange.as_mut()
            && !earlier.is_empty()
        {
            x.request = format!("{}\n{}", earlier.join("\n"), x.request);
        }
    };
    loop {
        *result = blank.clone();
        attempts += 1;
        crate::request::execute(shared, c, r, vars, jar, result.row, result).await;
        // `attempts` counts every send of the request, its retries included
        // (docs/reports-v2.md); `poll_attempts` only the attempts.
        sent = sent.saturating_add(result.attempts);
        result.attempts = sent;
        if attempts == 1 {
            first_started = result.started;
        } else if first_started.is_some() {
            result.started = first_started;
        }
        result.poll_attempts = Some(attempts);
        if result.outcome == Outcome::Passed {
            show_earlier(result, &earlier);
            return;
        }
        // A template that failed to render fails the same way on every attempt.
        if result.status.is_none() && result.error_kind.is_none() {
            show_earlier(result, &earlier);
            return;
        }
        // An interrupted run does not wait for another attempt, nor does one whose hourly
        // quota is spent until later than a wait: the last attempt is reported as it is
        // (docs/cli.md#interrupting-a-run, docs/environments.md#limits).
        if shared.options.interrupt.code().is_some() || shared.limiter.quota_closed() {
            show_earlier(result, &earlier);
            return;
        }
        let next = start.elapsed() + poll.interval;
        if next > poll.timeout {
            // A check of its own (kind `poll`, docs/reports-v2.md) says why the request
            // failed; the last attempt's failed checks follow it.
            if result.outcome == Outcome::Failed && result.status.is_some() {
                let timeout = u64::try_from(poll.timeout.as_millis()).unwrap_or(u64::MAX);
                result.assertions.insert(
                    0,
                    AssertOutcome {
                        kind: AssertKind::Poll,
                        path: None,
                        matcher: "timeout".to_owned(),
                        expected: Value::from(format!("`expect` holds within {timeout} ms")),
                        actual: Some(Value::from(format!("it did not in {attempts} attempts"))),
                        passed: false,
                        message: Some(format!(
                            "`poll` timed out after {attempts} attempts ({timeout} ms): the last attempt's failed checks follow"
                        )),
                        span: poll.span,
                    },
                );
            }
            show_earlier(result, &earlier);
            return;
        }
        if shared.options.verbose {
            let got = match (result.status, &result.error) {
                (Some(status), _) => format!("{status}, `expect` does not hold yet"),
                (None, Some(error)) => error.clone(),
                (None, None) => "no answer".to_owned(),
            };
            earlier.push(format!(
                "! poll attempt {attempts}: {got}: next attempt in {} ms",
                poll.interval.as_millis()
            ));
        }
        tokio::time::sleep(poll.interval).await;
    }
}
