//! Task identity: [`Id`], [`id`] and [`try_id`], like tokio's.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// An opaque id of a task, unique among the tasks this process ever spawned
/// while they run, like `tokio::task::Id`.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

thread_local! {
    /// The task being polled on this thread.
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

impl Id {
    /// A fresh id.
    pub(crate) fn next() -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Id(NonZeroU64::new(NEXT.fetch_add(1, Ordering::Relaxed)).expect("task ids do not wrap"))
    }

    /// Makes this the current task until the guard drops.
    pub(crate) fn enter(self) -> CurrentGuard {
        CurrentGuard { prev: CURRENT.try_with(|c| c.replace(Some(self))).ok().flatten() }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Restores the previous current task when dropped.
pub(crate) struct CurrentGuard {
    prev: Option<Id>,
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.prev));
    }
}

/// The id of the task being run, like `tokio::task::id`.
///
/// # Panics
/// Outside a task (for example in the future passed to `block_on`), with
/// tokio's message.
#[track_caller]
pub fn id() -> Id {
    try_id().expect("Can't get a task id when not inside a task")
}

/// The id of the task being run, or `None` outside a task.
pub fn try_id() -> Option<Id> {
    CURRENT.try_with(Cell::get).ok().flatten()
}
