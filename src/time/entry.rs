//! [`TimerEntry`]: the state one sleep shares with the worker whose wheel
//! holds it.
//!
//! A `Sleep` may be polled, reset or dropped on any thread; its entry lives in
//! exactly one worker's [`TimerQueue`](super::TimerQueue). Everything either
//! side may touch concurrently is atomic: the pending/fired/cancelled state and
//! the waker slot. The wheel key is only ever read or written on the owning
//! worker's thread (register, fire, eager cancel), behind an uncontended lock.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use futures_util::task::AtomicWaker;

use super::wheel::TimerKey;

/// Waiting for its deadline (in a wheel, or on its way to one).
const PENDING: u8 = 0;
/// The worker saw the deadline pass; the sleep is complete.
const FIRED: u8 = 1;
/// The sleep was dropped or reset first; the wheel just drops it.
const CANCELLED: u8 = 2;

/// One registered deadline, shared (through an `Arc`) by a `Sleep` and the
/// wheel of the worker it is registered with.
pub(crate) struct TimerEntry {
    /// When the sleep completes; never changes (a reset makes a new entry).
    deadline: std::time::Instant,
    /// `PENDING`, then `FIRED` or `CANCELLED`, each at most once.
    state: AtomicU8,
    /// The task to wake when the entry fires; any thread may replace it.
    waker: AtomicWaker,
    /// Where the entry sits in its worker's wheel, while it sits there.
    /// Owning worker's thread only.
    key: Mutex<Option<TimerKey>>,
}

impl TimerEntry {
    /// A new pending entry for `deadline`, not yet in any wheel.
    pub(crate) fn new(deadline: std::time::Instant) -> Arc<TimerEntry> {
        Arc::new(TimerEntry {
            deadline,
            state: AtomicU8::new(PENDING),
            waker: AtomicWaker::new(),
            key: Mutex::new(None),
        })
    }

    /// When this entry is due.
    pub(crate) fn deadline(&self) -> std::time::Instant {
        self.deadline
    }

    /// Whether the worker has fired this entry.
    pub(crate) fn is_fired(&self) -> bool {
        self.state.load(Ordering::Acquire) == FIRED
    }

    /// Whether this entry was cancelled before it fired.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.state.load(Ordering::Acquire) == CANCELLED
    }

    /// Stores the waker to call when the entry fires. Callers check
    /// [`is_fired`](Self::is_fired) afterwards, so a fire that races with the
    /// registration is never missed.
    pub(crate) fn register_waker(&self, waker: &Waker) {
        self.waker.register(waker);
    }

    /// Takes the stored waker, if a task is still waiting on this entry.
    pub(crate) fn take_waker(&self) -> Option<Waker> {
        self.waker.take()
    }

    /// Marks the entry fired and wakes its task, unless it was cancelled.
    /// Owning worker's thread.
    pub(crate) fn fire(&self) {
        let fired = self.state.compare_exchange(PENDING, FIRED, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if fired {
            self.waker.wake();
        }
    }

    /// Marks the entry cancelled. Returns false if it had already fired.
    /// Any thread; the wheel drops a cancelled entry when it comes due, unless
    /// the owning worker removes it sooner.
    pub(crate) fn cancel(&self) -> bool {
        let cancelled = self.state.compare_exchange(PENDING, CANCELLED, Ordering::AcqRel, Ordering::Acquire).is_ok();
        if cancelled {
            drop(self.waker.take());
        }
        cancelled
    }

    /// The wheel key slot. Owning worker's thread only, so never contended.
    pub(crate) fn key(&self) -> MutexGuard<'_, Option<TimerKey>> {
        // A panic while the guard was held cannot leave an `Option` torn.
        self.key.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for TimerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerEntry")
            .field("deadline", &self.deadline)
            .field("state", &self.state.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
