//! [`TimerQueue`]: one worker's timers, on that worker's wheel.
//!
//! Deadlines become whole-millisecond ticks counted from the queue's origin,
//! rounded up, and the clock is rounded down when firing, so nothing fires
//! early: an entry due at tick `t` fires once `now - origin >= t ms`, and its
//! deadline is at most `t ms` after the origin.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::entry::TimerEntry;
use super::wheel::Wheel;

/// The timers of one worker thread, owned (`&mut`) by that worker.
///
/// The worker calls [`fire_expired`](Self::fire_expired) on every loop turn and
/// arms one kernel timeout for [`next_timeout`](Self::next_timeout).
pub(crate) struct TimerQueue {
    /// Tick 0; a tick is one millisecond after it.
    origin: Instant,
    /// Registered entries by the tick they are due at.
    wheel: Wheel<Arc<TimerEntry>>,
    /// Every tick below this one has been fired.
    elapsed: u64,
}

impl TimerQueue {
    /// An empty queue whose tick 0 is `origin` (the runtime clock's now).
    pub(crate) fn with_origin(origin: Instant) -> TimerQueue {
        TimerQueue { origin, wheel: Wheel::new(), elapsed: 0 }
    }

    /// Adds `entry` to this worker's wheel. A cancelled entry is dropped; one
    /// whose tick has already been fired fires now.
    pub(crate) fn register(&mut self, entry: Arc<TimerEntry>) {
        if entry.is_cancelled() {
            return;
        }
        let tick = self.tick_at_or_after(entry.deadline());
        if tick < self.elapsed {
            entry.fire();
            return;
        }
        let key = self.wheel.insert(tick, Arc::clone(&entry));
        *entry.key() = Some(key);
    }

    /// Removes `entry` from the wheel now, if it is there. Call only from this
    /// queue's worker thread, after [`TimerEntry::cancel`].
    pub(crate) fn remove(&mut self, entry: &TimerEntry) {
        if let Some(key) = entry.key().take() {
            self.wheel.remove(key);
        }
    }

    /// Fires every entry whose deadline is at or before `now`: marks it fired
    /// and wakes its task. Cancelled entries that came due are dropped.
    pub(crate) fn fire_expired(&mut self, now: Instant) {
        let now_tick = self.tick_at_or_before(now);
        if now_tick < self.elapsed {
            return;
        }
        self.wheel.advance(now_tick, |entry| {
            *entry.key() = None;
            entry.fire();
        });
        self.elapsed = now_tick + 1;
    }

    /// Time from `now` until the nearest deadline, rounded up to a whole
    /// millisecond (zero if one is already due); `None` without timers.
    pub(crate) fn next_timeout(&self, now: Instant) -> Option<Duration> {
        let tick = self.wheel.next_expiration()?;
        Some(match self.origin.checked_add(Duration::from_millis(tick)) {
            Some(due) => round_up_to_ms(due.saturating_duration_since(now)),
            None => Duration::MAX,
        })
    }

    /// Number of entries in the wheel, counting cancelled ones not yet
    /// dropped.
    pub(crate) fn len(&self) -> usize {
        self.wheel.len()
    }

    /// The first tick that starts at or after `deadline`.
    fn tick_at_or_after(&self, deadline: Instant) -> u64 {
        let since = deadline.saturating_duration_since(self.origin);
        millis(round_up_to_ms(since))
    }

    /// The last tick that starts at or before `now`.
    fn tick_at_or_before(&self, now: Instant) -> u64 {
        millis(now.saturating_duration_since(self.origin))
    }
}

impl std::fmt::Debug for TimerQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerQueue")
            .field("origin", &self.origin)
            .field("elapsed", &self.elapsed)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// Whole milliseconds in `d`, rounded down, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `d` rounded up to a whole number of milliseconds.
fn round_up_to_ms(d: Duration) -> Duration {
    let whole = Duration::from_millis(millis(d));
    if whole == d {
        d
    } else {
        whole.saturating_add(Duration::from_millis(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn rounds_up_so_nothing_fires_early() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        let entry = TimerEntry::new(origin + Duration::from_micros(2_300));
        q.register(Arc::clone(&entry));
        assert_eq!(q.len(), 1);
        q.fire_expired(origin + ms(2));
        assert!(!entry.is_fired(), "fired before its deadline");
        q.fire_expired(origin + Duration::from_micros(2_999));
        assert!(!entry.is_fired(), "fired before its tick");
        q.fire_expired(origin + ms(3));
        assert!(entry.is_fired());
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn exact_millisecond_deadline_fires_on_its_tick() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        let entry = TimerEntry::new(origin + ms(5));
        q.register(Arc::clone(&entry));
        q.fire_expired(origin + Duration::from_micros(4_999));
        assert!(!entry.is_fired());
        q.fire_expired(origin + ms(5));
        assert!(entry.is_fired());
    }

    #[test]
    fn cancel_removes_eagerly_or_lazily() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        let eager = TimerEntry::new(origin + ms(10));
        let lazy = TimerEntry::new(origin + ms(20));
        q.register(Arc::clone(&eager));
        q.register(Arc::clone(&lazy));
        assert_eq!(q.len(), 2);

        assert!(eager.cancel());
        q.remove(&eager);
        assert_eq!(q.len(), 1);

        assert!(lazy.cancel());
        assert_eq!(q.len(), 1, "a lazy cancel stays until due");
        q.fire_expired(origin + ms(25));
        assert_eq!(q.len(), 0);
        assert!(!lazy.is_fired() && !eager.is_fired());
    }

    #[test]
    fn cancelled_before_registration_is_dropped() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        let entry = TimerEntry::new(origin + ms(10));
        entry.cancel();
        q.register(entry);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn next_timeout_rounds_up_to_whole_ms() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        assert_eq!(q.next_timeout(origin), None);
        q.register(TimerEntry::new(origin + Duration::from_micros(7_200)));
        q.register(TimerEntry::new(origin + ms(30)));
        assert_eq!(q.next_timeout(origin), Some(ms(8)));
        assert_eq!(q.next_timeout(origin + Duration::from_micros(500)), Some(ms(8)));
        assert_eq!(q.next_timeout(origin + ms(9)), Some(Duration::ZERO));
        q.fire_expired(origin + ms(9));
        let next = q.next_timeout(origin + ms(9)).expect("one timer left");
        assert!(next <= ms(21), "{next:?}");
    }

    #[test]
    fn late_registration_fires_at_once() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        q.fire_expired(origin + ms(50));
        let entry = TimerEntry::new(origin + ms(10));
        q.register(Arc::clone(&entry));
        assert!(entry.is_fired());
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn far_future_waits() {
        let origin = Instant::now();
        let mut q = TimerQueue::with_origin(origin);
        let far = TimerEntry::new(origin + Duration::from_secs(86_400 * 365 * 30));
        q.register(Arc::clone(&far));
        q.fire_expired(origin + ms(1 << 38));
        assert!(!far.is_fired());
        assert_eq!(q.len(), 1);
        assert!(q.next_timeout(origin + ms(1 << 38)).is_some_and(|d| d > Duration::ZERO));
    }
}
