//! [`Instant`]: a measurement of the monotonic clock, shaped like tokio's.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A measurement of a monotonically nondecreasing clock.
///
/// The same type as `tokio::time::Instant`: a thin wrapper over
/// [`std::time::Instant`] that the timer functions take, so code written
/// against tokio compiles unchanged. Convert with [`Instant::from_std`] and
/// [`Instant::into_std`] (or `From`).
///
/// # Examples
///
/// ```no_run
/// use ringline::time::{Duration, Instant};
///
/// # async fn run() {
/// let start = Instant::now();
/// ringline::time::sleep(Duration::from_millis(10)).await;
/// assert!(start.elapsed() >= Duration::from_millis(10));
/// # }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    std: std::time::Instant,
}

impl Instant {
    /// Returns an instant corresponding to "now": the current runtime's clock,
    /// which stands still while time is [paused](super::pause).
    ///
    /// ```no_run
    /// let now = ringline::time::Instant::now();
    /// ```
    pub fn now() -> Instant {
        Instant::from_std(super::clock::now())
    }

    /// Creates a ringline `Instant` from a [`std::time::Instant`].
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant { std }
    }

    /// Converts this instant into a [`std::time::Instant`].
    pub fn into_std(self) -> std::time::Instant {
        self.std
    }

    /// Returns the time elapsed from `earlier` to `self`, or zero if `earlier`
    /// is later than `self` (tokio's behaviour: this never panics).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Returns the time elapsed from `earlier` to `self`, or `None` if
    /// `earlier` is later than `self`.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.std.checked_duration_since(earlier.std)
    }

    /// Returns the time elapsed from `earlier` to `self`, or zero if `earlier`
    /// is later than `self`.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// Returns the time elapsed since this instant was created (zero if it
    /// lies in the future).
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// Returns `self + duration`, or `None` if that cannot be represented.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_add(duration).map(Instant::from_std)
    }

    /// Returns `self - duration`, or `None` if that cannot be represented.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_sub(duration).map(Instant::from_std)
    }

    /// An instant roughly 30 years from now: tokio's stand-in for "never",
    /// used when a deadline computation overflows.
    pub(crate) fn far_future() -> Instant {
        Instant::now() + Duration::from_secs(86_400 * 365 * 30)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant::from_std(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.into_std()
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Panics on overflow, as `std::time::Instant` does.
    fn add(self, rhs: Duration) -> Instant {
        Instant::from_std(self.std + rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// Panics on underflow, as `std::time::Instant` does.
    fn sub(self, rhs: Duration) -> Instant {
        Instant::from_std(self.std - rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturates at zero, as tokio does.
    fn sub(self, rhs: Instant) -> Duration {
        self.std.saturating_duration_since(rhs.std)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_matches_std() {
        let a = Instant::now();
        let b = a + Duration::from_millis(5);
        assert_eq!(b - a, Duration::from_millis(5));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(a.duration_since(b), Duration::ZERO);
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(b.checked_duration_since(a), Some(Duration::from_millis(5)));
        assert_eq!(b - Duration::from_millis(5), a);
        let mut c = a;
        c += Duration::from_secs(1);
        c -= Duration::from_secs(1);
        assert_eq!(c, a);
        assert_eq!(Instant::from_std(a.into_std()), a);
        assert!(a.checked_add(Duration::MAX).is_none());
    }
}
