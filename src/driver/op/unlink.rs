//! `unlinkat(2)`: remove a file, or (with `AT_REMOVEDIR`) an empty directory.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble};

/// Removes the file at `path`, or the empty directory when `dir`.
pub(crate) async fn unlink(path: &Path, dir: bool) -> io::Result<()> {
    let flags = if dir { libc::AT_REMOVEDIR } else { 0 };
    Op::blocking(None, UnlinkAt { path: cstr(path)?, flags }).await.0.map(drop)
}

struct UnlinkAt {
    path: CString,
    flags: i32,
}

impl OpAble for UnlinkAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::UnlinkAt::new(io_uring::types::Fd(dirfd), self.path.as_ptr()).flags(self.flags).build()
    }
}

impl BlockingOp for UnlinkAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::UnlinkAt::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: `path` is NUL-terminated and outlives the call.
        cvt(unsafe { libc::unlinkat(dirfd, self.path.as_ptr(), self.flags) }.into())
    }
}
