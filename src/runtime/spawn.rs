//! Turning a future into a task on a chosen worker.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::AbortHandle;

use super::context;
use super::worker::WorkerShared;
use super::JoinHandle;

pin_project_lite::pin_project! {
    /// A task body plus its bookkeeping: registered with its worker (for
    /// shutdown) on first poll, counted in the worker's load until dropped.
    struct Tracked<F> {
        #[pin]
        inner: F,
        abort: Option<AbortHandle>,
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

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Some(abort) = this.abort.take() {
            *this.registered = context::track_task(this.worker.id, &abort);
        }
        this.inner.poll(cx)
    }
}

fn tracked<F: Future>(
    worker: &Arc<WorkerShared>,
    future: F,
) -> (Tracked<impl Future<Output = super::join_handle::TaskOutput<F::Output>>>, AbortHandle) {
    let (task, abort) = super::wrap(future);
    worker.live_tasks.fetch_add(1, Ordering::Relaxed);
    let tracked = Tracked { inner: task, abort: Some(abort.clone()), registered: None, worker: worker.clone() };
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
    let (runnable, task) = async_task::spawn(task, move |r| target.schedule(r));
    runnable.schedule();
    JoinHandle::new(task, abort)
}

/// Spawns a `!Send` task on `worker`, which must be the current thread's.
pub(crate) fn spawn_local_on<F>(worker: &Arc<WorkerShared>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (task, abort) = tracked(worker, future);
    let target = worker.clone();
    let (runnable, task) = async_task::spawn_local(task, move |r| target.schedule(r));
    runnable.schedule();
    JoinHandle::new(task, abort)
}
