//! Politeness: per-host pacing and concurrency, a global cap, and obeying what instances say about their limits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use peertube::RateLimit;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Below this share of its window left, requests to a host are spread over the time to its reset.
const LOW_REMAINING_SHARE: f64 = 0.2;

/// The pacing of one host.
#[derive(Debug)]
pub(crate) struct HostGate {
    slots: Arc<Semaphore>,
    slots_total: usize,
    global: Arc<Semaphore>,
    min_interval: Option<Duration>,
    schedule: Mutex<Schedule>,
}

#[derive(Debug)]
struct Schedule {
    /// Earliest start of the next request.
    next: Instant,
}

/// Held while a request is in flight.
pub(crate) struct Permit {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl HostGate {
    pub(crate) fn new(
        concurrency: usize,
        min_interval: Option<Duration>,
        global: Arc<Semaphore>,
    ) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            slots_total: concurrency.max(1),
            global,
            min_interval,
            schedule: Mutex::new(Schedule {
                next: Instant::now(),
            }),
        }
    }

    /// Waits for a host slot, this host's pacing, then a global slot.
    pub(crate) async fn acquire(&self) -> Permit {
        let host = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .expect("host semaphore is never closed");
        let (start, now) = {
            let mut schedule = self
                .schedule
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            let start = schedule.next.max(now);
            schedule.next = start + self.min_interval.unwrap_or_default();
            (start, now)
        };
        // Only when there is something to wait for: a timer set for now
        // still waits for the timer wheel's next tick (about a millisecond),
        // which made each page's details several milliseconds longer.
        if start > now {
            tokio::time::sleep_until(start).await;
        }
        let global = Arc::clone(&self.global)
            .acquire_owned()
            .await
            .expect("global semaphore is never closed");
        Permit {
            _host: host,
            _global: global,
        }
    }

    /// Delays every later request until at least `delay` from now.
    pub(crate) fn pause(&self, delay: Duration) {
        let mut schedule = self
            .schedule
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        schedule.next = schedule.next.max(Instant::now() + delay);
    }

    /// Slows down before the instance's limit is reached: when little of the
    /// window is left, spreads the remaining requests up to its reset.
    pub(crate) fn observe(&self, rate_limit: &RateLimit) {
        if let Some(delay) = spacing(rate_limit, self.slots_total) {
            self.pause(delay);
        }
    }
}

/// How long to wait before the next request, given what the instance said
/// and how many requests may be in flight (`concurrency`): when no more than
/// that is left in the window, wait for its reset; when little is left,
/// spread what is left up to the reset.
pub(crate) fn spacing(rate_limit: &RateLimit, concurrency: usize) -> Option<Duration> {
    let (limit, remaining) = (rate_limit.limit?, rate_limit.remaining?);
    let reset_in = rate_limit
        .reset_in(Utc::now())
        .unwrap_or(Duration::from_secs(10))
        .min(Duration::from_secs(600));
    let in_flight = u64::try_from(concurrency).unwrap_or(u64::MAX);
    if remaining <= in_flight {
        return Some(reset_in);
    }
    if (remaining as f64) < (limit as f64) * LOW_REMAINING_SHARE {
        return Some(reset_in / u32::try_from(remaining - in_flight).unwrap_or(u32::MAX));
    }
    None
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    #[test]
    fn spacing_grows_as_the_window_runs_out() {
        let now = u64::try_from(Utc::now().timestamp()).unwrap();
        let limit = |remaining| RateLimit {
            limit: Some(50),
            remaining: Some(remaining),
            reset: Some(now + 10),
            ..RateLimit::default()
        };
        assert_eq!(spacing(&limit(40), 1), None);
        let low = spacing(&limit(5), 1).unwrap();
        assert!(
            low >= Duration::from_secs(2) && low <= Duration::from_secs(3),
            "{low:?}"
        );
        let exhausted = spacing(&limit(0), 1).unwrap();
        assert!(exhausted >= Duration::from_secs(8), "{exhausted:?}");
        let all_in_flight = spacing(&limit(4), 4).unwrap();
        assert!(all_in_flight >= Duration::from_secs(8), "{all_in_flight:?}");
        assert_eq!(spacing(&RateLimit::default(), 4), None);
    }

    #[tokio::test]
    async fn without_pacing_a_free_slot_is_taken_without_waiting() {
        let gate = HostGate::new(2, None, Arc::new(Semaphore::new(8)));
        for _ in 0..3 {
            let mut acquire = std::pin::pin!(gate.acquire());
            let polled = acquire
                .as_mut()
                .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
            assert!(
                polled.is_ready(),
                "waited for a timer with nothing to wait for"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_paced() {
        let gate = HostGate::new(
            1,
            Some(Duration::from_millis(500)),
            Arc::new(Semaphore::new(8)),
        );
        let started = Instant::now();
        for _ in 0..5 {
            drop(gate.acquire().await);
        }
        assert!(
            started.elapsed() >= Duration::from_millis(2000),
            "{:?}",
            started.elapsed()
        );
        gate.pause(Duration::from_secs(30));
        let before = Instant::now();
        drop(gate.acquire().await);
        assert!(before.elapsed() >= Duration::from_secs(29));
    }
}
