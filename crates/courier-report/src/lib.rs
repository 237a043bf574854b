//! courier-report
