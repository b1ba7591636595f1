//! `pwrite(2)`: bytes from a buffer the op owns into a file.

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::read::CURRENT_POS;
use super::{cvt, BlockingOp, Op, OpAble, SharedFd, MAX_RW};
use crate::driver::IoBuf;

/// Writes `buf`'s bytes at `offset` (or at the file's position, which it
/// advances, for [`CURRENT_POS`]; an `O_APPEND` file always writes at its
/// end); returns how many were written, which may be fewer.
#[track_caller]
pub(crate) fn write_at<B: IoBuf>(fd: SharedFd, buf: B, offset: u64) -> WriteAtOp<B> {
    WriteAtOp(Op::blocking(Some(fd), WriteAt { buf, offset }))
}

/// The future of [`write_at`]: the byte count (or error) and the buffer.
pub(crate) struct WriteAtOp<B: IoBuf>(Op<'static, WriteAt<B>>);

impl<B: IoBuf> WriteAtOp<B> {
    /// Lets the write finish with nobody waiting (dropping would cancel it).
    pub(crate) fn detach(self) {
        self.0.detach();
    }
}

impl<B: IoBuf> Future for WriteAtOp<B> {
    type Output = (io::Result<usize>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (res, op) = ready!(Pin::new(&mut self.0).poll(cx));
        Poll::Ready((res.map(|n| n as usize), op.buf))
    }
}

/// The buffer and where its bytes go.
pub(crate) struct WriteAt<B> {
    buf: B,
    offset: u64,
}

impl<B: IoBuf> WriteAt<B> {
    fn len(&self) -> usize {
        self.buf.bytes_init().min(MAX_RW)
    }
}

impl<B: IoBuf> OpAble for WriteAt<B> {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry {
        let len = self.len() as u32;
        io_uring::opcode::Write::new(io_uring::types::Fd(fd), self.buf.stable_ptr(), len).offset(self.offset).build()
    }
}

impl<B: IoBuf> BlockingOp for WriteAt<B> {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8 = io_uring::opcode::Write::CODE;

    fn blocking_call(&mut self, fd: RawFd) -> io::Result<u32> {
        let (ptr, len) = (self.buf.stable_ptr().cast(), self.len());
        if self.offset == CURRENT_POS {
            // SAFETY: the buffer holds `len` initialized bytes.
            return cvt(unsafe { libc::write(fd, ptr, len) } as libc::c_long);
        }
        let offset = i64::try_from(self.offset).map_err(|_| io::ErrorKind::InvalidInput)?;
        // SAFETY: as above.
        cvt(unsafe { libc::pwrite(fd, ptr, len, offset) } as libc::c_long)
    }
}
