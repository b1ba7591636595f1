//! What the current thread is running: the runtime it entered and, on a
//! worker thread, that worker's local state.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use async_task::Runnable;

use super::handle::Handle;
use super::worker::{WorkerId, WorkerLocal};
use crate::driver;
use crate::time::{TimerEntry, TimerQueue};

thread_local! {
    /// The worker whose thread this is, while it runs.
    static WORKER: RefCell<Option<Rc<WorkerLocal>>> = const { RefCell::new(None) };
    /// The runtime entered on this thread (workers, `block_on`, `enter`).
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

const NO_RUNTIME: &str = "there is no reactor running, must be called from the context of a ringline runtime";

/// Restores the previous context when dropped.
pub(crate) struct ContextGuard {
    prev_worker: Option<Option<Rc<WorkerLocal>>>,
    prev_handle: Option<Handle>,
    /// The driver layer's own record of the thread's drivers.
    _drivers: driver::context::EnterGuard,
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        if let Some(prev) = self.prev_worker.take() {
            let _ = WORKER.try_with(|w| *w.borrow_mut() = prev);
        }
        let prev = self.prev_handle.take();
        let _ = HANDLE.try_with(|h| *h.borrow_mut() = prev);
    }
}

/// Marks this thread as running `local`'s worker (and its runtime).
pub(crate) fn enter_worker(local: Rc<WorkerLocal>) -> ContextGuard {
    let handle = local.runtime.clone();
    let drivers = driver::context::enter(handle.inner.drivers.clone(), Some(local.shared.id.index()));
    let prev_worker = WORKER.with(|w| w.borrow_mut().replace(local));
    let prev_handle = HANDLE.with(|h| h.borrow_mut().replace(handle));
    ContextGuard { prev_worker: Some(prev_worker), prev_handle, _drivers: drivers }
}

/// Marks this thread as inside `handle`'s runtime without being a worker.
pub(crate) fn enter(handle: Handle) -> ContextGuard {
    let drivers = driver::context::enter(handle.inner.drivers.clone(), None);
    let prev_handle = HANDLE.with(|h| h.borrow_mut().replace(handle));
    ContextGuard { prev_worker: None, prev_handle, _drivers: drivers }
}

/// The runtime this thread is inside, if any.
pub(crate) fn current_handle() -> Option<Handle> {
    HANDLE.try_with(|h| h.borrow().clone()).ok().flatten()
}

fn with_worker<R>(f: impl FnOnce(&WorkerLocal) -> R) -> Option<R> {
    WORKER.try_with(|w| w.borrow().as_deref().map(f)).ok().flatten()
}

/// Queues `runnable` on this thread's run queue if this thread is worker `id`.
pub(crate) fn schedule_local(id: WorkerId, runnable: Runnable) -> Result<(), Runnable> {
    let mut runnable = Some(runnable);
    with_worker(|w| {
        if w.shared.id == id {
            w.run_queue.borrow_mut().push_back(runnable.take().expect("runnable present"));
        }
    });
    runnable.map_or(Ok(()), Err)
}

/// The worker whose thread this is.
pub(crate) fn current_worker_id() -> Option<WorkerId> {
    with_worker(|w| w.shared.id)
}

/// Runs `f` on this worker's timer queue; None when not on a worker.
/// Also None while the queue is busy (a timer firing dropped a task that
/// owned a sleep): callers then fall back to lazy cancellation.
pub(crate) fn with_local_timers<R>(f: impl FnOnce(&mut TimerQueue) -> R) -> Option<R> {
    with_worker(|w| w.timers.try_borrow_mut().ok().map(|mut q| f(&mut q))).flatten()
}

/// Queues a timer on some worker of the current runtime (from a thread that is
/// not a worker) and returns which.
#[track_caller]
pub(crate) fn register_remote_timer(entry: Arc<TimerEntry>) -> WorkerId {
    let handle =
        current_handle().expect("there is no timer running, must be called from the context of a ringline runtime");
    let worker = handle.next_worker();
    worker.register_timer(entry);
    worker.id
}

/// The current runtime's handle.
#[track_caller]
pub(crate) fn handle() -> Handle {
    current_handle().expect(NO_RUNTIME)
}

/// Records a task of worker `id` starting on this thread (that worker's) so
/// shutdown can abort it; returns its key. During shutdown the task is
/// aborted instead: its body never starts.
pub(crate) fn track_task(id: WorkerId, abort: &futures_util::future::AbortHandle) -> Option<usize> {
    with_worker(|w| {
        if w.shared.id != id {
            return None;
        }
        if w.shutting_down.get() {
            abort.abort();
        }
        Some(w.tasks.borrow_mut().insert(abort.clone()))
    })
    .flatten()
}

/// Forgets a task recorded by `track_task` (it finished).
pub(crate) fn untrack_task(id: WorkerId, key: usize) {
    with_worker(|w| {
        if w.shared.id == id {
            w.tasks.borrow_mut().try_remove(key);
        }
    });
}

/// Spawns a `!Send` task on this worker.
#[track_caller]
pub(crate) fn spawn_local<F>(future: F) -> super::JoinHandle<F::Output>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    let worker =
        with_worker(|w| w.shared.clone()).expect("`spawn_local` called from outside of a ringline worker thread");
    super::spawn::spawn_local_on(&worker, future)
}
