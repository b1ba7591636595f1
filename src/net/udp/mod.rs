//! [`UdpSocket`]: a UDP socket, shaped like `tokio::net::UdpSocket`.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{ready, Context, Poll};

use socket2::{Domain, Socket, Type};
use tokio::io::ReadBuf;

use super::tcp::{each_addr, to_socket_addr};
use crate::driver::{Datagram, RawIo};
use crate::net::datagram_api::{self, DatagramIo};
use crate::net::raw_api;
use crate::net::{to_socket_addrs, ToSocketAddrs};

mod options;

/// A UDP socket, like `tokio::net::UdpSocket`.
///
/// Not connected, it sends to and receives from any address
/// ([`send_to`](UdpSocket::send_to), [`recv_from`](UdpSocket::recv_from));
/// after [`connect`](UdpSocket::connect) it talks to one peer
/// ([`send`](UdpSocket::send), [`recv`](UdpSocket::recv)). Each receive
/// returns one datagram: a buffer smaller than the datagram gets its first
/// bytes and the rest is dropped, as with tokio.
///
/// The socket is `Send + Sync`: share it through an `Arc` to receive and send
/// from several tasks at once (every task waiting to receive is woken when a
/// datagram arrives; one of them gets it).
///
/// # Examples
///
/// ```no_run
/// use ringline::net::UdpSocket;
///
/// # async fn dox() -> std::io::Result<()> {
/// let sock = UdpSocket::bind("127.0.0.1:8080").await?;
/// let mut buf = [0; 1024];
/// loop {
///     let (len, addr) = sock.recv_from(&mut buf).await?;
///     sock.send_to(&buf[..len], addr).await?;
/// }
/// # }
/// ```
pub struct UdpSocket {
    /// The socket, owned by the driver.
    io: Datagram,
    /// The state `try_io` and `async_io` keep (io_uring's watch of the fd).
    raw: RawIo,
}

impl UdpSocket {
    /// Creates a UDP socket bound to `addr` (port 0 picks a free one).
    ///
    /// `addr` may resolve to several addresses; the first that binds wins,
    /// else the last error is returned.
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let addrs = to_socket_addrs(addr).await?;
        each_addr(addrs, |addr| async move {
            let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
            socket.bind(&addr.into())?;
            UdpSocket::from_fd(socket.into())
        })
        .await
    }

    #[track_caller]
    fn from_fd(fd: OwnedFd) -> io::Result<UdpSocket> {
        Ok(UdpSocket { io: Datagram::new(fd)?, raw: RawIo::default() })
    }

    /// Creates a `UdpSocket` from a bound standard-library one, in blocking
    /// or non-blocking mode (the runtime sets what its backend needs).
    ///
    /// # Panics
    ///
    /// Outside the context of a ringline runtime.
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_fd(socket.into())
    }

    /// Turns this socket back into a standard-library one, in non-blocking
    /// mode. Datagrams received but not yet read are lost, as with tokio.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_fd().map(std::net::UdpSocket::from)
    }

    /// Connects the socket to `addr`: `send` and `recv` then talk to that
    /// peer only. Each resolved address is tried in turn.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let addrs = to_socket_addrs(addr).await?;
        each_addr(addrs, |addr| async move { self.sock().connect(&addr.into()) }).await
    }

    /// Sends `buf` to `target` (the first address it resolves to).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = to_socket_addrs(target)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to"))?;
        datagram_api::send_to(&self.io, buf, Some(&target.into())).await
    }

    /// Receives one datagram into `buf` and its sender, leaving it queued:
    /// the next receive returns it again.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let mut buf = ReadBuf::new(buf);
        let from = poll_fn(|cx| self.poll_peek_from(cx, &mut buf)).await?;
        Ok((buf.filled().len(), from))
    }

    /// Like [`peek_from`](UdpSocket::peek_from) without the address.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.peek_from(buf).await.map(|(n, _)| n)
    }

    /// The sender of the next datagram, which stays queued.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        poll_fn(|cx| self.poll_peek_sender(cx)).await
    }

    /// Polls for the sender of the next datagram, which stays queued.
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.poll_peek_from(cx, &mut ReadBuf::new(&mut []))
    }

    /// The sender of the next datagram without waiting: `WouldBlock` when
    /// none is there.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.try_recv_with(&mut [], true).map(|(_, from)| from)
    }

    /// Polls to peek at the next datagram from the connected peer.
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.poll_peek_from(cx, buf).map_ok(drop)
    }

    /// Polls to peek at the next datagram; ready with its sender.
    pub fn poll_peek_from(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<SocketAddr>> {
        let from = ready!(datagram_api::poll_recv_from(&self.io, cx, buf, true))?;
        Poll::Ready(to_socket_addr(from))
    }

    /// Polls to send `buf` to `target`.
    pub fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], target: SocketAddr) -> Poll<io::Result<usize>> {
        datagram_api::poll_send_to(&self.io, cx, buf, Some(&target.into()))
    }

    /// Sends to `target` without waiting: `WouldBlock` when there is no room.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_send_to(buf, Some(&target.into()))
    }

    /// Peeks at the next datagram and its sender without waiting.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.try_recv_with(buf, true)
    }

    /// Receives one datagram from the connected peer without removing it
    /// and without waiting: `WouldBlock` when none is there.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_recv_with(buf, true).map(|(n, _)| n)
    }

    fn try_recv_with(&self, buf: &mut [u8], peek: bool) -> io::Result<(usize, SocketAddr)> {
        let mut buf = ReadBuf::new(buf);
        let from = self.io.try_recv_from(&mut buf, peek)?;
        Ok((buf.filled().len(), to_socket_addr(from)?))
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        to_socket_addr(self.sock().local_addr()?)
    }

    /// The address of the connected peer (`NotConnected` if none).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        to_socket_addr(self.sock().peer_addr()?)
    }

    /// The socket, for socket2's calls.
    fn sock(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self)
    }
}

/// `IP_TOS`, `IPV6_TCLASS` and `SO_BINDTODEVICE`, as tokio names them.
impl UdpSocket {
    crate::net::ip_options::ip_options!();
}

/// Connected sends, receives and readiness: the same as `UnixDatagram`'s.
impl UdpSocket {
    datagram_api::datagram_methods!(addr: SocketAddr, conv: to_socket_addr);
    raw_api::raw_io_methods!();
}

raw_api::impl_raw_socket!(UdpSocket);

impl DatagramIo for UdpSocket {
    fn datagram_io(&self) -> &Datagram {
        &self.io
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// Same as [`UdpSocket::from_std`].
    #[track_caller]
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("UdpSocket");
        if let Ok(addr) = self.local_addr() {
            d.field("local_addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}
