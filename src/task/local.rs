//! [`LocalSet`]: a set of `!Send` tasks run inside one future, like tokio's.
//!
//! Every ringline worker already runs `!Send` tasks ([`spawn_local`]), so a
//! `LocalSet` is only needed where tokio code uses one, or off the workers
//! (inside `Runtime::block_on` of a multi-thread runtime). Its tasks live in
//! the set's own queue and run while the set is polled: by
//! [`LocalSet::run_until`], [`LocalSet::block_on`], or awaiting the set. While
//! a set runs (or is [entered](LocalSet::enter)), [`spawn_local`] spawns onto
//! it, as in tokio.
//!
//! [`spawn_local`]: super::spawn_local

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_task::Runnable;
use futures_util::task::AtomicWaker;
use slab::Slab;

use super::JoinHandle;
use crate::runtime::abort::AbortState;
use crate::runtime::block_in_place::LocalSetRunning;

/// Tasks a set runs per poll before it yields to the worker, as tokio's.
const MAX_TASKS_PER_TICK: usize = 61;

thread_local! {
    /// The set running (or entered) on this thread.
    static CURRENT: RefCell<Option<Rc<Shared>>> = const { RefCell::new(None) };
}

/// A set of `!Send` tasks that run on the thread polling the set, like
/// `tokio::task::LocalSet`.
///
/// Dropping the set drops every task still in it, on this thread.
///
/// ```no_run
/// use std::rc::Rc;
/// use ringline::task::LocalSet;
///
/// # #[ringline::main] async fn main() {
/// let local = LocalSet::new();
/// let shared = Rc::new(5);
/// let out = local
///     .run_until(async move {
///         ringline::task::spawn_local(async move { *shared + 1 }).await.unwrap()
///     })
///     .await;
/// assert_eq!(out, 6);
/// # }
/// ```
pub struct LocalSet {
    shared: Rc<Shared>,
    /// `!Send`, `!Sync`, as tokio's.
    _not_send: PhantomData<*const ()>,
}

/// What a set's tasks and wakers share with it.
struct Shared {
    /// Runnable tasks, pushed by wakers on any thread.
    queue: Arc<Queue>,
    /// Abort handles of the tasks not yet finished, to drop them with the set.
    tasks: RefCell<Slab<Arc<AbortState>>>,
    /// The set is being dropped: new tasks are aborted at once.
    closed: Cell<bool>,
}

/// The part of a set that wakers on other threads reach.
struct Queue {
    runnables: Mutex<VecDeque<Runnable>>,
    /// The task polling the set (`run_until`, awaiting it).
    waker: AtomicWaker,
}

impl Queue {
    fn push(&self, runnable: Runnable) {
        self.runnables.lock().unwrap_or_else(|e| e.into_inner()).push_back(runnable);
        self.waker.wake();
    }

    fn pop(&self) -> Option<Runnable> {
        self.runnables.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }
}

/// Makes a set the current one on this thread until dropped, like tokio's
/// `LocalEnterGuard`.
pub struct LocalEnterGuard {
    prev: Option<Rc<Shared>>,
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish()
    }
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        let queue = Arc::new(Queue { runnables: Mutex::new(VecDeque::new()), waker: AtomicWaker::new() });
        let shared = Rc::new(Shared { queue, tasks: RefCell::new(Slab::new()), closed: Cell::new(false) });
        LocalSet { shared, _not_send: PhantomData }
    }

    /// Makes this the current set, so [`spawn_local`](super::spawn_local)
    /// spawns onto it, until the guard drops.
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard { prev: enter(&self.shared) }
    }

    /// Spawns a `!Send` task onto this set. It runs when the set is polled;
    /// this may be called outside a runtime.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn(&self.shared, future)
    }

    /// Runs `future` on `rt`, running this set's tasks meanwhile, like tokio's
    /// `LocalSet::block_on`.
    ///
    /// # Panics
    /// Inside an asynchronous context, as `Runtime::block_on` does.
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &crate::runtime::Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Runs `future` to completion, running this set's tasks whenever it is
    /// polled. The set's tasks still pending afterwards stay in the set.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        RunUntil { future, set: self }.await
    }

    /// Runs up to a tick's worth of tasks; true if more are ready.
    fn tick(&self) -> bool {
        let _entered = self.enter();
        let _running = LocalSetRunning::enter();
        for _ in 0..MAX_TASKS_PER_TICK {
            match self.shared.queue.pop() {
                Some(runnable) => {
                    runnable.run();
                }
                None => return false,
            }
        }
        true
    }
}

/// Makes `shared` current; returns the previous set. Does nothing while
/// the thread's locals are being destroyed (a set dropped by one of them).
fn enter(shared: &Rc<Shared>) -> Option<Rc<Shared>> {
    CURRENT.try_with(|c| c.borrow_mut().replace(shared.clone())).ok().flatten()
}

/// Spawns onto the set entered on this thread; `Err` gives the future back
/// when there is none.
pub(crate) fn spawn_on_current<F>(future: F) -> Result<JoinHandle<F::Output>, F>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match CURRENT.try_with(|c| c.borrow().clone()).ok().flatten() {
        Some(shared) => Ok(spawn(&shared, future)),
        None => Err(future),
    }
}

fn spawn<F>(shared: &Rc<Shared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (task, abort) = crate::runtime::wrap(future);
    let key = shared.tasks.borrow_mut().insert(abort.state().clone());
    if shared.closed.get() {
        abort.abort();
    }
    let body = Member { inner: task, set: Rc::downgrade(shared), key };
    let queue = shared.queue.clone();
    let (runnable, task) = async_task::spawn_local(body, move |r| queue.push(r));
    runnable.schedule();
    JoinHandle::new(task, abort)
}

pin_project_lite::pin_project! {
    /// A task body that leaves its set's registry when dropped.
    struct Member<F> {
        #[pin]
        inner: F,
        set: Weak<Shared>,
        key: usize,
    }

    impl<F> PinnedDrop for Member<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(set) = this.set.upgrade() {
                set.tasks.borrow_mut().try_remove(this.key);
            }
        }
    }
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().inner.poll(cx)
    }
}

pin_project_lite::pin_project! {
    /// The future `run_until` awaits.
    struct RunUntil<'a, F> {
        #[pin]
        future: F,
        set: &'a LocalSet,
    }
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.set.shared.queue.waker.register(cx.waker());
        let _entered = this.set.enter();
        let _running = LocalSetRunning::enter();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(output);
        }
        if this.set.tick() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// Awaiting a set runs its tasks until all have finished.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.shared.queue.waker.register(cx.waker());
        if self.tick() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.shared.tasks.borrow().is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet").field("tasks", &self.shared.tasks.borrow().len()).finish()
    }
}

impl Drop for LocalSet {
    /// Aborts every task and runs each once more so its future is dropped
    /// here, on its own thread; then drops what is left in the queue.
    fn drop(&mut self) {
        self.shared.closed.set(true);
        let _entered = self.enter();
        let _running = LocalSetRunning::enter();
        for _ in 0..16 {
            let handles: Vec<Arc<AbortState>> = self.shared.tasks.borrow().iter().map(|(_, h)| h.clone()).collect();
            handles.iter().for_each(|h| h.abort());
            let mut ran = false;
            while let Some(runnable) = self.shared.queue.pop() {
                runnable.run();
                ran = true;
            }
            if !ran {
                break;
            }
        }
        while self.shared.queue.pop().is_some() {}
    }
}
