//! [`PipeFd`]: one end of a pipe (or a FIFO, or a child's stdio), set
//! non-blocking and watched through [`AsyncFd`]; the one read/write loop
//! that `process`'s child pipes and `net::unix::pipe` share.

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use super::AsyncFd;
use crate::io::{Interest, Ready};
use crate::runtime::coop;

/// One end of a pipe, non-blocking, with its readiness watched.
pub(crate) struct PipeFd {
    /// The pipe end and its watch.
    fd: AsyncFd<File>,
}

impl PipeFd {
    /// Sets `fd` non-blocking and watches it for `interest`.
    ///
    /// # Panics
    /// Outside a ringline runtime (as `AsyncFd::new`).
    #[track_caller]
    pub(crate) fn new(fd: OwnedFd, interest: Interest) -> io::Result<PipeFd> {
        set_nonblocking(fd.as_fd(), true)?;
        AsyncFd::with_interest(File::from(fd), interest).map(|fd| PipeFd { fd })
    }

    /// Stops watching and gives the fd back, still non-blocking.
    pub(crate) fn into_nonblocking_fd(self) -> OwnedFd {
        OwnedFd::from(self.fd.into_inner())
    }

    /// Stops watching and gives the fd back in blocking mode, as a child's
    /// stdio expects it.
    pub(crate) fn into_blocking_fd(self) -> io::Result<OwnedFd> {
        let fd = self.into_nonblocking_fd();
        set_nonblocking(fd.as_fd(), false)?;
        Ok(fd)
    }

    /// Reads once the pipe is readable; a `WouldBlock` waits again. Spends
    /// the task's budget, as tokio's pipe reads do.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        coop::poll_io(cx, |cx| self.poll_read_unbudgeted(cx, buf))
    }

    fn poll_read_unbudgeted(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| {
                let mut file = fd.get_ref();
                file.read(unfilled)
            }) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }

    /// Writes `buf` once the pipe is writable; a `WouldBlock` waits again.
    /// Spends the task's budget, as tokio's pipe writes do.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut file| file.write(buf))
    }

    /// Like `poll_write`, for the bytes of `bufs` in order.
    pub(crate) fn poll_write_vectored(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut file| file.write_vectored(bufs))
    }

    fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&File) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        coop::poll_io(cx, |cx| loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            if let Ok(result) = guard.try_io(|fd| write(fd.get_ref())) {
                return Poll::Ready(result);
            }
        })
    }

    /// Ready once the half of `interest` (`READABLE` or `WRITABLE`) is; the
    /// readiness stays set. Only the latest caller's waker is kept.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<io::Result<()>> {
        let mut guard = if interest.is_readable() {
            ready!(self.fd.poll_read_ready(cx))?
        } else {
            ready!(self.fd.poll_write_ready(cx))?
        };
        guard.retain_ready();
        Poll::Ready(Ok(()))
    }

    /// Waits until any readiness in `interest` is seen and returns it; the
    /// readiness stays set.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let mut guard = self.fd.ready(interest).await?;
        let ready = guard.ready();
        guard.retain_ready();
        Ok(ready)
    }

    /// Runs `f` on the file if `interest` is ready now, else `WouldBlock`;
    /// a `WouldBlock` from `f` clears the readiness.
    pub(crate) fn try_io<R>(&self, interest: Interest, f: impl FnOnce(&File) -> io::Result<R>) -> io::Result<R> {
        self.fd.try_io(interest, f)
    }
}

impl AsRawFd for PipeFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for PipeFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Sets or clears `O_NONBLOCK` on `fd`.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    // SAFETY: fcntl(2) on a borrowed, open fd; F_GETFL takes no argument.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let new = if nonblocking { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    // SAFETY: as above; F_SETFL takes an int of flags.
    if new != flags && unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, new) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `AsRawFd`, `AsFd` and `Debug` (the type's name and its fd) for a type
/// holding a pipe end in its `inner: PipeFd` field.
macro_rules! impl_pipe_fd_traits {
    ($ty:ident) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&self.inner)
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.inner)
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let fd = std::os::fd::AsRawFd::as_raw_fd(self);
                f.debug_struct(stringify!($ty)).field("fd", &fd).finish()
            }
        }
    };
}

/// `AsyncWrite` for a type holding the writing end of a pipe in its `inner:
/// PipeFd` field (`pipe::Sender`, `ChildStdin`): writes go straight to the
/// pipe, so flushing has nothing to do, and, as in tokio, `shutdown` does not
/// close the pipe (dropping the writer does).
macro_rules! impl_pipe_async_write {
    ($ty:ty) => {
        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
        }
        $crate::io::futures_io::impl_futures_io!(write $ty);
    };
}

/// `AsyncRead` for a type holding the reading end of a pipe in its `inner:
/// PipeFd` field (`pipe::Receiver`, `ChildStdout`, `ChildStderr`).
macro_rules! impl_pipe_async_read {
    ($ty:ty) => {
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                self.inner.poll_read(cx, buf)
            }
        }
        $crate::io::futures_io::impl_futures_io!(read $ty);
    };
}

pub(crate) use {impl_pipe_async_read, impl_pipe_async_write, impl_pipe_fd_traits};
