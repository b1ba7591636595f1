//! Unix-only I/O: tokio's `io::unix` module, [`AsyncFd`] and its guards,
//! on both backends.

mod async_fd;
mod guard;
mod pipe_fd;

pub use async_fd::{AsyncFd, AsyncFdRegisterError};
pub use guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
pub(crate) use pipe_fd::{impl_pipe_async_read, impl_pipe_async_write, impl_pipe_fd_traits, PipeFd};

/// The error's name before tokio 1.54.
#[deprecated(note = "use `AsyncFdRegisterError` instead")]
pub type AsyncFdTryNewError<T> = AsyncFdRegisterError<T>;
