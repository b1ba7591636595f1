//! [`UnixDatagram`]: a Unix datagram socket.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use super::socketaddr::{from_path, from_sock_addr, to_sock_addr};
use super::SocketAddr;
use crate::driver::{self, Datagram};
use crate::net::datagram_api::{self, DatagramIo};
use crate::net::raw_api;

/// A Unix datagram socket: each `send` arrives as one message, whole, at
/// one `recv`.
///
/// Bind it to a path (or, on Linux, an abstract name) with
/// [`bind`](UnixDatagram::bind), make an unbound one with
/// [`unbound`](UnixDatagram::unbound), or a connected unnamed pair with
/// [`pair`](UnixDatagram::pair). A message longer than the buffer given to
/// `recv` is cut to fit and the rest is dropped, as with tokio.
///
/// `UnixDatagram` is `Send + Sync`: share it through an `Arc` between tasks
/// that receive and tasks that send (every task waiting to receive is woken
/// when a message arrives; one of them gets it). It runs on the same driver
/// datagram socket as [`UdpSocket`](crate::net::UdpSocket).
///
/// # Examples
///
/// ```no_run
/// use ringline::net::UnixDatagram;
///
/// # async fn dox() -> std::io::Result<()> {
/// let server = UnixDatagram::bind("/tmp/server.sock")?;
/// let client = UnixDatagram::bind("/tmp/client.sock")?;
/// client.send_to(b"ping", "/tmp/server.sock").await?;
/// let mut buf = [0; 64];
/// let (n, from) = server.recv_from(&mut buf).await?;
/// server.send_to(&buf[..n], from.as_pathname().unwrap()).await?;
/// # Ok(())
/// # }
/// ```
pub struct UnixDatagram {
    /// The socket, owned by the driver.
    io: Datagram,
    /// The state `try_io` and `async_io` keep (io_uring's watch of the fd).
    raw: driver::RawIo,
}

impl UnixDatagram {
    /// Creates a socket bound to `path`; on Linux a path starting with a NUL
    /// byte names the rest in the abstract namespace. A path that exists is
    /// `AddrInUse`.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let socket = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
        socket.bind(&to_sock_addr(&from_path(path.as_ref())?)?)?;
        UnixDatagram::from_fd(socket.into())
    }

    /// Creates a socket bound to no address: it can send (its messages come
    /// from an unnamed address, which cannot be answered) and, once
    /// connected, receive from its peer.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_fd(Socket::new(Domain::UNIX, Type::DGRAM, None)?.into())
    }

    /// Creates an unnamed pair of sockets connected to each other.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::DGRAM, None)?;
        Ok((UnixDatagram::from_fd(a.into())?, UnixDatagram::from_fd(b.into())?))
    }

    #[track_caller]
    pub(super) fn from_fd(fd: OwnedFd) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram { io: Datagram::new(fd)?, raw: driver::RawIo::default() })
    }

    /// Creates a `UnixDatagram` from a standard-library one, in either
    /// blocking mode: the runtime sets what it needs.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn from_std(datagram: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_fd(datagram.into())
    }

    /// Turns this socket back into a standard-library one, in non-blocking
    /// mode. Datagrams the runtime received but that were not read yet are
    /// lost, as with tokio.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_fd().map(std::os::unix::net::UnixDatagram::from)
    }

    /// Connects the socket to `path`: `send` and `recv` then talk to that
    /// socket only. Nothing bound there is `NotFound`.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        SockRef::from(self).connect(&to_sock_addr(&from_path(path.as_ref())?)?)
    }

    /// Sends `buf` as one message to the socket at `target`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped `send_to` has sent nothing.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = target_addr(target.as_ref())?;
        datagram_api::send_to(&self.io, buf, Some(&target)).await
    }

    /// Sends `buf` as one message to the socket at `target`, without waiting.
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = target_addr(target.as_ref())?;
        self.io.try_send_to(buf, Some(&target))
    }

    /// Polls to send `buf` as one message to the socket at `target`.
    pub fn poll_send_to<P: AsRef<Path>>(&self, cx: &mut Context<'_>, buf: &[u8], target: P) -> Poll<io::Result<usize>> {
        let target = target_addr(target.as_ref())?;
        datagram_api::poll_send_to(&self.io, cx, buf, Some(&target))
    }

    /// The address this socket is bound to (unnamed if none).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).local_addr()?)
    }

    /// The address of the connected peer; `NotConnected` if there is none.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).peer_addr()?)
    }

    /// Shuts down the read, write or both halves of the socket.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        SockRef::from(self).shutdown(how)
    }
}

/// Receiving, connected sends and readiness: the same as `UdpSocket`'s.
impl UnixDatagram {
    datagram_api::datagram_methods!(addr: SocketAddr, conv: |from: SockAddr| from_sock_addr(&from));
    raw_api::raw_io_methods!();
}

raw_api::impl_raw_socket!(UnixDatagram);

impl DatagramIo for UnixDatagram {
    fn datagram_io(&self) -> &driver::Datagram {
        &self.io
    }
}

/// The driver's form of a `send_to` target path.
fn target_addr(path: &Path) -> io::Result<SockAddr> {
    to_sock_addr(&from_path(path)?)
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// Same as [`UnixDatagram::from_std`].
    fn try_from(datagram: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(datagram)
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UnixDatagram");
        if let Ok(addr) = self.local_addr() {
            d.field("local", &addr);
        }
        if let Ok(peer) = self.peer_addr() {
            d.field("peer", &peer);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}
