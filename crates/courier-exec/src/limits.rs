//! The environment's `limits` (docs/environments.md#limits): at most `max_concurrency` requests in flight and at
//! most `requests_per_second` started, shared by every collection of a run — Intacct answers
//! 429 beyond a company's concurrency tier. Token requests count too.

use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Semaphore, SemaphorePermit};

#[derive(Debug)]
pub struct Limiter {
    concurrency: Option<Semaphore>,
    interval: Option<Duration>,
    next: Mutex<Option<Instant>>,
}

/// Held while a request is in flight.
#[derive(Debug)]
pub struct Slot<'a> {
    _permit: Option<SemaphorePermit<'a>>,
}

impl Limiter {
    pub fn new(max_concurrency: Option<u32>, requests_per_second: Option<f64>) -> Self {
        Self {
            concurrency: max_concurrency.map(|n| Semaphore::new(n.max(1) as usize)),
            interval: requests_per_second
                .filter(|r| *r > 0.0)
                .map(|r| Duration::from_secs_f64(1.0 / r)),
            next: Mutex::new(None),
        }
    }

    pub fn unlimited() -> Self {
        Self::new(None, None)
    }

    /// Waits for a free slot and for the rate, then returns the slot to hold while sending.
    pub async fn acquire(&self) -> Slot<'_> {
        let permit = match &self.concurrency {
            Some(s) => s.acquire().await.ok(),
            None => None,
        };
        if let Some(interval) = self.interval {
            let wait_until = {
                let mut next = self.next.lock().await;
                let now = Instant::now();
                let at = next.map_or(now, |n| n.max(now));
                *next = Some(at + interval);
                at
            };
            let now = Instant::now();
            if wait_until > now {
                tokio::time::sleep(wait_until - now).await;
            }
        }
        Slot { _permit: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_is_capped() {
        let limiter = Arc::new(Limiter::new(Some(2), None));
        let current = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (l, c, p) = (
                Arc::clone(&limiter),
                Arc::clone(&current),
                Arc::clone(&peak),
            );
            tasks.push(tokio::spawn(async move {
                let _slot = l.acquire().await;
                let now = c.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                c.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn rate_spaces_requests() {
        let limiter = Limiter::new(None, Some(100.0));
        let start = Instant::now();
        for _ in 0..5 {
            let _slot = limiter.acquire().await;
        }
        // Five starts at 100/s take at least four intervals of 10 ms.
        assert!(start.elapsed() >= Duration::from_millis(40));
    }
}
