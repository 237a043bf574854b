//! What the file reporters (JSON, JUnit, HTML) keep of a run's events until `finish()`: the
//! environment, the start time and duration, and each request's entry — in the reporter's own
//! form, made as the request finishes — grouped by collection in run order. The console
//! prints as events arrive; the file reporters need the whole run, which they keep in a
//! [`spill`] file rather than memory (docs/reports.md#memory).

mod spill;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use courier_core::model::Collection;
use courier_events::{EnvInfo, Event, RequestResult, Summary};
use serde::Serialize;
use serde::de::DeserializeOwned;

use spill::{Runs, Spill};

/// One collection of the run and where its entries are, rows one after another.
#[derive(Debug)]
pub struct CollectionRecord {
    pub collection: Arc<Collection>,
    entries: Runs,
}

impl CollectionRecord {
    /// How many requests of the collection were reported.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Makes a reporter's entry of a finished request.
type Keep<T> = Box<dyn Fn(&RequestResult) -> T + Send>;

/// The run so far, each request kept as the entry `T` that `keep` makes of it.
pub struct RunRecord<T> {
    /// Set by `RunStarted`; a run that never started (setup failed) writes no report.
    pub environment: Option<EnvInfo>,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub duration: Duration,
    /// Keyed by the collection's position in the plan, which is the run order whatever order
    /// `--parallel` finishes them in.
    collections: BTreeMap<usize, CollectionRecord>,
    pub summary: Summary,
    keep: Keep<T>,
    spill: Spill,
    /// The first entry that could not be kept, reported by [`RunRecord::kept`].
    error: Option<std::io::Error>,
}

impl<T> std::fmt::Debug for RunRecord<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunRecord")
            .field("environment", &self.environment)
            .field("collections", &self.collections)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize + DeserializeOwned> RunRecord<T> {
    /// A record that keeps `keep(result)` of each finished request.
    pub fn new(keep: impl Fn(&RequestResult) -> T + Send + 'static) -> Self {
        Self {
            environment: None,
            started_at: None,
            duration: Duration::ZERO,
            collections: BTreeMap::new(),
            summary: Summary::default(),
            keep: Box::new(keep),
            spill: Spill::default(),
            error: None,
        }
    }

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
                self.collection(*collection_id, collection);
            }
            Event::RequestFinished(r) => {
                self.summary.add(r.outcome);
                let (start, end) = match self.spill.push(&(self.keep)(r)) {
                    Ok(at) => at,
                    Err(e) => {
                        self.error.get_or_insert(e);
                        return;
                    }
                };
                // Rows of one collection run one after another and requests in order, so
                // arrival order is run order within a collection.
                let c = self.collection(r.collection_id, &r.collection);
                c.entries.push(start, end);
            }
            Event::RunFinished { duration, .. } => self.duration = *duration,
            Event::RequestStarted { .. } | Event::CollectionFinished { .. } | Event::Notice(_) => {}
        }
    }

    fn collection(&mut self, id: usize, collection: &Arc<Collection>) -> &mut CollectionRecord {
        self.collections
            .entry(id)
            .or_insert_with(|| CollectionRecord {
                collection: Arc::clone(collection),
                entries: Runs::default(),
            })
    }

    /// Collections in run order; those with no reported request (every request deselected)
    /// are left out.
    pub fn collections(&self) -> impl Iterator<Item = &CollectionRecord> {
        self.collections.values().filter(|c| !c.is_empty())
    }

    /// The entries of `collection`, in run order, read back one at a time.
    pub fn entries<'a>(
        &'a self,
        collection: &'a CollectionRecord,
    ) -> impl Iterator<Item = std::io::Result<T>> + 'a {
        self.spill.read(&collection.entries)
    }

    /// Fails when an entry could not be kept (the temporary file could not be written), so
    /// a report never leaves requests out silently.
    pub fn kept(&self) -> std::io::Result<()> {
        match &self.error {
            Some(e) => Err(std::io::Error::new(
                e.kind(),
                format!("keep the run's results for the report: {e}"),
            )),
            None => Ok(()),
        }
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
            page: None,
            poll_attempts: None,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::RunRecord;
    use super::fixtures::{collection, result, run};

    #[test]
    fn a_record_keeps_its_own_entries_and_no_result() {
        let c = collection("c.yaml", "C", &["a", "b"]);
        let mut record = RunRecord::new(courier_events::RequestResult::display_name);
        let events = run(vec![result(&c, 0, 0), result(&c, 0, 1)]);
        for e in &events {
            record.on_event(e);
        }
        for e in &events {
            if let courier_events::Event::RequestFinished(r) = e {
                // Only the event holds the result: the record let it go.
                assert_eq!(Arc::strong_count(r), 1);
            }
        }
        let kept: Vec<Vec<String>> = record
            .collections()
            .map(|c| record.entries(c).collect::<std::io::Result<_>>().unwrap())
            .collect();
        assert_eq!(kept, [["a", "b"]]);
        record.kept().unwrap();
    }
}
