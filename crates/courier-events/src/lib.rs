//! The contract between Courier's executor and its reporters, kept as a leaf so that a
//! reporter needs neither the executor nor the emulator (nextest-metadata's arrangement): the
//! [`Event`]s the executor (courier-exec) sends as a run goes on — a run starts, collections
//! and requests start and finish, the run ends — the [`Reporter`] trait that the console,
//! JUnit and JSON reporters (courier-report) implement, and the process [`Exit`] codes.
//! Outcomes inside the events are the check stage's (courier-check) data, not text.
//! Reporters are peers that consume these events on their own thread; the executor never
//! waits for them.

mod exit;

pub use exit::Exit;

use std::sync::Arc;
use std::time::Duration;

use courier_check::matcher::AssertOutcome;
use courier_check::snapshot::SnapshotOutcome;
use courier_core::model::{Collection, Scope};

/// How a request ended (docs/reports.md#json-report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    Skipped,
    /// No response to check.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
            Self::Error => "error",
        }
    }
}

/// Why a request could not be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Network,
    Tls,
    Timeout,
    /// No token could be obtained.
    Auth,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::Auth => "auth",
        }
    }
}

/// A request and its response as sent and received, redacted, for `-v`.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: String,
    pub response: String,
}

/// The result of one request (of one data row).
#[derive(Debug, Clone)]
pub struct RequestResult {
    /// The collection's position in the run.
    pub collection_id: usize,
    pub collection: Arc<Collection>,
    pub request_index: usize,
    /// The data row, counted from 1, in data-driven runs.
    pub row: Option<usize>,
    pub outcome: Outcome,
    pub skip_reason: Option<String>,
    pub status: Option<u16>,
    pub duration: Option<Duration>,
    pub assertions: Vec<AssertOutcome>,
    pub captures: Vec<String>,
    /// `None` when the request has no `snapshot:` or snapshots were not checked.
    pub snapshot: Option<SnapshotOutcome>,
    /// Why there was no response, or why the request failed outside its assertions (a
    /// template that failed to render, a capture that matched nothing).
    pub error: Option<String>,
    pub error_kind: Option<ErrorKind>,
    pub exchange: Option<Exchange>,
    /// The response body as received, only when the run was asked to keep bodies
    /// (courier-exec's `RunOptions::keep_bodies`, for `courier compare`).
    pub body: Option<bytes::Bytes>,
    /// Every send of the request: the first, each retry, the resend after a renewed token; 0
    /// when nothing was sent.
    pub attempts: u32,
    /// When the request started, from the run's start; `None` when it was skipped.
    pub started: Option<Duration>,
}

impl RequestResult {
    pub fn name(&self) -> &str {
        &self.collection.requests[self.request_index].name.value
    }

    /// `name` or `name [row N]`.
    pub fn display_name(&self) -> String {
        match self.row {
            Some(n) => format!("{} [row {n}]", self.name()),
            None => self.name().to_owned(),
        }
    }
}

/// The environment of a run, for reports.
#[derive(Debug, Clone)]
pub struct EnvInfo {
    pub name: String,
    pub scope: Scope,
}

/// Counts per request: errors count as failed; deselected requests not at all
/// (docs/cli.md#exit-codes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl Summary {
    pub fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed | Outcome::Error => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Event {
    RunStarted {
        environment: EnvInfo,
        /// Requests that will be reported (selected requests × rows).
        planned: usize,
        /// Collections run at once.
        parallel: usize,
        started_at: chrono::DateTime<chrono::Utc>,
    },
    CollectionStarted {
        collection_id: usize,
        collection: Arc<Collection>,
        row: Option<usize>,
    },
    RequestStarted {
        collection_id: usize,
        request_index: usize,
        row: Option<usize>,
    },
    RequestFinished(Arc<RequestResult>),
    CollectionFinished {
        collection_id: usize,
        collection: Arc<Collection>,
        row: Option<usize>,
    },
    /// Something a user should know that is not a request's result (a warning).
    Notice(String),
    RunFinished {
        summary: Summary,
        duration: Duration,
    },
}

/// A consumer of events: the console, JUnit and JSON reporters.
pub trait Reporter: Send {
    fn on_event(&mut self, event: &Event);

    /// Called when the reporter has seen every event sent so far: the moment to flush output
    /// it buffers, so that lines appear while the run goes on without a write per request.
    fn on_idle(&mut self) {}

    /// Called once after the last event; writes files.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
