//! `symlinkat(2)`: a symbolic link.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble};

/// Makes `link` a symbolic link to `target`.
pub(crate) async fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    Op::blocking(None, SymlinkAt { target: cstr(target)?, link: cstr(link)? }).await.0.map(drop)
}

struct SymlinkAt {
    target: CString,
    link: CString,
}

impl OpAble for SymlinkAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::SymlinkAt::new(io_uring::types::Fd(dirfd), self.target.as_ptr(), self.link.as_ptr()).build()
    }
}

impl BlockingOp for SymlinkAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::SymlinkAt::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: both paths are NUL-terminated and outlive the call.
        cvt(unsafe { libc::symlinkat(self.target.as_ptr(), dirfd, self.link.as_ptr()) }.into())
    }
}
