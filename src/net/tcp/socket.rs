//! [`TcpSocket`]: a TCP socket not yet connected or listening, to configure
//! before it becomes a [`TcpStream`] or a [`TcpListener`].

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::Duration;

use socket2::{Domain, Socket, Type};

use super::{to_socket_addr, TcpListener, TcpStream};

/// A TCP socket that has not been connected or set listening yet.
///
/// Use it to set options that must be in place before `connect` or `listen`
/// (`SO_REUSEPORT`, buffer sizes, binding a client to a local address), then
/// turn it into a [`TcpStream`] with [`connect`](TcpSocket::connect) or a
/// [`TcpListener`] with [`listen`](TcpSocket::listen). Creating and
/// configuring it needs no runtime; `connect` and `listen` do.
///
/// # Examples
///
/// ```no_run
/// use ringline::net::TcpSocket;
///
/// # async fn dox() -> std::io::Result<()> {
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// socket.bind("127.0.0.1:8080".parse().unwrap())?;
/// let listener = socket.listen(1024)?;
///
/// let client = TcpSocket::new_v4()?;
/// client.set_nodelay(true)?;
/// let stream = client.connect(listener.local_addr()?).await?;
/// # Ok(())
/// # }
/// ```
pub struct TcpSocket {
    inner: Socket,
}

/// `IP_TOS`, `IPV6_TCLASS` and `SO_BINDTODEVICE`, as tokio names them.
impl TcpSocket {
    crate::net::ip_options::ip_options!();

    /// The socket, for the shared option methods.
    fn sock(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(&self.inner)
    }
}

impl TcpSocket {
    /// Creates an IPv4 TCP socket.
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV4)
    }

    /// Creates an IPv6 TCP socket.
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(Domain::IPV6)
    }

    fn new(domain: Domain) -> io::Result<TcpSocket> {
        let inner = Socket::new(domain, Type::STREAM, None)?;
        Ok(TcpSocket { inner })
    }

    /// Sets `SO_KEEPALIVE`.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.inner.set_keepalive(keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.inner.keepalive()
    }

    /// Sets `SO_REUSEADDR`: a listener may bind a port that still has
    /// connections in `TIME_WAIT`.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.inner.set_reuse_address(reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.inner.reuse_address()
    }

    /// Sets `SO_REUSEPORT`: several sockets may bind the same address and
    /// port (on Linux the kernel spreads connections across the listeners).
    #[cfg(all(unix, not(target_os = "solaris"), not(target_os = "illumos")))]
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.inner.set_reuse_port(reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    #[cfg(all(unix, not(target_os = "solaris"), not(target_os = "illumos")))]
    pub fn reuseport(&self) -> io::Result<bool> {
        self.inner.reuse_port()
    }

    /// Sets `SO_SNDBUF`, the size of the kernel's send buffer. The kernel may
    /// round or double the value.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_send_buffer_size(size as usize)
    }

    /// The `SO_SNDBUF` size.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.inner.send_buffer_size().map(saturate)
    }

    /// Sets `SO_RCVBUF`, the size of the kernel's receive buffer. The kernel
    /// may round or double the value.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.inner.set_recv_buffer_size(size as usize)
    }

    /// The `SO_RCVBUF` size.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.inner.recv_buffer_size().map(saturate)
    }

    /// Sets `SO_LINGER`. Deprecated as in tokio: a non-zero linger makes
    /// closing the socket block a thread.
    #[deprecated = "`SO_LINGER` causes the socket to block the thread on drop"]
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.inner.set_linger(dur)
    }

    /// Sets `SO_LINGER` to zero: closing the socket resets the connection.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.inner.set_linger(Some(Duration::ZERO))
    }

    /// The `SO_LINGER` option.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.inner.linger()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_tcp_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.tcp_nodelay()
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        to_socket_addr(self.inner.local_addr()?)
    }

    /// Takes and clears the pending `SO_ERROR` of this socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Binds the socket to `addr`. A port in use is an `AddrInUse` error.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.bind(&addr.into())
    }

    /// Connects the socket to `addr`, turning it into a [`TcpStream`].
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connect_fd(self.inner.into(), addr).await
    }

    /// Starts listening with the given `backlog`, turning the socket into a
    /// [`TcpListener`].
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.inner.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        TcpListener::from_fd(self.inner.into())
    }

    /// Wraps a standard-library stream that has not been connected yet (made
    /// with socket2, say) to configure and connect it.
    pub fn from_std_stream(std_stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket { inner: Socket::from(OwnedFd::from(std_stream)) }
    }
}

/// Kernel buffer sizes fit in `u32`; saturate rather than wrap if not.
fn saturate(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket").field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for TcpSocket {
    /// Wraps a raw socket fd, as tokio's does.
    ///
    /// # Safety
    ///
    /// `fd` must be an open socket the caller owns; ownership moves to the
    /// `TcpSocket`, which closes it.
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        // SAFETY: the caller hands over an open socket fd it owns, as this
        // function's contract (and `Socket::from_raw_fd`'s) requires.
        let inner = unsafe { Socket::from_raw_fd(fd) };
        TcpSocket { inner }
    }
}

impl IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}
