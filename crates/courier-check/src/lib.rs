//! The check stage: matchers against responses, snapshots, and the structural JSON diff that
//! snapshots and `compare` share. Pure and synchronous.

pub mod diff;
pub mod matcher;
pub mod snapshot;
