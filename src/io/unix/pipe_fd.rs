//! [`PipeFd`]: one end of a pipe (or a FIFO, or a child's stdio), set
//! non-blocking and watched through [`AsyncFd`]; the one read/write loop
//! that `process`'s child pipes and `net::unix::pipe` share.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use super::AsyncFd;
use crate::io::{Interest, Ready};

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

    /// Reads once the pipe is readable; a `WouldBlock` waits again.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
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

    /// Writes once the pipe is writable; a `WouldBlock` waits again.
    pub(crate) fn poll_write_with(
        &self,
        cx: &mut Context<'_>,
        mut write: impl FnMut(&File) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            if let Ok(result) = guard.try_io(|fd| write(fd.get_ref())) {
                return Poll::Ready(result);
            }
        }
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
