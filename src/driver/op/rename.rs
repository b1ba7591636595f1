//! `renameat(2)`: move a path, replacing what the target named.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble};

/// Renames `from` to `to`.
pub(crate) async fn rename(from: &Path, to: &Path) -> io::Result<()> {
    Op::blocking(None, RenameAt { from: cstr(from)?, to: cstr(to)? }).await.0.map(drop)
}

struct RenameAt {
    from: CString,
    to: CString,
}

impl OpAble for RenameAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        let dir = io_uring::types::Fd(dirfd);
        io_uring::opcode::RenameAt::new(dir, self.from.as_ptr(), dir, self.to.as_ptr()).build()
    }
}

impl BlockingOp for RenameAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::RenameAt::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: both paths are NUL-terminated and outlive the call.
        cvt(unsafe { libc::renameat(dirfd, self.from.as_ptr(), dirfd, self.to.as_ptr()) }.into())
    }
}
