//! `linkat(2)`: a second name (hard link) for a file.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble};

/// Makes `link` name the same file as `original`.
pub(crate) async fn hard_link(original: &Path, link: &Path) -> io::Result<()> {
    Op::blocking(None, LinkAt { original: cstr(original)?, link: cstr(link)? }).await.0.map(drop)
}

struct LinkAt {
    original: CString,
    link: CString,
}

impl OpAble for LinkAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        let dir = io_uring::types::Fd(dirfd);
        io_uring::opcode::LinkAt::new(dir, self.original.as_ptr(), dir, self.link.as_ptr()).build()
    }
}

impl BlockingOp for LinkAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::LinkAt::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: both paths are NUL-terminated and outlive the call.
        cvt(unsafe { libc::linkat(dirfd, self.original.as_ptr(), dirfd, self.link.as_ptr(), 0) }.into())
    }
}
