//! The first SIGINT or SIGTERM of a run (docs/cli.md#interrupting-a-run): from then on no
//! request starts except `always` clean-ups, a poll stops waiting, and the run ends with its
//! reports written and the signal's exit code.

use std::sync::atomic::{AtomicU8, Ordering};

/// Whether, and by which signal, the run was asked to stop. Shared by the signal watcher and
/// every collection of the run.
#[derive(Debug, Default)]
pub struct Interrupt(AtomicU8);

impl Interrupt {
    /// Records the signal's exit code (130 for SIGINT, 143 for SIGTERM); `false` when the run
    /// was already interrupted (a second signal, which exits at once).
    pub fn raise(&self, code: u8) -> bool {
        self.0
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    /// The exit code of the signal that interrupted the run, if one did.
    pub fn code(&self) -> Option<u8> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            code => Some(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_wins_and_a_second_is_told_apart() {
        let i = Interrupt::default();
        assert_eq!(i.code(), None);
        assert!(i.raise(143));
        assert!(!i.raise(130));
        assert_eq!(i.code(), Some(143));
    }
}
