//! `connect(2)`: a stream socket (TCP or Unix) to an address.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use socket2::{SockAddr, SockRef};

use super::{Op, OpAble, OpSource, ReadinessOp};
use crate::driver::poll::Direction;
use crate::driver::{poll, Backend, Stream};

/// Connects `fd` (a fresh socket of `addr`'s family) to `addr`.
pub(crate) async fn connect(backend: Backend, fd: OwnedFd, addr: &SockAddr) -> io::Result<Stream> {
    let op = Connect { addr: addr.clone() };
    match backend {
        #[cfg(all(target_os = "linux", feature = "uring"))]
        Backend::Uring => {
            let fd = std::sync::Arc::new(fd);
            Op::new(OpSource::Uring(fd.clone()), op).await.0?;
            // The op (and its clone of `fd`) is gone once it has resolved.
            let fd = std::sync::Arc::into_inner(fd).expect("the connect op has let go of the socket");
            crate::driver::uring::Stream::new(fd, crate::driver::Origin::Other).map(Stream::Uring)
        }
        Backend::Mio => {
            // As tokio: connect(2), then join the poller and wait for its
            // report even when connect(2) succeeded at once (a Unix socket
            // whose listener has room), so a listener closed before it
            // accepted shows as an error (tokio's `uds_stream::epollhup`).
            let stream = poll::Stream::connecting(fd)?;
            start(stream.registration().fd().as_fd(), addr)?;
            Op::new(OpSource::Poll(stream.registration()), op).await.0?;
            Ok(Stream::Poll(stream))
        }
        #[cfg(not(all(target_os = "linux", feature = "uring")))]
        Backend::Uring => Err(crate::driver::select::uring_not_built()),
    }
}

/// The address (owned: the kernel reads it until the completion; the
/// readiness path connects before the op, see [`start`]).
struct Connect {
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    addr: SockAddr,
}

/// Starts connecting the non-blocking `fd` to `addr`: done, or in progress.
fn start(fd: BorrowedFd<'_>, addr: &SockAddr) -> io::Result<()> {
    match SockRef::from(&fd).connect(addr) {
        Err(e) if !matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => Err(e),
        _ => Ok(()),
    }
}

impl OpAble for Connect {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: std::os::fd::RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::Connect::new(io_uring::types::Fd(fd), self.addr.as_ptr().cast(), self.addr.len()).build()
    }
}

impl ReadinessOp for Connect {
    const DIRECTION: Direction = Direction::Write;

    /// Once the poller says the socket (connected by [`start`]) is
    /// writable, reads the outcome.
    fn poll_call(&mut self, fd: BorrowedFd<'_>) -> io::Result<u32> {
        let sock = SockRef::from(&fd);
        if let Some(e) = sock.take_error()? {
            return Err(e);
        }
        match sock.peer_addr() {
            Ok(_) => Ok(0),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Err(io::ErrorKind::WouldBlock.into()),
            Err(e) => Err(e),
        }
    }
}
