//! `fallocate(2)`: reserve (or, with flags, punch or zero) a file's blocks.

use std::io;
use std::os::fd::RawFd;

use super::{cvt, BlockingOp, Op, OpAble, SharedFd};

/// Runs `fallocate(fd, mode, offset, len)`.
pub(crate) async fn fallocate(fd: SharedFd, mode: i32, offset: u64, len: u64) -> io::Result<()> {
    Op::blocking(Some(fd), Fallocate { mode, offset, len }).await.0.map(drop)
}

struct Fallocate {
    mode: i32,
    offset: u64,
    len: u64,
}

impl OpAble for Fallocate {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::Fallocate::new(io_uring::types::Fd(fd), self.len).offset(self.offset).mode(self.mode).build()
    }
}

impl BlockingOp for Fallocate {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Fallocate::CODE;

    fn blocking_call(&mut self, fd: RawFd) -> io::Result<u32> {
        let invalid = |_| io::Error::from(io::ErrorKind::InvalidInput);
        let (offset, len) = (self.offset.try_into().map_err(invalid)?, self.len.try_into().map_err(invalid)?);
        // SAFETY: a plain system call on an fd the op keeps open.
        cvt(unsafe { libc::fallocate(fd, self.mode, offset, len) }.into())
    }
}
