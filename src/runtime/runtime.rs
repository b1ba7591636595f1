//! `Runtime`: owns the worker threads (or, current-thread, the one worker).

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Mutex;
use std::thread::JoinHandle as ThreadHandle;
use std::time::Duration;

use super::bridge::Bridge;
use super::context;
use super::handle::{EnterGuard, Handle};
use super::worker::Worker;
use super::worker_home::WorkerHome;
use super::JoinHandle;

/// A ringline runtime, like `tokio::runtime::Runtime`.
///
/// Multi-thread (the default): one worker thread per core, each with its own
/// io_uring (or mio poller), run queue and timers; `block_on` runs its future
/// on the calling thread. Current-thread: the single worker runs inside
/// `block_on` on the calling thread. Dropping the runtime stops the workers,
/// drops every task still running, and waits for the kernel to release the
/// memory in flight.
pub struct Runtime {
    handle: Handle,
    flavor: Flavor,
    /// The tokio-context bridge's runtime, stopped after the workers.
    bridge: Bridge,
}

enum Flavor {
    MultiThread { threads: Mutex<Vec<ThreadHandle<()>>> },
    CurrentThread { worker: WorkerHome },
}

impl Runtime {
    /// A multi-thread runtime with default settings (all of `enable_all`).
    pub fn new() -> io::Result<Runtime> {
        super::Builder::new_multi_thread().enable_all().build()
    }

    pub(crate) fn multi_thread(handle: Handle, threads: Vec<ThreadHandle<()>>, bridge: Bridge) -> Runtime {
        Runtime { handle, flavor: Flavor::MultiThread { threads: Mutex::new(threads) }, bridge }
    }

    pub(crate) fn current_thread(handle: Handle, worker: Worker, bridge: Bridge) -> Runtime {
        let worker = WorkerHome::new(worker);
        Runtime { handle, flavor: Flavor::CurrentThread { worker }, bridge }
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The runtime's metrics; see [`Handle::metrics`].
    pub fn metrics(&self) -> super::RuntimeMetrics {
        self.handle.metrics()
    }

    /// Spawns a task; see [`Handle::spawn`].
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` on the blocking pool; see [`Handle::spawn_blocking`].
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// Enters the runtime on this thread; see [`Handle::enter`].
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Runs `future` to completion on the current thread.
    ///
    /// # Panics
    /// When called from inside an asynchronous context (a task of any runtime),
    /// like tokio.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        context::assert_may_block_on();
        match &self.flavor {
            Flavor::MultiThread { .. } => self.handle.block_on(future),
            Flavor::CurrentThread { worker } => worker.block_on(&self.handle, future),
        }
    }

    /// Shuts down, waiting at most `timeout` for the worker threads.
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for the worker threads to finish.
    pub fn shutdown_background(self) {
        self.shutdown(Some(Duration::ZERO));
    }

    /// Stops everything, waiting `wait` (None: until done) for the worker
    /// threads. Waiting from asynchronous code panics, as tokio's does, after
    /// shutting down without waiting.
    fn shutdown(&self, wait: Option<Duration>) {
        // New I/O objects, file ops and stdio writes fail from now on; a
        // runtime shut down already (dropped after `shutdown_*`) is done.
        if self.handle.inner.drivers.shut_down() {
            return;
        }
        let refuse_wait = wait != Some(Duration::ZERO) && context::in_async_context() && !std::thread::panicking();
        let wait = if refuse_wait { Some(Duration::ZERO) } else { wait };
        self.stop(wait);
        if refuse_wait {
            // A literal, as tokio's: its payload is a `&'static str`.
            panic!(
                "Cannot drop a runtime in a context where blocking is not allowed. This happens when a runtime \
                 is dropped from within an asynchronous context."
            );
        }
    }

    fn stop(&self, wait: Option<Duration>) {
        self.handle.inner.blocking.shutdown();
        self.handle.inner.workers.iter().for_each(|w| w.stop());
        match &self.flavor {
            Flavor::MultiThread { threads } => {
                let threads = std::mem::take(&mut *threads.lock().unwrap_or_else(|e| e.into_inner()));
                let on_own_worker =
                    self.handle.inner.workers.iter().any(|w| Some(w.id) == context::current_worker_id());
                if !on_own_worker {
                    join_all(threads, wait);
                }
            }
            Flavor::CurrentThread { worker } => {
                if let Some(mut w) = worker.take() {
                    w.shutdown_tasks();
                    w.shutdown_driver();
                }
            }
        }
        self.bridge.shutdown(wait);
    }
}

/// Joins worker threads, giving up after `wait` (None: wait for all).
fn join_all(threads: Vec<ThreadHandle<()>>, wait: Option<Duration>) {
    // A wait too long to add to now (`Duration::MAX`) is no deadline.
    let deadline = wait.and_then(|w| std::time::Instant::now().checked_add(w));
    for thread in threads {
        if let Some(deadline) = deadline {
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            if !thread.is_finished() {
                continue;
            }
        }
        let _ = thread.join();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl std::panic::UnwindSafe for Runtime {}

impl std::panic::RefUnwindSafe for Runtime {}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("handle", &self.handle).finish()
    }
}
