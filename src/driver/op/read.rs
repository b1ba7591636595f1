//! `pread(2)`: bytes of a file into a buffer the op owns.

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{cvt, BlockingOp, Op, OpAble, SharedFd, MAX_RW};
use crate::driver::IoBufMut;

/// The offset that means "the file's own position" (which the read then
/// advances), as `preadv2(2)` and io_uring take it.
pub(crate) const CURRENT_POS: u64 = u64::MAX;

/// Reads up to `max` bytes (and at most `buf.bytes_total()`) at `offset`
/// (or [`CURRENT_POS`]) into `buf`, which holds exactly the bytes read
/// afterwards. The buffer belongs to the op until the kernel is done with
/// it, even if the future is dropped.
#[track_caller]
pub(crate) fn read_at<B: IoBufMut>(fd: SharedFd, buf: B, offset: u64, max: usize) -> ReadAtOp<B> {
    let len = buf.bytes_total().min(max).min(MAX_RW);
    ReadAtOp(Op::blocking(Some(fd), ReadAt { buf, offset, len }))
}

/// The future of [`read_at`]: the byte count (or error) and the buffer.
pub(crate) struct ReadAtOp<B: IoBufMut>(Op<'static, ReadAt<B>>);

impl<B: IoBufMut> Future for ReadAtOp<B> {
    type Output = (io::Result<usize>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (res, op) = ready!(Pin::new(&mut self.0).poll(cx));
        Poll::Ready((res.map(|n| n as usize), op.buf))
    }
}

/// The buffer, where the read starts and how many bytes it asks for.
pub(crate) struct ReadAt<B> {
    buf: B,
    offset: u64,
    len: usize,
}

impl<B: IoBufMut> ReadAt<B> {
    fn filled(&mut self, res: i32) {
        if let Ok(n) = usize::try_from(res) {
            // SAFETY: the kernel wrote `n <= len <= bytes_total()` bytes.
            unsafe { self.buf.set_init(n) };
        }
    }
}

impl<B: IoBufMut> OpAble for ReadAt<B> {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry {
        let len = self.len as u32;
        io_uring::opcode::Read::new(io_uring::types::Fd(fd), self.buf.stable_mut_ptr(), len).offset(self.offset).build()
    }

    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn on_cqe(&mut self, result: i32) {
        self.filled(result);
    }
}

impl<B: IoBufMut> BlockingOp for ReadAt<B> {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Read::CODE;

    fn blocking_call(&mut self, fd: RawFd) -> io::Result<u32> {
        let (ptr, len) = (self.buf.stable_mut_ptr().cast(), self.len);
        let res = if self.offset == CURRENT_POS {
            // SAFETY: the buffer is valid for `len` bytes of writes.
            cvt(unsafe { libc::read(fd, ptr, len) } as libc::c_long)?
        } else {
            let offset = i64::try_from(self.offset).map_err(|_| io::ErrorKind::InvalidInput)?;
            // SAFETY: as above.
            cvt(unsafe { libc::pread(fd, ptr, len, offset) } as libc::c_long)?
        };
        self.filled(res as i32);
        Ok(res)
    }
}
