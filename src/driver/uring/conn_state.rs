//! The state of an io_uring stream behind its lock, and the decisions made
//! on it: what a read or write takes or queues, whether a read may go straight
//! to the socket (on-demand mode), and which ops the driver must arm or
//! cancel. `stream.rs` holds the handles, `conn.rs` the driver's side.

use std::cell::Cell;
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::RawFd;
use std::task::{ready, Poll};

use tokio::io::ReadBuf;

use super::armed::ArmedOp;
use super::queues::{RecvQueue, SendQueue};
use super::recv_mode::RecvMode;
use crate::driver::recv::{LazyInq, Received};
use crate::driver::send::send_slices;
use crate::driver::waiters::{Waiters, Woken};
use crate::driver::Ready;

/// Unread bytes a connection may hold before its receive is paused.
pub(super) const RECV_HIGH_WATER: usize = 256 * 1024;
/// Unsent bytes a connection may queue before `poll_write` returns Pending.
pub(super) const SEND_HIGH_WATER: usize = 128 * 1024;
/// Writes at least this big go straight to the socket with one `send` when
/// nothing is queued: a system call costs less than copying them into the
/// queue and having the kernel read them back cold.
pub(super) const DIRECT_SEND_MIN: usize = 4 * 1024;

thread_local! {
    /// A small write on this thread went straight to the socket since its
    /// driver last submitted.
    static SMALL_SEND_DIRECT: Cell<bool> = const { Cell::new(false) };
}

/// Whether a small write (with nothing queued before it) goes straight to
/// the socket, as tokio's do: the first one on each thread between two
/// submissions of its driver does, the rest wait in the queue for the next
/// submission, which sends them all with one system call. So a program that
/// writes once and then blocks its thread (a std read of the peer, a
/// `thread::join`) finds its bytes in the kernel, as with tokio, at one
/// extra system call per tick rather than one per write.
fn claim_small_direct_send() -> bool {
    SMALL_SEND_DIRECT.try_with(|sent| !sent.replace(true)).unwrap_or(false)
}

/// The driver of this thread submitted: the next small write may go
/// straight to the socket again.
pub(super) fn submitted() {
    let _ = SMALL_SEND_DIRECT.try_with(|sent| sent.set(false));
}

/// A stream's state, behind its `ConnShared` lock: touched by the tasks
/// using the stream (any thread) and by its home driver. Split by who
/// touches it: readers and the receive ops, writers and the send ops.
#[derive(Default)]
pub(super) struct ConnState {
    /// What the readers and the receive side of the driver share.
    pub(super) read: ReadSide,
    /// What the writers and the send side of the driver share.
    pub(super) write: WriteSide,
    /// Every user handle is gone: finish sending, stop receiving, then close.
    pub(super) closed: bool,
}

/// The read half: bytes received and not yet read, the ops that receive
/// them, and the tasks waiting for them.
#[derive(Default)]
pub(super) struct ReadSide {
    /// Bytes received (by the multishot receive) and not yet read.
    pub(super) rx: RecvQueue,
    /// The multishot receive.
    pub(super) recv_op: ArmedOp,
    /// Multishot receive, or on-demand reads announced by a poll.
    pub(super) mode: RecvMode,
    /// The multishot readiness poll (on-demand mode).
    pub(super) poll_op: ArmedOp,
    /// The socket may hold bytes for a direct read: on-demand mode, set by
    /// the poll; a fresh accepted stream, until its multishot receive is
    /// armed. Cleared by a read that drained the socket.
    pub(super) readable: bool,
    /// The poll saw the peer close (or an error): reads never block again, so
    /// `readable` stays set (a short read is followed by EOF, not a wake-up).
    pub(super) read_hup: bool,
    /// `TCP_INQ` for on-demand reads: once on, a full read also learns
    /// whether it drained the socket.
    pub(super) inq: LazyInq,
    /// A reader has asked for bytes: keep a receive armed.
    pub(super) read_interest: bool,
    /// The peer half-closed: reads return 0 once `rx` is drained.
    pub(super) eof: bool,
    /// The connection failed (a receive, or a send or shutdown: the socket
    /// hands its error to one call only, and the next read may see it shut):
    /// every later read reports this, never a clean EOF. See `fail`.
    pub(super) read_error: Option<io::Error>,
    /// The half counts as readable even with nothing queued, as tokio's
    /// readiness does: set by a read that found bytes (one that took exactly
    /// what was queued leaves the stream ready) and, for an accepted stream,
    /// at the start; cleared by a read that found nothing (Pending or
    /// `WouldBlock`). Set and cleared by reads only: no system call.
    pub(super) assume_readable: bool,
    /// The reader's task and the tasks awaiting readability.
    pub(super) read_waiters: Waiters,
}

/// The write half: bytes taken by `poll_write` and not yet sent, the send in
/// flight, the half-close, and the tasks waiting for room.
#[derive(Default)]
pub(super) struct WriteSide {
    /// Bytes taken and not yet accepted by the kernel.
    pub(super) tx: SendQueue,
    /// The send in flight.
    pub(super) send_op: ArmedOp,
    /// A send failed; the next write, flush or shutdown returns it (once).
    pub(super) write_error: Option<io::Error>,
    /// The last write found the queue full (it returned Pending or
    /// `WouldBlock`). Until one does, the half counts as writable even with
    /// the queue full, as tokio's readiness does: `writable()` goes Pending
    /// only after a write has said `WouldBlock`.
    pub(super) found_full: bool,
    /// The writer's task and the tasks awaiting writability.
    pub(super) write_waiters: Waiters,
    /// Where the `shutdown(SHUT_WR)` stands.
    pub(super) shutdown: Shutdown,
}

/// Where the write half's `shutdown(SHUT_WR)` stands.
#[derive(Default, PartialEq, Eq)]
pub(super) enum Shutdown {
    /// Not asked for.
    #[default]
    Open,
    /// Asked for: submitted once the queued bytes are sent.
    Requested,
    /// Submitted.
    InFlight,
    /// Completed.
    Done,
}

impl ReadSide {
    /// Copies queued bytes into `buf`; Ready(Ok(0)) at EOF; Pending (with read
    /// interest registered) when nothing is there yet.
    pub(super) fn take_readable(&mut self, fd: RawFd, buf: &mut ReadBuf<'_>, consume: bool) -> Poll<io::Result<usize>> {
        let taken = self.take_queued_or_recv(fd, buf, consume);
        self.assume_readable = taken.is_ready();
        taken
    }

    /// `take_readable` without the readiness bookkeeping.
    fn take_queued_or_recv(&mut self, fd: RawFd, buf: &mut ReadBuf<'_>, consume: bool) -> Poll<io::Result<usize>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(0));
        }
        if !self.rx.is_empty() {
            let n = self.rx.copy_to(buf, consume);
            if self.mode.on_demand() {
                // What the multishot receive queued before the switch is
                // read: the big buffer it kept has no further use.
                self.rx.release();
            }
            return Poll::Ready(Ok(n));
        }
        if let Some(e) = &self.read_error {
            return Poll::Ready(Err(copy_error(e)));
        }
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.may_recv_now() {
            if let Some(result) = self.recv_on_demand(fd, buf, consume) {
                return Poll::Ready(result);
            }
        }
        self.read_interest = true;
        Poll::Pending
    }

    /// Like `take_readable` (consuming) into several buffers in turn: queued
    /// bytes fill them in order; a read from the socket fills only the first
    /// non-empty one (as `Read::read_vectored` may).
    pub(super) fn take_readable_vectored(&mut self, fd: RawFd, bufs: &mut [IoSliceMut<'_>]) -> Poll<io::Result<usize>> {
        let mut bufs = bufs.iter_mut().filter(|buf| !buf.is_empty());
        let Some(first) = bufs.next() else { return Poll::Ready(Ok(0)) };
        let first_len = first.len();
        let mut total = ready!(self.take_readable(fd, &mut ReadBuf::new(first), true))?;
        if total < first_len {
            return Poll::Ready(Ok(total));
        }
        for buf in bufs {
            if self.rx.is_empty() {
                break;
            }
            total += self.rx.copy_to(&mut ReadBuf::new(buf), true);
        }
        Poll::Ready(Ok(total))
    }

    /// The read half's readiness once it is ready: bytes (or EOF) to read,
    /// and whether the peer closed or the connection failed.
    pub(super) fn read_readiness(&self) -> Ready {
        let closed = self.eof || self.read_hup || self.read_error.is_some();
        if closed {
            Ready::READABLE | Ready::READ_CLOSED
        } else {
            Ready::READABLE
        }
    }

    /// A read would not return Pending, or no read has found that yet.
    pub(super) fn read_ready(&self) -> bool {
        self.assume_readable || !self.rx.is_empty() || self.eof || self.read_error.is_some() || self.may_recv_now()
    }

    /// The socket may be read directly: on-demand mode, readable, and no
    /// multishot receive that could hold earlier bytes.
    pub(super) fn may_recv_now(&self) -> bool {
        self.readable && !self.recv_op.is_armed()
    }

    /// One `recv` into the caller's buffer; None when the socket had nothing.
    fn recv_on_demand(&mut self, fd: RawFd, buf: &mut ReadBuf<'_>, consume: bool) -> Option<io::Result<usize>> {
        match self.inq.recv(fd, buf, consume) {
            Ok(Received { n: 0, .. }) => {
                self.eof = true;
                Some(Ok(0))
            }
            Ok(Received { n, drained }) => {
                // Unless EOF or an error is waiting behind the bytes.
                let drained = drained && !self.read_hup;
                let back_to_multishot = consume && self.mode.observe_read(n);
                if drained || back_to_multishot {
                    self.readable = false;
                }
                Some(Ok(n))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.readable = false;
                None
            }
            Err(e) => {
                self.fail(&e);
                Some(Err(e))
            }
        }
    }

    /// An op or call on the connection failed with `e`: later reads report it
    /// (the first failure wins). Bytes already received are still read first.
    /// A send's EPIPE reads as `ConnectionReset`: writes after our own
    /// shutdown never reach the socket, so EPIPE means the peer tore the
    /// connection down, which is what a read on it reports under tokio.
    pub(super) fn fail(&mut self, e: &io::Error) {
        if self.read_error.is_none() {
            self.read_error = Some(match e.raw_os_error() {
                Some(libc::EPIPE) => io::Error::from_raw_os_error(libc::ECONNRESET),
                _ => copy_error(e),
            });
        }
    }
}

impl ConnState {
    /// A send or the shutdown failed: later writes get `e`, and reads the
    /// error `ReadSide::fail` makes of it. Returns the readers to wake once
    /// the lock is released.
    pub(super) fn fail(&mut self, e: io::Error) -> Woken {
        self.read.fail(&e);
        self.write.write_error = Some(e);
        self.read.read_waiters.take()
    }

    /// Queues as much of `bufs` (in order) as fits; Pending when the queue
    /// is full. With nothing queued or in flight, a large write first goes
    /// straight to the socket from the caller's memory (bytes never reorder:
    /// the state lock is held and nothing earlier is waiting).
    pub(super) fn take_writable(&mut self, fd: RawFd, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let taken = self.queue_or_send(fd, bufs);
        self.write.found_full = taken.is_pending();
        taken
    }

    /// `take_writable` without the readiness bookkeeping.
    fn queue_or_send(&mut self, fd: RawFd, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        if let Some(e) = self.write.write_error.take() {
            return Poll::Ready(Err(e));
        }
        if self.write.shutdown != Shutdown::Open {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let total: usize = bufs.iter().map(|buf| buf.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let mut sent = 0;
        let idle = self.write.tx.is_empty() && !self.write.send_op.is_armed();
        if idle && (total >= DIRECT_SEND_MIN || claim_small_direct_send()) {
            match send_slices(fd, bufs, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL) {
                Ok(n) => sent = n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    self.read.fail(&e);
                    return Poll::Ready(Err(e));
                }
            }
            if sent == total {
                return Poll::Ready(Ok(sent));
            }
        }
        let room = SEND_HIGH_WATER.saturating_sub(self.write.tx.len());
        if room == 0 {
            return if sent > 0 { Poll::Ready(Ok(sent)) } else { Poll::Pending };
        }
        Poll::Ready(Ok(sent + self.write.tx.push_slices(bufs, sent, room)))
    }

    /// A write would not return Pending, or no write has found that yet.
    pub(super) fn write_ready(&self) -> bool {
        !self.write.found_full || self.write.write_error.is_some() || self.write.tx.len() < SEND_HIGH_WATER
    }

    /// The write half's readiness once it is ready: room, and whether the
    /// connection failed (a send or receive got an error).
    pub(super) fn write_readiness(&self) -> Ready {
        if self.write.write_error.is_some() || self.read.read_error.is_some() {
            Ready::WRITABLE | Ready::WRITE_CLOSED
        } else {
            Ready::WRITABLE
        }
    }

    /// The reader still wants bytes from the socket.
    pub(super) fn receiving(&self) -> bool {
        self.read.read_interest && !self.closed && !self.read.eof && self.read.read_error.is_none()
    }

    /// A multishot receive should be armed and is not.
    pub(super) fn wants_recv(&self) -> bool {
        !self.read.recv_op.is_armed()
            && !self.read.mode.on_demand()
            && !self.read.poll_op.is_armed()
            && self.receiving()
            && self.read.rx.len() < RECV_HIGH_WATER / 2
    }

    /// An on-demand connection's poll should be armed and is not.
    pub(super) fn wants_poll(&self) -> bool {
        self.read.mode.on_demand() && !self.read.poll_op.is_armed() && !self.read.recv_op.is_armed() && self.receiving()
    }

    /// The driver must arm or cancel something for the reader (a reader may
    /// have just switched the connection back to the multishot receive).
    pub(super) fn recv_out_of_sync(&self) -> bool {
        self.wants_recv() || self.wants_poll() || (self.read.poll_op.is_live() && !self.read.mode.on_demand())
    }
}

/// A second report of a recorded error (`io::Error` is not `Clone`).
fn copy_error(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(errno) => io::Error::from_raw_os_error(errno),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// Poll events after which a read never blocks again.
pub(super) const HUP_EVENTS: i32 = (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) as i32;

#[cfg(test)]
mod tests {
    use std::task::Poll;

    use tokio::io::ReadBuf;

    use super::ReadSide;

    #[test]
    fn an_on_demand_reader_that_drains_the_queue_frees_its_buffer() {
        let mut read = ReadSide::default();
        let big = vec![7u8; 16 * 1024];
        while !read.mode.observe_received(big.len(), big.len()) {}
        assert!(read.mode.on_demand());
        // Received by the multishot receive just before the switch.
        read.rx.extend(&big);
        let mut out = vec![0u8; 16 * 1024];
        let taken = read.take_readable(-1, &mut ReadBuf::new(&mut out[..10 * 1024]), true);
        assert!(matches!(taken, Poll::Ready(Ok(n)) if n == 10 * 1024));
        assert!(read.rx.holds_buffer(), "bytes are still queued");
        let taken = read.take_readable(-1, &mut ReadBuf::new(&mut out), true);
        assert!(matches!(taken, Poll::Ready(Ok(n)) if n == 6 * 1024));
        assert!(!read.rx.holds_buffer(), "a drained queue keeps no buffer once reads are on demand");
    }
}
