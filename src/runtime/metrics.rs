//! [`RuntimeMetrics`]: tokio's stable runtime metrics, and the per-worker
//! counters behind them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Handle;

/// A view of a runtime's counters, like `tokio::runtime::RuntimeMetrics`
/// (its stable items).
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    handle: Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    /// Number of worker threads (1 on the current-thread runtime).
    pub fn num_workers(&self) -> usize {
        self.handle.num_workers()
    }

    /// Tasks spawned on the runtime and not yet finished.
    pub fn num_alive_tasks(&self) -> usize {
        self.handle.num_alive_tasks()
    }

    /// Tasks scheduled from outside a worker and not yet taken by it. ringline
    /// has no global queue: this is the sum of the workers' remote queues,
    /// which is what tokio's injection queue holds.
    pub fn global_queue_depth(&self) -> usize {
        self.handle.inner.workers.iter().map(|w| w.remote_queue_depth()).sum()
    }

    /// How long worker `worker` has been busy (not parked waiting for work)
    /// so far, like tokio's. Updated each time the worker parks and when it
    /// stops (or its `block_on` returns, on the current-thread runtime).
    ///
    /// # Panics
    /// When `worker` is not below [`num_workers`](Self::num_workers).
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        Duration::from_nanos(self.worker(worker).busy_nanos.load(Ordering::Relaxed))
    }

    /// How many times worker `worker` has parked (gone idle waiting for I/O,
    /// timers or wake-ups), like tokio's.
    ///
    /// # Panics
    /// When `worker` is not below [`num_workers`](Self::num_workers).
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_count.load(Ordering::Relaxed)
    }

    /// How many times worker `worker` has parked or unparked, like tokio's:
    /// odd while it is parked, even while it runs.
    ///
    /// # Panics
    /// When `worker` is not below [`num_workers`](Self::num_workers).
    #[track_caller]
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        self.worker(worker).park_unpark_count.load(Ordering::Relaxed)
    }

    #[track_caller]
    fn worker(&self, worker: usize) -> &WorkerMetrics {
        let workers = &self.handle.inner.workers;
        assert!(
            worker < workers.len(),
            "worker index {worker} out of range: the runtime has {} workers",
            workers.len()
        );
        &workers[worker].metrics
    }
}

/// One worker's counters behind the per-worker metrics. Only the worker's
/// own thread writes them, and only when it parks, unparks or stops: the
/// task-polling path does not touch them.
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    /// Times the worker parked.
    park_count: AtomicU64,
    /// Parks plus unparks.
    park_unpark_count: AtomicU64,
    /// Time spent busy, in nanoseconds, up to the last park or stop.
    busy_nanos: AtomicU64,
}

impl WorkerMetrics {
    /// The worker, busy since `busy_since`, is about to park.
    pub(crate) fn about_to_park(&self, busy_since: Instant) {
        self.park_count.fetch_add(1, Ordering::Relaxed);
        self.park_unpark_count.fetch_add(1, Ordering::Relaxed);
        self.add_busy(busy_since);
    }

    /// The worker woke from parking; returns when its busy time restarts.
    pub(crate) fn unparked(&self) -> Instant {
        self.park_unpark_count.fetch_add(1, Ordering::Relaxed);
        Instant::now()
    }

    /// Adds the time since `busy_since` to the busy total.
    pub(crate) fn add_busy(&self, busy_since: Instant) {
        let nanos = u64::try_from(busy_since.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.busy_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}
