//! Unix pipe types, as tokio's `net::unix::pipe`: an anonymous [`pipe`], or
//! a FIFO opened with [`OpenOptions`], as a [`Sender`] (`AsyncWrite`) and a
//! [`Receiver`] (`AsyncRead`).
//!
//! Each end is an [`AsyncFd`](crate::io::unix::AsyncFd) of the pipe end
//! (the same code as the process module's child pipes), so both work the
//! same on both backends.
//!
//! # Examples
//!
//! ```no_run
//! use ringline::net::unix::pipe;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # async fn dox() -> std::io::Result<()> {
//! let (mut tx, mut rx) = pipe::pipe()?;
//! tx.write_all(b"hello").await?;
//! let mut buf = [0; 5];
//! rx.read_exact(&mut buf).await?;
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::task::{Context, Poll};

use crate::io::unix::{impl_pipe_async_read, impl_pipe_async_write, impl_pipe_fd_traits, PipeFd};
use crate::io::{Interest, Ready};

/// Creates an anonymous pipe: what is written to the [`Sender`] is read
/// from the [`Receiver`]. Both ends are close-on-exec and non-blocking.
///
/// # Errors
/// The pipe could not be made (`EMFILE`, ...).
///
/// # Panics
/// Outside a ringline runtime.
#[track_caller]
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2(2) fills two fds on success; `fds` has room for both.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds are fresh and owned by nobody else.
    let (rx, tx) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((Sender::from_owned_fd_unchecked(tx)?, Receiver::from_owned_fd_unchecked(rx)?))
}

/// Options for opening a FIFO as a [`Sender`] or a [`Receiver`], as tokio's.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Open with `O_RDWR` (Linux: a sender then opens with no reader).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    read_write: bool,
    /// Skip the check that the file is a FIFO.
    unchecked: bool,
}

/// Which end of a pipe a file is opened or wrapped as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PipeEnd {
    Sender,
    Receiver,
}

impl OpenOptions {
    /// The default options: write-only for a sender, read-only for a
    /// receiver, and the file must be a FIFO.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing (Linux): a sender then opens
    /// even with no reader, and a receiver never sees EOF while it is open.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn read_write(&mut self, value: bool) -> &mut Self {
        self.read_write = value;
        self
    }

    /// Skips the check that the file is a FIFO (a character device, say).
    pub fn unchecked(&mut self, value: bool) -> &mut Self {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` as a [`Receiver`].
    ///
    /// # Errors
    /// The open fails, or the file is not a FIFO (`InvalidInput`).
    pub fn open_receiver<P: AsRef<Path>>(&self, path: P) -> io::Result<Receiver> {
        Receiver::from_file_unchecked(self.open(path.as_ref(), PipeEnd::Receiver)?)
    }

    /// Opens the FIFO at `path` as a [`Sender`].
    ///
    /// # Errors
    /// The open fails (`ENXIO`, kind `Other`-like: no reader has it open,
    /// unless `read_write`), or the file is not a FIFO (`InvalidInput`).
    pub fn open_sender<P: AsRef<Path>>(&self, path: P) -> io::Result<Sender> {
        Sender::from_file_unchecked(self.open(path.as_ref(), PipeEnd::Sender)?)
    }

    fn open(&self, path: &Path, end: PipeEnd) -> io::Result<File> {
        let mut options = std::fs::OpenOptions::new();
        options.read(end == PipeEnd::Receiver).write(end == PipeEnd::Sender).custom_flags(libc::O_NONBLOCK);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if self.read_write {
            options.read(true).write(true);
        }
        let file = options.open(path)?;
        if !self.unchecked && !is_pipe(file.as_fd())? {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a pipe"));
        }
        Ok(file)
    }
}

/// Checks that `fd` is a FIFO opened for `end`'s direction (tokio's
/// `from_owned_fd` checks), so it can be wrapped.
fn check_end(fd: &OwnedFd, end: PipeEnd) -> io::Result<()> {
    if !is_pipe(fd.as_fd())? {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a pipe"));
    }
    // SAFETY: fcntl(2) F_GETFL on an open fd; takes no argument.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let mode = flags & libc::O_ACCMODE;
    let wanted = if end == PipeEnd::Sender { libc::O_WRONLY } else { libc::O_RDONLY };
    if mode != wanted && mode != libc::O_RDWR {
        let what = if end == PipeEnd::Sender { "O_WRONLY" } else { "O_RDONLY" };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("not in {what} or O_RDWR access mode")));
    }
    Ok(())
}

/// Whether `fd` is a FIFO (`fstat`'s `S_IFIFO`).
fn is_pipe(fd: BorrowedFd<'_>) -> io::Result<bool> {
    // SAFETY: an all-zero `stat` is a valid value to be overwritten.
    let mut stat: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is open and `stat` points to a valid struct.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut stat) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat.st_mode & libc::S_IFMT == libc::S_IFIFO)
}

/// The constructors, conversions and traits both ends have; `$end` is the
/// `PipeEnd`, `$interest` the half it is watched for.
macro_rules! pipe_end {
    ($name:ident, $end:expr, $interest:expr) => {
        impl $name {
            /// Wraps a FIFO file opened for this end's direction, setting it
            /// non-blocking.
            ///
            /// # Errors
            /// Not a FIFO, or opened for the other direction only
            /// (`InvalidInput`).
            ///
            /// # Panics
            /// Outside a ringline runtime.
            #[track_caller]
            pub fn from_file(file: File) -> io::Result<$name> {
                $name::from_owned_fd(file.into())
            }

            /// Like [`from_file`](Self::from_file), for an owned fd.
            ///
            /// # Errors
            /// As `from_file`.
            ///
            /// # Panics
            /// Outside a ringline runtime.
            #[track_caller]
            pub fn from_owned_fd(owned_fd: OwnedFd) -> io::Result<$name> {
                check_end(&owned_fd, $end)?;
                $name::from_owned_fd_unchecked(owned_fd)
            }

            /// Wraps `file` with no checks (it is set non-blocking).
            ///
            /// # Errors
            /// The runtime cannot watch the fd.
            ///
            /// # Panics
            /// Outside a ringline runtime.
            #[track_caller]
            pub fn from_file_unchecked(file: File) -> io::Result<$name> {
                $name::from_owned_fd_unchecked(file.into())
            }

            /// Wraps `owned_fd` with no checks (it is set non-blocking).
            ///
            /// # Errors
            /// The runtime cannot watch the fd.
            ///
            /// # Panics
            /// Outside a ringline runtime.
            #[track_caller]
            pub fn from_owned_fd_unchecked(owned_fd: OwnedFd) -> io::Result<$name> {
                PipeFd::new(owned_fd, $interest).map(|inner| $name { inner })
            }

            /// Waits until the pipe is ready for `interest` and returns the
            /// readiness (which stays set until a `try_*` says `WouldBlock`).
            ///
            /// # Errors
            /// The runtime has shut down.
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                self.inner.ready(interest).await
            }

            /// Runs `f`, a call the caller makes on the fd, if this end is
            /// ready now, else fails with `WouldBlock` without calling it; a
            /// `WouldBlock` from `f` clears the readiness.
            ///
            /// # Errors
            /// `WouldBlock`, or whatever `f` returns.
            pub fn try_io<R>(&self, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
                self.inner.try_io($interest, |_| f())
            }

            /// Stops watching and gives the fd back in blocking mode (for a
            /// child process's stdio, say).
            ///
            /// # Errors
            /// The fd's flags could not be changed.
            pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
                self.inner.into_blocking_fd()
            }

            /// Stops watching and gives the fd back, still non-blocking.
            ///
            /// # Errors
            /// None today; `io::Result` as tokio's.
            pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
                Ok(self.inner.into_nonblocking_fd())
            }
        }

        impl_pipe_fd_traits!($name);
    };
}

/// The writing end of a pipe, as tokio's `pipe::Sender`: an `AsyncWrite`.
/// Dropping it closes the end (the reader sees EOF once the pipe is empty).
pub struct Sender {
    /// The pipe end and its watch.
    inner: PipeFd,
}

pipe_end!(Sender, PipeEnd::Sender, Interest::WRITABLE);

impl Sender {
    /// Waits until the pipe has room: `try_write` should take bytes.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for room in the pipe; only the latest caller's waker is kept.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_ready(cx, Interest::WRITABLE)
    }

    /// Writes what the pipe takes now, without waiting; `WouldBlock` when
    /// it is full (`BrokenPipe` once no reader is left).
    ///
    /// # Errors
    /// As above.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.try_io(Interest::WRITABLE, |mut file| file.write(buf))
    }

    /// Like `try_write`, for the bytes of `buf` in order.
    ///
    /// # Errors
    /// As `try_write`.
    pub fn try_write_vectored(&self, buf: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.try_io(Interest::WRITABLE, |mut file| file.write_vectored(buf))
    }
}

impl_pipe_async_write!(Sender);

/// The reading end of a pipe, as tokio's `pipe::Receiver`: an `AsyncRead`.
pub struct Receiver {
    /// The pipe end and its watch.
    inner: PipeFd,
}

pipe_end!(Receiver, PipeEnd::Receiver, Interest::READABLE);

impl Receiver {
    /// Waits until the pipe has bytes (or is closed): `try_read` should
    /// return data or EOF.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for bytes in the pipe; only the latest caller's waker is kept.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.poll_ready(cx, Interest::READABLE)
    }

    /// Reads what the pipe holds now, without waiting: `Ok(0)` at EOF (no
    /// writer left) or for an empty `buf`, `WouldBlock` when it is empty.
    ///
    /// # Errors
    /// As above.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.try_io(Interest::READABLE, |mut file| file.read(buf))
    }

    /// Like `try_read`, into `bufs` in order.
    ///
    /// # Errors
    /// As `try_read`.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.try_io(Interest::READABLE, |mut file| file.read_vectored(bufs))
    }

    /// Like `try_read`, into the spare capacity of `buf`, which it advances.
    ///
    /// # Errors
    /// As `try_read`.
    pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        crate::driver::recv::read_into_buf_mut(buf, |dst| {
            let n = self.try_read(dst.initialize_unfilled())?;
            dst.advance(n);
            Ok(n)
        })
    }
}

impl_pipe_async_read!(Receiver);
