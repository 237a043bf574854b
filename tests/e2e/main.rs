//! End-to-end tests of the built `courier` binary: the broken-input corpus under
//! `tests/broken/` and behaviour tests per capability. The golden cases under `tests/cases/`
//! are a test target of their own (`tests/cases.rs`), one test per case.

mod auth;
#[cfg(feature = "external")]
mod auth_external;
mod broken;
mod compare;
mod cookies;
mod docs;
#[cfg(feature = "external")]
mod external;
mod hostile;
mod import;
mod init;
mod list;
mod reports;
mod run_limits;
mod snapshots_cli;
mod snapshots_run;
mod support;
