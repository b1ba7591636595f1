//! [`interval`], [`interval_at`], [`Interval`] and [`MissedTickBehavior`].

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{sleep_until, Instant, Sleep};

/// Creates an [`Interval`] that yields every `period`, starting now: the
/// first tick completes immediately. Like `tokio::time::interval`.
///
/// # Panics
/// If `period` is zero.
///
/// ```no_run
/// use ringline::time::{interval, Duration};
///
/// # async fn run() {
/// let mut interval = interval(Duration::from_millis(10));
/// interval.tick().await; // ticks immediately
/// interval.tick().await; // ticks after 10 ms
/// interval.tick().await; // ticks after 10 ms more
/// # }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Creates an [`Interval`] whose first tick completes at `start`, then one
/// every `period`. Like `tokio::time::interval_at`.
///
/// # Panics
/// If `period` is zero.
///
/// ```no_run
/// use ringline::time::{interval_at, Duration, Instant};
///
/// # async fn run() {
/// let start = Instant::now() + Duration::from_millis(50);
/// let mut interval = interval_at(start, Duration::from_millis(10));
/// interval.tick().await; // ticks after 50 ms
/// # }
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(period > Duration::ZERO, "`period` must be non-zero.");
    Interval { delay: Box::pin(sleep_until(start)), period, missed_tick_behavior: MissedTickBehavior::default() }
}

/// What an [`Interval`] does after ticks were missed (the task came back more
/// than 5 ms after a tick was due), as in tokio.
///
/// With a 10 ms period starting at 0, and the task stalled until 35 ms:
/// - `Burst`: ticks for 10, 20 and 30 complete at once, then 40, 50, ...
/// - `Delay`: the tick for 10 completes at 35, then 45, 55, ...
/// - `Skip`: the tick for 10 completes at 35, then 40, 50, ...
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Ticks as fast as possible until caught up with the original schedule.
    #[default]
    Burst,
    /// Restarts the schedule one period after the late tick.
    Delay,
    /// Drops the missed ticks and keeps to multiples of the period from the
    /// original start.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick that was due at `timeout` completed at `now`.
    fn next_timeout(self, timeout: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => timeout + period,
            MissedTickBehavior::Delay => now + period,
            MissedTickBehavior::Skip => {
                let late = (now - timeout).as_nanos() % period.as_nanos();
                // `late < period`, which is a `Duration`, so it fits.
                now + period - Duration::from_nanos(late as u64)
            }
        }
    }
}

/// A stream of ticks, one per period, from [`interval`] or [`interval_at`].
///
/// Dropping a pending [`tick`](Interval::tick) loses no tick: it is
/// cancel-safe, as tokio's.
#[derive(Debug)]
pub struct Interval {
    /// Completes when the next tick is due (boxed: `Sleep` is `!Unpin` and
    /// `Interval` is `Unpin`, as tokio's).
    delay: Pin<Box<Sleep>>,
    /// Time between ticks.
    period: Duration,
    /// How to catch up after a stall.
    missed_tick_behavior: MissedTickBehavior,
}

/// `from + d`, or the far future where that overflows (`Duration::MAX`
/// periods, as tokio allows).
fn saturating_add(from: Instant, d: Duration) -> Instant {
    from.checked_add(d).unwrap_or_else(Instant::far_future)
}

impl Interval {
    /// Completes when the next tick is due, returning when it was due.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; on `Ready`, returns when it was due and
    /// schedules the one after. Wakes `cx` when the next tick is due.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.delay.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let timeout = self.delay.deadline();
        let now = Instant::now();
        let next = if now.saturating_duration_since(timeout) > Duration::from_millis(5) {
            self.missed_tick_behavior.next_timeout(timeout, now, self.period)
        } else {
            saturating_add(timeout, self.period)
        };
        self.delay.as_mut().reset(next);
        Poll::Ready(timeout)
    }

    /// Resets the interval so that the next tick is one period from now.
    pub fn reset(&mut self) {
        self.reset_at(saturating_add(Instant::now(), self.period));
    }

    /// Resets the interval so that the next tick completes immediately.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Resets the interval so that the next tick is `after` from now.
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(saturating_add(Instant::now(), after));
    }

    /// Resets the interval so that the next tick is at `deadline`.
    pub fn reset_at(&mut self, deadline: Instant) {
        self.delay.as_mut().reset(deadline);
    }

    /// Returns how missed ticks are handled.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets how missed ticks are handled.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }

    /// Returns the period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_timeout_per_behavior() {
        let start = Instant::now();
        let ms = Duration::from_millis;
        let period = ms(10);
        let (due, now) = (start + ms(10), start + ms(35));
        assert_eq!(MissedTickBehavior::Burst.next_timeout(due, now, period), start + ms(20));
        assert_eq!(MissedTickBehavior::Delay.next_timeout(due, now, period), start + ms(45));
        assert_eq!(MissedTickBehavior::Skip.next_timeout(due, now, period), start + ms(40));
    }
}
