//! Which driver the calling thread's new I/O objects belong to.
//!
//! The driver layer owns this thread-local; the runtime fills it (when a
//! worker starts, or a thread enters a runtime) and the driver's backends
//! read it, so the driver never looks up into the runtime.

use std::cell::RefCell;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Backend, Handle};

/// tokio's message (code and tests match on it), so a drop-in panics alike.
pub(crate) const NO_RUNTIME: &str =
    "there is no reactor running, must be called from the context of a Tokio 1.x runtime";

/// tokio's message for work refused because its runtime has shut down
/// (`runtime::is_rt_shutdown_err` recognises it).
pub(crate) const RUNTIME_SHUT_DOWN: &str = "A Tokio 1.x context was found, but it is being shutdown.";

/// tokio's error for a file operation its blocking pool no longer runs.
pub(crate) const BACKGROUND_TASK_FAILED: &str = "background task failed";

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
    /// Only a thread inside `Runtime::block_on` drives the (one) driver: a
    /// current-thread runtime. (Only io_uring asks: mio runs no file ops.)
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    driven_in_block_on: bool,
    /// The runtime has shut down: no new I/O objects, ops or timers.
    shut_down: AtomicBool,
}

impl Drivers {
    /// The drivers of a runtime running `backend`.
    /// `driven_in_block_on`: a current-thread runtime, whose driver runs only
    /// inside `Runtime::block_on`.
    pub(crate) fn new(backend: Backend, handles: Box<[Handle]>, driven_in_block_on: bool) -> Drivers {
        assert!(!handles.is_empty(), "a runtime has at least one worker");
        Drivers { backend, handles, next: AtomicUsize::new(0), driven_in_block_on, shut_down: AtomicBool::new(false) }
    }

    /// Marks the runtime shut down: from now on new I/O objects and ops of
    /// its threads fail with [`RUNTIME_SHUT_DOWN`] (tokio's `add_source`).
    pub(crate) fn shut_down(&self) {
        self.shut_down.store(true, Ordering::Release);
    }

    /// Whether [`shut_down`](Self::shut_down) was called.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Driver `own` (a worker's), or, given none, one picked round-robin.
    fn pick(&self, own: Option<usize>) -> Handle {
        let index = own.unwrap_or_else(|| self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len());
        self.handles[index].clone()
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

/// The runtime an I/O object was made in. The object binds to a driver
/// lazily, on its first op: the one of the runtime it is then polled in
/// (possibly another), or, polled on a thread in no runtime, one of its
/// origin's, as tokio's objects stay with the driver they were registered
/// with wherever they are polled. Once its origin has shut down, an object
/// with no driver yet is refused (tokio's shutdown error).
pub(crate) struct Origin(Option<Arc<Drivers>>);

impl Origin {
    /// The runtime this thread is inside (none outside one).
    pub(crate) fn current() -> Origin {
        Origin(CURRENT.try_with(|c| c.borrow().as_ref().map(|c| c.drivers.clone())).ok().flatten())
    }

    /// tokio's shutdown error once the object's runtime has shut down.
    pub(crate) fn check(&self) -> io::Result<()> {
        match self.0.as_ref().is_some_and(|drivers| drivers.is_shut_down()) {
            true => Err(io::Error::other(RUNTIME_SHUT_DOWN)),
            false => Ok(()),
        }
    }

    /// The driver the object binds to when first polled on this thread.
    ///
    /// # Panics
    /// On a thread in no runtime, for an object made in none (tokio's
    /// message).
    #[track_caller]
    pub(crate) fn home(&self) -> Handle {
        let here = CURRENT.try_with(|c| c.borrow().as_ref().map(|c| c.drivers.pick(c.own))).ok().flatten();
        match (here, &self.0) {
            (Some(here), _) => here,
            (None, Some(origin)) => origin.pick(None),
            (None, None) => panic!("{NO_RUNTIME}"),
        }
    }
}

/// The driver new I/O objects polled on this thread live on: the worker's
/// own, or (off the workers) one picked round-robin.
#[track_caller]
pub(crate) fn current() -> Handle {
    with_current(|c| c.drivers.pick(c.own))
}

/// The backend of the runtime this thread is inside, for a new I/O object
/// or op: tokio's shutdown error once that runtime has shut down.
///
/// # Panics
/// Outside a runtime, with tokio's message.
#[track_caller]
pub(crate) fn backend() -> io::Result<Backend> {
    with_current(|c| match c.drivers.is_shut_down() {
        true => Err(io::Error::other(RUNTIME_SHUT_DOWN)),
        false => Ok(c.drivers.backend),
    })
}

/// Whether this thread's ring gets driven while it waits for an op: false
/// off the thread of a current-thread runtime, whose one driver runs only
/// inside `Runtime::block_on` (tokio's `Handle::block_on` there drives no
/// I/O either, but runs files on its pool, which ringline then does too).
#[cfg(all(target_os = "linux", feature = "uring"))]
pub(crate) fn ring_driven_here() -> bool {
    with_current(|c| c.own.is_some() || !c.drivers.driven_in_block_on)
}
