//! The first SIGINT or SIGTERM of a run (docs/cli.md#interrupting-a-run): from then on no
//! request starts except `always` clean-ups, a poll stops waiting, and the run ends with its
//! reports written and the signal's exit code.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// How long a request in flight may still take after the signal before it is counted as
/// skipped (`interrupted`).
pub const GRACE: Duration = Duration::from_secs(2);

/// Whether, and by which signal, the run was asked to stop. Shared by the signal watcher and
/// every collection of the run.
#[derive(Debug, Default)]
pub struct Interrupt {
    code: AtomicU8,
    raised: Notify,
}

impl Interrupt {
    /// Records the signal's exit code (130 for SIGINT, 143 for SIGTERM); `false` when the run
    /// was already interrupted (a second signal, which exits at once).
    pub fn raise(&self, code: u8) -> bool {
        let first = self
            .code
            .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if first {
            self.raised.notify_waiters();
        }
        first
    }

    /// Resolves once the run is interrupted (at once when it already is).
    pub async fn raised(&self) {
        loop {
            let notified = self.raised.notified();
            tokio::pin!(notified);
            // Registered before the check, so a signal between the two is not missed.
            notified.as_mut().enable();
            if self.code().is_some() {
                return;
            }
            notified.await;
        }
    }

    /// The exit code of the signal that interrupted the run, if one did.
    pub fn code(&self) -> Option<u8> {
        match self.code.load(Ordering::SeqCst) {
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

    #[tokio::test]
    async fn a_waiter_wakes_when_the_signal_comes_and_at_once_after_it() {
        let i = std::sync::Arc::new(Interrupt::default());
        let waiter = tokio::spawn({
            let i = std::sync::Arc::clone(&i);
            async move { i.raised().await }
        });
        tokio::task::yield_now().await;
        assert!(i.raise(130));
        waiter.await.expect("the waiter wakes");
        // Already raised: returns at once.
        i.raised().await;
    }
}
