//! [`UnixSocket`]: a Unix socket not yet connected, listening or used for
//! datagrams, to configure first.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, RawFd};
use std::path::Path;

use socket2::{Domain, Socket, Type};

use super::datagram::UnixDatagram;
use super::listener::UnixListener;
use super::socketaddr::{from_path, to_sock_addr};
use super::stream::UnixStream;

/// A Unix socket that has not become a [`UnixStream`], [`UnixListener`] or
/// [`UnixDatagram`] yet: bind it (or set options through its fd) first.
///
/// Creating, binding and configuring it needs no runtime; `listen`,
/// `connect` and `datagram` do.
///
/// # Examples
///
/// ```no_run
/// use ringline::net::UnixSocket;
///
/// # async fn dox() -> std::io::Result<()> {
/// let socket = UnixSocket::new_stream()?;
/// socket.bind("/tmp/server.sock")?;
/// let listener = socket.listen(1024)?;
///
/// let client = UnixSocket::new_stream()?.connect("/tmp/server.sock").await?;
/// # Ok(())
/// # }
/// ```
pub struct UnixSocket {
    inner: Socket,
}

impl UnixSocket {
    /// Creates a Unix datagram socket, to turn into a [`UnixDatagram`].
    pub fn new_datagram() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::DGRAM)
    }

    /// Creates a Unix stream socket, to turn into a [`UnixListener`] or a
    /// [`UnixStream`].
    pub fn new_stream() -> io::Result<UnixSocket> {
        UnixSocket::new(Type::STREAM)
    }

    fn new(ty: Type) -> io::Result<UnixSocket> {
        Ok(UnixSocket { inner: Socket::new(Domain::UNIX, ty, None)? })
    }

    /// Whether this is a datagram socket (else a stream socket).
    fn is_datagram(&self) -> io::Result<bool> {
        Ok(self.inner.r#type()? == Type::DGRAM)
    }

    /// Binds the socket to `path` (on Linux, a path starting with a NUL byte
    /// names the rest in the abstract namespace). A path that exists is
    /// `AddrInUse`.
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.inner.bind(&to_sock_addr(&from_path(path.as_ref())?)?)
    }

    /// Starts listening with the given `backlog`, turning a stream socket
    /// into a [`UnixListener`]; a datagram socket is an error.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        if self.is_datagram()? {
            return Err(io::Error::other("listen cannot be called on a datagram socket"));
        }
        self.inner.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
        UnixListener::from_fd(self.inner.into())
    }

    /// Connects a stream socket to `path`, turning it into a [`UnixStream`];
    /// a datagram socket is an error (connect its [`UnixDatagram`] instead).
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        if self.is_datagram()? {
            return Err(io::Error::other("connect cannot be called on a datagram socket"));
        }
        UnixStream::connect_fd(self.inner.into(), &from_path(path.as_ref())?).await
    }

    /// Turns a datagram socket into a [`UnixDatagram`]; a stream socket is
    /// an error.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        if !self.is_datagram()? {
            return Err(io::Error::other("datagram cannot be called on a stream socket"));
        }
        UnixDatagram::from_fd(self.inner.into())
    }
}

impl fmt::Debug for UnixSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixSocket").field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl FromRawFd for UnixSocket {
    /// Wraps a raw Unix socket fd, as tokio's does.
    ///
    /// # Safety
    ///
    /// `fd` must be an open Unix socket the caller owns; ownership moves to
    /// the `UnixSocket`, which closes it.
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        // SAFETY: the caller hands over an open socket fd it owns, as this
        // function's contract (and `Socket::from_raw_fd`'s) requires.
        let inner = unsafe { Socket::from_raw_fd(fd) };
        UnixSocket { inner }
    }
}

impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.inner.into_raw_fd()
    }
}
