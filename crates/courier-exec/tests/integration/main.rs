//! The executor's integration tests: whole runs against the in-process Intacct emulator,
//! planned by courier-core and judged by the events the executor sends, without the binary.
//! Each test guards one flow rule of docs/collections.md#flow-within-a-collection.

mod flow;
mod support;
