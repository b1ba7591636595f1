//! The driver's wake-up read: one `read` of the handle's eventfd, always
//! armed, so another thread's write ends a blocking `io_uring_enter`.

use std::os::fd::RawFd;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use io_uring::{opcode, types};

use super::ring::{Completion, InFlight, OpTag, Owner, Ring};

/// The eventfd read and the 8 bytes it lands in.
pub(super) struct WakeRead {
    /// The handle's eventfd (open as long as the driver's handle).
    fd: RawFd,
    /// What the kernel writes to; nobody reads it. Lives in the slab's `Arc`
    /// until the read's completion.
    buf: AtomicU64,
}

impl WakeRead {
    /// Arms the first read of `fd` on `ring`.
    pub(super) fn arm(fd: RawFd, ring: &mut Ring) {
        Arc::new(WakeRead { fd, buf: AtomicU64::new(0) }).reconcile(ring);
    }
}

impl Owner for WakeRead {
    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        let entry = opcode::Read::new(types::Fd(self.fd), self.buf.as_ptr().cast(), 8).build();
        ring.submit(entry, InFlight::of(self, 0));
    }

    /// Re-arms, unless the driver is shutting down.
    fn on_completion(self: Arc<Self>, _tag: OpTag, _done: &Completion, ring: &mut Ring) {
        if ring.accepting_ops() {
            self.reconcile(ring);
        }
    }
}
