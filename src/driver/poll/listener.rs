//! A listening socket on mio: `accept4(2)` whenever the poller says a
//! connection is waiting.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use socket2::{SockAddr, SockRef};

use super::scheduled_io::Direction;
use super::Registration;
use crate::driver::Ready;

/// A listening socket driven by readiness.
pub(crate) struct Listener {
    /// The socket and its lazy poller registration.
    io: Registration,
}

impl Listener {
    /// Wraps a bound, listening socket, switching it to non-blocking mode.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Listener> {
        SockRef::from(&fd).set_nonblocking(true)?;
        Ok(Listener { io: Registration::new(fd, Ready::EMPTY) })
    }

    /// Accepts one connection: its socket (close-on-exec, blocking until the
    /// net layer wraps it) and the peer's address. Any number of tasks may
    /// wait on one listener (shared through an `Arc`); a connection wakes
    /// them all, as in tokio, and one of them takes it.
    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(OwnedFd, SockAddr)>> {
        self.io.poll_io_shared(cx, Direction::Read, || {
            // socket2 uses accept4(2) with SOCK_CLOEXEC where it exists.
            let (socket, peer) = loop {
                match SockRef::from(self.io.fd()).accept() {
                    Err(e) if e.raw_os_error().is_some_and(crate::driver::accept_error_skipped) => continue,
                    accepted => break accepted?,
                }
            };
            Ok((OwnedFd::from(socket), peer))
        })
    }

    /// Leaves the poller and gives the socket back, still non-blocking.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        Ok(self.io.into_fd())
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd().as_raw_fd()
    }
}
