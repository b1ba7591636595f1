//! `mkdirat(2)`: a new directory.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble};

/// Creates the directory `path` with `mode` (less the umask).
pub(crate) async fn mkdir(path: &Path, mode: u32) -> io::Result<()> {
    Op::blocking(None, MkDirAt { path: cstr(path)?, mode }).await.0.map(drop)
}

struct MkDirAt {
    path: CString,
    mode: u32,
}

impl OpAble for MkDirAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::MkDirAt::new(io_uring::types::Fd(dirfd), self.path.as_ptr()).mode(self.mode).build()
    }
}

impl BlockingOp for MkDirAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::MkDirAt::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: `path` is NUL-terminated and outlives the call.
        cvt(unsafe { libc::mkdirat(dirfd, self.path.as_ptr(), self.mode as libc::mode_t) }.into())
    }
}
