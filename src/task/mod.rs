//! Tasks: spawning, joining, aborting. Mirrors `tokio::task`.
//!
//! [`spawn`] places a `Send` task on one worker when it is spawned (the least
//! loaded one) and it runs there until it finishes: tasks never migrate.
//! [`spawn_local`] keeps a `!Send` task on the current worker. [`spawn_blocking`]
//! runs a closure on the runtime's bounded blocking pool.

use std::future::Future;

mod join_set;
mod yield_now;

pub use crate::runtime::join_handle::{AbortHandle, JoinError, JoinHandle};
pub use join_set::JoinSet;
pub use yield_now::yield_now;

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

/// Spawns a `!Send` task on the current worker thread.
///
/// Unlike tokio no `LocalSet` is needed: every ringline worker runs local tasks.
///
/// # Panics
/// When the current thread is not a ringline worker (e.g. inside
/// `Runtime::block_on` of a multi-thread runtime).
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::runtime::context::spawn_local(future)
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
