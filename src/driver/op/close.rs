//! `close(2)`: an fd nobody uses any more, with its error reported.

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use super::{BlockingOp, Op, OpAble};

/// Closes `fd` and reports what close said (a filesystem that writes back on
/// close reports write errors here; dropping an fd ignores them).
pub(crate) async fn close(fd: OwnedFd) -> io::Result<()> {
    Op::blocking(None, Close { fd: Some(fd) }).await.0.map(drop)
}

/// The fd, until it is handed to the kernel (or dropped, which closes it).
struct Close {
    fd: Option<OwnedFd>,
}

impl OpAble for Close {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, _: RawFd) -> io_uring::squeue::Entry {
        let fd = self.fd.take().expect("an fd is closed once").into_raw_fd();
        io_uring::opcode::Close::new(io_uring::types::Fd(fd)).build()
    }
}

impl BlockingOp for Close {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Close::CODE;

    fn blocking_call(&mut self, _: RawFd) -> io::Result<u32> {
        let fd = self.fd.take().expect("an fd is closed once").into_raw_fd();
        // SAFETY: we owned `fd` and gave up ownership above; it is closed once.
        super::cvt(unsafe { libc::close(fd) }.into())
    }
}
