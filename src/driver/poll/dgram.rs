//! A datagram socket on mio: `recvfrom`/`sendto` whenever the poller says
//! the socket is ready, through [`Registration`]'s retry loop.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use socket2::{SockAddr, SockRef};
use tokio::io::ReadBuf;

use super::scheduled_io::Direction;
use super::Registration;
use crate::driver::Ready;

/// A datagram socket driven by readiness.
pub(crate) struct Datagram {
    /// The socket and its lazy poller registration.
    io: Registration,
}

impl Datagram {
    /// Wraps a datagram socket, switching it to non-blocking mode.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Datagram> {
        SockRef::from(&fd).set_nonblocking(true)?;
        // A fresh socket can almost always send: try before waiting.
        Ok(Datagram { io: Registration::new(fd, Ready::WRITABLE) })
    }

    /// The socket and its registration, for ops.
    pub(crate) fn registration(&self) -> &Registration {
        &self.io
    }

    /// Receives (or, with `peek`, peeks at) one datagram into `buf`: its first
    /// bytes if `buf` is smaller, the rest dropped. Without a context,
    /// Pending means nothing is there.
    pub(crate) fn poll_recv_from(
        &self,
        cx: Option<&mut Context<'_>>,
        buf: &mut ReadBuf<'_>,
        peek: bool,
    ) -> Poll<io::Result<SockAddr>> {
        let flags = if peek { libc::MSG_PEEK } else { 0 };
        let fd = self.io.fd().as_fd();
        match cx {
            Some(cx) => self.io.poll_io_shared(cx, Direction::Read, || recv_from(fd, buf, flags)),
            None => match self.io.try_io(Direction::Read, || recv_from(fd, buf, flags)) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
                result => Poll::Ready(result),
            },
        }
    }

    /// Ready when a receive would (probably) not return `WouldBlock`.
    pub(crate) fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Sends one datagram without waiting.
    pub(crate) fn try_send_to(&self, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
        self.io.try_io(Direction::Write, || send(self.io.fd().as_fd(), buf, target))
    }

    /// Sends one datagram; Pending while the socket has no room.
    pub(crate) fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: Option<&SockAddr>,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io_shared(cx, Direction::Write, || send(self.io.fd().as_fd(), buf, target))
    }

    /// Ready when a send would (probably) not return `WouldBlock`.
    pub(crate) fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Leaves the poller and gives the socket back, still non-blocking.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_fd())
    }
}

impl AsRawFd for Datagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd().as_raw_fd()
    }
}

/// One `recvfrom` into the unfilled part of `buf`.
fn recv_from(fd: BorrowedFd<'_>, buf: &mut ReadBuf<'_>, flags: libc::c_int) -> io::Result<SockAddr> {
    // SAFETY: `recvfrom` only writes bytes (it never de-initialises any).
    let unfilled = unsafe { buf.unfilled_mut() };
    let (n, from) = SockRef::from(&fd).recv_from_with_flags(unfilled, flags)?;
    // SAFETY: the kernel initialised the first `n` bytes of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(from)
}

/// One `sendto` (or `send`, without a target).
fn send(fd: BorrowedFd<'_>, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
    let sock = SockRef::from(&fd);
    match target {
        Some(addr) => sock.send_to(buf, addr),
        None => sock.send(buf),
    }
}
