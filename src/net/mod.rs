//! TCP and UDP networking, shaped like `tokio::net`.
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
pub mod tcp;
mod udp;

pub use addr::{lookup_host, ToSocketAddrs};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;

pub(crate) use addr::to_socket_addrs;
