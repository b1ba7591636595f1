//! TCP utility types: the halves a [`TcpStream`] splits into.
//!
//! [`TcpStream::split`] borrows the stream and gives [`ReadHalf`] and
//! [`WriteHalf`]; [`TcpStream::into_split`] consumes it and gives
//! [`OwnedReadHalf`] and [`OwnedWriteHalf`], which may move to different tasks
//! (and so different workers) and be put back together with
//! [`OwnedReadHalf::reunite`].

use std::io;
use std::net::SocketAddr;

mod listener;
mod socket;
mod split;
mod stream;

pub use listener::TcpListener;
pub use socket::TcpSocket;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::TcpStream;

/// Converts a socket2 address into an IP socket address, as tokio does.
pub(crate) fn to_socket_addr(addr: socket2::SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid address family (not IPv4 or IPv6)"))
}

/// Tries `f` on each address in turn and returns the first success, else the
/// last error (tokio's rule for `bind` and `connect`).
pub(crate) async fn each_addr<T, F, Fut>(addrs: Vec<SocketAddr>, mut f: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in addrs {
        match f(addr).await {
            Ok(value) => return Ok(value),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
}
