//! A connected stream socket (TCP or Unix) on mio.
//!
//! Every call is the plain non-blocking system call on the caller's memory,
//! run through [`Registration`]'s retry loop: bytes go straight between the
//! caller's buffer and the kernel, so a dropped read loses nothing and a write
//! that returns `Ready(n)` has handed its `n` bytes to the kernel already.

use std::io::{self, IoSlice, IoSliceMut, Read};
use std::net;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use socket2::SockRef;
use tokio::io::ReadBuf;

use super::registration::Readiness;
use super::scheduled_io::Direction;
use super::Registration;
use crate::driver::recv::{recv_into, LazyInq, ReadKind};
use crate::driver::send::{send_slices, MAX_SLICES};
use crate::driver::Origin;
use crate::driver::Ready;

/// Flags for every send: a reset peer must give `EPIPE`, never `SIGPIPE`.
#[cfg(not(target_vendor = "apple"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
/// Apple has no `MSG_NOSIGNAL`; `Stream::new` sets `SO_NOSIGPIPE` instead.
#[cfg(target_vendor = "apple")]
const SEND_FLAGS: libc::c_int = 0;

/// A stream socket driven by readiness.
pub(crate) struct Stream {
    /// The socket and its lazy poller registration.
    io: Registration,
    /// Whether reads learn that they drained the socket (`TCP_INQ`).
    inq: LazyInq,
}

impl Stream {
    /// Wraps a connected socket that came to be as `origin` says, switching
    /// it to non-blocking mode. A fresh socket can almost always take bytes:
    /// try before waiting. An accepted one counts as readable until a read
    /// finds nothing, as in tokio (the peer's first bytes are often there).
    pub(crate) fn new(fd: OwnedFd, origin: Origin) -> io::Result<Stream> {
        let readable = if origin == Origin::Accepted { Ready::READABLE } else { Ready::EMPTY };
        Stream::with_readiness(fd, readable | Ready::WRITABLE)
    }

    /// Wraps a socket about to connect, switching it to non-blocking mode:
    /// not writable until the poller says so, which is when the connect's
    /// outcome is known.
    pub(crate) fn connecting(fd: OwnedFd) -> io::Result<Stream> {
        Stream::with_readiness(fd, Ready::EMPTY)
    }

    /// Wraps a socket assumed `initial`-ready until the poller reports.
    fn with_readiness(fd: OwnedFd, initial: Ready) -> io::Result<Stream> {
        let sock = SockRef::from(&fd);
        sock.set_nonblocking(true)?;
        #[cfg(target_vendor = "apple")]
        sock.set_nosigpipe(true)?;
        Ok(Stream { io: Registration::new(fd, initial), inq: LazyInq::default() })
    }

    /// The socket and its registration, for ops.
    pub(crate) fn registration(&self) -> &Registration {
        &self.io
    }

    /// The socket, for socket2's calls.
    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self.io.fd())
    }

    /// Reads what the kernel holds into `buf`; Pending until it holds something.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.poll_recv(cx, buf, true).map_ok(drop)
    }

    /// Like `poll_read` but leaves the bytes for the next read.
    pub(crate) fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
        self.poll_recv(cx, buf, false)
    }

    /// Receives (or, without `consume`, peeks) into the unfilled part of `buf`.
    ///
    /// A read that drained the socket (see [`LazyInq::recv`]; a peek consumes
    /// nothing) lets the next read wait for an event instead of calling
    /// `recv` for a `WouldBlock`. tokio does the same after a short read; with
    /// `TCP_INQ` a full read can tell too.
    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>, consume: bool) -> Poll<io::Result<usize>> {
        let fd = self.as_raw_fd();
        self.io.poll_read_io(cx, || {
            let got = self.inq.recv(fd, buf, consume)?;
            Ok((got.n, if got.drained { Readiness::Drained } else { Readiness::Kept }))
        })
    }

    /// Sends as much of `buf` as the kernel takes; Pending while it takes none.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, || self.sock().send_with_flags(buf, SEND_FLAGS))
    }

    /// Sends as much of `bufs`, in order, as the kernel takes in one call;
    /// Pending while it takes none.
    pub(crate) fn poll_write_vectored(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, || send_slices(self.as_raw_fd(), bufs, SEND_FLAGS))
    }

    /// Always ready: written bytes are already the kernel's.
    pub(crate) fn poll_flush(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Half-closes the write direction; a peer already gone is not an error.
    pub(crate) fn poll_shutdown(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.sock().shutdown(net::Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            result => Poll::Ready(result),
        }
    }

    /// Ready, with the read half's readiness bits, when a read would
    /// (probably) not return `WouldBlock`.
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Ready, with the write half's readiness bits, when a write would
    /// (probably) not return `WouldBlock`.
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Reads into the unfilled part of `buf` without waiting: `WouldBlock`
    /// when nothing is there.
    pub(crate) fn try_read(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        let fd = self.as_raw_fd();
        self.io.try_io(Direction::Read, || recv_into(fd, buf, ReadKind::Consume).map(|got| got.n))
    }

    /// Reads into `bufs` in order (one `recvmsg`) without waiting.
    pub(crate) fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let count = bufs.len().min(MAX_SLICES);
        let bufs = &mut bufs[..count];
        self.io.try_io(Direction::Read, || (&*self.sock()).read_vectored(bufs))
    }

    /// Writes without waiting: `WouldBlock` when the kernel takes nothing.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, || self.sock().send_with_flags(buf, SEND_FLAGS))
    }

    /// Writes `bufs` in order (one `sendmsg`) without waiting.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, || send_slices(self.as_raw_fd(), bufs, SEND_FLAGS))
    }

    /// Leaves the poller and gives the socket back, still non-blocking.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_fd())
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd().as_raw_fd()
    }
}
