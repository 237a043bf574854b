//! The report stage: the console, JUnit and JSON reporters, peers that consume the executor's
//! events, and the stable contract (exit codes, report types) they share with users' scripts.

pub mod console;
pub mod contract;
pub mod html;
pub mod json;
pub mod junit;
pub mod output;
pub mod record;
