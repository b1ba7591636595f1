//! Unix domain socket utility types, shaped like `tokio::net::unix`: the
//! address type, peer credentials and the halves a
//! [`UnixStream`](crate::net::UnixStream) splits into.
//!
//! The sockets themselves are [`UnixStream`](crate::net::UnixStream),
//! [`UnixListener`](crate::net::UnixListener),
//! [`UnixDatagram`](crate::net::UnixDatagram) and
//! [`UnixSocket`](crate::net::UnixSocket) in `ringline::net`. Streams and
//! listeners run on the same driver objects as TCP, datagrams on the same
//! as UDP, on both backends.

pub(crate) mod datagram;
pub(crate) mod listener;
pub mod pipe;
pub(crate) mod socket;
mod socketaddr;
mod split;
pub(crate) mod stream;
mod ucred;

pub use socketaddr::SocketAddr;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use ucred::{gid_t, pid_t, uid_t, UCred};
