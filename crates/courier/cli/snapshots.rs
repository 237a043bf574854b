//! `courier snapshots`: review, accept, reject, list and clean snapshot files (SPEC §5).

use courier_report::contract::Exit;

/// Review and manage response snapshots.
#[derive(Debug, clap::Args)]
pub(crate) struct SnapshotsArgs {}

pub(crate) fn run(_args: &SnapshotsArgs) -> Exit {
    Exit::Invalid
}
