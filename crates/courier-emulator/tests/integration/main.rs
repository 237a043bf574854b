//! HTTP-level tests of the emulator: each module starts emulators in-process on port 0 and
//! talks to them with reqwest, as the runner and users do.

mod api_auth;
mod batch;
mod bulk;
mod composite;
mod concurrency;
mod conformance;
mod data;
mod knobs;
mod model;
mod oauth;
mod objects;
mod query;
mod quota;
mod readme;
mod robustness;
mod services_auth;
mod stats;
mod support;
mod transactions;
