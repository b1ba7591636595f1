//! Tasks: spawning, joining, aborting. Mirrors `tokio::task`.
//!
//! [`spawn`] places a `Send` task on one worker when it is spawned (the least
//! loaded one) and it runs there until it finishes: tasks never migrate.
//! [`spawn_local`] keeps a `!Send` task on the current worker. [`spawn_blocking`]
//! runs a closure on the runtime's bounded blocking pool.

use std::future::Future;

mod join_set;
mod local;
mod yield_now;

pub use crate::runtime::block_in_place::block_in_place;
pub use crate::runtime::join_handle::{AbortHandle, JoinError, JoinHandle};
pub use crate::runtime::task_id::{id, try_id, Id};
pub use coop::{consume_budget, unconstrained, Unconstrained};
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

/// Cooperative scheduling, like `tokio::task::coop`.
///
/// Every time a worker polls a task it grants the task a budget of 128
/// operations. ringline's own I/O (reads, peeks, writes, accepts) and
/// `JoinHandle`s take one unit per operation that completes; once the budget
/// is spent, such an operation returns `Pending` and re-schedules the task
/// behind the others ready on its worker, so a task looping on I/O that is
/// always ready cannot starve them.
///
/// tokio's primitives that ringline re-exports (`ringline::sync`) keep their
/// own budget inside tokio's runtime context, which only tokio's schedulers
/// can set, so they do not see ringline's: wrap such a future in
/// [`cooperative`](coop::cooperative), or call [`consume_budget`] in the loop.
/// (`ringline::io`'s in-memory utilities do spend ringline's budget.)
pub mod coop {
    pub use crate::runtime::coop::{
        consume_budget, cooperative, has_budget_remaining, poll_proceed, unconstrained, Coop, RestoreOnPending,
        Unconstrained,
    };
}

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
