//! The executor's side of snapshots: the hook it calls after a response when a request has
//! `snapshot:`. The check stage owns the format and the files; the binary supplies the hook
//! with the run's mode.

use serde_json::Value;

use courier_core::model::{Collection, Request, SnapshotSpec};
use courier_core::secret::Secrets;

use crate::events::SnapshotState;

/// Compares a response with its stored snapshot (and writes pending files as the mode says).
pub trait SnapshotHook: Send + Sync {
    #[expect(
        clippy::too_many_arguments,
        reason = "one call site, every argument is a distinct fact of the response"
    )]
    fn check(
        &self,
        collection: &Collection,
        request: &Request,
        spec: &SnapshotSpec,
        json: Option<&Value>,
        raw: &[u8],
        row: Option<usize>,
        env_name: &str,
        secrets: &Secrets,
    ) -> SnapshotState;
}
