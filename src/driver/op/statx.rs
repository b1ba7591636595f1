//! `statx(2)`: a path's (or fd's) size, type and times.

use std::ffi::CString;
use std::io;
use std::os::fd::RawFd;
use std::path::Path;

use super::{cvt, path::cstr, BlockingOp, Op, OpAble, SharedFd};

/// What ringline reads from a `statx`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stat {
    /// Size in bytes.
    pub(crate) size: u64,
    /// File type and permission bits (`st_mode`).
    pub(crate) mode: u32,
}

/// Stats `path`; a symbolic link itself unless `follow`.
pub(crate) async fn statx(path: &Path, follow: bool) -> io::Result<Stat> {
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    run(None, cstr(path)?, flags).await
}

/// Stats the open file `fd`.
pub(crate) async fn fstatx(fd: SharedFd) -> io::Result<Stat> {
    run(Some(fd), CString::default(), libc::AT_EMPTY_PATH).await
}

async fn run(fd: Option<SharedFd>, path: CString, flags: i32) -> io::Result<Stat> {
    // SAFETY: statx is plain old data; all zeroes is a valid value.
    let buf = Box::new(unsafe { std::mem::zeroed::<libc::statx>() });
    let (res, op) = Op::blocking(fd, Statx { path, flags, buf }).await;
    res?;
    Ok(Stat { size: op.buf.stx_size, mode: u32::from(op.buf.stx_mode) })
}

/// The path and the result buffer, both read or written by the kernel until
/// the completion.
struct Statx {
    path: CString,
    flags: i32,
    buf: Box<libc::statx>,
}

impl OpAble for Statx {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, dirfd: RawFd) -> io_uring::squeue::Entry {
        let buf: *mut libc::statx = &mut *self.buf;
        io_uring::opcode::Statx::new(io_uring::types::Fd(dirfd), self.path.as_ptr(), buf.cast())
            .flags(self.flags)
            .mask(libc::STATX_BASIC_STATS)
            .build()
    }
}

impl BlockingOp for Statx {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Statx::CODE;

    fn blocking_call(&mut self, dirfd: RawFd) -> io::Result<u32> {
        // SAFETY: `path` is NUL-terminated; `buf` is a valid statx to fill.
        cvt(unsafe { libc::statx(dirfd, self.path.as_ptr(), self.flags, libc::STATX_BASIC_STATS, &mut *self.buf) }
            .into())
    }
}
