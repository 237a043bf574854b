//! The binary's one error path: every subcommand returns `Result<Exit, CliError>`; `main`
//! prints a [`CliError`] once, on standard error, and exits with its code
//! (docs/cli.md#exit-codes). The mapping of the executor's set-up errors to exit codes is
//! here and nowhere else.

use std::io::Write as _;

use courier_core::diag::Diagnostic;
use courier_events::Exit;
use courier_exec::context::SetupError;

/// Why a command stopped, and the exit code that says so.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) exit: Exit,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Problems found in the input are separated by a blank line, as rustc separates them;
    /// a single message stands alone.
    spaced: bool,
}

/// What a subcommand returns.
pub(crate) type CliResult = Result<Exit, CliError>;

impl CliError {
    /// One message with its exit code.
    pub(crate) fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self::from_diagnostic(exit, Diagnostic::new(message))
    }

    pub(crate) fn from_diagnostic(exit: Exit, diagnostic: Diagnostic) -> Self {
        Self {
            exit,
            diagnostics: vec![diagnostic],
            spaced: false,
        }
    }

    /// Invalid input or usage; nothing was sent (exit 2).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(Exit::Invalid, message)
    }

    /// The problems found in the input before anything was sent (exit 2).
    pub(crate) fn input(diagnostics: Vec<Diagnostic>) -> Self {
        Self {
            exit: Exit::Invalid,
            diagnostics,
            spaced: true,
        }
    }

    /// Why a run could not start: invalid input (exit 2), or the emulator or the client
    /// could not start (exit 3). `redact` hides the run's secrets.
    pub(crate) fn setup(e: &SetupError, redact: impl Fn(&str) -> String) -> Self {
        match e {
            SetupError::Invalid(m) => Self::new(Exit::Invalid, redact(m)),
            SetupError::Unavailable(m) => Self::new(Exit::Unchecked, redact(m)),
        }
    }

    /// The async runtime could not start: nothing could be checked (exit 3).
    pub(crate) fn runtime(e: &std::io::Error) -> Self {
        Self::new(
            Exit::Unchecked,
            format!("cannot start the async runtime: {e}"),
        )
    }

    /// Both errors, with the worse exit code of the two.
    #[must_use]
    pub(crate) fn and(mut self, other: Self) -> Self {
        self.exit = self.exit.worst(other.exit);
        self.diagnostics.extend(other.diagnostics);
        self
    }

    /// Adds `e` to the errors of a command that goes on after each (one per file, say).
    pub(crate) fn collect(errors: &mut Option<Self>, e: Self) {
        *errors = Some(match errors.take() {
            Some(before) => before.and(e),
            None => e,
        });
    }

    /// Prints every diagnostic on standard error.
    pub(crate) fn print(&self) {
        let stderr = std::io::stderr();
        let mut out = stderr.lock();
        for d in &self.diagnostics {
            let _ = if self.spaced {
                writeln!(out, "{}", d.render())
            } else {
                write!(out, "{}", d.render())
            };
        }
    }
}

impl From<Vec<Diagnostic>> for CliError {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Self::input(diagnostics)
    }
}
