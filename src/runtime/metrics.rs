//! [`RuntimeMetrics`]: tokio's stable runtime metrics.

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
}
