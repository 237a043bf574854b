//! The execute stage: the only async part of Courier besides the emulator. It takes a plan
//! from courier-core (`plan::Plan`), prepares the environment (the binary starts an embedded
//! emulator and hands its variables in), holds the run's HTTP client and auth sessions, and
//! runs every request one direction: prepare → send → check (courier-check's
//! `response::evaluate`) → emit a `courier_events::Event` for the reporters.

pub mod auth;
pub mod client;
pub mod context;
mod flow;
pub mod interrupt;
pub mod jar;
pub mod limits;
pub mod loopback;
mod multipart;
pub mod oauth;
mod prepare;
mod repeat;
mod request;
pub mod runner;
mod send;
pub mod tls;
pub mod token_cache;
mod verbose;

use std::time::Duration;

/// `250ms`, `1.5s`, `2m` — how durations are written back to users.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
