//! [`UnixListener`]: a Unix socket listening for connections.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{ready, Context, Poll};

use socket2::{Domain, SockRef, Socket, Type};

use super::socketaddr::{from_path, from_sock_addr, to_sock_addr};
use super::stream::UnixStream;
use super::SocketAddr;
use crate::driver;

/// The backlog `bind` listens with, as tokio (through mio) does.
const DEFAULT_BACKLOG: i32 = 1024;

/// A Unix socket server, listening for connections.
///
/// Bind it with [`UnixListener::bind`], then [`accept`](UnixListener::accept)
/// connections in a loop. Each accepted [`UnixStream`] may be moved into a
/// task on any worker. As with tokio (and the OS), the socket file stays in
/// the file system when the listener is dropped: remove it yourself.
///
/// # Examples
///
/// ```no_run
/// use ringline::net::UnixListener;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # async fn dox() -> std::io::Result<()> {
/// let listener = UnixListener::bind("/tmp/echo.sock")?;
/// loop {
///     let (mut stream, _peer) = listener.accept().await?;
///     ringline::spawn(async move {
///         let mut buf = [0; 1024];
///         while let Ok(n) = stream.read(&mut buf).await {
///             if n == 0 || stream.write_all(&buf[..n]).await.is_err() {
///                 break;
///             }
///         }
///     });
/// }
/// # }
/// ```
pub struct UnixListener {
    io: driver::Listener,
}

impl UnixListener {
    /// Creates a listener bound to `path`.
    ///
    /// On Linux a path starting with a NUL byte names the rest in the
    /// abstract namespace, as with tokio. Binding a path that already exists
    /// (a socket file left behind included) fails with `AddrInUse`.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::bind_addr(&from_path(path.as_ref())?)
    }

    /// Creates a listener bound to `addr` (a path or, on Linux, an abstract
    /// name).
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn bind_addr(addr: &SocketAddr) -> io::Result<UnixListener> {
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        socket.bind(&to_sock_addr(addr)?)?;
        socket.listen(DEFAULT_BACKLOG)?;
        UnixListener::from_fd(socket.into())
    }

    #[track_caller]
    pub(super) fn from_fd(fd: OwnedFd) -> io::Result<UnixListener> {
        Ok(UnixListener { io: driver::Listener::new(fd)? })
    }

    /// Accepts a new incoming connection: the stream and the peer's address
    /// (usually unnamed).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if dropped before it completes, no connection is lost;
    /// connections that arrive meanwhile wait for the next call.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls to accept a new incoming connection.
    ///
    /// Returns `Poll::Pending` and arranges for the task to be woken when no
    /// connection is ready. Every task waiting on the listener is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (fd, peer) = ready!(self.io.poll_accept(cx))?;
        let peer = from_sock_addr(&peer)?;
        Poll::Ready(Ok((UnixStream::from_io(self.io.stream(fd)?), peer)))
    }

    /// Creates a `UnixListener` from a bound, listening standard-library one.
    ///
    /// The socket may be in blocking or non-blocking mode: the runtime sets
    /// what its backend needs.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_fd(listener.into())
    }

    /// Turns this listener back into a standard-library one, in non-blocking
    /// mode. Connections accepted by the runtime but not yet returned by
    /// [`accept`](UnixListener::accept) are closed.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_fd().map(std::os::unix::net::UnixListener::from)
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).local_addr()?)
    }

    /// Takes and clears the pending `SO_ERROR` of this socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self).take_error()
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// Same as [`UnixListener::from_std`].
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixListener");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}
