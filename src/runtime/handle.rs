//! `Handle`: a cloneable reference to a running runtime.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use super::blocking::BlockingPool;
use super::bridge::{BridgeGuard, BridgeHandle};
use super::config::{Id, RuntimeConfig, RuntimeFlavor, UnhandledPanic};
use super::context::{self, HandleGuard};
use super::metrics::RuntimeMetrics;
use super::worker::WorkerShared;
use super::JoinHandle;
use crate::driver::context::Drivers;
use crate::driver::{Backend, DriverCounters};
use crate::time::Clock;

/// A handle to a runtime, like `tokio::runtime::Handle`: spawn onto it, enter
/// it, ask which backend it runs.
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<Shared>,
}

/// What every thread of a runtime shares.
pub(crate) struct Shared {
    /// One per worker thread, in index order.
    pub(crate) workers: Box<[Arc<WorkerShared>]>,
    /// Round-robin cursor for placement ties and non-worker I/O.
    next: AtomicUsize,
    /// Every worker's driver (and the backend they run), for the driver
    /// layer's thread-local.
    pub(crate) drivers: Arc<Drivers>,
    pub(crate) blocking: BlockingPool,
    /// The runtime's clock (pausable on the current-thread runtime).
    pub(crate) clock: Clock,
    /// What it was built with.
    pub(crate) config: RuntimeConfig,
    /// A task panicked and `UnhandledPanic::ShutdownRuntime` is set.
    pub(crate) panicked: AtomicBool,
    /// The tokio context every thread of this runtime enters (`tokio-bridge`).
    pub(crate) bridge: BridgeHandle,
}

impl Shared {
    pub(crate) fn new(
        workers: Box<[Arc<WorkerShared>]>,
        blocking: BlockingPool,
        clock: Clock,
        config: RuntimeConfig,
        bridge: BridgeHandle,
    ) -> Shared {
        let handles = workers.iter().map(|w| w.driver.clone()).collect();
        let drivers = Arc::new(Drivers::new(config.backend, handles, config.io_enabled, !config.multi_thread));
        crate::driver::op::install_blocking_pool(|job| drop(Handle::current().spawn_blocking(job)));
        let panicked = AtomicBool::new(false);
        Shared { workers, next: AtomicUsize::new(0), drivers, blocking, clock, config, panicked, bridge }
    }

    /// A spawned task of this runtime panicked.
    pub(crate) fn task_panicked(&self) {
        if self.config.unhandled_panic == UnhandledPanic::ShutdownRuntime {
            self.panicked.store(true, Ordering::Release);
            self.workers.iter().for_each(|w| w.driver.unpark());
        }
    }
}

/// Returned by [`Handle::try_current`] outside a runtime.
#[derive(Debug)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no ringline runtime is running on this thread")
    }
}

impl std::error::Error for TryCurrentError {}

/// Keeps a runtime entered on this thread; see [`Handle::enter`].
pub struct EnterGuard<'a> {
    // Field order is drop order: leave the tokio context first.
    _bridge: BridgeGuard<'a>,
    _guard: HandleGuard,
    _handle: std::marker::PhantomData<&'a Handle>,
    /// tokio's auto traits: `Sync` but not `Send` (it must drop on the
    /// thread that entered).
    _not_send: std::marker::PhantomData<std::sync::MutexGuard<'static, ()>>,
}

impl Handle {
    /// The handle of the runtime the current thread is inside.
    ///
    /// # Panics
    /// Outside a ringline runtime.
    #[track_caller]
    pub fn current() -> Handle {
        context::handle()
    }

    /// The current runtime's handle, or an error outside one.
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current_handle().ok_or(TryCurrentError(()))
    }

    /// Enters the runtime on this thread, so `spawn`, `net` and `time` work
    /// from synchronous code here until the guard drops (and, with the tokio
    /// bridge, tokio's context too).
    pub fn enter(&self) -> EnterGuard<'_> {
        let guard = context::enter_handle(self.clone());
        EnterGuard {
            _bridge: self.inner.bridge.enter(),
            _guard: guard,
            _handle: std::marker::PhantomData,
            _not_send: std::marker::PhantomData,
        }
    }

    /// Spawns a task on this runtime, on its least loaded worker.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        super::spawn::spawn_on(self.place(), future)
    }

    /// Runs `f` on this runtime's blocking pool.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        // As tokio: a paused clock does not jump while a blocking job runs.
        let inhibit = crate::time::inhibit_auto_advance(self);
        self.inner.blocking.spawn(move || {
            let _inhibit = inhibit;
            f()
        })
    }

    /// Runs `future` to completion on the current thread while the workers
    /// run spawned tasks.
    ///
    /// # Panics
    /// When called from inside an asynchronous context (a task of any
    /// runtime, or another `block_on`), like tokio.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        context::assert_may_block_on();
        let _guard = self.enter();
        self.inner.bridge.run_entered(|| super::park::block_on(future))
    }

    /// Whether the runtime has shut down (its `Runtime` was shut down or
    /// dropped): new I/O, timers and blocking jobs are refused.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.inner.drivers.is_shut_down()
    }

    /// Which backend this runtime drives its I/O with.
    pub fn backend(&self) -> Backend {
        self.inner.drivers.backend()
    }

    /// The runtime's flavor, like tokio's `Handle::runtime_flavor`.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match self.inner.config.multi_thread {
            true => RuntimeFlavor::MultiThread,
            false => RuntimeFlavor::CurrentThread,
        }
    }

    /// The runtime's id, unique in this process.
    pub fn id(&self) -> Id {
        self.inner.config.id
    }

    /// The name given with [`Builder::name`](super::Builder::name), if any.
    pub fn name(&self) -> Option<&str> {
        self.inner.config.name.as_deref()
    }

    /// The runtime's metrics.
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.clone())
    }

    /// Whether this runtime runs the tokio-context bridge (cargo feature
    /// `tokio-bridge`, on unless [`Builder::tokio_bridge`](super::Builder::tokio_bridge)
    /// turned it off): a small tokio runtime whose context every worker thread,
    /// `block_on` and `enter` enter, so libraries calling `tokio::spawn`,
    /// `tokio::time` or `tokio::net` themselves work instead of panicking.
    pub fn tokio_bridge(&self) -> bool {
        self.inner.bridge.is_enabled()
    }

    /// Number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.inner.workers.len()
    }

    /// What every worker's driver holds right now, summed (ops in flight,
    /// receive buffers, I/O objects). Tests use it to prove nothing leaks.
    pub fn driver_counters(&self) -> DriverCounters {
        let mut total = DriverCounters::default();
        self.inner.workers.iter().for_each(|w| total.add(w.driver.counters()));
        total
    }

    /// Tasks spawned and not yet finished, over all workers.
    pub fn num_alive_tasks(&self) -> usize {
        self.inner.workers.iter().map(|w| w.live_tasks.load(Ordering::Relaxed)).sum()
    }

    /// The worker a new task goes to: the one with the fewest live tasks,
    /// ties broken round-robin; a worker inside `block_in_place` only when
    /// every worker is.
    pub(crate) fn place(&self) -> &Arc<WorkerShared> {
        self.least_loaded(true).expect("a runtime has at least one worker")
    }

    /// The least loaded worker not inside `block_in_place`, if any.
    pub(crate) fn unblocked_worker(&self) -> Option<&Arc<WorkerShared>> {
        self.least_loaded(false)
    }

    fn least_loaded(&self, or_blocked: bool) -> Option<&Arc<WorkerShared>> {
        let workers = &self.inner.workers;
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        // (blocked, live tasks): an unblocked worker always wins.
        let mut best: Option<(usize, (bool, usize))> = None;
        for i in 0..workers.len() {
            let idx = (start + i) % workers.len();
            let load = (workers[idx].is_blocked(), workers[idx].live_tasks.load(Ordering::Relaxed));
            if (or_blocked || !load.0) && best.is_none_or(|(_, b)| load < b) {
                best = Some((idx, load));
            }
        }
        best.map(|(idx, _)| &workers[idx])
    }

    /// Some worker, round-robin (for I/O and timers from non-worker threads),
    /// skipping workers inside `block_in_place` while another is free.
    pub(crate) fn next_worker(&self) -> &Arc<WorkerShared> {
        let workers = &self.inner.workers;
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let free = (0..workers.len()).map(|i| &workers[(start + i) % workers.len()]).find(|w| !w.is_blocked());
        free.unwrap_or(&workers[start % workers.len()])
    }
}

impl std::panic::UnwindSafe for Handle {}

impl std::panic::RefUnwindSafe for Handle {}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("backend", &self.inner.drivers.backend())
            .field("workers", &self.inner.workers.len())
            .finish()
    }
}
