//! The executor's run: prepares the environment (its variables, auth profiles, the HTTP
//! client, limits and sessions), then runs the planned collections — in order within a
//! collection ([`crate::flow`]), up to `--parallel` collections at once, once per data row —
//! and totals what the requests came to. Everything a reporter sees leaves as an [`Event`].

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, mpsc};
use std::time::Instant;

use courier_check::snapshot::SnapshotMode;
use courier_core::model::Environment;
use courier_core::plan::PlannedCollection;
use courier_core::plan::variables::profile_of;
use courier_core::secret::Secrets;
use courier_core::template::{Runtime, VarMap, Vars};

use crate::auth::Sessions;
use crate::client;
use crate::context::{self, SetupError};
use crate::flow::run_collection;
use crate::limits::Limiter;
use courier_events::{EnvInfo, Event, Outcome, Summary};

pub use crate::prepare::{DEFAULT_MAX_BODY, DEFAULT_TIMEOUT};

/// Run-wide switches.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub parallel: usize,
    pub bail: bool,
    pub read_only: bool,
    pub verbose: bool,
    /// Keep each response body in its [`RequestResult::body`] (`courier compare` diffs them).
    pub keep_bodies: bool,
    /// Leave `expect` blocks out: `courier compare` does not evaluate them
    /// (docs/cli.md#courier-compare).
    pub skip_expect: bool,
    /// The effective snapshot mode; `None` checks no snapshots (`courier compare`).
    pub snapshots: Option<SnapshotMode>,
    /// `--max-body`: the largest response body, decoded, unless a collection sets its own
    /// (docs/collections.md#response-size).
    pub max_body: u64,
    /// Set by the first SIGINT or SIGTERM (docs/cli.md#interrupting-a-run).
    pub interrupt: Arc<crate::interrupt::Interrupt>,
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
            snapshots: None,
            max_body: DEFAULT_MAX_BODY,
            interrupt: Arc::default(),
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
    /// The variables of the environment's embedded emulator, which the caller started
    /// (`base_url`, `client_id`, …); `None` without one.
    pub emulator_variables: Option<VarMap>,
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

/// What every collection of a run shares.
pub(crate) struct Shared {
    pub(crate) client: reqwest::Client,
    pub(crate) env_info: EnvInfo,
    pub(crate) emulator_layer: Arc<VarMap>,
    pub(crate) env_layer: Arc<VarMap>,
    pub(crate) cli_layer: Arc<VarMap>,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) sessions: Sessions,
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) options: RunOptions,
    /// Set by the first failure under `--bail`.
    pub(crate) bail: AtomicBool,
    events: mpsc::Sender<Event>,
    /// The moment of `RunStarted`: requests' start offsets count from it.
    pub(crate) run_started: Instant,
}

impl Shared {
    pub(crate) fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }
}

/// Runs a plan, sending events as it goes.
pub async fn run(input: RunInput, events: mpsc::Sender<Event>) -> Result<RunTotals, SetupError> {
    let started = Instant::now();
    let env = Arc::clone(&input.environment);
    let runtime = Arc::new(Runtime {
        dotenv: input.dotenv.clone(),
        secrets: Arc::clone(&input.secrets),
    });
    let cli = context::cli_layer(&input.cli_vars);

    let (emulator_layer, env_layer) =
        context::environment_layer(&env, input.emulator_variables.as_ref(), &cli, &runtime)?;

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
    // Sessions of an `emulator:` environment die with the run: never cached
    // (docs/environments.md#oauth-sessions). A
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
    .with_login_env(context::env_argument(&env))
    .with_transcript(input.options.verbose);
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
        run_started: Instant::now(),
    });
    shared.emit(Event::RunStarted {
        environment: env_info,
        planned,
        parallel,
        started_at: chrono::Utc::now(),
    });
    for notice in context::short_secret_notices(&env, &shared.runtime) {
        shared.emit(Event::Notice(notice));
    }

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
    for notice in throttling_notices(shared.limiter.throttling(), parallel) {
        shared.emit(Event::Notice(notice));
    }
    shared.emit(Event::RunFinished {
        summary: totals.summary,
        duration: started.elapsed(),
    });
    Ok(totals)
}

/// After 429s, what the run learned (docs/environments.md#limits). In a run of parallel
/// collections, the limit that refused concurrent slots left, and how to start the next run
/// there; one collection at a time has one request in flight, so its 429s are the server's
/// rate, not its concurrency, and there is nothing to learn. In any run, the 429s of a spent
/// hourly quota, which no limit of the run avoids.
fn throttling_notices(t: crate::limits::Throttling, parallel: usize) -> Vec<String> {
    let plural = |n: u32| if n == 1 { "" } else { "s" };
    let mut notices = Vec::new();
    let slots = t.responses.saturating_sub(t.quota);
    if let Some(limit) = t.limit
        && slots > 0
        && parallel > 1
    {
        notices.push(format!(
            "the server answered 429 (too many requests) {slots} time{}, so the run sent fewer requests at once: at most {limit} by its end; `limits: {{ max_concurrency: {limit} }}` in the environment starts there (docs/environments.md#limits)",
            plural(slots)
        ));
    }
    if t.quota > 0 {
        let renewal = match t.unsent {
            Some((unsent, renews_at)) => {
                let held_back = match unsent {
                    0 => String::new(),
                    1 => ", so 1 request after it was not sent".to_owned(),
                    n => format!(", so {n} requests after it were not sent"),
                };
                format!(
                    "it renews at about {}, later than a wait is honoured{held_back}",
                    renews_at.format("%H:%M:%S UTC")
                )
            }
            None => "the quota renews within the hour".to_owned(),
        };
        notices.push(format!(
            "the server answered 429 (too many requests) {} time{} because the hourly request quota was spent (X-IA-Hour-Rate-Limit-Remaining: 0): fewer requests at once would not help; {renewal} (docs/environments.md#limits)",
            t.quota,
            plural(t.quota)
        ));
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::throttling_notices;
    use crate::limits::Throttling;

    #[test]
    fn a_spent_quota_is_told_apart_from_refused_slots() {
        let slots_only = Throttling {
            responses: 8,
            quota: 0,
            limit: Some(2),
            unsent: None,
        };
        let notices = throttling_notices(slots_only, 10);
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("8 times") && notices[0].contains("max_concurrency: 2"));
        // One collection at a time: nothing learned about concurrency.
        assert!(throttling_notices(slots_only, 1).is_empty());

        let quota_only = Throttling {
            responses: 3,
            quota: 3,
            limit: Some(6),
            unsent: None,
        };
        for parallel in [1, 10] {
            let notices = throttling_notices(quota_only, parallel);
            assert_eq!(notices.len(), 1, "{notices:?}");
            assert!(notices[0].contains("3 times because the hourly request quota was spent"));
            assert!(!notices[0].contains("max_concurrency"));
        }

        let both = Throttling {
            responses: 5,
            quota: 1,
            limit: Some(3),
            unsent: None,
        };
        let notices = throttling_notices(both, 4);
        assert_eq!(notices.len(), 2);
        assert!(notices[0].contains("4 times") && notices[1].contains("1 time because"));

        // Spent until later than a wait is honoured: the requests after it were not sent.
        let renews_at = chrono::DateTime::parse_from_rfc3339("2026-12-07T14:32:05Z")
            .expect("a date")
            .to_utc();
        let closed = Throttling {
            unsent: Some((7, renews_at)),
            ..quota_only
        };
        let notices = throttling_notices(closed, 1);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains("renews at about 14:32:05 UTC")
                && notices[0].contains("so 7 requests after it were not sent")
                && !notices[0].contains("within the hour"),
            "{}",
            notices[0]
        );
        // Spent on the run's last request: nothing was held back, the renewal is still told.
        let last = Throttling {
            unsent: Some((0, renews_at)),
            ..quota_only
        };
        let notices = throttling_notices(last, 1);
        assert!(
            notices[0].contains("renews at about 14:32:05 UTC, later than a wait is honoured (")
                && !notices[0].contains("not sent"),
            "{}",
            notices[0]
        );
    }
}
