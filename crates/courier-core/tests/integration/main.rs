//! courier-core's one integration test binary (STYLE.md: one per crate, modules inside).

mod jsonpath_cts;
mod robustness;
mod schema;
