//! One request, one direction: prepare (render) → send (limits, retries) → check (the check
//! stage's [`courier_check::response::evaluate`]) → the result that the flow emits. Captures
//! the check returns are added to the collection's variables here.

use reqwest::header::HeaderMap;

use courier_check::response::{self, Context, Headers, Response};
use courier_core::model::{Collection, Request};
use courier_core::plan::variables::profile_of;
use courier_core::template::{Vars, json_to_value};

use crate::prepare::prepare;
use crate::runner::Shared;
use crate::send::send_with_retries;
use crate::verbose::exchange;
use courier_events::{Outcome, RequestResult};

/// A response's headers as the check stage reads them.
struct HeaderText<'a>(&'a HeaderMap);

impl Headers for HeaderText<'_> {
    /// Several values are joined with `, `.
    fn get(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .0
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(", "))
        }
    }
}

/// Renders, sends (with retries and a renewal on 401), checks and captures one request.
pub(crate) async fn execute(
    shared: &Shared,
    c: &Collection,
    r: &Request,
    vars: &mut Vars,
    jar: &crate::jar::Jar,
    row: Option<usize>,
    result: &mut RequestResult,
) {
    let secrets = &shared.runtime.secrets;
    let prepared = match prepare(secrets, c, r, vars, shared.options.max_body) {
        Ok(p) => p,
        Err(message) => {
            result.outcome = Outcome::Failed;
            result.error = Some(message);
            return;
        }
    };
    if let Some(delay) = r.delay.or(c.defaults.delay) {
        tokio::time::sleep(delay).await;
    }
    let profile = profile_of(c, r);
    let retries = r.retries.as_deref().or(c.defaults.retries.as_ref());
    let mut sent = crate::send::Sends::default();
    let send = send_with_retries(
        shared,
        &prepared,
        profile,
        retries,
        r.mutates_in(&c.defaults),
        jar,
        &mut sent,
    );
    // After SIGINT/SIGTERM a request in flight gets a grace period; then it counts as
    // skipped (docs/cli.md#interrupting-a-run).
    let cut = async {
        shared.options.interrupt.raised().await;
        tokio::time::sleep(crate::interrupt::GRACE).await;
    };
    let outcome = tokio::select! {
        outcome = send => outcome,
        () = cut => {
            result.outcome = Outcome::Skipped;
            result.skip_reason = Some("interrupted".to_owned());
            return;
        }
    };
    result.attempts = sent.count;
    if let Some(first) = sent.first {
        result.started = Some(first);
    }
    let received = match outcome {
        Ok(rec) => rec,
        Err(e) => {
            result.outcome = Outcome::Error;
            result.error = Some(secrets.redact(&e.message).into_owned());
            result.error_kind = Some(e.kind);
            return;
        }
    };
    result.status = Some(received.status.as_u16());
    result.duration = Some(received.elapsed);
    if shared.options.keep_bodies {
        result.body = Some(received.body.clone());
    }

    let ctx = Context {
        collection: c,
        request: r,
        row,
        env_name: &shared.env_info.name,
        secrets,
        snapshots: shared.options.snapshots,
        skip_expect: shared.options.skip_expect,
    };
    let evaluation = response::evaluate(
        &ctx,
        &Response {
            status: received.status.as_u16(),
            headers: &HeaderText(&received.headers),
            body: &received.body,
            elapsed: received.elapsed,
        },
        vars,
    );
    // After the checks, so that a value captured with `secret: true` is redacted in the
    // exchange that captured it.
    if shared.options.verbose {
        let mut x = exchange(&prepared, &received, secrets);
        // The earlier sends of this request, before the one shown.
        for line in sent.log.iter().rev() {
            x.request = format!("{}\n{}", secrets.redact(line), x.request);
        }
        // The token exchanges this request waited for come first; the tokens they issued
        // are secrets by now, so redacting here hides them wherever they appear.
        let tokens = shared.sessions.take_transcript();
        if !tokens.is_empty() {
            let shown: Vec<String> = tokens
                .iter()
                .map(|t| secrets.redact(t).into_owned())
                .collect();
            x.request = format!("{}{}", shown.join(""), x.request);
        }
        result.exchange = Some(x);
    }
    let passed = evaluation.passed();
    for (name, value) in evaluation.captures {
        vars.top_mut().insert(name.clone(), json_to_value(&value));
        result.captures.push(name);
    }
    result.assertions = evaluation.assertions;
    result.snapshot = evaluation.snapshot;
    result.outcome = if passed {
        Outcome::Passed
    } else {
        Outcome::Failed
    };
}
