//! What the current thread is running: the runtime it entered and, on a
//! worker thread, that worker's local state.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::abort::AbortState;
use super::handle::Handle;
use super::worker::{Queued, WorkerId, WorkerLocal, WorkerShared};
use crate::driver;
use crate::time::{TimerEntry, TimerQueue};

thread_local! {
    /// The worker whose thread this is, while it runs.
    static WORKER: RefCell<Option<Rc<WorkerLocal>>> = const { RefCell::new(None) };
    /// The runtime entered on this thread (workers, `block_on`, `enter`).
    static HANDLE: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

pub(crate) use crate::driver::context::NO_RUNTIME;

/// Restores the previous context when dropped.
pub(crate) struct ContextGuard {
    prev_worker: Option<Option<Rc<WorkerLocal>>>,
    prev_handle: Option<Handle>,
    /// The driver layer's own record of the thread's drivers (none while
    /// the thread's locals are being destroyed).
    _drivers: Option<driver::context::EnterGuard>,
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

/// Marks this thread as running `local`'s worker (and its runtime). While
/// the thread's locals are being destroyed (a runtime dropped by one of
/// them) nothing is marked.
pub(crate) fn enter_worker(local: Rc<WorkerLocal>) -> ContextGuard {
    let handle = local.runtime.clone();
    let index = local.shared.id.index();
    let drivers = thread_alive().then(|| driver::context::enter(handle.inner.drivers.clone(), Some(index)));
    let prev_worker = WORKER.try_with(|w| w.borrow_mut().replace(local)).ok().flatten();
    let prev_handle = HANDLE.try_with(|h| h.borrow_mut().replace(handle)).ok().flatten();
    ContextGuard { prev_worker: Some(prev_worker), prev_handle, _drivers: drivers }
}

/// False while this thread's locals are being destroyed (a runtime dropped
/// by one of them); then no context is entered.
fn thread_alive() -> bool {
    WORKER.try_with(|_| ()).is_ok() && HANDLE.try_with(|_| ()).is_ok()
}

/// Restores the runtime entered before `enter_handle` when dropped. Holds no
/// `Rc`, so the public `EnterGuard` can be `Sync` like tokio's.
pub(crate) struct HandleGuard {
    prev: Option<Handle>,
    /// The driver layer's record, as in `ContextGuard`.
    _drivers: Option<driver::context::EnterGuard>,
}

impl Drop for HandleGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = HANDLE.try_with(|h| *h.borrow_mut() = prev);
    }
}

/// Marks this thread as inside `handle`'s runtime (for `Handle::enter`).
pub(crate) fn enter_handle(handle: Handle) -> HandleGuard {
    let drivers = thread_alive().then(|| driver::context::enter(handle.inner.drivers.clone(), None));
    let prev = HANDLE.try_with(|h| h.borrow_mut().replace(handle)).ok().flatten();
    HandleGuard { prev, _drivers: drivers }
}

/// Marks this thread as inside `handle`'s runtime without being a worker.
pub(crate) fn enter(handle: Handle) -> ContextGuard {
    let drivers = thread_alive().then(|| driver::context::enter(handle.inner.drivers.clone(), None));
    let prev_handle = HANDLE.try_with(|h| h.borrow_mut().replace(handle)).ok().flatten();
    ContextGuard { prev_worker: None, prev_handle, _drivers: drivers }
}

/// The runtime this thread is inside, if any.
pub(crate) fn current_handle() -> Option<Handle> {
    HANDLE.try_with(|h| h.borrow().clone()).ok().flatten()
}

/// Runs `f` with the runtime this thread is inside, without cloning its handle.
pub(crate) fn with_current_handle<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    let mut f = Some(f);
    let done = HANDLE.try_with(|h| (f.take().expect("called once"))(h.borrow().as_ref()));
    done.unwrap_or_else(|_| (f.take().expect("not called: thread-local gone"))(None))
}

fn with_worker<R>(f: impl FnOnce(&WorkerLocal) -> R) -> Option<R> {
    WORKER.try_with(|w| w.borrow().as_deref().map(f)).ok().flatten()
}

/// Queues `task` on this thread's run queue if this thread is worker `id`.
pub(crate) fn schedule_local(id: WorkerId, task: Queued) -> Result<(), Queued> {
    let mut task = Some(task);
    with_worker(|w| {
        if w.shared.id == id {
            w.run_queue.borrow_mut().push_back(task.take().expect("task present"));
        }
    });
    task.map_or(Ok(()), Err)
}

/// This thread's worker and its run queue, for `block_in_place`.
pub(crate) fn with_current_worker<R>(
    f: impl FnOnce(&Arc<WorkerShared>, &RefCell<std::collections::VecDeque<Queued>>) -> R,
) -> Option<R> {
    with_worker(|w| f(&w.shared, &w.run_queue))
}

/// Makes this thread stop being its worker (the runtime stays entered)
/// until the guard drops: `block_in_place` runs its closure so.
pub(crate) fn leave_worker() -> ContextGuard {
    let handle = current_handle();
    let drivers = handle.as_ref().map(|h| driver::context::enter(h.inner.drivers.clone(), None));
    let prev_worker = WORKER.with(|w| w.borrow_mut().take());
    ContextGuard { prev_worker: Some(prev_worker), prev_handle: handle, _drivers: drivers }
}

/// Wakes `waker` after this worker's next I/O poll (tokio's `defer`); off
/// the workers it is woken at once.
pub(crate) fn defer(waker: &std::task::Waker) {
    if with_worker(|w| w.deferred.borrow_mut().push(waker.clone())).is_none() {
        waker.wake_by_ref();
    }
}

/// The wakers `defer` holds on this worker (none off the workers).
pub(crate) fn take_deferred() -> Vec<std::task::Waker> {
    with_worker(|w| std::mem::take(&mut *w.deferred.borrow_mut())).unwrap_or_default()
}

/// Whether this thread runs asynchronous code of some ringline runtime (a
/// worker, or inside `block_on`) and so must not block: tokio's "blocking
/// is not allowed" context. `block_in_place` leaves it.
pub(crate) fn in_async_context() -> bool {
    current_worker_id().is_some() || super::park::in_block_on()
}

/// Panics with tokio's message when this thread may not start a `block_on`
/// (it runs asynchronous code already).
#[track_caller]
pub(crate) fn assert_may_block_on() {
    if in_async_context() {
        panic!(
            "Cannot start a runtime from within a runtime. This happens because a function (like \
             `block_on`) attempted to block the current thread while the thread is being used to drive \
             asynchronous tasks. If you are in an async function, use `.await` on the future instead of \
             blocking on it."
        );
    }
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
///
/// # Panics
/// Outside a runtime, or once it has shut down, with tokio's messages.
#[track_caller]
pub(crate) fn register_remote_timer(entry: Arc<TimerEntry>) -> WorkerId {
    let handle = current_handle().expect(NO_RUNTIME);
    let worker = handle.next_worker();
    if worker.is_stopped() {
        panic!("{}", super::config::RUNTIME_SHUTTING_DOWN_ERROR);
    }
    worker.register_timer(entry);
    worker.id
}

/// Panics with tokio's message unless this thread is inside a runtime.
#[track_caller]
pub(crate) fn assert_in_runtime() {
    if !with_current_handle(|h| h.is_some()) {
        panic!("{NO_RUNTIME}");
    }
}

/// The current runtime's handle.
#[track_caller]
pub(crate) fn handle() -> Handle {
    current_handle().expect(NO_RUNTIME)
}

/// Records a task of worker `id` starting on this thread (that worker's) so
/// shutdown can abort it; returns its key. During shutdown the task is
/// aborted instead: its body never starts.
pub(crate) fn track_task(id: WorkerId, abort: &Arc<AbortState>) -> Option<usize> {
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

/// Spawns a `!Send` task on this worker, or on the `LocalRuntime` entered
/// on this thread (outside its `block_on`).
#[track_caller]
pub(crate) fn spawn_local<F>(future: F) -> super::JoinHandle<F::Output>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    if let Some(worker) = with_worker(|w| w.shared.clone()) {
        return super::spawn::spawn_local_on(&worker, future);
    }
    let handle = current_handle().filter(|h| h.inner.config.local_thread.is_some());
    let handle = handle.expect("`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`");
    assert!(
        handle.inner.config.local_thread == Some(std::thread::current().id()),
        "Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on"
    );
    super::spawn::spawn_local_on(handle.place(), future)
}

/// The index of the worker whose thread this is, like tokio's
/// `runtime::worker_index`.
pub(crate) fn worker_index() -> Option<usize> {
    current_worker_id().map(WorkerId::index)
}
