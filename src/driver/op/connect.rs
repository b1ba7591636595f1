//! `connect(2)`: a stream socket (TCP or Unix) to an address.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};

use socket2::{SockAddr, SockRef};

use super::{Op, OpAble, OpSource};
use crate::driver::poll::Direction;
use crate::driver::{poll, Backend, Stream};

/// Connects `fd` (a fresh socket of `addr`'s family) to `addr`.
pub(crate) async fn connect(backend: Backend, fd: OwnedFd, addr: &SockAddr) -> io::Result<Stream> {
    let op = Connect { addr: addr.clone(), started: false };
    match backend {
        #[cfg(all(target_os = "linux", feature = "uring"))]
        Backend::Uring => {
            let fd = std::sync::Arc::new(fd);
            Op::new(OpSource::Uring(fd.clone()), op).await.0?;
            // The op (and its clone of `fd`) is gone once it has resolved.
            let fd = std::sync::Arc::into_inner(fd).expect("the connect op has let go of the socket");
            crate::driver::uring::Stream::new(fd).map(Stream::Uring)
        }
        Backend::Mio => {
            let stream = poll::Stream::new(fd)?;
            Op::new(OpSource::Poll(stream.registration()), op).await.0?;
            Ok(Stream::Poll(stream))
        }
        #[cfg(not(all(target_os = "linux", feature = "uring")))]
        Backend::Uring => Err(crate::driver::select::uring_not_built()),
    }
}

/// The address (owned: the kernel reads it until the completion) and, on
/// the readiness path, whether `connect` was called already.
struct Connect {
    addr: SockAddr,
    started: bool,
}

impl OpAble for Connect {
    const DIRECTION: Direction = Direction::Write;

    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: std::os::fd::RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::Connect::new(io_uring::types::Fd(fd), self.addr.as_ptr().cast(), self.addr.len()).build()
    }

    /// Starts the connect; once the socket is writable, reads the outcome.
    fn poll_call(&mut self, fd: BorrowedFd<'_>) -> io::Result<u32> {
        let sock = SockRef::from(&fd);
        if !self.started {
            self.started = true;
            return match sock.connect(&self.addr) {
                Ok(()) => Ok(0),
                Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            };
        }
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
