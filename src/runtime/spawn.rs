//! Turning a future into a task on a chosen worker.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::abort::AbortState;
use super::context;
use super::join_handle::{AbortHandle, TaskOutput};
use super::worker::{Queued, WorkerShared};
use super::JoinHandle;

pin_project_lite::pin_project! {
    /// A task body plus its bookkeeping: registered with its worker (for
    /// shutdown) on first poll, counted in the worker's load until dropped.
    struct Tracked<F> {
        #[pin]
        inner: F,
        abort: Option<Arc<AbortState>>,
        // Key in `worker`'s task registry, once registered.
        registered: Option<usize>,
        worker: Arc<WorkerShared>,
    }

    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(key) = this.registered.take() {
                context::untrack_task(this.worker.id, key);
            }
            this.worker.live_tasks.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl<T, F: Future<Output = TaskOutput<T>>> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Some(abort) = this.abort.take() {
            *this.registered = context::track_task(this.worker.id, &abort);
        }
        let output = this.inner.poll(cx);
        if let Poll::Ready(output) = &output {
            if output.is_panic() {
                context::with_current_handle(|rt| rt.map(|rt| rt.inner.task_panicked()));
            }
        }
        output
    }
}

fn tracked<F: Future>(
    worker: &Arc<WorkerShared>,
    future: F,
) -> (Tracked<impl Future<Output = TaskOutput<F::Output>>>, AbortHandle) {
    let (task, abort) = super::wrap(future);
    worker.live_tasks.fetch_add(1, Ordering::Relaxed);
    let raw = Some(abort.state().clone());
    let tracked = Tracked { inner: task, abort: raw, registered: None, worker: worker.clone() };
    (tracked, abort)
}

/// Spawns a `Send` task on `worker`.
pub(crate) fn spawn_on<F>(worker: &Arc<WorkerShared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (task, abort) = tracked(worker, future);
    let target = worker.clone();
    let (runnable, task) = async_task::spawn(task, move |r| target.schedule(Queued::sendable(r)));
    // A runtime that shut down never runs it: drop it here, so its handle
    // reports it cancelled at once, as tokio's. (Not in `schedule`: a wake
    // must not run a task's destructor inside the waker.)
    match worker.is_stopped() {
        true => drop(runnable),
        false => runnable.schedule(),
    }
    JoinHandle::new(task, abort)
}

/// Spawns a `!Send` task on `worker`, which must run on the current thread
/// (its own, or a `LocalRuntime`'s owner outside `block_on`).
pub(crate) fn spawn_local_on<F>(worker: &Arc<WorkerShared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (task, abort) = tracked(worker, future);
    let target = worker.clone();
    let (runnable, task) = async_task::spawn_local(task, move |r| target.schedule(Queued::local(r)));
    runnable.schedule();
    JoinHandle::new(task, abort)
}
