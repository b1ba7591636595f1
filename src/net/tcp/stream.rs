//! [`TcpStream`]: a connected TCP socket.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::task::{Context, Poll};
use std::time::Duration;

use socket2::{Domain, SockRef, Socket, Type};
use tokio::io::ReadBuf;

use super::{each_addr, split, to_socket_addr};
use super::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use crate::driver;
use crate::net::raw_api;
use crate::net::stream_api::{self, StreamIo};
use crate::net::{to_socket_addrs, ToSocketAddrs};
use crate::runtime::coop;

/// A TCP stream between a local and a remote socket.
///
/// Create one with [`connect`](TcpStream::connect) or get one from
/// [`TcpListener::accept`](crate::net::TcpListener::accept). Read and write it
/// through tokio's [`AsyncReadExt`](tokio::io::AsyncReadExt) and
/// [`AsyncWriteExt`](tokio::io::AsyncWriteExt). A `TcpStream` is `Send + Sync`:
/// it may move to a task on any worker at any time.
///
/// Dropping the stream closes it once the bytes already written have been
/// handed to the kernel. To half-close (the peer reads end-of-file but may
/// still send), call `shutdown()` from `AsyncWriteExt`.
///
/// # Examples
///
/// ```no_run
/// use ringline::net::TcpStream;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # async fn dox() -> std::io::Result<()> {
/// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
/// stream.write_all(b"hello world!").await?;
/// let mut reply = [0; 12];
/// stream.read_exact(&mut reply).await?;
/// # Ok(())
/// # }
/// ```
pub struct TcpStream {
    /// The connected socket, owned by the driver.
    pub(super) io: driver::Stream,
    /// The state `try_io` and `async_io` keep (io_uring's watch of the fd).
    raw: driver::RawIo,
}

impl TcpStream {
    /// Opens a TCP connection to a remote host.
    ///
    /// `addr` may resolve to several addresses; each is tried in turn until
    /// one connects. If none does, the error from the last attempt is
    /// returned (`ConnectionRefused` when nothing listens on the port).
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let addrs = to_socket_addrs(addr).await?;
        each_addr(addrs, |addr| async move {
            let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
            TcpStream::connect_fd(socket.into(), addr).await
        })
        .await
    }

    /// Connects a fresh (possibly bound, possibly configured) socket.
    pub(crate) async fn connect_fd(fd: OwnedFd, addr: SocketAddr) -> io::Result<TcpStream> {
        driver::Stream::connect(fd, &addr.into()).await.map(TcpStream::from_io)
    }

    pub(crate) fn from_io(io: driver::Stream) -> TcpStream {
        TcpStream { io, raw: driver::RawIo::default() }
    }

    /// Creates a `TcpStream` from a connected standard-library stream.
    ///
    /// The socket may be in blocking or non-blocking mode: the runtime sets
    /// what its backend needs.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn dox() -> std::io::Result<()> {
    /// let std_stream = std::net::TcpStream::connect("127.0.0.1:34254")?;
    /// let stream = ringline::net::TcpStream::from_std(std_stream)?;
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        driver::Stream::new(stream.into()).map(TcpStream::from_io)
    }

    /// Turns this stream back into a standard-library one, in non-blocking
    /// mode (call `set_nonblocking(false)` for blocking use).
    ///
    /// Bytes the runtime already received but that were not read yet are
    /// lost, as with tokio. Bytes written but not yet sent are still sent.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_fd().map(std::net::TcpStream::from)
    }

    /// The local address of this end of the connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        to_socket_addr(SockRef::from(self).local_addr()?)
    }

    /// The address of the remote peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        to_socket_addr(SockRef::from(self).peer_addr()?)
    }

    /// Takes and clears the pending `SO_ERROR` of this socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self).take_error()
    }

    /// Receives data without removing it: the next read returns it again.
    ///
    /// Waits until at least one byte is available; `Ok(0)` means the peer
    /// closed its side (or `buf` is empty).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn dox(stream: ringline::net::TcpStream) -> std::io::Result<()> {
    /// let mut buf = [0; 16];
    /// let n = stream.peek(&mut buf).await?;
    /// println!("next bytes: {:?}", &buf[..n]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        poll_fn(|cx| coop::poll_io(cx, |cx| self.io.poll_peek(cx, &mut buf))).await
    }

    /// Polls to receive data without removing it; on `Ready(Ok(n))` the `n`
    /// bytes are filled into `buf`. Only the waker of the most recent call is
    /// woken.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
        coop::poll_io(cx, |cx| self.io.poll_peek(cx, buf))
    }

    /// Whether `TCP_NODELAY` is set (Nagle's algorithm disabled).
    pub fn nodelay(&self) -> io::Result<bool> {
        SockRef::from(self).tcp_nodelay()
    }

    /// Sets `TCP_NODELAY`: with `true`, segments are sent as soon as possible
    /// even when small.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        SockRef::from(self).set_tcp_nodelay(nodelay)
    }

    /// Whether `TCP_QUICKACK` is set: ACKs are sent at once rather than
    /// delayed. The kernel may clear it on its own later.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia", target_os = "cygwin"))]
    pub fn quickack(&self) -> io::Result<bool> {
        SockRef::from(self).tcp_quickack()
    }

    /// Sets `TCP_QUICKACK`: with `true`, ACKs go out at once instead of
    /// being delayed (not permanent: the kernel may leave quick-ack mode).
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia", target_os = "cygwin"))]
    pub fn set_quickack(&self, quickack: bool) -> io::Result<()> {
        SockRef::from(self).set_tcp_quickack(quickack)
    }

    /// The `SO_LINGER` option of this socket.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        SockRef::from(self).linger()
    }

    /// Sets `SO_LINGER`.
    ///
    /// Deprecated as in tokio: a non-zero linger makes closing the socket
    /// block a thread. `Some(Duration::ZERO)` (see
    /// [`set_zero_linger`](TcpStream::set_zero_linger)) makes close reset the
    /// connection instead of finishing it gracefully.
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        SockRef::from(self).set_linger(dur)
    }

    /// Sets `SO_LINGER` to zero: closing the socket resets the connection
    /// (the peer sees `ConnectionReset`) instead of finishing it gracefully.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        SockRef::from(self).set_linger(Some(Duration::ZERO))
    }

    /// The `IP_TTL` option of this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        SockRef::from(self).ttl_v4()
    }

    /// Sets `IP_TTL`: the time-to-live of every packet sent from this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(self).set_ttl_v4(ttl)
    }

    /// Splits the stream into a read half and a write half borrowing it, to
    /// read and write concurrently within one task.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits the stream into owned halves that may move to different tasks.
    ///
    /// Dropping the [`OwnedWriteHalf`] half-closes the write direction; put
    /// the halves back together with [`OwnedReadHalf::reunite`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    ///
    /// # async fn dox(stream: ringline::net::TcpStream) -> std::io::Result<()> {
    /// let (mut rd, mut wr) = stream.into_split();
    /// ringline::spawn(async move { wr.write_all(b"ping").await });
    /// let mut buf = [0; 4];
    /// rd.read_exact(&mut buf).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::split_owned(self)
    }
}

/// Readiness and non-blocking I/O: wait with `ready`, `readable` or
/// `writable`, then call a `try_*` method, which never waits.
impl TcpStream {
    stream_api::stream_methods!("ringline::net::TcpStream");
    raw_api::raw_io_methods!();
}

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// Same as [`TcpStream::from_std`].
    fn try_from(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(stream)
    }
}

stream_api::impl_async_read!(TcpStream);
stream_api::impl_async_write!(TcpStream);
stream_api::impl_as_fd!(TcpStream);
raw_api::impl_raw_socket!(TcpStream);

impl StreamIo for TcpStream {
    fn stream_io(&self) -> &driver::Stream {
        &self.io
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        if let Ok(peer) = self.peer_addr() {
            d.field("peer", &peer);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRef<TcpStream> for TcpStream {
    fn as_ref(&self) -> &TcpStream {
        self
    }
}
