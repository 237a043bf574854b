//! The scheduler's state machine on tokio's paused clock: a wait that would block advances
//! the clock to the next timer instead, so every instant below is exact.

use super::*;
use reqwest::header::HeaderValue;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Takes every slot that is free now, without waiting for one.
async fn take_free(limiter: &Limiter) -> Vec<Slot<'_>> {
    let mut slots = Vec::new();
    while let Ok(slot) = tokio::time::timeout(Duration::from_millis(1), limiter.acquire()).await {
        slots.push(slot);
    }
    slots
}

fn wait_of_secs(name: &'static str, secs: &'static str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(name, HeaderValue::from_static(secs));
    h
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_capped_and_reached() {
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
    let start = Instant::now();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    // Eight requests of 10 ms, two at a time, one woken the moment another finishes.
    assert_eq!(start.elapsed(), Duration::from_millis(40));
}

#[tokio::test(start_paused = true)]
async fn rate_spaces_starts() {
    let limiter = Limiter::new(None, Some(100.0));
    let start = Instant::now();
    let mut starts = Vec::new();
    for _ in 0..5 {
        let _slot = limiter.acquire().await;
        starts.push(start.elapsed().as_millis());
    }
    assert_eq!(starts, [0, 10, 20, 30, 40]);
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_every_later_start_until_its_wait() {
    let limiter = Limiter::new(Some(4), None);
    let start = Instant::now();
    let first = limiter.acquire().await;
    let second = limiter.acquire().await;
    first.throttled(&wait_of_secs("retry-after", "2"));
    // The one still in flight finishes; a later request waits out the pause all the same.
    drop(second);
    let _next = limiter.acquire().await;
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn intacct_s_throttle_header_paces_and_the_longest_wait_wins() {
    let limiter = Limiter::new(None, None);
    let start = Instant::now();
    let (a, b) = (limiter.acquire().await, limiter.acquire().await);
    let mut h = wait_of_secs("x-ia-throttle-limit-retry-after", "3");
    h.insert("retry-after", HeaderValue::from_static("1"));
    a.throttled(&h);
    // A later 429 asking for less does not cut the pause short.
    b.throttled(&wait_of_secs("retry-after", "1"));
    let during = tokio::time::timeout(Duration::from_millis(2990), limiter.acquire()).await;
    assert!(during.is_err(), "nothing starts during the pause");
    let _next = limiter.acquire().await;
    assert_eq!(start.elapsed(), Duration::from_secs(3));
}

#[tokio::test(start_paused = true)]
async fn a_429_keeps_one_fewer_in_flight_than_were_refused() {
    let limiter = Limiter::new(Some(6), None);
    let mut slots = take_free(&limiter).await;
    assert_eq!(slots.len(), 6);
    slots.pop().unwrap().throttled(&HeaderMap::new());
    assert_eq!(
        limiter.throttling(),
        Throttling {
            responses: 1,
            quota: 0,
            limit: Some(5),
            unsent: None,
        }
    );
    // Refused again with five in flight: four.
    slots.pop().unwrap().throttled(&HeaderMap::new());
    assert_eq!(limiter.throttling().limit, Some(4));
    drop(slots);
    assert_eq!(take_free(&limiter).await.len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_spent_hourly_quota_pauses_without_shrinking() {
    let limiter = Limiter::new(Some(4), None);
    let mut slots = take_free(&limiter).await;
    assert_eq!(slots.len(), 4);
    let mut quota = wait_of_secs("x-ia-hour-rate-limit-remaining", "0");
    quota.insert(
        "x-ia-hour-rate-limit-retry-after",
        HeaderValue::from_static("5"),
    );
    quota.insert(
        "x-ia-throttle-limit-remaining",
        HeaderValue::from_static("3"),
    );
    let start = Instant::now();
    slots.pop().unwrap().throttled(&quota);
    assert_eq!(
        limiter.throttling(),
        Throttling {
            responses: 1,
            quota: 1,
            limit: Some(4),
            unsent: None,
        }
    );
    drop(slots);
    // The next start waits for the quota's wait, then all four slots are there.
    let first = limiter.acquire().await;
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    let mut again = take_free(&limiter).await;
    assert_eq!(again.len(), 3);
    drop(first);
    // Both spent: the slots are what refused, so the limit shrinks as for any 429: three in
    // flight when refused, two now.
    let mut both = wait_of_secs("x-ia-hour-rate-limit-remaining", "0");
    both.insert(
        "x-ia-throttle-limit-remaining",
        HeaderValue::from_static("0"),
    );
    again.pop().unwrap().throttled(&both);
    assert_eq!(limiter.throttling().limit, Some(2));
    assert_eq!(limiter.throttling().quota, 1);
}

#[tokio::test(start_paused = true)]
async fn a_quota_spent_for_longer_than_a_wait_refuses_api_requests_until_it_renews() {
    let limiter = Arc::new(Limiter::new(Some(4), None));
    let mut slots = take_free(&limiter).await;
    // One request is waiting for a place when the quota closes.
    let waiting = {
        let l = Arc::clone(&limiter);
        tokio::spawn(async move { l.acquire_within_quota().await.map(drop) })
    };
    tokio::task::yield_now().await;
    let mut quota = wait_of_secs("x-ia-hour-rate-limit-remaining", "0");
    quota.insert(
        "x-ia-hour-rate-limit-retry-after",
        HeaderValue::from_static("1800"),
    );
    let start = Instant::now();
    slots.pop().unwrap().throttled(&quota);
    assert!(limiter.quota_closed());
    assert_eq!(limiter.throttling().unsent.map(|(n, _)| n), Some(0));
    // Refused at once: neither the request already waiting nor a new one waits a minute.
    let spent = waiting.await.unwrap().expect_err("refused");
    assert_eq!(spent.until, start + Duration::from_mins(30));
    assert!(limiter.acquire_within_quota().await.is_err());
    assert_eq!(start.elapsed(), Duration::ZERO);
    // Nothing shrank, and token requests still go.
    drop(limiter.acquire().await);
    let throttling = limiter.throttling();
    assert_eq!((throttling.responses, throttling.quota), (1, 1));
    assert_eq!(throttling.limit, Some(4));
    let (unsent, renews_at) = throttling.unsent.expect("requests refused");
    assert_eq!(unsent, 2);
    let from_now = renews_at - chrono::Utc::now();
    assert!(
        (1790..=1800).contains(&from_now.num_seconds()),
        "{from_now}"
    );
    drop(slots);
    // Renewed: API requests go again, all four at once.
    tokio::time::sleep(Duration::from_mins(30)).await;
    assert!(!limiter.quota_closed());
    let mut again = Vec::new();
    for _ in 0..4 {
        again.push(limiter.acquire_within_quota().await.expect("renewed"));
    }
    assert_eq!(start.elapsed(), Duration::from_mins(30));
    // A quota that renews within the wait honoured pauses instead of refusing.
    let mut soon = wait_of_secs("x-ia-hour-rate-limit-remaining", "0");
    soon.insert("retry-after", HeaderValue::from_static("60"));
    again.pop().unwrap().throttled(&soon);
    assert!(!limiter.quota_closed());
    drop(again);
    let resumed = Instant::now();
    drop(
        limiter
            .acquire_within_quota()
            .await
            .expect("paused, not refused"),
    );
    assert_eq!(resumed.elapsed(), Duration::from_mins(1));
}

#[tokio::test(start_paused = true)]
async fn a_shrink_holds_back_a_request_already_waiting() {
    let limiter = Arc::new(Limiter::new(Some(2), None));
    let a = limiter.acquire().await;
    let b = limiter.acquire().await;
    let waiting = {
        let l = Arc::clone(&limiter);
        tokio::spawn(async move {
            let _slot = l.acquire().await;
            l.state().in_flight
        })
    };
    tokio::task::yield_now().await;
    a.throttled(&HeaderMap::new());
    // Limit 1, and `b` still on the wire: the waiting request must not start yet.
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert!(!waiting.is_finished());
    drop(b);
    assert_eq!(waiting.await.unwrap(), 1);
}

#[tokio::test(start_paused = true)]
async fn without_max_concurrency_a_429_teaches_a_limit_that_holds() {
    let limiter = Limiter::new(None, None);
    let mut slots = Vec::new();
    for _ in 0..10 {
        slots.push(limiter.acquire().await);
    }
    // Ten in flight; the server takes two and refuses eight, one after the other.
    for _ in 0..8 {
        slots.pop().unwrap().throttled(&HeaderMap::new());
    }
    assert_eq!(limiter.throttling().limit, Some(2));
    drop(slots);
    // Quiet for longer than any growth window, successes all along: still two.
    for _ in 0..3 {
        tokio::time::advance(GROW_AFTER * 2).await;
        let free = take_free(&limiter).await;
        assert_eq!(free.len(), 2);
    }
}

#[tokio::test(start_paused = true)]
async fn the_limit_grows_back_one_step_per_quiet_window_up_to_max_concurrency() {
    let limiter = Limiter::new(Some(3), None);
    let mut slots = take_free(&limiter).await;
    slots.pop().unwrap().throttled(&HeaderMap::new());
    slots.pop().unwrap().throttled(&HeaderMap::new());
    assert_eq!(limiter.throttling().limit, Some(1));
    drop(slots);
    let mut held = take_free(&limiter).await;
    assert_eq!(held.len(), 1);
    // A response before the window is up changes nothing.
    tokio::time::advance(GROW_AFTER / 2).await;
    held.clear();
    held = take_free(&limiter).await;
    assert_eq!(held.len(), 1);
    tokio::time::advance(GROW_AFTER).await;
    held.clear();
    assert_eq!(limiter.throttling().limit, Some(2));
    held = take_free(&limiter).await;
    assert_eq!(held.len(), 2);
    tokio::time::advance(GROW_AFTER).await;
    held.pop();
    assert_eq!(limiter.throttling().limit, Some(3));
    // The ceiling is `max_concurrency`.
    tokio::time::advance(GROW_AFTER * 4).await;
    held.clear();
    assert_eq!(take_free(&limiter).await.len(), 3);
    assert_eq!(limiter.throttling().limit, Some(3));
}

#[tokio::test(start_paused = true)]
async fn a_dropped_wait_gives_its_place_back() {
    let limiter = Limiter::new(Some(1), None);
    let held = limiter.acquire().await;
    assert!(
        tokio::time::timeout(Duration::from_millis(5), limiter.acquire())
            .await
            .is_err()
    );
    drop(held);
    assert_eq!(take_free(&limiter).await.len(), 1);
    assert_eq!(limiter.state().in_flight, 0);
}

#[test]
fn waits_in_seconds_or_as_a_date_capped() {
    assert_eq!(
        retry_after(&wait_of_secs("retry-after", "2")),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        retry_after(&wait_of_secs("retry-after", "3600")),
        Some(MAX_RETRY_AFTER)
    );
    assert_eq!(
        retry_after(&wait_of_secs("x-ia-throttle-limit-retryafter", "1.5")),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        retry_after(&wait_of_secs(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT"
        )),
        Some(Duration::ZERO),
        "a date in the past asks for no wait"
    );
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_str(&soon).unwrap());
    let wait = retry_after(&h).unwrap();
    assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
    assert_eq!(retry_after(&wait_of_secs("retry-after", "soon")), None);
    assert_eq!(retry_after(&HeaderMap::new()), None);
}
