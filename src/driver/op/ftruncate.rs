//! `ftruncate(2)`: set a file's length (io_uring has it from Linux 6.9).

use std::io;
use std::os::fd::RawFd;

use super::{cvt, BlockingOp, Op, OpAble, SharedFd};

/// Truncates or extends `fd`'s file to `len` bytes.
pub(crate) async fn ftruncate(fd: SharedFd, len: u64) -> io::Result<()> {
    Op::blocking(Some(fd), Ftruncate { len }).await.0.map(drop)
}

struct Ftruncate {
    len: u64,
}

impl OpAble for Ftruncate {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::Ftruncate::new(io_uring::types::Fd(fd), self.len).build()
    }
}

impl BlockingOp for Ftruncate {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Ftruncate::CODE;

    fn blocking_call(&mut self, fd: RawFd) -> io::Result<u32> {
        let len = self.len.try_into().map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: a plain system call on an fd the op keeps open.
        cvt(unsafe { libc::ftruncate(fd, len) }.into())
    }
}
