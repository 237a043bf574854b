//! End-to-end tests of the built `courier` binary: the broken-input corpus under
//! `tests/broken/` and behaviour tests per capability. The golden cases under `tests/cases/`
//! are a test target of their own (`tests/cases.rs`), one test per case.

pub(crate) mod auth;
#[cfg(feature = "external")]
mod auth_external;
pub(crate) mod auth_status;
mod binary;
mod broken;
mod ci_secrets;
mod compare;
mod cookies;
mod docs;
mod dotenv;
mod emulator_seed;
#[cfg(feature = "external")]
mod external;
mod faults;
mod guard;
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
mod leaks;
mod list;
mod merge;
mod readme;
mod recorder;
mod rehearsal;
mod reliability;
mod report_spill;
mod reports;
mod run_limits;
mod snapshot_kills;
mod snapshots_cli;
mod snapshots_run;
mod support;
mod verbose;
