//! The stable contract with users' scripts and CI (SPEC §8): exit codes, and the types of
//! the JSON reports, each with a `version` field. Every reporter and the binary use these
//! types; changing one is a breaking change of the product.

use serde::{Deserialize, Serialize};

/// Exit codes, the first that applies (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Everything passed (also an empty selection).
    Success = 0,
    /// A check failed: assertion, snapshot, difference, capture that matched nothing, a
    /// template that failed to render at run time.
    Failed = 1,
    /// Invalid input or usage; nothing was sent.
    Invalid = 2,
    /// A request could not be checked: connection, TLS, timeout after retries, no token.
    Unchecked = 3,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Combines two outcomes: 2 over 3 over 1 over 0, as SPEC §8 orders them.
    #[must_use]
    pub fn worst(self, other: Self) -> Self {
        fn rank(e: Exit) -> u8 {
            match e {
                Exit::Success => 0,
                Exit::Failed => 1,
                Exit::Unchecked => 2,
                Exit::Invalid => 3,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// `courier list --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListReport {
    pub version: u32,
    pub collections: Vec<ListCollection>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListCollection {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    pub requests: Vec<ListRequest>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ListRequest {
    pub name: String,
    pub method: String,
    pub tags: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_order_follows_the_spec() {
        assert_eq!(Exit::Failed.worst(Exit::Unchecked), Exit::Unchecked);
        assert_eq!(Exit::Unchecked.worst(Exit::Invalid), Exit::Invalid);
        assert_eq!(Exit::Success.worst(Exit::Failed), Exit::Failed);
        assert_eq!(Exit::Invalid.worst(Exit::Failed), Exit::Invalid);
    }
}
