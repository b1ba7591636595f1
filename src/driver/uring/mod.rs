//! The io_uring backend.
//!
//! One ring per worker. Futures never touch the ring: they change their I/O
//! object's state and *kick* it; the worker reconciles kicked objects into SQEs
//! once per tick, so every SQE of a tick goes to the kernel in one
//! `io_uring_enter`, which also waits for the next completions.

use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use io_uring::{types, IoUring};

use super::{DriverConfig, DriverCounters};

mod accept_watch;
mod armed;
mod bufring;
mod conn;
mod conn_state;
mod dgram;
#[cfg(feature = "fault-injection")]
pub mod faults;
mod home_link;
mod listener;
mod oneshot;
mod poll_fd;
mod probe;
mod queues;
mod recv_mode;
mod ring;
mod send_off;
mod sq_backlog;
mod sqe;
mod stream;
#[cfg(test)]
mod tests;
mod wake;

pub(crate) use dgram::Datagram;
pub(crate) use listener::Listener;
pub(crate) use oneshot::Oneshot;
pub(crate) use poll_fd::PollFd;
pub(crate) use probe::{probe, supports};
pub(crate) use stream::Stream;

use bufring::BufRing;
use ring::{Completion, Owner, Ring};
use wake::WakeRead;

/// Work for the driver's thread, queued by any thread.
enum Kick {
    /// Bring an owner's in-flight ops in line with its state.
    Reconcile(Arc<dyn Owner>),
    /// Cancel the op with this user_data.
    Cancel(u64),
}

impl Kick {
    /// The object a reconcile kick is for.
    fn owner(&self) -> Option<Arc<dyn Owner>> {
        match self {
            Kick::Reconcile(owner) => Some(owner.clone()),
            Kick::Cancel(_) => None,
        }
    }
}

/// The shareable half of a worker's io_uring driver.
pub(crate) struct Handle {
    /// Written to wake the driver out of `io_uring_enter`.
    wake_fd: OwnedFd,
    /// Set while the driver is (about to be) blocked in the kernel.
    parked: AtomicBool,
    /// Objects and ops waiting to be turned into SQEs by the driver thread.
    kicks: Mutex<Vec<Kick>>,
    /// The driver has shut down: kicks are dropped (they would never be served).
    closed: AtomicBool,
    /// Stream and listener objects alive on this driver.
    io_objects: AtomicU64,
    /// Ops in flight, as of the driver's last tick.
    ops_in_flight: AtomicU64,
    /// Receive buffers held by the kernel, as of the driver's last tick.
    recv_buffers_free: AtomicU64,
    /// Total receive buffers.
    recv_buffers_total: u64,
}

impl Handle {
    /// Queues `kick` for the driver's thread and wakes it if it sleeps.
    /// Returns false (dropping the kick) once the driver has shut down.
    fn kick(&self, kick: Kick) -> bool {
        let mut kicks = self.kicks.lock().expect("kick queue poisoned");
        // Checked under the queue's lock, which `shutdown` holds while it sets
        // the flag and empties the queue: no kick can slip in after that.
        if self.closed.load(Ordering::Acquire) {
            return false;
        }
        kicks.push(kick);
        drop(kicks);
        self.unpark();
        true
    }

    pub(crate) fn unpark(&self) {
        if self.parked.swap(false, Ordering::SeqCst) {
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a valid u64 to our own eventfd.
            let _ = unsafe { libc::write(self.wake_fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }

    /// The driver has shut down: it serves no more ops.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(super) fn object_opened(&self) {
        self.io_objects.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn object_closed(&self) {
        self.io_objects.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn counters(&self) -> DriverCounters {
        DriverCounters {
            ops_in_flight: self.ops_in_flight.load(Ordering::Relaxed),
            recv_buffers_free: self.recv_buffers_free.load(Ordering::Relaxed),
            recv_buffers_total: self.recv_buffers_total,
            io_objects: self.io_objects.load(Ordering::Relaxed),
        }
    }
}

/// A worker's io_uring driver.
pub(crate) struct Driver {
    /// Dropped only once the kernel has completed every op (see `Drop`).
    ring: ManuallyDrop<Ring>,
    handle: Arc<Handle>,
    /// Set by `shutdown`: no op is in flight, the ring's memory may be freed.
    quiesced: bool,
    /// Kicks taken from the handle, reused across ticks.
    kicks: Vec<Kick>,
    /// Completions reaped from the CQ, reused across ticks.
    reaped: Vec<(u64, Completion)>,
}

impl Driver {
    pub(crate) fn new(config: &DriverConfig) -> io::Result<Driver> {
        let uring = build_ring(config)?;
        let bufs = BufRing::new(&uring, bufring::RECV_GROUP, config.recv_buffers, config.recv_buffer_size)?;
        // SAFETY: eventfd(2) returns a new fd or -1.
        let wake_fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if wake_fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let handle = Arc::new(Handle {
            // SAFETY: eventfd returned a fresh fd we now own.
            wake_fd: unsafe { OwnedFd::from_raw_fd(wake_fd) },
            parked: AtomicBool::new(false),
            kicks: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            io_objects: AtomicU64::new(0),
            ops_in_flight: AtomicU64::new(0),
            recv_buffers_free: AtomicU64::new(u64::from(bufs.entries())),
            recv_buffers_total: u64::from(bufs.entries()),
        });
        let mut driver = Driver {
            ring: ManuallyDrop::new(Ring::new(uring, bufs)),
            handle,
            quiesced: false,
            kicks: Vec::new(),
            reaped: Vec::new(),
        };
        WakeRead::arm(driver.handle.wake_fd.as_raw_fd(), &mut driver.ring);
        Ok(driver)
    }

    pub(crate) fn handle(&self) -> Arc<Handle> {
        self.handle.clone()
    }

    pub(crate) fn park(&mut self, timeout: Option<Duration>, has_work: &dyn Fn() -> bool) {
        self.flush_kicks();
        // SQEs still waiting for room: enter without sleeping, reap, retry.
        let mut wait = self.ring.flush_backlog() && timeout != Some(Duration::ZERO);
        if wait {
            self.handle.parked.store(true, Ordering::SeqCst);
            if has_work() || !self.handle.kicks.lock().expect("kick queue poisoned").is_empty() {
                self.handle.parked.store(false, Ordering::SeqCst);
                wait = false;
            }
        }
        self.ring.publish_bufs();
        let entered = if wait {
            self.enter_and_wait(timeout)
        } else if self.needs_enter() {
            self.ring.uring.submit()
        } else {
            Ok(0)
        };
        if wait {
            self.handle.parked.store(false, Ordering::SeqCst);
        }
        conn_state::submitted();
        if let Err(e) = entered {
            let quiet = [libc::EINTR, libc::ETIME, libc::EBUSY, libc::EAGAIN, libc::ENOMEM];
            assert!(quiet.contains(&e.raw_os_error().unwrap_or(0)), "io_uring_enter failed: {e}");
        }
        self.reap();
        self.ring.publish_bufs();
        self.publish_counters();
    }

    /// Whether a non-blocking tick must enter the kernel: SQEs to submit,
    /// deferred completion work to run, or overflowed completions to flush.
    fn needs_enter(&mut self) -> bool {
        let mut sq = self.ring.uring.submission();
        sq.sync();
        !sq.is_empty() || sq.taskrun() || sq.cq_overflow()
    }

    fn enter_and_wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let submitter = self.ring.uring.submitter();
        match timeout {
            None => submitter.submit_and_wait(1),
            Some(t) => {
                let ts = types::Timespec::new().sec(t.as_secs()).nsec(t.subsec_nanos());
                submitter.submit_with_args(1, &types::SubmitArgs::new().timespec(&ts))
            }
        }
    }

    /// Turns every queued kick into SQEs.
    fn flush_kicks(&mut self) {
        std::mem::swap(&mut self.kicks, &mut *self.handle.kicks.lock().expect("kick queue poisoned"));
        for kick in self.kicks.drain(..) {
            match kick {
                Kick::Reconcile(owner) => owner.reconcile(&mut self.ring),
                Kick::Cancel(user_data) => self.ring.cancel(user_data),
            }
        }
        // A burst of new connections grows the queue; don't keep it forever.
        if self.kicks.capacity() > 1024 {
            self.kicks = Vec::new();
        }
    }

    /// The owners of the queued kicks.
    fn kicked_owners(&self) -> Vec<Arc<dyn Owner>> {
        self.handle.kicks.lock().expect("kick queue poisoned").iter().filter_map(Kick::owner).collect()
    }

    /// Drains the completion queue and hands each completion to its owner.
    fn reap(&mut self) {
        loop {
            self.reaped.extend(
                self.ring
                    .uring
                    .completion()
                    .map(|cqe| (cqe.user_data(), Completion { result: cqe.result(), flags: cqe.flags() })),
            );
            if self.reaped.is_empty() {
                return;
            }
            let mut reaped = std::mem::take(&mut self.reaped);
            for (user_data, completion) in reaped.drain(..) {
                self.dispatch(user_data, completion);
            }
            if reaped.capacity() > 4096 {
                reaped = Vec::new(); // a burst passed: don't keep its memory
            }
            self.reaped = reaped;
        }
    }

    fn dispatch(&mut self, user_data: u64, completion: Completion) {
        let Some(owner) = self.ring.take_owner(user_data, completion.more()) else {
            return; // stale: its slot was released and maybe reused
        };
        owner.complete(&completion, &mut self.ring);
    }

    fn publish_counters(&self) {
        // The wake-up read is always armed; it is the driver's, not a user's op.
        let user_ops = self.ring.in_flight().saturating_sub(1) as u64;
        self.handle.ops_in_flight.store(user_ops, Ordering::Relaxed);
        self.handle.recv_buffers_free.store(u64::from(self.ring.bufs.lent()), Ordering::Relaxed);
    }

    pub(crate) fn shutdown(&mut self) {
        if self.quiesced {
            return;
        }
        self.ring.stop();
        // Objects kicked since the last tick may have no op in flight (a
        // first poll from a thread off this runtime): wake them below too.
        let kicked = self.kicked_owners();
        self.flush_kicks();
        let mut owners = self.ring.live_owners();
        owners.extend(kicked);
        for user_data in self.ring.live_user_data() {
            self.ring.cancel(user_data);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.ring.in_flight() > 0 && Instant::now() < deadline {
            self.park(Some(Duration::from_millis(10)), &|| false);
        }
        // If the kernel still holds memory we lent it, `Drop` leaks it rather
        // than free it under the kernel's feet.
        self.quiesced = self.ring.in_flight() == 0;
        // Kicks hold their objects, which hold this handle: break the cycle.
        let mut kicks = self.handle.kicks.lock().expect("kick queue poisoned");
        self.handle.closed.store(true, Ordering::Release);
        let late = std::mem::take(&mut *kicks);
        drop(kicks);
        owners.extend(late.iter().filter_map(Kick::owner));
        send_off::send_off(owners.iter().filter_map(|owner| owner.take_unsent()).collect());
        // From here every poll on them fails (the handle is closed): wake them.
        for owner in owners {
            owner.driver_closed();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.shutdown();
        if self.quiesced {
            // SAFETY: dropped exactly once, here; no op is in flight, so the
            // kernel no longer reads or writes the ring's buffers.
            unsafe { ManuallyDrop::drop(&mut self.ring) };
        }
    }
}

fn build_ring(config: &DriverConfig) -> io::Result<IoUring> {
    let entries = config.ring_entries.max(8);
    let mut builder = IoUring::builder();
    builder.setup_cqsize(entries * 4).setup_coop_taskrun().setup_submit_all();
    if config.single_issuer {
        builder.setup_single_issuer().setup_defer_taskrun().setup_taskrun_flag();
    }
    builder.build(entries).or_else(|_| IoUring::builder().setup_cqsize(entries * 4).build(entries))
}

/// The error for I/O on an object whose runtime has shut down.
fn shut_down() -> io::Error {
    super::context::runtime_gone()
}

/// The io_uring driver of the runtime the calling thread is in.
fn current_home() -> Arc<Handle> {
    home(&super::context::Anchor::default())
}

/// The io_uring driver new I/O objects on this thread belong to (off every
/// runtime: one of the runtime `anchor` names).
fn home(anchor: &super::context::Anchor) -> Arc<Handle> {
    match anchor.home() {
        super::Handle::Uring(handle) => handle,
        #[allow(unreachable_patterns)]
        _ => unreachable!("an io_uring object was created on a mio runtime"),
    }
}
