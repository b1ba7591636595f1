//! `fsync(2)` / `fdatasync(2)`.

use std::io;
use std::os::fd::RawFd;

use super::{cvt, BlockingOp, Op, OpAble, SharedFd};

/// Flushes `fd`'s data, and its metadata unless `data_only`, to the device.
pub(crate) async fn fsync(fd: SharedFd, data_only: bool) -> io::Result<()> {
    Op::blocking(Some(fd), Fsync { data_only }).await.0.map(drop)
}

struct Fsync {
    data_only: bool,
}

impl OpAble for Fsync {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry {
        let mut flags = io_uring::types::FsyncFlags::empty();
        if self.data_only {
            flags |= io_uring::types::FsyncFlags::DATASYNC;
        }
        io_uring::opcode::Fsync::new(io_uring::types::Fd(fd)).flags(flags).build()
    }
}

impl BlockingOp for Fsync {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Fsync::CODE;

    fn blocking_call(&mut self, fd: RawFd) -> io::Result<u32> {
        // SAFETY: plain system calls on an fd the op keeps open.
        let ret = unsafe {
            if self.data_only {
                libc::fdatasync(fd)
            } else {
                libc::fsync(fd)
            }
        };
        cvt(ret.into())
    }
}
