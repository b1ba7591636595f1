//! [`TcpListener`]: a socket listening for TCP connections.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

use socket2::{Domain, SockRef, Socket, Type};

use super::{each_addr, to_socket_addr, TcpStream};
use crate::driver;
use crate::net::{to_socket_addrs, ToSocketAddrs};
use crate::runtime::coop;

/// The backlog `bind` listens with, as tokio (through mio) does.
const DEFAULT_BACKLOG: i32 = 1024;

/// A TCP socket server, listening for connections.
///
/// Bind it with [`TcpListener::bind`], then [`accept`](TcpListener::accept)
/// connections in a loop. Each accepted [`TcpStream`] may be moved into a task
/// on any worker.
///
/// # Examples
///
/// ```no_run
/// use ringline::net::TcpListener;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # async fn dox() -> std::io::Result<()> {
/// let listener = TcpListener::bind("127.0.0.1:8080").await?;
/// loop {
///     let (mut socket, _peer) = listener.accept().await?;
///     ringline::spawn(async move {
///         let mut buf = [0; 1024];
///         while let Ok(n) = socket.read(&mut buf).await {
///             if n == 0 || socket.write_all(&buf[..n]).await.is_err() {
///                 break;
///             }
///         }
///     });
/// }
/// # }
/// ```
pub struct TcpListener {
    io: driver::Listener,
}

impl TcpListener {
    /// Creates a listener bound to `addr`, ready to accept connections.
    ///
    /// `addr` may resolve to several addresses; each is tried in turn and the
    /// first that binds wins. If none does, the error from the last is
    /// returned. Like tokio, the socket gets `SO_REUSEADDR` and a backlog of
    /// 1024. Binding to port 0 picks a free port; see
    /// [`local_addr`](TcpListener::local_addr).
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn dox() -> std::io::Result<()> {
    /// let listener = ringline::net::TcpListener::bind("127.0.0.1:0").await?;
    /// println!("listening on {}", listener.local_addr()?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let addrs = to_socket_addrs(addr).await?;
        each_addr(addrs, |addr| async move { TcpListener::bind_addr(addr) }).await
    }

    #[track_caller]
    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.bind(&addr.into())?;
        socket.listen(DEFAULT_BACKLOG)?;
        TcpListener::from_fd(socket.into())
    }

    /// Wraps a bound, listening socket for the current runtime's backend.
    #[track_caller]
    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<TcpListener> {
        Ok(TcpListener { io: driver::Listener::new(fd)? })
    }

    /// Accepts a new incoming connection: the stream and the peer's address.
    ///
    /// # Cancel safety
    ///
    /// This method is cancel safe: if it is dropped before it completes (as
    /// a losing `select!` branch, say), no connection is lost; connections
    /// that arrive meanwhile wait for the next call.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls to accept a new incoming connection.
    ///
    /// Returns `Poll::Pending` and arranges for the task to be woken when no
    /// connection is ready. Every task waiting on the listener is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (fd, peer) = ready!(coop::poll_io(cx, |cx| self.io.poll_accept(cx)))?;
        let peer = to_socket_addr(peer)?;
        let stream = TcpStream::from_io(self.io.stream(fd)?);
        Poll::Ready(Ok((stream, peer)))
    }

    /// Creates a `TcpListener` from a bound, listening standard-library one.
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
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let listener = ringline::net::TcpListener::from_std(std_listener)?;
    /// # Ok(())
    /// # }
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_fd(listener.into())
    }

    /// Turns this listener back into a standard-library one, in non-blocking
    /// mode (call `set_nonblocking(false)` to use it with blocking calls).
    /// Connections accepted by the runtime but not yet returned by
    /// [`accept`](TcpListener::accept) are closed.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_fd().map(std::net::TcpListener::from)
    }

    /// The local address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        to_socket_addr(SockRef::from(self).local_addr()?)
    }

    /// The value of the `IP_TTL` option on this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        SockRef::from(self).ttl_v4()
    }

    /// Sets the `IP_TTL` option: the time-to-live of every packet sent from
    /// this socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(self).set_ttl_v4(ttl)
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// Same as [`TcpListener::from_std`].
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}
