//! Which driver the calling thread's new I/O objects belong to.
//!
//! The driver layer owns this thread-local; the runtime fills it (when a
//! worker starts, or a thread enters a runtime) and the driver's backends
//! read it, so the driver never looks up into the runtime.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Backend, Handle};

/// tokio's message (code and tests match on it), so a drop-in panics alike.
const NO_RUNTIME: &str = "there is no reactor running, must be called from the context of a Tokio 1.x runtime";

thread_local! {
    /// The drivers of the runtime this thread is inside, and its own.
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// The drivers of one runtime, one per worker, in worker order.
pub(crate) struct Drivers {
    /// The backend every one of them runs.
    backend: Backend,
    /// One per worker.
    handles: Box<[Handle]>,
    /// Round-robin cursor for threads that are not workers.
    next: AtomicUsize,
}

impl Drivers {
    /// The drivers of a runtime running `backend`.
    pub(crate) fn new(backend: Backend, handles: Box<[Handle]>) -> Drivers {
        assert!(!handles.is_empty(), "a runtime has at least one worker");
        Drivers { backend, handles, next: AtomicUsize::new(0) }
    }

    /// The backend every driver of the runtime runs.
    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }
}

/// What the thread-local holds.
#[derive(Clone)]
struct Current {
    /// The runtime's drivers.
    drivers: Arc<Drivers>,
    /// On a worker: the index of its own driver.
    own: Option<usize>,
}

/// Restores the thread's previous drivers when dropped.
pub(crate) struct EnterGuard {
    /// What was current before `enter`.
    prev: Option<Current>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// Makes `drivers` this thread's until the guard drops; `own` names a
/// worker's own driver (its index), which then gets every new I/O object.
pub(crate) fn enter(drivers: Arc<Drivers>, own: Option<usize>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(Current { drivers, own }));
    EnterGuard { prev }
}

/// Runs `f` on this thread's runtime; outside one, panics at the caller's
/// caller (every function from the public API down is `#[track_caller]`,
/// so the panic names the user's line, as tokio's does).
#[track_caller]
fn with_current<R>(f: impl FnOnce(&Current) -> R) -> R {
    match CURRENT.with(|c| c.borrow().as_ref().map(f)) {
        Some(result) => result,
        None => panic!("{NO_RUNTIME}"),
    }
}

/// The driver new I/O objects polled on this thread live on: the worker's
/// own, or (off the workers) one picked round-robin.
#[track_caller]
pub(crate) fn current() -> Handle {
    with_current(|c| {
        let handles = &c.drivers.handles;
        let index = c.own.unwrap_or_else(|| c.drivers.next.fetch_add(1, Ordering::Relaxed) % handles.len());
        handles[index].clone()
    })
}

/// The backend of the runtime this thread is inside.
#[track_caller]
pub(crate) fn backend() -> Backend {
    with_current(|c| c.drivers.backend)
}
