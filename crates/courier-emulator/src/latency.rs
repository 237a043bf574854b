//! Holding an answer for the configured `--latency`, to a fraction of a millisecond.
//!
//! tokio's timer counts in whole milliseconds and rounds every deadline up to the next tick, so
//! a 20 ms sleep lasts 20–22 ms: about 5% more than asked on every request, which a run under
//! a concurrency cap adds up (docs/emulator.md#knobs). The wait is split: tokio's timer for all
//! but the last [`FINE`], then one timer thread that sleeps to the exact deadline with the
//! operating system's own timer and wakes the waiting task.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::Thread;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// The part of a wait left to the timer thread: more than tokio's rounding and its wake-up.
const FINE: Duration = Duration::from_millis(3);

/// Waits until `latency` has passed since the call.
pub(crate) async fn hold(latency: Duration) {
    let deadline = Instant::now() + latency;
    if let Some(coarse) = latency.checked_sub(FINE) {
        tokio::time::sleep(coarse).await;
    }
    if deadline <= Instant::now() {
        return;
    }
    let (wake, woken) = oneshot::channel();
    if TIMER.add(deadline, wake) {
        // The timer thread never exits, so the sender is always used.
        let _ = woken.await;
    } else {
        // No timer thread (the system refused one): tokio's coarser timer.
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// One waiting task, ordered by its deadline (tasks with the same deadline wake together, in
/// any order).
struct Waiter {
    deadline: Instant,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.deadline == other.deadline
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.deadline.cmp(&other.deadline)
    }
}

/// The waiting tasks (earliest first) and the thread that wakes them (started on first use).
struct Timer {
    waiting: Mutex<BinaryHeap<Reverse<Waiter>>>,
    thread: OnceLock<Option<Thread>>,
}

static TIMER: Timer = Timer {
    waiting: Mutex::new(BinaryHeap::new()),
    thread: OnceLock::new(),
};

impl Timer {
    fn waiting(&self) -> std::sync::MutexGuard<'_, BinaryHeap<Reverse<Waiter>>> {
        // A panic while holding the lock cannot leave the heap half-changed.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a wake-up at `deadline`; `false` when there is no timer thread.
    fn add(&'static self, deadline: Instant, wake: oneshot::Sender<()>) -> bool {
        let thread = self.thread.get_or_init(|| {
            std::thread::Builder::new()
                .name("emulator-latency".into())
                .spawn(|| TIMER.run())
                .ok()
                .map(|handle| handle.thread().clone())
        });
        let Some(thread) = thread else {
            return false;
        };
        let earliest = {
            let mut waiting = self.waiting();
            waiting.push(Reverse(Waiter { deadline, wake }));
            waiting
                .peek()
                .is_some_and(|Reverse(w)| w.deadline == deadline)
        };
        // Only a new earliest deadline shortens the thread's sleep.
        if earliest {
            thread.unpark();
        }
        true
    }

    /// The timer thread: wakes every task whose deadline has come, then sleeps to the next.
    fn run(&self) {
        loop {
            let next = {
                let mut waiting = self.waiting();
                let now = Instant::now();
                while waiting.peek().is_some_and(|Reverse(w)| w.deadline <= now) {
                    if let Some(Reverse(due)) = waiting.pop() {
                        // The task may have gone (its connection closed): nothing to wake.
                        let _ = due.wake.send(());
                    }
                }
                waiting.peek().map(|Reverse(w)| w.deadline - now)
            };
            match next {
                Some(wait) => std::thread::park_timeout(wait),
                None => std::thread::park(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hold_never_ends_before_its_latency() {
        // How close to the deadline it ends is the benchmark's to show (bench/run.sh, the
        // concurrency-cap rows); ending early would make a latency knob lie.
        for micros in [0, 1, 500, 2_999, 3_000, 3_001, 12_345] {
            let latency = Duration::from_micros(micros);
            let start = Instant::now();
            hold(latency).await;
            assert!(
                start.elapsed() >= latency,
                "{latency:?} ended at {:?}",
                start.elapsed()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holds_end_in_deadline_order_whatever_the_order_they_began() {
        let start = Instant::now();
        let (send, mut ends) = tokio::sync::mpsc::unbounded_channel();
        for ms in [40_u64, 10, 25, 5] {
            let send = send.clone();
            tokio::spawn(async move {
                hold(Duration::from_millis(ms)).await;
                let _ = send.send((ms, start.elapsed()));
            });
        }
        drop(send);
        let mut order = Vec::new();
        while let Some((ms, took)) = ends.recv().await {
            assert!(
                took >= Duration::from_millis(ms),
                "{ms} ms hold ended at {took:?}"
            );
            order.push(ms);
        }
        assert_eq!(order, [5, 10, 25, 40]);
    }
}
