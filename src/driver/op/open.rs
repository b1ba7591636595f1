//! `openat(2)`: a path to a new fd.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble};

/// Opens `path` (relative to the working directory) with `flags` (plus
/// `O_CLOEXEC`) and, for a new file, `mode`.
pub(crate) async fn open(path: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let op = OpenAt { path: cstr(path)?, flags: flags | libc::O_CLOEXEC, mode, opened: None };
    let (res, mut op) = Op::blocking(None, op).await;
    res?;
    Ok(op.opened.take().expect("a successful open holds its fd"))
}

/// The path (owned: the kernel reads it until the completion) and the fd it
/// became, owned by the op so an abandoned open still closes it.
struct OpenAt {
    path: CString,
    flags: i32,
    mode: u32,
    opened: Option<OwnedFd>,
}

impl OpenAt {
    fn take_fd(&mut self, res: i32) {
        if res >= 0 {
            // SAFETY: a successful open returned a new fd nobody else owns.
            self.opened = Some(unsafe { OwnedFd::from_raw_fd(res) });
        }
    }
}

impl OpAble for OpenAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        io_uring::opcode::OpenAt::new(io_uring::types::Fd(dirfd), self.path.as_ptr())
            .flags(self.flags)
            .mode(self.mode)
            .build()
    }

    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn on_cqe(&mut self, result: i32) {
        self.take_fd(result);
    }
}

impl BlockingOp for OpenAt {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::OpenAt::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: `path` is NUL-terminated and outlives the call.
        let res = cvt(unsafe { libc::openat(dirfd, self.path.as_ptr(), self.flags, self.mode) }.into())?;
        self.take_fd(res as i32);
        Ok(res)
    }
}
