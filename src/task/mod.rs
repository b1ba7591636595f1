//! Tasks: spawning, joining, aborting. Mirrors `tokio::task`.
//!
//! [`spawn`] places a `Send` task on one worker when it is spawned (the least
//! loaded one) and it runs there until it finishes: tasks never migrate.
//! [`spawn_local`] keeps a `!Send` task on the current worker. [`spawn_blocking`]
//! runs a closure on the runtime's bounded blocking pool.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::future::{AbortHandle as RawAbortHandle, Abortable, CatchUnwind, FutureExt};

pub mod coop;
mod id;
mod join_handle;
mod join_set;
mod local;
mod yield_now;

pub use crate::runtime::block_in_place::block_in_place;
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use id::{id, try_id, Id};
pub use join_handle::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use local::{LocalEnterGuard, LocalSet};
/// tokio's task-local storage, re-exported: it keeps its values in the
/// future that [`LocalKey::scope`] returns, so it needs no runtime and works
/// on ringline tasks as on tokio's. Declare keys with [`task_local!`](crate::task_local).
pub use tokio::task::LocalKey;

/// Futures returned by task functions, like `tokio::task::futures`.
pub mod futures {
    pub use tokio::task::futures::TaskLocalFuture;
}
pub use yield_now::yield_now;

pub(crate) use join_handle::TaskOutput;
pub(crate) use local::is_running as local_set_running;

/// Spawns a task on the current runtime, like `tokio::spawn`.
///
/// The task is placed on the least loaded worker and stays there. Its output
/// (or its panic, as a [`JoinError`]) is delivered through the returned handle;
/// a panicking task does not take its worker down.
///
/// # Panics
/// When called outside a ringline runtime.
///
/// ```no_run
/// # #[ringline::main] async fn main() {
/// let handle = ringline::spawn(async { 1 + 1 });
/// assert_eq!(handle.await.unwrap(), 2);
/// # }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    crate::runtime::Handle::current().spawn(future)
}

/// Spawns a `!Send` task on the current thread: onto the [`LocalSet`] that
/// is running (or entered) here, else onto the current worker.
///
/// Unlike tokio no `LocalSet` is needed on a worker: every ringline worker
/// runs local tasks.
///
/// # Panics
/// When no `LocalSet` runs here and the current thread is not a ringline
/// worker (e.g. inside `Runtime::block_on` of a multi-thread runtime).
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match local::spawn_on_current(future) {
        Ok(handle) => handle,
        Err(future) => crate::runtime::context::spawn_local(future),
    }
}

/// Runs a blocking closure on the runtime's blocking thread pool, like
/// `tokio::task::spawn_blocking`. Aborting it only has an effect before it
/// starts.
///
/// # Panics
/// When called outside a ringline runtime.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    crate::runtime::Handle::current().spawn_blocking(f)
}

/// Wraps a task body so that its panic becomes a `JoinError`, it can be
/// aborted and it has an [`Id`]; returns the wrapped future and its abort
/// handle.
pub(crate) fn wrap<F: Future>(future: F) -> (impl Future<Output = TaskOutput<F::Output>>, AbortHandle) {
    let (abort, registration) = RawAbortHandle::new_pair();
    let guarded = Some(Abortable::new(AssertUnwindSafe(future).catch_unwind(), registration));
    let id = Id::next();
    (Wrapped { guarded, finished: abort.clone(), id }, AbortHandle::new(abort, id))
}

pin_project_lite::pin_project! {
    /// A task body as `wrap` returns it.
    ///
    /// Written out rather than as an `async` block: an async block keeps the
    /// future it captured and the same future being awaited side by side,
    /// which stored every task's body twice.
    struct Wrapped<F> {
        // `None` once dropped: the body is dropped as soon as it finishes,
        // with its task id current, as tokio does.
        #[pin]
        guarded: Option<Abortable<CatchUnwind<AssertUnwindSafe<F>>>>,
        finished: RawAbortHandle,
        id: Id,
    }

    impl<F> PinnedDrop for Wrapped<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _current = this.id.enter();
            // A panic here unwinds out of the task's drop, as it would anyway.
            this.guarded.set(None);
        }
    }
}

impl<F: Future> Future for Wrapped<F> {
    type Output = TaskOutput<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let id = *this.id;
        let _current = id.enter();
        let _budget = coop::budget();
        let guarded = this.guarded.as_mut().as_pin_mut().expect("task polled after it finished");
        let mut output = match ready!(guarded.poll(cx)) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(payload)) => Err(JoinError::panic(id, payload)),
            Err(_aborted) => Err(JoinError::cancelled(id)),
        };
        // Drop the body now, with the id current; a panic from its `Drop`
        // becomes the task's error, as in tokio.
        let mut guarded = this.guarded;
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| guarded.set(None))) {
            output = Err(JoinError::panic(id, payload));
        }
        // Marks the handle so `AbortHandle::is_finished` reports completion.
        this.finished.abort();
        Poll::Ready(TaskOutput::new(output, id))
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_stores_the_body_once() {
        let body = async {
            let buf = [1u8; 1024];
            std::future::ready(()).await;
            buf.iter().map(|&b| usize::from(b)).sum::<usize>()
        };
        let body_size = std::mem::size_of_val(&body);
        let (task, _abort) = wrap(body);
        // Every task of every connection pays for this: the body, its abort
        // registration, abort handle and id, and no second copy of the body.
        assert!(std::mem::size_of_val(&task) <= body_size + 40, "{} vs {body_size}", std::mem::size_of_val(&task));
    }
}
