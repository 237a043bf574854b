//! End-to-end tests of the built `courier` binary: golden cases under `tests/cases/`, the
//! broken-input corpus under `tests/broken/`, and behaviour tests per capability.

mod auth;
#[cfg(feature = "external")]
mod auth_external;
mod broken;
mod cases;
mod compare;
mod cookies;
#[cfg(feature = "external")]
mod external;
mod language;
mod list;
mod reports;
mod run_limits;
mod snapshots_cli;
mod snapshots_run;
mod support;
