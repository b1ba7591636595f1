//! [`LocalRuntime`]: a current-thread runtime that may spawn `!Send` tasks
//! from outside its `block_on`, like tokio's.
//!
//! Every ringline worker already runs `!Send` tasks, so a `LocalRuntime` is a
//! current-thread [`Runtime`] kept on the thread that built it (it is
//! neither `Send` nor `Sync`), whose [`spawn_local`](LocalRuntime::spawn_local)
//! works before and between calls to `block_on`, and under whose
//! [`enter`](LocalRuntime::enter) guard `task::spawn_local` does too.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use super::handle::{EnterGuard, Handle};
use super::{Builder, JoinHandle, Runtime, RuntimeMetrics};

/// Options only a [`LocalRuntime`] takes, like tokio's `LocalOptions`
/// (which has none yet either). Pass `LocalOptions::default()` to
/// [`Builder::build_local`].
#[derive(Default, Debug)]
#[non_exhaustive]
pub struct LocalOptions {
    /// `!Send`, `!Sync`, as tokio's.
    _not_send: PhantomData<*mut u8>,
}

/// A current-thread runtime bound to the thread that built it, like
/// `tokio::runtime::LocalRuntime`.
///
/// ```no_run
/// use std::rc::Rc;
///
/// let rt = ringline::runtime::LocalRuntime::new().unwrap();
/// let shared = Rc::new(1);
/// let task = rt.spawn_local(async move { *shared + 1 });
/// assert_eq!(rt.block_on(task).unwrap(), 2);
/// ```
pub struct LocalRuntime {
    runtime: Runtime,
    /// `!Send`, `!Sync`, as tokio's.
    _not_send: PhantomData<*mut u8>,
}

impl LocalRuntime {
    /// A local runtime with default settings (all of `enable_all`).
    pub fn new() -> std::io::Result<LocalRuntime> {
        Builder::new_current_thread().enable_all().build_local(LocalOptions::default())
    }

    pub(crate) fn from_runtime(runtime: Runtime) -> LocalRuntime {
        LocalRuntime { runtime, _not_send: PhantomData }
    }

    /// The runtime's handle. It may go to other threads, and spawn `Send`
    /// tasks from there.
    pub fn handle(&self) -> &Handle {
        self.runtime.handle()
    }

    /// Spawns a `!Send` task on this runtime. It runs while this thread is
    /// inside [`block_on`](Self::block_on).
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        super::spawn::spawn_local_on(self.handle().place(), future)
    }

    /// Runs `f` on the blocking pool; see [`Handle::spawn_blocking`].
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.runtime.spawn_blocking(f)
    }

    /// Runs `future` to completion on this thread, running the runtime's
    /// tasks meanwhile; see [`Runtime::block_on`].
    ///
    /// # Panics
    /// When called from inside an asynchronous context, like tokio.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Enters the runtime on this thread, so `spawn`, `spawn_local`, `net`
    /// and `time` work from synchronous code here until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.runtime.enter()
    }

    /// Shuts down; see [`Runtime::shutdown_timeout`].
    pub fn shutdown_timeout(self, duration: Duration) {
        self.runtime.shutdown_timeout(duration);
    }

    /// Shuts down without waiting for blocking-pool jobs; see
    /// [`Runtime::shutdown_background`].
    pub fn shutdown_background(self) {
        self.runtime.shutdown_background();
    }

    /// The runtime's metrics.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.runtime.metrics()
    }
}

impl std::panic::UnwindSafe for LocalRuntime {}

impl std::panic::RefUnwindSafe for LocalRuntime {}

impl fmt::Debug for LocalRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRuntime").field("handle", self.handle()).finish()
    }
}
