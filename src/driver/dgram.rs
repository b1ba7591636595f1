//! [`Datagram`]: a datagram socket (UDP; Unix datagrams later) owned by the
//! driver of its backend; `net/` sees only this.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use socket2::SockAddr;
use tokio::io::ReadBuf;

use super::op::send_to::SendTo;
use super::op::{Op, OpSource};
use super::{context, poll, ready_of, Backend};
use crate::driver::{Interest, Ready};

/// A datagram socket on either backend.
pub(crate) enum Datagram {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(super::uring::Datagram),
    Poll(poll::Datagram),
}

impl Datagram {
    /// Wraps a datagram socket for the current runtime's backend.
    #[track_caller]
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Datagram> {
        match context::io_backend()? {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Backend::Uring => super::uring::Datagram::new(fd).map(Datagram::Uring),
            Backend::Mio => poll::Datagram::new(fd).map(Datagram::Poll),
            #[cfg(not(all(target_os = "linux", feature = "uring")))]
            Backend::Uring => Err(super::select::uring_not_built()),
        }
    }

    /// Receives one datagram into `buf` (truncated to fit) and its sender;
    /// with `peek` it stays for the next receive.
    pub(crate) fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
        peek: bool,
    ) -> Poll<io::Result<SockAddr>> {
        on_backend!(self, Datagram, d => d.poll_recv_from(Some(cx), buf, peek))
    }

    /// Like `poll_recv_from` without waiting: `WouldBlock` when none is there.
    pub(crate) fn try_recv_from(&self, buf: &mut ReadBuf<'_>, peek: bool) -> io::Result<SockAddr> {
        match on_backend!(self, Datagram, d => d.poll_recv_from(None, buf, peek)) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Sends one datagram to `target` (None: the connected peer), waiting
    /// for room.
    ///
    /// The datagram first goes straight out with a non-blocking `sendto`,
    /// like tokio's, so a task that receives and replies in turn never waits
    /// a driver tick per reply (and nothing is copied); only a socket without
    /// room sends through a `SendTo` op (owning a copy of `buf`), which the
    /// kernel completes when room appears (on mio: the readiness retry loop).
    pub(crate) async fn send_to(&self, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
        match self.try_send_to(buf, target) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            sent => return sent,
        }
        let source = match self {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Datagram::Uring(d) => OpSource::Uring(d.shared_fd()),
            Datagram::Poll(d) => OpSource::Poll(d.registration()),
        };
        let (sent, _op) = Op::new(source, SendTo::new(buf, target)).await;
        Ok(sent? as usize)
    }

    /// Sends one datagram; Pending while the socket has no room.
    pub(crate) fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: Option<&SockAddr>,
    ) -> Poll<io::Result<usize>> {
        on_backend!(self, Datagram, d => d.poll_send_to(cx, buf, target))
    }

    /// Sends one datagram without waiting: `WouldBlock` when there is no room.
    pub(crate) fn try_send_to(&self, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
        on_backend!(self, Datagram, d => d.try_send_to(buf, target))
    }

    /// Ready when a receive would not return `WouldBlock`.
    pub(crate) fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        on_backend!(self, Datagram, d => d.poll_recv_ready(cx))
    }

    /// Ready when a send would not return `WouldBlock`.
    pub(crate) fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        on_backend!(self, Datagram, d => d.poll_send_ready(cx))
    }

    /// Ready with the readiness in `interest` once either direction is.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<Ready>> {
        ready_of(cx, interest, |cx| self.poll_recv_ready(cx), |cx| self.poll_send_ready(cx))
    }

    /// How `try_io` and `async_io` watch this socket (see [`RawIo`](super::RawIo)).
    pub(crate) fn raw_owner(&self) -> super::RawOwner<'_> {
        match self {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Datagram::Uring(_) => super::RawOwner::Blocking(self.as_fd()),
            Datagram::Poll(d) => super::RawOwner::Registration(d.registration()),
        }
    }

    /// Gives the socket back, in non-blocking mode.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        on_backend!(self, Datagram, d => d.into_fd())
    }
}

impl AsRawFd for Datagram {
    fn as_raw_fd(&self) -> RawFd {
        on_backend!(self, Datagram, d => d.as_raw_fd())
    }
}

impl AsFd for Datagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the fd stays open as long as `self`.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}
