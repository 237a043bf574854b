//! The executor: runs the planned collections (in order within a collection, up to
//! `--parallel` collections at once, once per data row), sending each request with its
//! retries, checking the response, making captures, and reporting each result as an event.
//!
//! Flow rules (SPEC §2): a collection goes on after a failure; a request that needs a capture
//! that was never made is skipped with the reason; `--bail` skips everything after the first
//! failure; `--read-only` skips mutating requests.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

use courier_check::matcher::{self, Actual, AssertKind, AssertOutcome};
use courier_core::data::{DataSet, Row};
use courier_core::jsonpath::JsonPath;
use courier_core::model::{
    Body, CaptureSource, Collection, Environment, Request, Retries, RetryOn, Skip,
};
use courier_core::plan::Need;
use courier_core::secret::Secrets;
use courier_core::template::{Runtime, VarMap, Vars, json_to_value};

use crate::auth::{Sessions, form_encode};
use crate::client::{self, Prepared, Received, SendError};
use crate::context::{self, SetupError, StartedEmulator};
use crate::events::{
    EnvInfo, ErrorKind, Event, Exchange, Outcome, RequestResult, SnapshotState, Summary,
};
use crate::limits::Limiter;
use crate::snapshots::SnapshotHook;

/// The default request timeout (SPEC §2).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Backoff between retries doubles up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// `Retry-After` is honoured up to this.
const MAX_RETRY_AFTER: Duration = Duration::from_mins(1);
/// How much of a body `-v` prints.
const VERBOSE_BODY_LIMIT: usize = 16 * 1024;

/// A collection as planned: which of its requests are selected, what each needs, its rows.
#[derive(Debug, Clone)]
pub struct PlannedCollection {
    pub collection: Arc<Collection>,
    pub selected: Vec<bool>,
    pub needs: Vec<Vec<Need>>,
    pub data: Option<DataSet>,
}

impl PlannedCollection {
    /// Requests that will be reported: selected requests × rows.
    pub fn planned_count(&self) -> usize {
        let selected = self.selected.iter().filter(|s| **s).count();
        selected * self.data.as_ref().map_or(1, |d| d.rows.len())
    }
}

/// Run-wide switches.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub parallel: usize,
    pub bail: bool,
    pub read_only: bool,
    pub verbose: bool,
    /// Keep each response body in its [`RequestResult::body`] (`courier compare` diffs them).
    pub keep_bodies: bool,
    /// Leave `expect` blocks out: `courier compare` does not evaluate them (SPEC §7).
    pub skip_expect: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            parallel: 1,
            bail: false,
            read_only: false,
            verbose: false,
            keep_bodies: false,
            skip_expect: false,
        }
    }
}

/// Everything a run needs.
pub struct RunInput {
    pub environment: Arc<Environment>,
    pub collections: Vec<PlannedCollection>,
    pub cli_vars: Vec<(String, String)>,
    pub dotenv: HashMap<String, String>,
    pub secrets: Arc<Secrets>,
    pub options: RunOptions,
    pub snapshots: Option<Arc<dyn SnapshotHook>>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunTotals {
    pub summary: Summary,
    /// A request had no response to check (exit 3).
    pub unchecked: bool,
    /// A check failed (exit 1).
    pub failed: bool,
    pub token_requests: usize,
}

struct Shared {
    client: reqwest::Client,
    env_info: EnvInfo,
    emulator_layer: Arc<VarMap>,
    env_layer: Arc<VarMap>,
    cli_layer: Arc<VarMap>,
    runtime: Arc<Runtime>,
    sessions: Sessions,
    limiter: Arc<Limiter>,
    options: RunOptions,
    bail: AtomicBool,
    events: mpsc::Sender<Event>,
    snapshots: Option<Arc<dyn SnapshotHook>>,
    /// The moment of `RunStarted`: requests' start offsets count from it.
    run_started: Instant,
}

impl Shared {
    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }
}

/// Runs a plan, sending events as it goes. The emulator of an `emulator:` environment is
/// started before the first request and stopped at the end.
pub async fn run(input: RunInput, events: mpsc::Sender<Event>) -> Result<RunTotals, SetupError> {
    let started = Instant::now();
    let env = Arc::clone(&input.environment);
    let runtime = Arc::new(Runtime {
        dotenv: input.dotenv.clone(),
        secrets: Arc::clone(&input.secrets),
    });
    let cli = context::cli_layer(&input.cli_vars);

    let emulator: Option<StartedEmulator> = match &env.emulator {
        Some(spec) => Some(context::start_emulator(spec, env.scope, &input.secrets).await?),
        None => None,
    };
    let (emulator_layer, env_layer) = context::environment_layer(
        &env,
        emulator.as_ref().map(|e| &e.variables),
        &cli,
        &runtime,
    )?;

    let used_profiles: BTreeSet<String> = input
        .collections
        .iter()
        .flat_map(|pc| {
            pc.collection
                .requests
                .iter()
                .filter(|r| pc.selected.get(r.index).copied().unwrap_or(false))
                .map(|r| profile_of(&pc.collection, r).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let profile_vars = Vars::new(Some(Arc::clone(&runtime)))
        .with_layer(Arc::clone(&emulator_layer))
        .with_layer(Arc::clone(&env_layer))
        .with_layer(Arc::clone(&cli));
    let profiles = context::resolve_profiles(&env, &used_profiles, &profile_vars, &input.secrets)?;

    let ca = env.tls.ca_cert.as_ref().map(|c| {
        let base = env
            .file
            .path()
            .parent()
            .unwrap_or(std::path::Path::new("."));
        base.join(&c.value)
    });
    let parallel = input.options.parallel.max(1);
    let client = client::build_client(ca.as_deref(), env.tls.insecure, parallel * 2)
        .map_err(|e| SetupError::Invalid(e.to_string()))?;
    let limiter = Arc::new(Limiter::new(
        env.limits.max_concurrency,
        env.limits.requests_per_second,
    ));
    // Sessions of an `emulator:` environment die with the run: never cached (SPEC §4). A
    // missing cache location only means nothing is cached.
    let token_cache = if env.emulator.is_none() {
        crate::token_cache::TokenCache::from_env().ok()
    } else {
        None
    };
    let sessions = Sessions::new(
        &env.identity,
        profiles,
        client.clone(),
        Arc::clone(&limiter),
        Arc::clone(&input.secrets),
    )
    .with_cache(token_cache)
    .with_login_env(context::env_argument(&env));
    let env_info = EnvInfo {
        name: env.identity.clone(),
        scope: env.scope,
    };
    let planned: usize = input
        .collections
        .iter()
        .map(PlannedCollection::planned_count)
        .sum();
    let shared = Arc::new(Shared {
        client,
        env_info: env_info.clone(),
        emulator_layer,
        env_layer,
        cli_layer: cli,
        runtime,
        sessions,
        limiter,
        options: input.options.clone(),
        bail: AtomicBool::new(false),
        events,
        snapshots: input.snapshots.clone(),
        run_started: Instant::now(),
    });
    shared.emit(Event::RunStarted {
        environment: env_info,
        planned,
        parallel,
        started_at: chrono::Utc::now(),
    });

    let mut totals = RunTotals::default();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut tasks = tokio::task::JoinSet::new();
    for (id, pc) in input.collections.into_iter().enumerate() {
        if pc.planned_count() == 0 {
            continue;
        }
        let shared = Arc::clone(&shared);
        // Taking the slot before spawning starts collections in file order: one at a time
        // they run strictly in order, and under --parallel the first N start first.
        let permit = Arc::clone(&semaphore).acquire_owned().await.ok();
        tasks.spawn(async move {
            let _permit = permit;
            let mut results = Vec::new();
            match &pc.data {
                Some(data) => {
                    for (i, row) in data.rows.iter().enumerate() {
                        results.extend(run_collection(&shared, &pc, id, Some((i + 1, row))).await);
                    }
                }
                None => results.extend(run_collection(&shared, &pc, id, None).await),
            }
            results
        });
    }
    while let Some(done) = tasks.join_next().await {
        let results = match done {
            Ok(results) => results,
            Err(e) => {
                // A bug, not a user's mistake: the run must not look as if it passed.
                totals.unchecked = true;
                shared.emit(Event::Notice(format!(
                    "a collection stopped unexpectedly and its requests were not checked: {e}"
                )));
                Vec::new()
            }
        };
        for r in results {
            totals.summary.add(r.0);
            totals.unchecked |= r.1;
            totals.failed |= matches!(r.0, Outcome::Failed | Outcome::Error);
        }
    }
    totals.token_requests = shared.sessions.token_requests();
    shared.emit(Event::RunFinished {
        summary: totals.summary,
        duration: started.elapsed(),
    });
    if let Some(e) = emulator {
        e.emulator.shutdown().await;
    }
    Ok(totals)
}

fn profile_of<'a>(c: &'a Collection, r: &'a Request) -> &'a str {
    r.auth
        .as_ref()
        .or(c.auth.as_ref())
        .map_or("none", |a| a.value.as_str())
}

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
async fn run_collection(
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
    let jar = Arc::new(reqwest::cookie::Jar::default());

    let n = c.requests.len();
    let mut ran = vec![Ran::Deselected; n];
    let mut made: Vec<Vec<String>> = vec![Vec::new(); n];
    let mut out = Vec::new();
    for r in &c.requests {
        if !pc.selected.get(r.index).copied().unwrap_or(false) {
            continue;
        }
        shared.emit(Event::RequestStarted {
            collection_id: id,
            request_index: r.index,
            row: row.map(|(n, _)| n),
        });
        let mut result = RequestResult {
            collection_id: id,
            collection: Arc::clone(c),
            request_index: r.index,
            row: row.map(|(n, _)| n),
            outcome: Outcome::Skipped,
            skip_reason: None,
            status: None,
            duration: None,
            assertions: Vec::new(),
            captures: Vec::new(),
            snapshot: SnapshotState::None,
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
            execute(
                shared,
                c,
                r,
                &mut vars,
                &jar,
                row.map(|(n, _)| n),
                &mut result,
            )
            .await;
            ran[r.index] = if result.status.is_some() {
                Ran::Responded
            } else {
                Ran::NoResponse
            };
            made[r.index].clone_from(&result.captures);
        }
        if matches!(result.outcome, Outcome::Failed | Outcome::Error) && shared.options.bail {
            shared.bail.store(true, Ordering::SeqCst);
        }
        let unchecked = result.outcome == Outcome::Error && result.error_kind.is_some();
        out.push((result.outcome, unchecked));
        shared.emit(Event::RequestFinished(Arc::new(result)));
    }
    shared.emit(Event::CollectionFinished {
        collection_id: id,
        collection: Arc::clone(c),
        row: row.map(|(n, _)| n),
    });
    out
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
    if shared.bail.load(Ordering::SeqCst) {
        return Some(Skipping::Skip(
            "--bail: an earlier request failed".to_owned(),
        ));
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
    if shared.options.read_only && r.mutates() {
        return Some(Skipping::Skip(format!(
            "--read-only: {} mutates",
            r.method.value
        )));
    }
    None
}

fn truthy(v: &Value) -> bool {
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

fn location(c: &Collection, span: courier_core::diag::Span) -> String {
    format!(
        "{}:{}:{}",
        c.file.display(),
        span.start.line,
        span.start.col
    )
}

/// Renders, sends (with retries and a renewal on 401), checks and captures one request.
async fn execute(
    shared: &Shared,
    c: &Collection,
    r: &Request,
    vars: &mut Vars,
    jar: &Arc<reqwest::cookie::Jar>,
    row: Option<usize>,
    result: &mut RequestResult,
) {
    let prepared = match prepare(shared, c, r, vars) {
        Ok(p) => p,
        Err(message) => {
            result.outcome = Outcome::Failed;
            result.error = Some(message);
            return;
        }
    };
    let profile = profile_of(c, r);
    let retries = r.retries.as_deref().or(c.defaults.retries.as_ref());
    let sent = &mut result.attempts;
    let received = match send_with_retries(
        shared,
        &prepared,
        profile,
        retries,
        r.mutates(),
        jar,
        sent,
    )
    .await
    {
        Ok(rec) => rec,
        Err(e) => {
            result.outcome = Outcome::Error;
            result.error = Some(shared.runtime.secrets.redact(&e.message).into_owned());
            result.error_kind = Some(e.kind);
            return;
        }
    };
    result.status = Some(received.status.as_u16());
    result.duration = Some(received.elapsed);
    if shared.options.verbose {
        result.exchange = Some(exchange(&prepared, &received, &shared.runtime.secrets));
    }
    if shared.options.keep_bodies {
        result.body = Some(received.body.clone());
    }

    let body = BodyDoc::new(&received.body);
    let mut assertions: Vec<AssertOutcome> = Vec::new();
    let no_expect = courier_core::model::Expect::default();
    let e = if shared.options.skip_expect {
        &no_expect
    } else {
        &r.expect
    };
    if let Some(s) = &e.status {
        assertions.extend(matcher::check_status(s, received.status.as_u16(), vars));
    }
    for (name, m) in &e.headers {
        let value = header_text(&received.headers, &name.value).map(Value::String);
        let actual = value.as_ref().map_or(Actual::NoMatch, Actual::Value);
        assertions.extend(matcher::check(
            AssertKind::Header,
            Some(&name.value),
            m,
            actual,
            vars,
        ));
    }
    for (path, m) in &e.jsonpath {
        match body.select(&path.value) {
            Ok(found) => {
                let actual = found.as_ref().map_or(Actual::NoMatch, Actual::Value);
                assertions.extend(matcher::check(
                    AssertKind::JsonPath,
                    Some(path.value.as_str()),
                    m,
                    actual,
                    vars,
                ));
            }
            Err(why) => assertions.extend(matcher::fail_all(
                AssertKind::JsonPath,
                Some(path.value.as_str()),
                m,
                vars,
                &why,
            )),
        }
    }
    if let Some(m) = &e.body {
        let text = Value::String(String::from_utf8_lossy(&received.body).into_owned());
        assertions.extend(matcher::check(
            AssertKind::Body,
            None,
            m,
            Actual::Value(&text),
            vars,
        ));
    }
    if let Some(m) = &e.duration {
        let ms = Value::from(received.elapsed.as_millis() as u64);
        assertions.extend(matcher::check(
            AssertKind::Duration,
            None,
            m,
            Actual::Value(&ms),
            vars,
        ));
    }

    // Captures, made whether or not the assertions passed (so a clean-up request can still
    // use what a failed request created).
    for cap in &r.captures {
        let value = match &cap.source {
            CaptureSource::JsonPath(p) => match body.capture(&p.value) {
                Ok(v) => v,
                Err(why) => {
                    assertions.push(capture_failure(
                        &cap.name.value,
                        p.value.as_str(),
                        &why,
                        cap.name.span,
                    ));
                    continue;
                }
            },
            CaptureSource::Header(h) => header_text(&received.headers, &h.value).map(Value::String),
        };
        if let Some(v) = value {
            vars.top_mut()
                .insert(cap.name.value.clone(), json_to_value(&v));
            result.captures.push(cap.name.value.clone());
        } else {
            let source = courier_core::plan::capture_source_text(&cap.source);
            assertions.push(capture_failure(
                &cap.name.value,
                &source,
                "matched nothing",
                cap.name.span,
            ));
        }
    }

    if let (Some(spec), Some(hook)) = (&r.snapshot, &shared.snapshots) {
        let json = body.full().ok();
        result.snapshot = hook.check(
            c,
            r,
            spec,
            json,
            &received.body,
            row,
            &shared.env_info.name,
            &shared.runtime.secrets,
        );
    }

    let failed = assertions.iter().any(|a| !a.passed) || result.snapshot.failed();
    result.assertions = assertions;
    result.outcome = if failed {
        Outcome::Failed
    } else {
        Outcome::Passed
    };
}

fn capture_failure(
    name: &str,
    source: &str,
    why: &str,
    span: courier_core::diag::Span,
) -> AssertOutcome {
    AssertOutcome {
        kind: AssertKind::Capture,
        path: Some(source.to_owned()),
        matcher: "capture".to_owned(),
        expected: Value::String(format!("a value for `{name}`")),
        actual: None,
        passed: false,
        message: Some(format!("capture `{name}`: {why}")),
        span,
    }
}

/// A header's value; several values are joined with `, `.
fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
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

/// The response body, parsed at most once and only as far as the checks need: a singular
/// JSONPath is read by a targeted pass over the bytes; anything else parses the document.
struct BodyDoc<'a> {
    bytes: &'a [u8],
    full: std::cell::OnceCell<Result<Value, String>>,
}

impl<'a> BodyDoc<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            full: std::cell::OnceCell::new(),
        }
    }

    fn full(&self) -> Result<&Value, String> {
        self.full
            .get_or_init(|| {
                if self.bytes.iter().all(u8::is_ascii_whitespace) {
                    return Err("the body is empty, not JSON".to_owned());
                }
                serde_json::from_slice(self.bytes)
                    .map_err(|e| format!("the body is not JSON ({e})"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The value a matcher sees: a singular query's value or no match; a non-singular
    /// query's node list as an array.
    fn select(&self, path: &JsonPath) -> Result<Option<Value>, String> {
        if path.is_singular()
            && self.full.get().is_none()
            && let Ok(found) = path.extract_from_slice(self.bytes)
        {
            return Ok(found);
        }
        // Not JSON: the full parse says why.
        let doc = self.full()?;
        Ok(match path.select(doc) {
            courier_core::jsonpath::Selection::Singular(v) => v.cloned(),
            courier_core::jsonpath::Selection::Nodes(nodes) => {
                Some(Value::Array(nodes.into_iter().cloned().collect()))
            }
        })
    }

    /// A capture's value: a singular query's value; one node of another query; several
    /// nodes as an array; nothing as `None`.
    fn capture(&self, path: &JsonPath) -> Result<Option<Value>, String> {
        if path.is_singular() {
            return self.select(path);
        }
        let doc = self.full()?;
        let mut nodes: Vec<Value> = path.query(doc).into_iter().cloned().collect();
        Ok(match nodes.len() {
            0 => None,
            1 => nodes.pop(),
            _ => Some(Value::Array(nodes)),
        })
    }
}

/// Renders everything a request sends.
fn prepare(shared: &Shared, c: &Collection, r: &Request, vars: &Vars) -> Result<Prepared, String> {
    let secrets = &shared.runtime.secrets;
    let render = |t: &courier_core::model::STemplate, what: &str| -> Result<String, String> {
        t.value.render(vars).map_err(|e| {
            format!(
                "{what} failed to render ({}): {}",
                location(c, t.span),
                secrets.redact(&e.message)
            )
        })
    };
    let url_text = render(&r.url, "`url`")?;
    let mut url = url::Url::parse(&url_text).map_err(|e| {
        format!(
            "`{}` is not a valid URL ({}): {e}",
            secrets.redact(&url_text),
            location(c, r.url.span)
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{}` is not an http or https URL ({})",
            secrets.redact(&url_text),
            location(c, r.url.span)
        ));
    }
    if !r.query.is_empty() {
        let mut pairs = Vec::with_capacity(r.query.len());
        for (k, t) in &r.query {
            pairs.push((k.value.clone(), render(t, &format!("query `{}`", k.value))?));
        }
        let mut q = url.query_pairs_mut();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
    }
    let mut headers = HeaderMap::new();
    // Defaults first, then the request's: the request wins, names compared without case.
    for h in c.defaults.headers.iter().chain(r.headers.iter()) {
        let value = render(&h.value, &format!("header `{}`", h.name.value))?;
        let (name, value) = client::header_pair(&h.name.value, &value)
            .map_err(|e| format!("{e} ({})", location(c, h.value.span)))?;
        headers.insert(name, value);
    }
    let body = match r.body.as_deref() {
        None => None,
        Some(Body::Json(v)) => {
            let json = v.render(vars).map_err(|(e, span)| {
                format!(
                    "`json` failed to render ({}): {}",
                    location(c, span),
                    secrets.redact(&e.message)
                )
            })?;
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static("application/json"));
            Some(Bytes::from(
                serde_json::to_vec(&json).map_err(|e| e.to_string())?,
            ))
        }
        Some(Body::Form(fields)) => {
            let mut parts = Vec::with_capacity(fields.len());
            for (k, t) in fields {
                let v = render(t, &format!("form field `{}`", k.value))?;
                parts.push(format!("{}={}", form_encode(&k.value), form_encode(&v)));
            }
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static(
                    "application/x-www-form-urlencoded",
                ));
            Some(Bytes::from(parts.join("&")))
        }
        Some(Body::Text(t)) => {
            let text = render(t, "`body`")?;
            headers
                .entry(CONTENT_TYPE)
                .or_insert(HeaderValue::from_static("text/plain; charset=utf-8"));
            Some(Bytes::from(text))
        }
    };
    let method = Method::from_bytes(r.method.value.as_bytes())
        .map_err(|_| format!("bad method `{}`", r.method.value))?;
    Ok(Prepared {
        method,
        url,
        headers,
        body,
        timeout: r
            .timeout
            .as_ref()
            .or(c.defaults.timeout.as_ref())
            .map_or(DEFAULT_TIMEOUT, |t| t.value),
        follow_redirects: r
            .follow_redirects
            .or(c.defaults.follow_redirects)
            .unwrap_or(false),
    })
}

/// Sends with the request's retries (SPEC §6): `count` extra attempts on the listed statuses
/// or network errors, never for a mutating request without an `Idempotency-Key`; backoff
/// doubling from `backoff` up to 10 s, or `Retry-After` up to 60 s; the identical rendered
/// request is resent. A 401 renews the token once and retries once.
async fn send_with_retries(
    shared: &Shared,
    prepared: &Prepared,
    profile: &str,
    retries: Option<&Retries>,
    mutates: bool,
    jar: &Arc<reqwest::cookie::Jar>,
    sent: &mut u32,
) -> Result<Received, SendError> {
    let may_retry = !mutates || prepared.headers.contains_key("idempotency-key");
    let (count, on, backoff) = match retries {
        Some(r) if may_retry => (r.count, r.on.as_slice(), r.backoff),
        _ => (0, &[][..], Duration::ZERO),
    };
    let auth_error = |e: crate::auth::AuthError| SendError {
        kind: ErrorKind::Auth,
        message: e.message,
    };
    let mut auth = shared
        .sessions
        .authorization(profile)
        .await
        .map_err(auth_error)?;
    let mut renewed = false;
    let mut attempt = 0u32;
    loop {
        let slot = shared.limiter.acquire().await;
        *sent += 1;
        let outcome = client::send(
            &shared.client,
            prepared,
            auth.as_ref(),
            Some(jar),
            &shared.runtime.secrets,
        )
        .await;
        drop(slot);
        match outcome {
            Ok(rec) if rec.status.as_u16() == 401 && !renewed && auth.is_some() => {
                renewed = true;
                let used = auth.clone().unwrap_or_else(|| HeaderValue::from_static(""));
                match shared
                    .sessions
                    .renew_after_401(profile, &used)
                    .await
                    .map_err(auth_error)?
                {
                    Some(fresh) => auth = Some(fresh),
                    None => return Ok(rec),
                }
            }
            Ok(rec) => {
                let status = rec.status.as_u16();
                let retryable = on.iter().any(|o| match o {
                    RetryOn::Status(s) => *s == status,
                    RetryOn::Class(c) => status / 100 == *c,
                    RetryOn::Network => false,
                });
                if attempt < count && retryable {
                    let wait =
                        retry_after(&rec.headers).unwrap_or_else(|| backoff_for(backoff, attempt));
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                    continue;
                }
                return Ok(rec);
            }
            Err(e) => {
                let network = matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout);
                if attempt < count && network && on.contains(&RetryOn::Network) {
                    let wait = backoff_for(backoff, attempt);
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                    continue;
                }
                let message = if attempt > 0 {
                    format!(
                        "{} (after {} retr{})",
                        e.message,
                        attempt,
                        if attempt == 1 { "y" } else { "ies" }
                    )
                } else {
                    e.message
                };
                return Err(SendError {
                    kind: e.kind,
                    message,
                });
            }
        }
    }
}

fn backoff_for(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
    base.checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF)
}

/// `Retry-After` in seconds or as an HTTP date, capped at 60 s.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(secs) = v.parse::<f64>() {
        Duration::from_secs_f64(secs.max(0.0))
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
        (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The request and response as text for `-v`, with credentials and secrets hidden.
fn exchange(p: &Prepared, rec: &Received, secrets: &Secrets) -> Exchange {
    let mut request = format!("> {} {}\n", p.method, p.url);
    for (k, v) in &p.headers {
        let _ = writeln!(request, "> {}: {}", k, header_shown(k.as_str(), v));
    }
    if let Some(b) = &p.body {
        request.push_str(&body_shown(b));
    }
    let mut response = format!("< {}\n", rec.status);
    for (k, v) in &rec.headers {
        let _ = writeln!(response, "< {}: {}", k, header_shown(k.as_str(), v));
    }
    response.push_str(&body_shown(&rec.body));
    Exchange {
        request: secrets.redact(&request).into_owned(),
        response: secrets.redact(&response).into_owned(),
    }
}

fn header_shown(name: &str, v: &HeaderValue) -> String {
    if matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "cookie" | "set-cookie" | "proxy-authorization"
    ) {
        courier_core::secret::REDACTED.to_owned()
    } else {
        String::from_utf8_lossy(v.as_bytes()).into_owned()
    }
}

fn body_shown(b: &[u8]) -> String {
    if b.is_empty() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&b[..b.len().min(VERBOSE_BODY_LIMIT)]).into_owned();
    let more = if b.len() > VERBOSE_BODY_LIMIT {
        format!("\n… ({} more bytes)", b.len() - VERBOSE_BODY_LIMIT)
    } else {
        String::new()
    };
    format!("{text}{more}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let b = Duration::from_millis(250);
        assert_eq!(backoff_for(b, 0), Duration::from_millis(250));
        assert_eq!(backoff_for(b, 2), Duration::from_secs(1));
        assert_eq!(backoff_for(b, 10), MAX_BACKOFF);
        assert_eq!(backoff_for(b, 40), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("3600"),
        );
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn truthiness() {
        assert!(!truthy(&Value::String("false".into())));
        assert!(truthy(&Value::String("production".into())));
        assert!(!truthy(&Value::Bool(false)));
        assert!(truthy(&Value::from(1)));
    }
}
