//! `courier auth login|status|logout`: OAuth 2.0 sessions kept in the token cache (SPEC §4).

use courier_report::contract::Exit;

/// Log in, list and remove cached OAuth 2.0 sessions.
#[derive(Debug, clap::Args)]
pub(crate) struct AuthArgs {}

pub(crate) fn run(_args: &AuthArgs) -> Exit {
    Exit::Invalid
}
