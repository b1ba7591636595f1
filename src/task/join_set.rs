//! `JoinSet`: a collection of spawned tasks, awaited in completion order.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::task::AtomicWaker;

use super::{AbortHandle, JoinError, JoinHandle};

/// A set of tasks spawned on the runtime, like `tokio::task::JoinSet`.
///
/// Tasks are awaited in the order they finish. Dropping the set aborts every
/// task still in it.
pub struct JoinSet<T> {
    tasks: FuturesUnordered<JoinHandle<T>>,
    /// The caller's waker, registered only after a poll found nothing.
    parent: Arc<ParentWaker>,
    /// Wakes `parent`; the one waker the tasks ever see.
    waker: Waker,
}

/// Holds the waker of whoever polls the set. The tasks wake this instead of
/// the caller's waker directly, so a new caller waker replaces the old one
/// after the set was checked, as tokio's: an old waker whose drop finishes a
/// task (or drives a runtime) then wakes the new one instead of making the
/// poll that is dropping it return that task.
struct ParentWaker {
    waker: AtomicWaker,
    /// Set by every wake-up since the current poll began.
    notified: AtomicBool,
}

impl Wake for ParentWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notified.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        let parent = Arc::new(ParentWaker { waker: AtomicWaker::new(), notified: AtomicBool::new(false) });
        JoinSet { tasks: FuturesUnordered::new(), waker: Waker::from(parent.clone()), parent }
    }

    /// Number of tasks in the set (finished ones count until joined).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        self.tasks.push(handle);
        abort
    }

    /// Aborts every task; they still have to be joined to leave the set.
    pub fn abort_all(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }

    /// Removes every task from the set without aborting it.
    pub fn detach_all(&mut self) {
        self.tasks.clear();
    }

    /// Waits for the next task to finish; `None` when the set is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The output of a task that already finished, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        let waker = futures_util::task::noop_waker();
        // Not subject to the task's budget, as in tokio.
        let _unconstrained = crate::runtime::coop::unconstrained_guard();
        match self.poll_join_next(&mut Context::from_waker(&waker)) {
            Poll::Ready(r) => r,
            Poll::Pending => None,
        }
    }

    /// Polls for the next finished task.
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.parent.notified.store(false, Ordering::SeqCst);
        let polled = self.tasks.poll_next_unpin(&mut Context::from_waker(&self.waker));
        if polled.is_pending() {
            // Dropping the previous waker may run code that finishes a task:
            // that wakes the waker registered here, or sets `notified`.
            self.parent.waker.register(cx.waker());
            if self.parent.notified.load(Ordering::SeqCst) {
                cx.waker().wake_by_ref();
            }
        }
        polled
    }

    /// Aborts every task and waits until all have stopped.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in completion order.
    /// Panics (resuming the panic) if a task panicked, like tokio.
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(v) => out.push(v),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => panic!("{e}"),
            }
        }
        out
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `task` on the runtime (placed on a worker, never moved) and adds it.
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(super::spawn(task))
    }

    /// Spawns `task` on the given runtime handle and adds it.
    pub fn spawn_on<F>(&mut self, task: F, handle: &crate::runtime::Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(task))
    }

    /// Runs `f` on the blocking pool and adds it.
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(super::spawn_blocking(f))
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns a `!Send` task on the current `LocalSet` or worker (see
    /// [`spawn_local`](super::spawn_local)) and adds it.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(super::spawn_local(task))
    }

    /// Spawns a `!Send` task onto `local_set` and adds it.
    pub fn spawn_local_on<F>(&mut self, task: F, local_set: &super::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(local_set.spawn_local(task))
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// Spawns each future, as [`JoinSet::spawn`] does.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        iter.into_iter().for_each(|task| drop(self.spawn(task)));
    }
}

/// Spawns each future into a new set, as [`JoinSet::spawn`] does.
impl<T, F> std::iter::FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}
