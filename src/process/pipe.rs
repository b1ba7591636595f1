//! [`ChildStdin`], [`ChildStdout`], [`ChildStderr`]: the parent's ends of a
//! child's pipes, non-blocking, through [`PipeFd`] (an `AsyncFd` of the
//! pipe end, shared with `net::unix::pipe`).

use std::io;
use std::os::fd::OwnedFd;
use std::process::Stdio;

use crate::io::unix::{impl_pipe_async_read, impl_pipe_async_write, impl_pipe_fd_traits, PipeFd};
use crate::io::Interest;

/// Defines one of the three pipe types: its struct, construction from std's
/// handle, conversion back to an fd or a `Stdio`, and fd access.
macro_rules! child_pipe {
    ($(#[$doc:meta])* $name:ident, $std:ty, $interest:expr) => {
        $(#[$doc])*
        pub struct $name {
            inner: PipeFd,
        }

        impl $name {
            /// Wraps std's handle, setting it non-blocking.
            ///
            /// # Errors
            /// The fd could not be set non-blocking or watched.
            ///
            /// # Panics
            /// Outside a ringline runtime.
            pub fn from_std(inner: $std) -> io::Result<Self> {
                PipeFd::new(OwnedFd::from(inner), $interest).map(|inner| $name { inner })
            }

            /// Gives the fd back, in blocking mode.
            ///
            /// # Errors
            /// The fd's flags could not be changed.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                self.inner.into_blocking_fd()
            }
        }

        /// The pipe as another child's stdio (in blocking mode again), as
        /// tokio's `TryInto<Stdio>`.
        impl TryFrom<$name> for Stdio {
            type Error = io::Error;

            fn try_from(pipe: $name) -> io::Result<Stdio> {
                pipe.into_owned_fd().map(Stdio::from)
            }
        }

        impl_pipe_fd_traits!($name);
    };
}

child_pipe!(
    /// The child's standard input, as tokio's `ChildStdin`: an `AsyncWrite`.
    /// Dropping it closes the pipe (the child sees EOF); `shutdown` does not.
    ChildStdin,
    std::process::ChildStdin,
    Interest::WRITABLE
);
child_pipe!(
    /// The child's standard output, as tokio's `ChildStdout`: an `AsyncRead`.
    ChildStdout,
    std::process::ChildStdout,
    Interest::READABLE
);
child_pipe!(
    /// The child's standard error, as tokio's `ChildStderr`: an `AsyncRead`.
    ChildStderr,
    std::process::ChildStderr,
    Interest::READABLE
);

impl_pipe_async_write!(ChildStdin);
impl_pipe_async_read!(ChildStdout);
impl_pipe_async_read!(ChildStderr);
