//! The one place that talks to the kernel.
//!
//! A runtime picks one backend when it is built ([`Backend`]); every worker then
//! owns one [`Driver`] of that backend and everyone else reaches it through a
//! cloneable [`Handle`]. The I/O objects ([`Stream`], [`Listener`]) are the only
//! things `net/` sees: their methods match on the backend once, here.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BufMut;
use socket2::SockAddr;
use tokio::io::ReadBuf;

pub(crate) mod context;
mod counters;
mod interest;
pub(crate) mod op;
mod owned_buf;
pub(crate) mod poll;
mod ready;
pub(crate) mod recv;
mod select;
pub(crate) mod send;
#[cfg(all(target_os = "linux", feature = "uring"))]
pub(crate) mod uring;
pub(crate) mod waiters;

pub use counters::DriverCounters;
pub use interest::Interest;
pub use owned_buf::{AlignedBuf, IoBuf, IoBufMut};
pub use ready::Ready;
pub(crate) use select::choose_backend;
pub use select::Backend;

/// Settings every backend reads when a worker creates its driver.
#[derive(Clone, Debug)]
pub(crate) struct DriverConfig {
    /// Submission queue entries per io_uring (events per `epoll_wait` for mio).
    pub(crate) ring_entries: u32,
    /// Number of ring-provided receive buffers per worker.
    pub(crate) recv_buffers: u16,
    /// Size in bytes of each ring-provided receive buffer.
    pub(crate) recv_buffer_size: u32,
    /// The ring is only ever entered by the thread that created it.
    pub(crate) single_issuer: bool,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig { ring_entries: 1024, recv_buffers: 512, recv_buffer_size: 4 * 1024, single_issuer: false }
    }
}

/// Calls the same method on whichever backend's value `$self` holds: the one
/// place the backend variants are spelled out for every forwarding method.
macro_rules! on_backend {
    ($self:expr, $ty:ident, $x:ident => $call:expr) => {
        match $self {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            $ty::Uring($x) => $call,
            $ty::Poll($x) => $call,
        }
    };
}

mod dgram;
mod fd_ready;
mod raw_io;
pub(crate) use dgram::Datagram;
pub(crate) use fd_ready::{FdReady, ReadySource};
pub(crate) use raw_io::{settle as raw_io_settle, RawIo, RawOwner};

/// A worker's driver: owned and driven (`&mut`) by that worker's thread only.
pub(crate) enum Driver {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(Box<uring::Driver>),
    Poll(Box<poll::Driver>),
}

/// The shareable face of one worker's driver: wake it, hand it I/O objects.
#[derive(Clone)]
pub(crate) enum Handle {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(Arc<uring::Handle>),
    Poll(Arc<poll::Handle>),
}

impl Driver {
    /// Creates a driver of `backend` for the calling thread.
    pub(crate) fn new(backend: Backend, config: &DriverConfig) -> io::Result<Driver> {
        match backend {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Backend::Uring => Ok(Driver::Uring(Box::new(uring::Driver::new(config)?))),
            Backend::Mio => Ok(Driver::Poll(Box::new(poll::Driver::new(config)?))),
            #[cfg(not(all(target_os = "linux", feature = "uring")))]
            Backend::Uring => Err(select::uring_not_built()),
        }
    }

    /// The handle other threads use to wake this driver and submit to it.
    pub(crate) fn handle(&self) -> Handle {
        match self {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Driver::Uring(d) => Handle::Uring(d.handle()),
            Driver::Poll(d) => Handle::Poll(d.handle()),
        }
    }

    /// Submits what is queued, then waits up to `timeout` for completions
    /// (`Some(ZERO)`: don't wait) and dispatches them, waking their tasks.
    /// `has_work` is re-checked after the driver marks itself parked, so a
    /// wake-up that races with going to sleep is never lost.
    pub(crate) fn park(&mut self, timeout: Option<Duration>, has_work: &dyn Fn() -> bool) {
        on_backend!(self, Driver, d => d.park(timeout, has_work))
    }

    /// Cancels everything in flight and waits (bounded) for the kernel to let go
    /// of the memory it was lent. Called once, when the worker stops.
    pub(crate) fn shutdown(&mut self) {
        on_backend!(self, Driver, d => d.shutdown())
    }
}

impl Handle {
    /// The driver has shut down (with its runtime).
    pub(crate) fn is_closed(&self) -> bool {
        on_backend!(self, Handle, h => h.is_closed())
    }

    /// Wakes the driver's thread if it is parked; cheap when it is not.
    pub(crate) fn unpark(&self) {
        on_backend!(self, Handle, h => h.unpark())
    }

    /// Counters of what this driver holds right now.
    pub(crate) fn counters(&self) -> DriverCounters {
        on_backend!(self, Handle, h => h.counters())
    }
}

/// A connected stream socket (TCP or Unix) owned by the driver of its backend.
pub(crate) enum Stream {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(uring::Stream),
    Poll(poll::Stream),
}

/// How a stream came to be, which sets the readiness it starts with
/// (tokio's): an accepted stream counts as readable until a read finds
/// nothing; any other is readable once bytes (or EOF) come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Taken from a listener.
    Accepted,
    /// Connected, made as a pair, or wrapped from a std stream.
    Other,
}

impl Stream {
    /// Wraps a connected socket for the current runtime's backend. The fd may
    /// be in either blocking mode; the backend sets what it needs.
    #[track_caller]
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Stream> {
        Stream::for_backend(context::io_backend()?, fd, Origin::Other)
    }

    /// Wraps a connected socket for `backend`.
    fn for_backend(backend: Backend, fd: OwnedFd, origin: Origin) -> io::Result<Stream> {
        match backend {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Backend::Uring => uring::Stream::new(fd, origin).map(Stream::Uring),
            Backend::Mio => poll::Stream::new(fd, origin).map(Stream::Poll),
            #[cfg(not(all(target_os = "linux", feature = "uring")))]
            Backend::Uring => Err(select::uring_not_built()),
        }
    }

    /// Connects `fd` (a fresh socket of `addr`'s family: IP or Unix) to `addr`.
    pub(crate) async fn connect(fd: OwnedFd, addr: &SockAddr) -> io::Result<Stream> {
        op::connect::connect(context::io_backend()?, fd, addr).await
    }

    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        on_backend!(self, Stream, s => s.poll_read(cx, buf))
    }

    /// Like `poll_read` but leaves the bytes for the next read.
    pub(crate) fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
        on_backend!(self, Stream, s => s.poll_peek(cx, buf))
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        on_backend!(self, Stream, s => s.poll_write(cx, buf))
    }

    /// Like `poll_write` for the bytes of `bufs`, in order.
    pub(crate) fn poll_write_vectored(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        on_backend!(self, Stream, s => s.poll_write_vectored(cx, bufs))
    }

    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        on_backend!(self, Stream, s => s.poll_flush(cx))
    }

    /// Flushes, then half-closes the write direction.
    pub(crate) fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        on_backend!(self, Stream, s => s.poll_shutdown(cx))
    }

    /// Ready, with the read half's readiness, when a read would not return
    /// `WouldBlock`.
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        on_backend!(self, Stream, s => s.poll_read_ready(cx))
    }

    /// Ready, with the write half's readiness, when a write would not return
    /// `WouldBlock`.
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        on_backend!(self, Stream, s => s.poll_write_ready(cx))
    }

    /// Ready with the readiness of the halves in `interest` once either is
    /// ready; the task waits on every half it asked for, so whichever comes
    /// first wakes it.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<Ready>> {
        ready_of(cx, interest, |cx| self.poll_read_ready(cx), |cx| self.poll_write_ready(cx))
    }

    /// Reads into the unfilled part of `buf` without waiting.
    pub(crate) fn try_read(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        on_backend!(self, Stream, s => s.try_read(buf))
    }

    /// Reads into the spare capacity of `buf` without waiting, advancing it.
    pub(crate) fn try_read_buf<B: BufMut + ?Sized>(&self, buf: &mut B) -> io::Result<usize> {
        recv::read_into_buf_mut(buf, |buf| self.try_read(buf))
    }

    /// Reads into `bufs`, in order, without waiting.
    pub(crate) fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        on_backend!(self, Stream, s => s.try_read_vectored(bufs))
    }

    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        on_backend!(self, Stream, s => s.try_write(buf))
    }

    /// Writes the bytes of `bufs`, in order, without waiting.
    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        on_backend!(self, Stream, s => s.try_write_vectored(bufs))
    }

    /// How `try_io` and `async_io` watch this socket (see [`RawIo`]).
    pub(crate) fn raw_owner(&self) -> RawOwner<'_> {
        match self {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Stream::Uring(_) => RawOwner::Blocking(self.as_fd()),
            Stream::Poll(s) => RawOwner::Registration(s.registration()),
        }
    }

    /// Gives the socket back, in non-blocking mode, once the driver has let go
    /// of it. Bytes already received but not read are lost, as with tokio.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        on_backend!(self, Stream, s => s.into_fd())
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        on_backend!(self, Stream, s => s.as_raw_fd())
    }
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the fd stays open as long as `self` (the driver closes it only
        // after the last reference, which `self` is, is gone).
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

/// A listening socket.
pub(crate) enum Listener {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(uring::Listener),
    Poll(poll::Listener),
}

impl Listener {
    /// Wraps a bound, listening socket for the current runtime's backend.
    #[track_caller]
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Listener> {
        match context::io_backend()? {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Backend::Uring => uring::Listener::new(fd).map(Listener::Uring),
            Backend::Mio => poll::Listener::new(fd).map(Listener::Poll),
            #[cfg(not(all(target_os = "linux", feature = "uring")))]
            Backend::Uring => Err(select::uring_not_built()),
        }
    }

    /// Accepts one connection: its socket (close-on-exec) and the peer address
    /// (IP or Unix, whatever the listener's family is).
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        on_backend!(self, Listener, l => l.poll_accept(cx))
    }

    /// Wraps an accepted socket for the listener's own backend.
    pub(crate) fn stream(&self, fd: OwnedFd) -> io::Result<Stream> {
        let backend = match self {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Listener::Uring(_) => Backend::Uring,
            Listener::Poll(_) => Backend::Mio,
        };
        Stream::for_backend(backend, fd, Origin::Accepted)
    }

    /// Gives the socket back, in non-blocking mode, once the driver has let go of it.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        on_backend!(self, Listener, l => l.into_fd())
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        on_backend!(self, Listener, l => l.as_raw_fd())
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: as for `Stream`: the fd lives at least as long as `self`.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

/// Errors that concern one connection that was reset while it waited
/// (ECONNABORTED, and the network errors accept(2) says to treat like EAGAIN):
/// skipped, the next connection is accepted. Both backends skip them.
pub(crate) fn accept_error_skipped(errno: i32) -> bool {
    matches!(
        errno,
        libc::ECONNABORTED
            | libc::EPROTO
            | libc::ENETDOWN
            | libc::ENOPROTOOPT
            | libc::EHOSTDOWN
            | libc::EHOSTUNREACH
            | libc::EOPNOTSUPP
            | libc::ENETUNREACH
            | libc::EINTR
    )
}

/// Ready with the readiness of the directions in `interest` once either is
/// ready (the task waits on every direction it asked for, so whichever
/// comes first wakes it).
fn ready_of(
    cx: &mut Context<'_>,
    interest: Interest,
    read: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<Ready>>,
    write: impl FnOnce(&mut Context<'_>) -> Poll<io::Result<Ready>>,
) -> Poll<io::Result<Ready>> {
    let mut ready = Ready::EMPTY;
    if interest.is_readable() {
        if let Poll::Ready(got) = read(cx)? {
            ready |= got;
        }
    }
    if interest.is_writable() {
        if let Poll::Ready(got) = write(cx)? {
            ready |= got;
        }
    }
    if ready.is_empty() {
        return Poll::Pending;
    }
    Poll::Ready(Ok(ready & interest.mask()))
}
