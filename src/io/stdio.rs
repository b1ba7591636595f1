//! The process's standard streams as async streams, as tokio has them: each
//! read or write runs on the blocking pool (the terminal, a pipe or a file
//! behind fd 0/1/2 has no reliable readiness), one at a time per handle.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::blocking::Blocking;

/// A handle to the process's standard input, from [`stdin`].
///
/// As with tokio, a read that is in flight cannot be cancelled: dropping the
/// future leaves a pool thread blocked until the next line (or EOF) arrives.
/// Interactive programs may prefer a dedicated thread and a channel.
pub struct Stdin {
    inner: Blocking<io::Stdin>,
}

/// A handle to the process's standard output, from [`stdout`].
///
/// Writes are taken at once and finish on the blocking pool; call `flush`
/// (`AsyncWriteExt::flush`) to wait for them, e.g. before the process exits.
/// Handles from separate `stdout()` calls may interleave their writes.
pub struct Stdout {
    inner: Blocking<io::Stdout>,
}

/// A handle to the process's standard error, from [`stderr`]; like [`Stdout`].
pub struct Stderr {
    inner: Blocking<io::Stderr>,
}

/// A new handle to standard input. Must be used inside a runtime.
pub fn stdin() -> Stdin {
    Stdin { inner: Blocking::new(io::stdin()) }
}

/// A new handle to standard output. Must be used inside a runtime.
pub fn stdout() -> Stdout {
    Stdout { inner: Blocking::new(io::stdout()) }
}

/// A new handle to standard error. Must be used inside a runtime.
pub fn stderr() -> Stderr {
    Stderr { inner: Blocking::new(io::stderr()) }
}

impl AsyncRead for Stdin {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

/// `AsyncWrite` forwarding to the `Blocking` inside, for stdout and stderr.
macro_rules! async_write_via_inner {
    ($ty:ty) => {
        impl AsyncWrite for $ty {
            fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                Pin::new(&mut self.inner).poll_write(cx, buf)
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.inner).poll_flush(cx)
            }

            fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.inner).poll_shutdown(cx)
            }
        }
    };
}

async_write_via_inner!(Stdout);
async_write_via_inner!(Stderr);
crate::io::futures_io::impl_futures_io!(read Stdin);
crate::io::futures_io::impl_futures_io!(write Stdout, Stderr);

/// `AsRawFd`/`AsFd` for a standard stream: its fixed descriptor.
macro_rules! std_fd {
    ($ty:ty, $fd:expr) => {
        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                $fd
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                // SAFETY: the standard descriptors stay open for the life of the process.
                unsafe { BorrowedFd::borrow_raw($fd) }
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    };
}

std_fd!(Stdin, libc::STDIN_FILENO);
std_fd!(Stdout, libc::STDOUT_FILENO);
std_fd!(Stderr, libc::STDERR_FILENO);
