//! The pure core of Courier: the model of collections and environments, loading them from
//! YAML with positions, templates, JSONPath, and the plan that `validate` and `run` share.
//! Nothing here does I/O beyond reading the files it is asked to load and the one atomic
//! file writer ([`fs`]), and nothing is async.

pub mod cut;
pub mod data;
pub mod diag;
pub mod fs;
pub mod jsonpath;
pub mod load;
pub mod model;
pub mod path_expr;
pub mod pattern;
pub mod plan;
pub mod schema;
pub mod secret;
mod shared;
pub mod template;
pub mod value;
pub mod yaml;
