//! `courier compare`: the same collections against two environments, diffed (SPEC §7).

use courier_report::contract::Exit;

/// Compare two environments request by request.
#[derive(Debug, clap::Args)]
pub(crate) struct CompareArgs {}

pub(crate) fn run(_args: &CompareArgs) -> Exit {
    Exit::Invalid
}
