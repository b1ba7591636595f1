//! `try_io` and `async_io` for the sockets the driver owns (tokio's
//! `TcpStream::try_io` and its kin): the caller's closure makes its own
//! system call on the fd, and the runtime says when to try.
//!
//! What "ready" means differs by backend, because the socket does:
//!
//! - mio: the socket is non-blocking and registered with the worker's
//!   poller; the closure runs when the socket's own readiness (the very
//!   bits `try_read` and `readable` use) is set, and a `WouldBlock` from it
//!   clears them, exactly tokio's rule.
//! - io_uring: the socket is in blocking mode (io_uring parks blocking
//!   sockets on its own poll), so a closure run on a socket that is not
//!   ready would block the worker thread instead of saying `WouldBlock`.
//!   The closure therefore runs only when `poll(2)` says the socket is ready
//!   *now*; `async_io` sleeps on an edge-triggered watch of the fd (the
//!   [`FdReady`] that `AsyncFd` uses, made on the first `async_io`) between
//!   tries. The stream's receive queue is not "readiness" here: bytes the
//!   runtime has already received are invisible to the closure's `recv`.
//!
//! Either way the closure and the type's own reads compete for the same
//! bytes (and a raw write overtakes bytes still queued by `AsyncWrite`):
//! use one or the other on a direction, as tokio's docs ask.

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::OnceLock;
use std::task::Poll;

use super::fd_ready::ReadySource;
use super::poll::{ReadyEvent, Registration};
use super::FdReady;
use crate::driver::{Interest, Ready};

/// How a driver-owned socket is watched for `try_io` and `async_io`.
pub(crate) enum RawOwner<'a> {
    /// mio: a non-blocking socket and its poller registration.
    Registration(&'a Registration),
    /// io_uring: a blocking-mode socket; readiness is asked of the kernel.
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    Blocking(BorrowedFd<'a>),
}

/// The per-socket state `try_io`/`async_io` need beyond the driver's own:
/// on io_uring, the edge-triggered watch `async_io` sleeps on, made on
/// first use (mio uses the socket's registration and never fills it).
#[derive(Default)]
pub(crate) struct RawIo {
    /// The io_uring watch of the fd.
    watch: OnceLock<FdReady>,
}

impl RawIo {
    /// Runs `f` if `interest` is ready now, else fails with `WouldBlock`
    /// without calling it; a `WouldBlock` from `f` clears the readiness.
    pub(crate) fn try_io<R>(
        &self,
        owner: RawOwner<'_>,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        match owner {
            RawOwner::Registration(registration) => {
                let event = match registration.poll_interest(None, interest) {
                    Poll::Ready(event) => event?,
                    Poll::Pending => return Err(io::ErrorKind::WouldBlock.into()),
                };
                settle(registration, event, f()).unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))
            }
            RawOwner::Blocking(fd) if kernel_ready(fd, interest)? => f(),
            RawOwner::Blocking(_) => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Waits for `interest` and runs `f`, again after each `WouldBlock`
    /// (which clears the readiness first), until it returns anything else.
    pub(crate) async fn async_io<R>(
        &self,
        owner: RawOwner<'_>,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        let (source, blocking): (&dyn ReadySource, _) = match owner {
            RawOwner::Registration(registration) => (registration, None),
            RawOwner::Blocking(fd) => (self.watch(fd)?, Some(fd)),
        };
        // io_uring: the first try needs no event, only poll(2)'s word.
        if let Some(fd) = blocking {
            if kernel_ready(fd, interest)? {
                if let Some(done) = would_block_or(f()) {
                    return done;
                }
            }
        }
        loop {
            let event = poll_fn(|cx| source.poll_interest(Some(cx), interest)).await?;
            let tried = match blocking {
                Some(fd) if !kernel_ready(fd, interest)? => None,
                _ => would_block_or(f()),
            };
            match tried {
                Some(done) => return done,
                None => clear(source, event),
            }
        }
    }

    /// The io_uring watch of `fd`, made now if this is its first use.
    fn watch(&self, fd: BorrowedFd<'_>) -> io::Result<&FdReady> {
        if let Some(watch) = self.watch.get() {
            return Ok(watch);
        }
        let watch = FdReady::new(fd)?;
        // A racing first use may have set one already; that one stays.
        Ok(self.watch.get_or_init(|| watch))
    }
}

/// `None` for a `WouldBlock`, the result otherwise.
fn would_block_or<R>(result: io::Result<R>) -> Option<io::Result<R>> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
        other => Some(other),
    }
}

/// `None` (and the readiness of `event` forgotten) if `result` is
/// `WouldBlock`; the result otherwise.
pub(crate) fn settle<R>(source: &dyn ReadySource, event: ReadyEvent, result: io::Result<R>) -> Option<io::Result<R>> {
    let done = would_block_or(result);
    if done.is_none() {
        clear(source, event);
    }
    done
}

/// Forgets the bits of `event`, unless an event arrived since. Closed states
/// are final, as in tokio: they are never forgotten (epoll would not report
/// them again).
pub(crate) fn clear(source: &dyn ReadySource, event: ReadyEvent) {
    source.clear_bits(event, event.ready() - Ready::READ_CLOSED - Ready::WRITE_CLOSED);
}

/// Whether `poll(2)` says `fd` is ready for any half of `interest` now (a
/// hang-up or an error counts: the call will report it).
fn kernel_ready(fd: BorrowedFd<'_>, interest: Interest) -> io::Result<bool> {
    let mut events: libc::c_short = 0;
    if interest.is_readable() {
        events |= libc::POLLIN;
    }
    if interest.is_writable() {
        events |= libc::POLLOUT;
    }
    if interest.is_priority() {
        events |= libc::POLLPRI;
    }
    let mut pollfd = libc::pollfd { fd: fd.as_raw_fd(), events, revents: 0 };
    loop {
        // SAFETY: `pollfd` is one valid entry; a zero timeout never blocks.
        match unsafe { libc::poll(&mut pollfd, 1, 0) } {
            -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            -1 => return Err(io::Error::last_os_error()),
            _ => return Ok(pollfd.revents != 0),
        }
    }
}
