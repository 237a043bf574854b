//! courier-core's one integration test binary (one per crate, with modules inside).

mod jsonpath_cts;
mod robustness;
mod schema;
