//! Unix domain socket utility types, shaped like `tokio::net::unix`: the
//! address type, peer credentials and the halves a
//! [`UnixStream`](crate::net::UnixStream) splits into.
//!
//! The sockets themselves are [`UnixStream`](crate::net::UnixStream) and
//! [`UnixListener`](crate::net::UnixListener) in `ringline::net`. They run on
//! the same driver streams and listeners as TCP, on both backends.

mod listener;
mod socketaddr;
mod split;
mod stream;
mod ucred;

pub use listener::UnixListener;
pub use socketaddr::SocketAddr;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::UnixStream;
pub use ucred::{gid_t, pid_t, uid_t, UCred};
