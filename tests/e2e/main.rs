//! End-to-end tests of the built `courier` binary: golden cases under `tests/cases/`, the
//! broken-input corpus under `tests/broken/`, and behaviour tests per capability.

mod support;
mod snapshots_cli;
mod cases;
mod reports;
mod compare;
#[cfg(feature = "external")]
mod external;
mod broken;
mod auth;
#[cfg(feature = "external")]
mod auth_external;
mod run_limits;
mod list;
