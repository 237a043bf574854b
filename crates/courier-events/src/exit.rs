//! The exit codes of every `courier` command (docs/cli.md#exit-codes): the contract with
//! users' scripts and CI, and how two outcomes combine.

/// Exit codes, the first that applies (docs/cli.md#exit-codes).
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
    /// Stopped by SIGINT (Ctrl-C) after writing the reports (docs/cli.md#interrupting-a-run).
    Interrupted = 130,
    /// Stopped by SIGTERM after writing the reports.
    Terminated = 143,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Combines two outcomes: 2 over 3 over 1 over 0, the order of docs/cli.md#exit-codes.
    #[must_use]
    pub fn worst(self, other: Self) -> Self {
        fn rank(e: Exit) -> u8 {
            match e {
                Exit::Success => 0,
                Exit::Failed => 1,
                Exit::Unchecked => 2,
                Exit::Invalid => 3,
                Exit::Interrupted | Exit::Terminated => 4,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_order_follows_the_documented_precedence() {
        assert_eq!(Exit::Failed.worst(Exit::Unchecked), Exit::Unchecked);
        assert_eq!(Exit::Unchecked.worst(Exit::Invalid), Exit::Invalid);
        assert_eq!(Exit::Success.worst(Exit::Failed), Exit::Failed);
        assert_eq!(Exit::Invalid.worst(Exit::Failed), Exit::Invalid);
    }
}
