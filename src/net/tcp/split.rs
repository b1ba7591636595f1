//! The halves of a [`TcpStream`]: [`TcpStream::split`] borrows the stream and
//! gives [`ReadHalf`] and [`WriteHalf`]; [`TcpStream::into_split`] consumes it
//! and gives [`OwnedReadHalf`] and [`OwnedWriteHalf`], which may move to
//! different tasks (and so different workers) and be put back together with
//! [`OwnedReadHalf::reunite`]. The halves themselves are shared with
//! `net::unix` (see `net/halves.rs`); only peeking is TCP's own.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::TcpStream;

crate::net::halves::stream_halves!(stream: TcpStream, addr: SocketAddr, path: "ringline::net::tcp");

/// `peek` and `poll_peek` of a read half, from its stream.
macro_rules! peek_methods {
    () => {
        /// Polls to receive data without removing it; see
        /// [`TcpStream::poll_peek`].
        pub fn poll_peek(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
            self.as_ref().poll_peek(cx, buf)
        }

        /// Receives data without removing it; see [`TcpStream::peek`].
        pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut buf = ReadBuf::new(buf);
            poll_fn(|cx| self.poll_peek(cx, &mut buf)).await
        }
    };
}

impl ReadHalf<'_> {
    peek_methods!();
}

impl OwnedReadHalf {
    peek_methods!();
}
