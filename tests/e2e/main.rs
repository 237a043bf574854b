//! End-to-end tests of the built `courier` binary: the broken-input corpus under
//! `tests/broken/` and behaviour tests per capability. The golden cases under `tests/cases/`
//! are a test target of their own (`tests/cases.rs`), one test per case.

pub(crate) mod auth;
#[cfg(feature = "external")]
mod auth_external;
mod broken;
mod ci_secrets;
mod compare;
mod cookies;
mod docs;
mod emulator_seed;
#[cfg(feature = "external")]
mod external;
mod hardened;
mod help_examples;
mod hostile;
mod html;
#[cfg(feature = "external")]
mod html_external;
mod import;
mod init;
mod interrupt;
mod language;
mod list;
mod merge;
mod readme;
mod rehearsal;
mod reports;
mod run_limits;
mod snapshots_cli;
mod snapshots_run;
mod support;
mod verbose;
