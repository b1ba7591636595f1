//! Waiting for connections without leaving an accept pending in the ring.
//!
//! An op in the ring holds a reference to its file until it completes. A
//! process killed while an accept was pending kept its listening socket (and
//! so its port) open after exit until the kernel's deferred ring teardown
//! cancelled that accept, 5-50 ms later: an immediate restart on the same
//! port failed with `AddrInUse`. An epoll instance holds no reference to the
//! files it watches, so each listener registers with an epoll fd of its own
//! and the ring polls that fd (one multishot poll); at exit the listening
//! socket closes with the process's fd table. Accepts are submitted only when
//! the watch says a connection may be waiting, and with
//! `IORING_ACCEPT_DONTWAIT` they complete at once (`EAGAIN` when the queue is
//! empty) instead of staying armed in the kernel.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use io_uring::{opcode, squeue, types};

/// `IORING_ACCEPT_DONTWAIT` (Linux 6.10): fail with EAGAIN, never arm a poll.
const ACCEPT_DONTWAIT: u16 = 1 << 1;

/// Set when the kernel rejected `IORING_ACCEPT_DONTWAIT` with EINVAL (before
/// Linux 6.10): accepts are then plain one-shot accepts, which stay pending
/// while the queue is empty (the port then outlives a killed process by the
/// ring's teardown time, as before).
static DONTWAIT_UNSUPPORTED: AtomicBool = AtomicBool::new(false);

/// A listener's own epoll instance, watching only that listener.
pub(super) struct AcceptWatch {
    epoll: OwnedFd,
}

impl AcceptWatch {
    /// Registers `listener` (level-triggered, readable) with a new epoll fd.
    pub(super) fn new(listener: &OwnedFd) -> io::Result<AcceptWatch> {
        // SAFETY: epoll_create1(2) returns a new fd or -1.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: epoll_create1 returned a fresh fd we now own.
        let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: 0 };
        // SAFETY: both fds are open; `event` is a valid epoll_event.
        let rc = unsafe { libc::epoll_ctl(raw, libc::EPOLL_CTL_ADD, listener.as_raw_fd(), &mut event) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(AcceptWatch { epoll })
    }

    /// A multishot poll of the epoll fd: a completion each time a connection
    /// arrives (or is already waiting when armed).
    pub(super) fn poll_entry(&self) -> squeue::Entry {
        opcode::PollAdd::new(types::Fd(self.epoll.as_raw_fd()), libc::POLLIN as u32).multi(true).build()
    }
}

/// One accept of `listener`, completing at once; and whether it carries
/// `IORING_ACCEPT_DONTWAIT` (see [`dontwait_rejected`]).
pub(super) fn accept_entry(listener: RawFd) -> (squeue::Entry, bool) {
    let mut entry = opcode::Accept::new(types::Fd(listener), std::ptr::null_mut(), std::ptr::null_mut())
        .flags(libc::SOCK_CLOEXEC)
        .build();
    let dontwait = !DONTWAIT_UNSUPPORTED.load(Ordering::Relaxed);
    if dontwait {
        *ioprio(&mut entry) |= ACCEPT_DONTWAIT;
    }
    (entry, dontwait)
}

/// An accept sent with DONTWAIT failed with `errno`: true (and accepts stop
/// using the flag) when that is the kernel refusing the flag, so the caller
/// retries instead of reporting it.
pub(super) fn dontwait_rejected(errno: i32, sent_dontwait: bool) -> bool {
    if errno == libc::EINVAL && sent_dontwait {
        DONTWAIT_UNSUPPORTED.store(true, Ordering::Relaxed);
        return true;
    }
    false
}

/// The SQE's `ioprio` field, which carries an accept's `IORING_ACCEPT_*` flags
/// (io-uring 0.7 sets only the multishot one).
fn ioprio(entry: &mut squeue::Entry) -> &mut u16 {
    // SAFETY: `squeue::Entry` is `#[repr(C)]` around `struct io_uring_sqe`,
    // whose u16 `ioprio` follows the u8 `opcode` and u8 `flags` at byte 2
    // (aligned: the SQE is 8-aligned). The test below checks the offset.
    unsafe { &mut *(entry as *mut squeue::Entry).cast::<u8>().add(2).cast::<u16>() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioprio_is_where_io_uring_writes_the_accept_flags() {
        let mut entry = opcode::AcceptMulti::new(types::Fd(0)).build();
        assert_eq!(*ioprio(&mut entry), 1, "IORING_ACCEPT_MULTISHOT");
    }
}
