//! The runtime's clock: real time, or (tokio's `test-util`) a paused clock
//! that only moves when told to or when the runtime has nothing else to do.
//!
//! Each runtime owns one [`Clock`]. [`Instant::now`](super::Instant::now),
//! `sleep` and the workers' timer wheels read it through [`now`], which costs
//! one atomic load over `std::time::Instant::now()` until some clock in the
//! process has been paused (tokio's same shortcut).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::runtime::context;

/// Set once any clock in the process is paused; until then `now` skips the
/// thread-local lookup.
static DID_PAUSE_CLOCK: AtomicBool = AtomicBool::new(false);

const OUTSIDE: &str = "time cannot be frozen from outside the Tokio runtime";

/// One runtime's source of time.
#[derive(Debug)]
pub(crate) struct Clock {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Pausing is allowed (current-thread runtimes only, as in tokio).
    enable_pausing: bool,
    /// The clock's reading when it was last paused, plus every advance.
    base: std::time::Instant,
    /// When the clock last resumed; `None` while paused.
    unfrozen: Option<std::time::Instant>,
    /// Blocking-pool jobs running: while any runs the clock does not jump.
    auto_advance_inhibit_count: usize,
}

/// Holds auto-advance off while alive (a blocking job of this runtime).
pub(crate) struct InhibitGuard {
    handle: crate::runtime::Handle,
}

impl Drop for InhibitGuard {
    fn drop(&mut self) {
        // No wake-up here: the job's output is not delivered yet, and a worker
        // woken now could jump the clock before the task awaiting it is woken.
        // The inhibited worker re-checks every `INHIBITED_PARK` instead.
        self.handle.inner.clock.lock().auto_advance_inhibit_count -= 1;
    }
}

/// Longest a worker with paused time sleeps while auto-advance is inhibited.
pub(crate) const INHIBITED_PARK: Duration = Duration::from_millis(10);

/// Whether a worker whose timers are all in the future may jump its clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AutoAdvance {
    /// The clock runs: wait for real.
    Running,
    /// Paused, but a blocking job runs: wait for real, at most `INHIBITED_PARK`.
    Inhibited,
    /// Paused and nothing holds it: jump to the next timer.
    Allowed,
}

impl Clock {
    /// A running clock; `start_paused` pauses it at once.
    ///
    /// # Panics
    /// When `start_paused` is set without `enable_pausing`, with tokio's message.
    #[track_caller]
    pub(crate) fn new(enable_pausing: bool, start_paused: bool) -> Clock {
        let now = std::time::Instant::now();
        let clock = Clock {
            inner: Mutex::new(Inner { enable_pausing, base: now, unfrozen: Some(now), auto_advance_inhibit_count: 0 }),
        };
        if start_paused {
            if let Err(msg) = clock.pause() {
                panic!("{msg}");
            }
        }
        clock
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every update leaves `Inner` consistent, so a poisoned lock is fine.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pause(&self) -> Result<(), &'static str> {
        let mut inner = self.lock();
        if !inner.enable_pausing {
            return Err("`time::pause()` requires the `current_thread` Tokio runtime. \
                        This is the default Runtime used by `#[tokio::test].");
        }
        DID_PAUSE_CLOCK.store(true, Ordering::Release);
        let elapsed = inner.unfrozen.ok_or("time is already frozen")?.elapsed();
        inner.base += elapsed;
        inner.unfrozen = None;
        Ok(())
    }

    fn resume(&self) -> Result<(), &'static str> {
        let mut inner = self.lock();
        if inner.unfrozen.is_some() {
            return Err("time is not frozen");
        }
        inner.unfrozen = Some(std::time::Instant::now());
        Ok(())
    }

    /// Moves a paused clock forward by `duration`.
    pub(crate) fn advance(&self, duration: Duration) -> Result<(), &'static str> {
        let mut inner = self.lock();
        if inner.unfrozen.is_some() {
            return Err("time is not frozen");
        }
        inner.base += duration;
        Ok(())
    }

    /// Whether the worker may jump the clock to its next timer when idle.
    pub(crate) fn auto_advance(&self) -> AutoAdvance {
        if !DID_PAUSE_CLOCK.load(Ordering::Acquire) {
            return AutoAdvance::Running;
        }
        let inner = self.lock();
        match (inner.unfrozen, inner.auto_advance_inhibit_count) {
            (Some(_), _) => AutoAdvance::Running,
            (None, 0) => AutoAdvance::Allowed,
            (None, _) => AutoAdvance::Inhibited,
        }
    }

    /// The clock's reading.
    pub(crate) fn now(&self) -> std::time::Instant {
        if !DID_PAUSE_CLOCK.load(Ordering::Acquire) {
            return std::time::Instant::now();
        }
        let inner = self.lock();
        inner.unfrozen.map_or(inner.base, |unfrozen| inner.base + unfrozen.elapsed())
    }
}

/// Keeps `handle`'s clock from auto-advancing until the guard drops.
pub(crate) fn inhibit_auto_advance(handle: &crate::runtime::Handle) -> InhibitGuard {
    handle.inner.clock.lock().auto_advance_inhibit_count += 1;
    InhibitGuard { handle: handle.clone() }
}

/// Runs `f` with the current runtime's clock, panicking with its error.
#[track_caller]
fn with_clock<R>(f: impl FnOnce(Option<&Clock>) -> Result<R, &'static str>) -> R {
    match context::with_current_handle(|handle| f(handle.map(|h| &h.inner.clock))) {
        Ok(ret) => ret,
        Err(msg) => panic!("{msg}"),
    }
}

/// The current time: the current runtime's clock, or the real clock outside
/// a runtime.
pub(crate) fn now() -> std::time::Instant {
    if !DID_PAUSE_CLOCK.load(Ordering::Acquire) {
        return std::time::Instant::now();
    }
    with_clock(|clock| Ok(clock.map_or_else(std::time::Instant::now, Clock::now)))
}

/// Pauses time, like `tokio::time::pause`.
///
/// The current runtime's clock stops: [`Instant::now`](super::Instant::now) returns the same
/// instant until [`advance`] moves it or [`resume`] restarts it. While time is
/// paused and the runtime has no work, it jumps the clock to the next timer,
/// so a test of a one-hour timeout takes microseconds. Available always (tokio
/// needs its `test-util` feature; ringline accepts that feature as a no-op).
///
/// # Panics
/// Outside a runtime, on a multi-thread runtime, or when time is already
/// paused, with tokio's messages.
#[track_caller]
pub fn pause() {
    with_clock(|clock| clock.ok_or(OUTSIDE)?.pause());
}

/// Resumes time after [`pause`], like `tokio::time::resume`: the clock runs
/// again from where it stood (advances included).
///
/// # Panics
/// Outside a runtime or when time is not paused.
#[track_caller]
pub fn resume() {
    with_clock(|clock| clock.ok_or(OUTSIDE)?.resume());
}

/// Moves paused time forward by `duration`, like `tokio::time::advance`, then
/// yields so that the tasks whose timers came due run.
///
/// Timers due by the new time fire before this returns; a later `sleep`
/// measures from the advanced clock.
///
/// # Panics
/// Outside a runtime or when time is not paused.
pub async fn advance(duration: Duration) {
    with_clock(|clock| clock.ok_or(OUTSIDE)?.advance(duration));
    let now = now();
    context::with_local_timers(|timers| timers.fire_expired(now));
    crate::task::yield_now().await;
}
