//! End-to-end tests of the built `courier` binary.
