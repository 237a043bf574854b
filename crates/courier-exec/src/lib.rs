//! courier-exec
