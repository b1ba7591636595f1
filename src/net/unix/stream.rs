//! [`UnixStream`]: a connected Unix stream socket.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use socket2::{Domain, SockRef, Socket, Type};

use super::socketaddr::{from_path, from_sock_addr, to_sock_addr};
use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::{ucred, SocketAddr, UCred};
use crate::driver;
use crate::net::raw_api;
use crate::net::stream_api::{self, StreamIo};

/// A stream between two Unix sockets: a path in the file system, a name in
/// Linux's abstract namespace, or an unnamed pair from [`pair`](UnixStream::pair).
///
/// It reads and writes like [`TcpStream`](crate::net::TcpStream): through
/// tokio's [`AsyncReadExt`](tokio::io::AsyncReadExt) and
/// [`AsyncWriteExt`](tokio::io::AsyncWriteExt), or with `ready` and the
/// `try_*` methods. `shutdown()` half-closes (the peer reads end-of-file but
/// may still send). A `UnixStream` is `Send + Sync`: it may move to a task on
/// any worker at any time.
///
/// # Examples
///
/// ```no_run
/// use ringline::net::UnixStream;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # async fn dox() -> std::io::Result<()> {
/// let mut stream = UnixStream::connect("/run/my-service.sock").await?;
/// stream.write_all(b"hello").await?;
/// let mut reply = Vec::new();
/// stream.read_to_end(&mut reply).await?;
/// # Ok(())
/// # }
/// ```
pub struct UnixStream {
    /// The connected socket, owned by the driver.
    io: driver::Stream,
    /// The state `try_io` and `async_io` keep (io_uring's watch of the fd).
    raw: driver::RawIo,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// On Linux a path starting with a NUL byte names the rest in the
    /// abstract namespace, as with tokio. Connecting to a path nothing is
    /// bound to fails with `NotFound`; to a socket nothing listens on, with
    /// `ConnectionRefused`.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let addr = from_path(path.as_ref())?;
        UnixStream::connect_addr(&addr).await
    }

    /// Connects to the socket named by `addr` (a path or, on Linux, an
    /// abstract name).
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub async fn connect_addr(addr: &SocketAddr) -> io::Result<UnixStream> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        UnixStream::connect_fd(socket.into(), addr).await
    }

    /// Connects a fresh (possibly bound) stream socket to `addr`.
    pub(super) async fn connect_fd(fd: OwnedFd, addr: &SocketAddr) -> io::Result<UnixStream> {
        driver::Stream::connect(fd, &to_sock_addr(addr)?).await.map(UnixStream::from_io)
    }

    /// Creates an unnamed pair of connected streams.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::STREAM, None)?;
        Ok((UnixStream::from_fd(a.into())?, UnixStream::from_fd(b.into())?))
    }

    /// Wraps a connected socket for the current runtime's backend.
    #[track_caller]
    pub(super) fn from_fd(fd: OwnedFd) -> io::Result<UnixStream> {
        driver::Stream::new(fd).map(UnixStream::from_io)
    }

    pub(super) fn from_io(io: driver::Stream) -> UnixStream {
        UnixStream { io, raw: driver::RawIo::default() }
    }

    /// Creates a `UnixStream` from a connected standard-library stream.
    ///
    /// The socket may be in blocking or non-blocking mode: the runtime sets
    /// what its backend needs.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_fd(stream.into())
    }

    /// Turns this stream back into a standard-library one, in non-blocking
    /// mode (call `set_nonblocking(false)` for blocking use).
    ///
    /// Bytes the runtime already received but that were not read yet are
    /// lost, as with tokio. Bytes written but not yet sent are still sent.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_fd().map(std::os::unix::net::UnixStream::from)
    }

    /// The address of this end of the connection (usually unnamed for the
    /// connecting end).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).local_addr()?)
    }

    /// The address of the other end of the connection.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).peer_addr()?)
    }

    /// The credentials of the process that called `connect` or `pair` at the
    /// other end, as the kernel recorded them then.
    pub fn peer_cred(&self) -> io::Result<UCred> {
        ucred::peer_cred(self)
    }

    /// Takes and clears the pending `SO_ERROR` of this socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self).take_error()
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
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::split_owned(self)
    }
}

/// Readiness and non-blocking I/O: wait with `ready`, `readable` or
/// `writable`, then call a `try_*` method, which never waits.
impl UnixStream {
    stream_api::stream_methods!("ringline::net::UnixStream");
    raw_api::raw_io_methods!();
}

impl TryFrom<std::os::unix::net::UnixStream> for UnixStream {
    type Error = io::Error;

    /// Same as [`UnixStream::from_std`].
    fn try_from(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(stream)
    }
}

stream_api::impl_async_read!(UnixStream);
stream_api::impl_async_write!(UnixStream);
stream_api::impl_as_fd!(UnixStream);
raw_api::impl_raw_socket!(UnixStream);

impl StreamIo for UnixStream {
    fn stream_io(&self) -> &driver::Stream {
        &self.io
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixStream");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(peer) = self.peer_addr() {
            d.field("peer", &peer);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRef<UnixStream> for UnixStream {
    fn as_ref(&self) -> &UnixStream {
        self
    }
}
