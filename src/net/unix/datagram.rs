//! [`UnixDatagram`]: a Unix datagram socket.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use bytes::BufMut;
use socket2::{Domain, SockAddr, SockRef, Socket, Type};
use tokio::io::ReadBuf;

use super::socketaddr::{from_path, from_sock_addr, to_sock_addr};
use super::SocketAddr;
use crate::driver::datagram::{self, Datagram};
use crate::driver::poll::Direction;
use crate::driver::recv::read_into_buf_mut;
use crate::io::{Interest, Ready};

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
/// that receive and tasks that send; every task waiting in an `async`
/// method is woken when its turn may have come. Each `poll_*` method wakes
/// only the most recent caller.
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
    io: Datagram,
}

impl UnixDatagram {
    /// Creates a socket bound to `path`; on Linux a path starting with a NUL
    /// byte names the rest in the abstract namespace. A path that exists is
    /// `AddrInUse`.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
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
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_fd(Socket::new(Domain::UNIX, Type::DGRAM, None)?.into())
    }

    /// Creates an unnamed pair of sockets connected to each other.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = Socket::pair(Domain::UNIX, Type::DGRAM, None)?;
        Ok((UnixDatagram::from_fd(a.into())?, UnixDatagram::from_fd(b.into())?))
    }

    fn from_fd(fd: OwnedFd) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram { io: Datagram::new(fd)? })
    }

    /// Creates a `UnixDatagram` from a standard-library one, in either
    /// blocking mode: the runtime sets what it needs.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub fn from_std(datagram: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_fd(datagram.into())
    }

    /// Turns this socket back into a standard-library one, in non-blocking
    /// mode. Messages not yet received stay queued in the socket.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_fd().map(std::os::unix::net::UnixDatagram::from)
    }

    /// Connects the socket to `path`: `send` and `recv` then talk to that
    /// socket only. Nothing bound there is `NotFound`.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        SockRef::from(self).connect(&to_sock_addr(&from_path(path.as_ref())?)?)
    }

    /// Sends `buf` as one message to the connected peer; waits while the
    /// socket has no room.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped `send` has sent nothing.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, || datagram::send_to(self.io.as_fd(), buf, None)).await
    }

    /// Sends `buf` as one message to the connected peer, without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, || datagram::send_to(self.io.as_fd(), buf, None))
    }

    /// Polls to send `buf` as one message to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, || datagram::send_to(self.io.as_fd(), buf, None))
    }

    /// Sends `buf` as one message to the socket at `target`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped `send_to` has sent nothing.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = target_addr(target.as_ref())?;
        self.io.io(Direction::Write, || datagram::send_to(self.io.as_fd(), buf, Some(&target))).await
    }

    /// Sends `buf` as one message to the socket at `target`, without waiting.
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], target: P) -> io::Result<usize> {
        let target = target_addr(target.as_ref())?;
        self.io.try_io(Direction::Write, || datagram::send_to(self.io.as_fd(), buf, Some(&target)))
    }

    /// Polls to send `buf` as one message to the socket at `target`.
    pub fn poll_send_to<P: AsRef<Path>>(&self, cx: &mut Context<'_>, buf: &[u8], target: P) -> Poll<io::Result<usize>> {
        let target = target_addr(target.as_ref())?;
        self.io.poll_io(cx, Direction::Write, || datagram::send_to(self.io.as_fd(), buf, Some(&target)))
    }

    /// Receives one message into `buf`: its length (cut to `buf`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped `recv` has received nothing.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_from(buf).await.map(|(n, _)| n)
    }

    /// Receives one message into `buf`, without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_recv_from(buf).map(|(n, _)| n)
    }

    /// Polls to receive one message into `buf`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.poll_recv_from(cx, buf).map_ok(drop)
    }

    /// Receives one message into the spare capacity of `buf`, advancing it.
    /// A `Vec<u8>` or `BytesMut` grows by at least 64 bytes if it is full.
    pub async fn recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.recv_buf_from(buf).await.map(|(n, _)| n)
    }

    /// Receives one message into the spare capacity of `buf`, without waiting.
    pub fn try_recv_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.try_recv_buf_from(buf).map(|(n, _)| n)
    }

    /// Receives one message into `buf`: its length and its sender's address.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped `recv_from` has received nothing.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut buf = ReadBuf::new(buf);
        let from = self.io.io(Direction::Read, || datagram::recv_from(self.io.as_fd(), &mut buf)).await?;
        Ok((buf.filled().len(), from_sock_addr(&from)?))
    }

    /// Receives one message into `buf`, without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut buf = ReadBuf::new(buf);
        let from = self.try_recv_into(&mut buf)?;
        Ok((buf.filled().len(), from_sock_addr(&from)?))
    }

    /// Polls to receive one message into `buf`; ready with its sender.
    pub fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<SocketAddr>> {
        let from =
            std::task::ready!(self.io.poll_io(cx, Direction::Read, || datagram::recv_from(self.io.as_fd(), buf)))?;
        Poll::Ready(from_sock_addr(&from))
    }

    /// Receives one message into the spare capacity of `buf`, advancing it:
    /// its length and its sender's address.
    pub async fn recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        loop {
            match self.try_recv_buf_from(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable().await?,
                other => return other,
            }
        }
    }

    /// Receives one message into the spare capacity of `buf`, without waiting.
    pub fn try_recv_buf_from<B: BufMut>(&self, buf: &mut B) -> io::Result<(usize, SocketAddr)> {
        let mut from = None;
        let n = read_into_buf_mut(buf, |buf| {
            from = Some(self.try_recv_into(buf)?);
            Ok(buf.filled().len())
        })?;
        Ok((n, from_sock_addr(&from.expect("set on success"))?))
    }

    fn try_recv_into(&self, buf: &mut ReadBuf<'_>) -> io::Result<SockAddr> {
        self.io.try_io(Direction::Read, || datagram::recv_from(self.io.as_fd(), buf))
    }

    /// Waits until any of the readiness in `interest` holds and returns what
    /// holds of it. Readiness may be spurious: a `try_*` call may still say
    /// `WouldBlock`; then wait again.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Waits until a message may be received (see [`ready`](UnixDatagram::ready)).
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until a message may be sent (see [`ready`](UnixDatagram::ready)).
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for read readiness. Only the most recent caller is woken.
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read).map_ok(drop)
    }

    /// Polls for write readiness. Only the most recent caller is woken.
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write).map_ok(drop)
    }

    /// The address this socket is bound to (unnamed if none).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).local_addr()?)
    }

    /// The address of the connected peer; `NotConnected` if there is none.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        from_sock_addr(&SockRef::from(self).peer_addr()?)
    }

    /// Takes and clears the pending `SO_ERROR` of this socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        SockRef::from(self).take_error()
    }

    /// Shuts down the read, write or both halves of the socket.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        SockRef::from(self).shutdown(how)
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
