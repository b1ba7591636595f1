//! The halves of a [`UnixStream`]: [`UnixStream::split`] borrows the stream
//! and gives [`ReadHalf`] and [`WriteHalf`]; [`UnixStream::into_split`]
//! consumes it and gives [`OwnedReadHalf`] and [`OwnedWriteHalf`], which may
//! move to different tasks and be put back together with
//! [`OwnedReadHalf::reunite`]. The same halves as TCP's (`net/halves.rs`).

use super::stream::UnixStream;
use super::SocketAddr;

crate::net::halves::stream_halves!(stream: UnixStream, addr: SocketAddr, path: "ringline::net::unix");
