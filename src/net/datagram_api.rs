//! The send, receive and readiness surface every datagram socket type
//! ([`UdpSocket`](crate::net::UdpSocket),
//! [`UnixDatagram`](crate::net::UnixDatagram)) offers alike, written once.
//!
//! The types differ only in their address type (and in how a target is
//! named, which stays with each type); [`datagram_methods!`] expands tokio's
//! inherent methods into the type's `impl` block, reaching the driver through
//! [`DatagramIo`] and turning the driver's `SockAddr` into the type's
//! address with the conversion it is given.

/// Gives the driver's datagram socket under a datagram type.
pub(crate) trait DatagramIo {
    /// The datagram socket owned by the driver.
    fn datagram_io(&self) -> &crate::driver::Datagram;
}

/// Sends one datagram (see `Datagram::send_to`), spending one unit of the
/// task's cooperative budget, as tokio's sends do.
pub(crate) async fn send_to(
    io: &crate::driver::Datagram,
    buf: &[u8],
    target: Option<&socket2::SockAddr>,
) -> std::io::Result<usize> {
    crate::runtime::coop::consume_budget().await;
    io.send_to(buf, target).await
}

/// `Datagram::poll_send_to` under the task's cooperative budget.
pub(crate) fn poll_send_to(
    io: &crate::driver::Datagram,
    cx: &mut std::task::Context<'_>,
    buf: &[u8],
    target: Option<&socket2::SockAddr>,
) -> std::task::Poll<std::io::Result<usize>> {
    crate::runtime::coop::poll_io(cx, |cx| io.poll_send_to(cx, buf, target))
}

/// `Datagram::poll_recv_from` under the task's cooperative budget.
pub(crate) fn poll_recv_from(
    io: &crate::driver::Datagram,
    cx: &mut std::task::Context<'_>,
    buf: &mut tokio::io::ReadBuf<'_>,
    peek: bool,
) -> std::task::Poll<std::io::Result<socket2::SockAddr>> {
    crate::runtime::coop::poll_io(cx, |cx| io.poll_recv_from(cx, buf, peek))
}

/// tokio's connected send, receive and readiness methods. `$addr` is the
/// type's address, `$conv` a `fn(SockAddr) -> io::Result<$addr>`.
macro_rules! datagram_methods {
    (addr: $addr:ty, conv: $conv:expr) => {
        /// Sends `buf` as one datagram to the connected peer; returns the
        /// bytes sent. Waits while the socket has no room.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: a dropped send has sent its datagram or nothing.
        pub async fn send(&self, buf: &[u8]) -> std::io::Result<usize> {
            $crate::net::datagram_api::send_to($crate::net::datagram_api::DatagramIo::datagram_io(self), buf, None)
                .await
        }

        /// Polls to send `buf` as one datagram to the connected peer.
        pub fn poll_send(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            $crate::net::datagram_api::poll_send_to(
                $crate::net::datagram_api::DatagramIo::datagram_io(self),
                cx,
                buf,
                None,
            )
        }

        /// Sends to the connected peer without waiting: `WouldBlock` when
        /// the socket has no room.
        pub fn try_send(&self, buf: &[u8]) -> std::io::Result<usize> {
            $crate::net::datagram_api::DatagramIo::datagram_io(self).try_send_to(buf, None)
        }

        /// Receives one datagram into `buf`; returns its length (truncated
        /// to `buf`'s: the rest of a longer datagram is dropped).
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: a dropped receive took no datagram.
        pub async fn recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.recv_from(buf).await.map(|(n, _)| n)
        }

        /// Receives one datagram into `buf`: its length (truncated to
        /// `buf`'s) and its sender.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: a dropped receive took no datagram.
        pub async fn recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
            let mut buf = tokio::io::ReadBuf::new(buf);
            let from = std::future::poll_fn(|cx| self.poll_recv_from(cx, &mut buf)).await?;
            Ok((buf.filled().len(), from))
        }

        /// Like `recv`, into the spare capacity of `buf`, which it advances.
        /// A `Vec<u8>` or `BytesMut` grows by at least 64 bytes if it is full.
        pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            self.recv_buf_from(buf).await.map(|(n, _)| n)
        }

        /// Like `recv_from`, into the spare capacity of `buf`, which it
        /// advances.
        pub async fn recv_buf_from<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<(usize, $addr)> {
            std::future::poll_fn(|cx| {
                let io = $crate::net::datagram_api::DatagramIo::datagram_io(self);
                let mut from = None;
                let n =
                    $crate::driver::recv::read_into_buf_mut(
                        buf,
                        |dst| match $crate::net::datagram_api::poll_recv_from(io, cx, dst, false) {
                            std::task::Poll::Ready(addr) => {
                                from = Some(addr?);
                                Ok(0)
                            }
                            std::task::Poll::Pending => Ok(0),
                        },
                    )?;
                match from {
                    Some(from) => std::task::Poll::Ready(Ok((n, $conv(from)?))),
                    None => std::task::Poll::Pending,
                }
            })
            .await
        }

        /// Polls to receive one datagram into `buf`.
        pub fn poll_recv(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.poll_recv_from(cx, buf).map_ok(drop)
        }

        /// Polls to receive one datagram into `buf`; ready with its sender.
        pub fn poll_recv_from(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<$addr>> {
            let io = $crate::net::datagram_api::DatagramIo::datagram_io(self);
            let from = std::task::ready!($crate::net::datagram_api::poll_recv_from(io, cx, buf, false))?;
            std::task::Poll::Ready($conv(from))
        }

        /// Receives one datagram without waiting: `WouldBlock` when none is
        /// there.
        pub fn try_recv(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.try_recv_from(buf).map(|(n, _)| n)
        }

        /// Receives one datagram and its sender without waiting.
        pub fn try_recv_from(&self, buf: &mut [u8]) -> std::io::Result<(usize, $addr)> {
            let mut buf = tokio::io::ReadBuf::new(buf);
            let from = $crate::net::datagram_api::DatagramIo::datagram_io(self).try_recv_from(&mut buf, false)?;
            Ok((buf.filled().len(), $conv(from)?))
        }

        /// Like `try_recv`, into the spare capacity of `buf`, which it
        /// advances.
        pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            self.try_recv_buf_from(buf).map(|(n, _)| n)
        }

        /// Like `try_recv_from`, into the spare capacity of `buf`, which it
        /// advances.
        pub fn try_recv_buf_from<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<(usize, $addr)> {
            let io = $crate::net::datagram_api::DatagramIo::datagram_io(self);
            let mut from = None;
            let n = $crate::driver::recv::read_into_buf_mut(buf, |dst| {
                from = Some(io.try_recv_from(dst, false)?);
                Ok(0)
            })?;
            Ok((n, $conv(from.expect("set when the receive succeeded"))?))
        }

        /// Waits until the socket is readable or writable (as `interest`
        /// asks) and returns which. Readiness may be spurious: a `try_*` call
        /// may still say `WouldBlock`; then wait again.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe.
        pub async fn ready(&self, interest: $crate::io::Interest) -> std::io::Result<$crate::io::Ready> {
            let io = $crate::net::datagram_api::DatagramIo::datagram_io(self);
            std::future::poll_fn(|cx| io.poll_ready(cx, interest)).await
        }

        /// Waits until a datagram can be received.
        pub async fn readable(&self) -> std::io::Result<()> {
            std::future::poll_fn(|cx| self.poll_recv_ready(cx)).await
        }

        /// Waits until a datagram can be sent.
        pub async fn writable(&self) -> std::io::Result<()> {
            std::future::poll_fn(|cx| self.poll_send_ready(cx)).await
        }

        /// Polls for a datagram to receive.
        pub fn poll_recv_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
            $crate::net::datagram_api::DatagramIo::datagram_io(self).poll_recv_ready(cx).map_ok(drop)
        }

        /// Polls for room to send a datagram.
        pub fn poll_send_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
            $crate::net::datagram_api::DatagramIo::datagram_io(self).poll_send_ready(cx).map_ok(drop)
        }

        /// Takes and clears the pending `SO_ERROR` of this socket.
        pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
            let io = $crate::net::datagram_api::DatagramIo::datagram_io(self);
            socket2::SockRef::from(&std::os::fd::AsFd::as_fd(io)).take_error()
        }
    };
}

pub(crate) use datagram_methods;
