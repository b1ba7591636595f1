//! Unix-only I/O: tokio's `io::unix` module, [`AsyncFd`] and its guards,
//! on both backends.

mod async_fd;
mod guard;

pub use async_fd::{AsyncFd, AsyncFdTryNewError};
pub use guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
