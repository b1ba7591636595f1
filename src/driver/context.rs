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

/// tokio's message for a socket made on a runtime built without `enable_io`.
const IO_DISABLED: &str =
    "A Tokio 1.x context was found, but IO is disabled. Call `enable_io` on the runtime builder to enable IO.";

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
    /// `Builder::enable_io` was called: sockets may be made (else making one
    /// panics, as in tokio; files, timers and the blocking pool still work).
    io_enabled: bool,
    /// Only a thread inside `Runtime::block_on` drives the (one) driver: a
    /// current-thread runtime. (Only io_uring asks: mio runs no file ops.)
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    driven_in_block_on: bool,
    /// The runtime has begun shutting down (before its drivers close): no
    /// new sockets, file operations or stdio writes.
    shut_down: AtomicBool,
}

impl Drivers {
    /// The drivers of a runtime running `backend`.
    /// `driven_in_block_on`: a current-thread runtime, whose driver runs only
    /// inside `Runtime::block_on`.
    pub(crate) fn new(backend: Backend, handles: Box<[Handle]>, io_enabled: bool, driven_in_block_on: bool) -> Drivers {
        assert!(!handles.is_empty(), "a runtime has at least one worker");
        let shut_down = AtomicBool::new(false);
        Drivers { backend, handles, next: AtomicUsize::new(0), io_enabled, driven_in_block_on, shut_down }
    }

    /// Marks the runtime shut down (its `Runtime` stops): new sockets, file
    /// operations and stdio writes of its threads fail from now on. Returns
    /// whether it already was.
    pub(crate) fn shut_down(&self) -> bool {
        self.shut_down.swap(true, Ordering::AcqRel)
    }

    /// Whether [`shut_down`](Self::shut_down) was called.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
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
    with_current(Current::pick)
}

/// A driver of the runtime an I/O object was made in (the worker's own, or
/// off the workers one picked round-robin), if it was made in one.
///
/// ringline binds an object to a driver at its first use, on the polling
/// thread's runtime, so an object made in one place and moved into a task
/// lives on that task's worker. tokio binds it at creation, to the runtime
/// entered then. The anchor keeps tokio's rules where the two differ: an
/// object whose runtime has shut down before its first use fails with the
/// shutdown error instead of binding to another runtime, and one first
/// polled off every runtime (a future polled by hand) binds to the anchor.
#[derive(Default)]
pub(crate) struct Anchor(Option<Handle>);

impl Anchor {
    /// A driver of the runtime the calling thread is in, if any.
    pub(crate) fn here() -> Anchor {
        Anchor(CURRENT.with(|c| c.borrow().as_ref().map(Current::pick)))
    }

    /// The runtime the object was made in has shut down.
    pub(crate) fn is_dead(&self) -> bool {
        self.0.as_ref().is_some_and(Handle::is_closed)
    }

    /// The driver an object with this anchor binds to when first polled:
    /// the polling thread's (see [`current`]), else the anchor.
    #[track_caller]
    pub(crate) fn home(&self) -> Handle {
        let entered = CURRENT.with(|c| c.borrow().as_ref().map(Current::pick));
        match (entered, &self.0) {
            (Some(handle), _) => handle,
            (None, Some(anchor)) => anchor.clone(),
            (None, None) => panic!("{NO_RUNTIME}"),
        }
    }
}

/// The error for I/O on an object whose runtime has shut down
/// (`runtime::is_rt_shutdown_err` knows it).
pub(crate) fn runtime_gone() -> io::Error {
    io::Error::other("the ringline runtime this I/O object belongs to has shut down")
}

impl Current {
    /// The worker's own driver, or (off the workers) one picked round-robin.
    fn pick(&self) -> Handle {
        self.drivers.pick(self.own)
    }
}

impl Drivers {
    /// Worker `own`'s driver, or (given none) one picked round-robin.
    fn pick(&self, own: Option<usize>) -> Handle {
        let index = own.unwrap_or_else(|| self.next.fetch_add(1, Ordering::Relaxed) % self.handles.len());
        self.handles[index].clone()
    }
}

/// The backend of the runtime this thread is inside, for a new socket (or
/// watched fd): panics, as tokio does, outside a runtime or when the runtime
/// was built without `enable_io`; fails once the runtime has shut down.
#[track_caller]
pub(crate) fn io_backend() -> io::Result<Backend> {
    let (backend, io_enabled, closed) = with_current(|c| {
        (c.drivers.backend, c.drivers.io_enabled, c.drivers.is_shut_down() || c.drivers.handles[0].is_closed())
    });
    assert!(io_enabled, "{IO_DISABLED}");
    if closed {
        return Err(runtime_gone());
    }
    Ok(backend)
}

/// Whether the runtime this thread is inside was built with `enable_io`
/// (panics, as tokio does, outside a runtime).
#[track_caller]
pub(crate) fn io_enabled() -> bool {
    with_current(|c| c.drivers.io_enabled)
}

/// The backend of the runtime this thread is inside, for a file operation;
/// `None` once the runtime has shut down (tokio's pool then refuses the job).
#[track_caller]
pub(crate) fn running_backend() -> Option<Backend> {
    with_current(|c| (!c.drivers.is_shut_down()).then_some(c.drivers.backend))
}

/// Whether this thread's ring gets driven while it waits for an op: false
/// off the thread of a current-thread runtime, whose one driver runs only
/// inside `Runtime::block_on` (tokio's `Handle::block_on` there drives no
/// I/O either, but runs files on its pool, which ringline then does too).
#[cfg(all(target_os = "linux", feature = "uring"))]
pub(crate) fn ring_driven_here() -> bool {
    with_current(|c| c.own.is_some() || !c.drivers.driven_in_block_on)
}
