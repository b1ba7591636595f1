//! TCP, UDP and Unix socket networking, shaped like `tokio::net`.
//!
//! Code written against tokio moves over by changing paths:
//! `tokio::net::TcpListener` becomes [`ringline::net::TcpListener`](TcpListener),
//! and so on. The types implement tokio's `AsyncRead`/`AsyncWrite`, so
//! `tokio::io::{AsyncReadExt, AsyncWriteExt}`, tokio-util codecs and
//! hyper-util's `TokioIo` work unchanged.
//!
//! Which kernel interface carries the bytes (io_uring or epoll/kqueue via mio)
//! is decided once per runtime and never shows here.

mod addr;
mod datagram_api;
mod halves;
mod ip_options;
mod raw_api;
mod stream_api;
pub mod tcp;
mod udp;
#[cfg(unix)]
pub mod unix;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{datagram::UnixDatagram, listener::UnixListener, socket::UnixSocket, stream::UnixStream};

pub(crate) use addr::to_socket_addrs;
