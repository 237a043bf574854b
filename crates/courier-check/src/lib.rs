//! The check stage: [`response::evaluate`] takes one response from the executor and returns
//! its outcomes as data — the [`matcher`]s of `expect`, the captures, the [`snapshot`] check —
//! which the executor puts into its events for the reporters. Also the structural JSON
//! [`diff`] that snapshots and `compare` share. Pure and synchronous.

pub mod diff;
pub mod matcher;
pub mod response;
pub mod snapshot;
