//! What a driver holds right now, for tests and metrics.

/// A snapshot of one worker driver's resources.
///
/// Every counter returns to its starting value once the I/O objects and
/// futures that used the driver are gone and their operations have completed:
/// tests assert exactly that to prove no operation or buffer leaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriverCounters {
    /// Operations submitted to the kernel whose final completion has not arrived
    /// (io_uring), or I/O sources registered with the poller (mio).
    pub ops_in_flight: u64,
    /// Ring-provided receive buffers currently lent to the kernel (io_uring);
    /// always 0 on mio.
    pub recv_buffers_free: u64,
    /// Total ring-provided receive buffers (io_uring); 0 on mio.
    pub recv_buffers_total: u64,
    /// Stream and listener objects alive on this driver.
    pub io_objects: u64,
}

impl DriverCounters {
    /// Adds another worker's counters to these.
    pub fn add(&mut self, other: DriverCounters) {
        self.ops_in_flight += other.ops_in_flight;
        self.recv_buffers_free += other.recv_buffers_free;
        self.recv_buffers_total += other.recv_buffers_total;
        self.io_objects += other.io_objects;
    }
}
