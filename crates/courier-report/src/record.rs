//! What the file reporters (JSON, JUnit) keep of a run's events until `finish()`: the
//! environment, the start time and duration, and every request result grouped by collection
//! in run order. The console prints as events arrive; the file reporters need the whole run.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use courier_core::model::Collection;
use courier_events::{EnvInfo, Event, RequestResult, Summary};

/// One collection of the run and its results, rows one after another.
#[derive(Debug, Clone)]
pub struct CollectionRecord {
    pub collection: Arc<Collection>,
    pub results: Vec<Arc<RequestResult>>,
}

/// The run so far.
#[derive(Debug, Default)]
pub struct RunRecord {
    /// Set by `RunStarted`; a run that never started (setup failed) writes no report.
    pub environment: Option<EnvInfo>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub duration: Duration,
    /// Keyed by the collection's position in the plan, which is the run order whatever order
    /// `--parallel` finishes them in.
    pub collections: BTreeMap<usize, CollectionRecord>,
    pub summary: Summary,
}

impl RunRecord {
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                environment,
                started_at,
                ..
            } => {
                self.environment = Some(environment.clone());
                self.started_at = Some(*started_at);
            }
            Event::CollectionStarted {
                collection_id,
                collection,
                ..
            } => {
                self.collections
                    .entry(*collection_id)
                    .or_insert_with(|| CollectionRecord {
                        collection: Arc::clone(collection),
                        results: Vec::new(),
                    });
            }
            Event::RequestFinished(r) => {
                self.summary.add(r.outcome);
                // Rows of one collection run one after another and requests in order, so
                // arrival order is run order within a collection.
                self.collections
                    .entry(r.collection_id)
                    .or_insert_with(|| CollectionRecord {
                        collection: Arc::clone(&r.collection),
                        results: Vec::new(),
                    })
                    .results
                    .push(Arc::clone(r));
            }
            Event::RunFinished { duration, .. } => self.duration = *duration,
            Event::RequestStarted { .. } | Event::CollectionFinished { .. } | Event::Notice(_) => {}
        }
    }

    /// Collections in run order; those with no reported request (every request deselected)
    /// are left out.
    pub fn collections(&self) -> impl Iterator<Item = &CollectionRecord> {
        self.collections.values().filter(|c| !c.results.is_empty())
    }
}

/// Gives `reporters` a run in which nothing ran, and finishes them: an empty selection or
/// shard still writes its `--junit` and `--json` files, since the CI step that uploads them
/// expects them (an empty selection is a pass, not an absence: docs/cli.md#exit-codes).
pub fn finish_empty_run(
    reporters: &mut [Box<dyn courier_events::Reporter>],
    environment: EnvInfo,
) -> std::io::Result<()> {
    let events = [
        Event::RunStarted {
            environment,
            planned: 0,
            parallel: 1,
            started_at: chrono::Utc::now(),
        },
        Event::RunFinished {
            summary: Summary::default(),
            duration: Duration::ZERO,
        },
    ];
    let mut result = Ok(());
    for r in reporters.iter_mut() {
        for e in &events {
            r.on_event(e);
        }
        if let Err(e) = r.finish() {
            result = Err(e);
        }
    }
    result
}

/// Results and events made by hand, for the reporters' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::sync::Arc;
    use std::time::Duration;

    use courier_check::matcher::{AssertKind, AssertOutcome};
    use courier_core::diag::{Pos, SourceFile, Span};
    use courier_core::model::{Collection, Scope};
    use courier_events::{EnvInfo, ErrorKind, Event, Outcome, RequestResult, Summary};
    use serde_json::json;

    pub(crate) fn collection(file: &str, name: &str, requests: &[&str]) -> Arc<Collection> {
        let mut text = format!("name: {name}\nrequests:\n");
        for r in requests {
            text.push_str("  - name: ");
            text.push_str(r);
            text.push_str("\n    url: http://x\n");
        }
        Arc::new(
            courier_core::load::parse_collection(&SourceFile::new(file, text))
                .expect("a valid collection"),
        )
    }

    pub(crate) fn result(c: &Arc<Collection>, id: usize, index: usize) -> RequestResult {
        RequestResult {
            collection_id: id,
            collection: Arc::clone(c),
            request_index: index,
            row: None,
            outcome: Outcome::Passed,
            skip_reason: None,
            status: Some(200),
            duration: Some(Duration::from_millis(12)),
            assertions: Vec::new(),
            captures: Vec::new(),
            snapshot: None,
            error: None,
            error_kind: None,
            exchange: None,
            body: None,
            attempts: 1,
            started: Some(Duration::from_millis(3)),
        }
    }

    pub(crate) fn assertion(passed: bool) -> AssertOutcome {
        AssertOutcome {
            kind: AssertKind::JsonPath,
            path: Some("$['ia::result'].id".to_owned()),
            matcher: "eq".to_owned(),
            expected: json!("V-0001"),
            actual: Some(json!(if passed { "V-0001" } else { "V-0002" })),
            passed,
            message: None,
            span: Span::point(Pos {
                line: 7,
                col: 9,
                offset: 0,
            }),
        }
    }

    pub(crate) fn failed(c: &Arc<Collection>, id: usize, index: usize) -> RequestResult {
        RequestResult {
            outcome: Outcome::Failed,
            assertions: vec![assertion(true), assertion(false)],
            ..result(c, id, index)
        }
    }

    pub(crate) fn errored(c: &Arc<Collection>, id: usize, index: usize) -> RequestResult {
        RequestResult {
            outcome: Outcome::Error,
            status: None,
            duration: None,
            attempts: 3,
            error: Some("connection refused (127.0.0.1:9)".to_owned()),
            error_kind: Some(ErrorKind::Network),
            ..result(c, id, index)
        }
    }

    pub(crate) fn skipped(c: &Arc<Collection>, id: usize, index: usize) -> RequestResult {
        RequestResult {
            outcome: Outcome::Skipped,
            status: None,
            duration: None,
            attempts: 0,
            started: None,
            skip_reason: Some("skip: true".to_owned()),
            ..result(c, id, index)
        }
    }

    /// A whole run: `RunStarted`, the collections of `results` (grouped by id, in the order
    /// given), `RunFinished`.
    pub(crate) fn run(results: Vec<RequestResult>) -> Vec<Event> {
        let started_at = chrono::DateTime::parse_from_rfc3339("2025-03-04T05:06:07.089Z")
            .expect("a valid time")
            .with_timezone(&chrono::Utc);
        let mut events = vec![Event::RunStarted {
            environment: EnvInfo {
                name: "local".to_owned(),
                scope: Scope::NonProduction,
            },
            planned: results.len(),
            parallel: 1,
            started_at,
        }];
        let mut summary = Summary::default();
        let mut current: Option<(usize, Option<usize>)> = None;
        for r in results {
            let key = (r.collection_id, r.row);
            if current != Some(key) {
                events.push(Event::CollectionStarted {
                    collection_id: r.collection_id,
                    collection: Arc::clone(&r.collection),
                    row: r.row,
                });
                current = Some(key);
            }
            summary.add(r.outcome);
            events.push(Event::RequestFinished(Arc::new(r)));
        }
        events.push(Event::RunFinished {
            summary,
            duration: Duration::from_millis(1234),
        });
        events
    }
}
