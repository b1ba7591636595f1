//! Bytes a stream accepted but its driver never sent, because the driver
//! shut down first: a thread of their own hands them to the kernel.
//!
//! With tokio a `write` returns once the kernel holds the bytes, so they
//! reach the peer even after the runtime is gone. An io_uring stream queues
//! small writes (and whatever the kernel's buffer had no room for) in user
//! space. When its driver shuts down with bytes still queued, the driver
//! thread sends what the socket has room for at once; the rest goes to a
//! `ringline-send-off` thread that sends it in blocking style (waiting for
//! room as the peer reads). Either way a requested `shutdown(SHUT_WR)`
//! follows the last byte, and then the socket closes. The thread exists only
//! while such bytes do; a process that exits first loses them.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use crate::driver::send::send_slices;

/// How long the bytes of one stream may wait for the peer to read them.
const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// One stream's unsent bytes.
pub(super) struct Unsent {
    /// A duplicate of the stream's fd: the socket stays open until the bytes
    /// are sent, whatever the stream's handles do.
    pub(super) fd: OwnedFd,
    /// The bytes, in order.
    pub(super) bytes: Vec<u8>,
    /// A `shutdown(SHUT_WR)` was asked for after them.
    pub(super) shutdown: bool,
}

/// Sends what the kernel takes now, on the calling (driver) thread, so that
/// a process exiting right after its runtime loses nothing the sockets had
/// room for; the rest goes to a new thread that waits for the peers to read.
pub(super) fn send_off(unsent: Vec<Unsent>) {
    let waiting: Vec<(Unsent, usize)> = unsent.into_iter().filter_map(Unsent::send_now).collect();
    if waiting.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new().name("ringline-send-off".into()).spawn(move || {
        for (stream, sent) in waiting {
            stream.deliver(sent);
        }
    });
    // Without a thread (the process is out of them) the bytes are lost, as
    // they would be on a process exit.
    drop(spawned);
}

/// What one non-blocking send did.
enum Sent {
    /// The kernel took this many bytes.
    Bytes(usize),
    /// The socket is full.
    Full,
    /// The socket failed: the peer is gone.
    Failed,
}

impl Unsent {
    /// Sends until the socket is full; `Some((self, bytes sent))` if bytes
    /// are left, None once all went (and the shutdown with them) or the
    /// socket failed.
    fn send_now(self) -> Option<(Unsent, usize)> {
        let mut sent = 0;
        while sent < self.bytes.len() {
            match self.send_from(sent) {
                Sent::Bytes(n) => sent += n,
                Sent::Full => return Some((self, sent)),
                Sent::Failed => return None,
            }
        }
        self.finish();
        None
    }

    /// Sends the bytes from `sent` on, waiting for room, then shuts down if
    /// asked; gives up on an error or after `GIVE_UP_AFTER` without room.
    fn deliver(self, mut sent: usize) {
        let deadline = Instant::now() + GIVE_UP_AFTER;
        while sent < self.bytes.len() {
            match self.send_from(sent) {
                Sent::Bytes(n) => sent += n,
                Sent::Full if wait_writable(self.fd.as_raw_fd(), deadline) => {}
                Sent::Full | Sent::Failed => return,
            }
        }
        self.finish();
    }

    /// One non-blocking send of the bytes from `sent` on.
    fn send_from(&self, sent: usize) -> Sent {
        let rest = [std::io::IoSlice::new(&self.bytes[sent..])];
        match send_slices(self.fd.as_raw_fd(), &rest, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) {
            Ok(n) => Sent::Bytes(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Sent::Full,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Sent::Bytes(0),
            Err(_) => Sent::Failed,
        }
    }

    /// Every byte went: the requested shutdown follows them.
    fn finish(&self) {
        if self.shutdown {
            // SAFETY: shutdown(2) on the fd this value owns.
            unsafe { libc::shutdown(self.fd.as_raw_fd(), libc::SHUT_WR) };
        }
    }
}

/// Waits until `fd` takes bytes again; false once `deadline` passed.
fn wait_writable(fd: libc::c_int, deadline: Instant) -> bool {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return false;
    }
    let mut pollfd = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
    let millis = left.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: poll(2) on one pollfd we own, for the duration of the call.
    let ready = unsafe { libc::poll(&mut pollfd, 1, millis) };
    // Interrupted (-1): the next send finds out.
    ready != 0
}
