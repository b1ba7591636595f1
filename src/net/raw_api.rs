//! tokio's `try_io` and `async_io`, for every socket type that has them
//! ([`TcpStream`](crate::net::TcpStream), [`UdpSocket`](crate::net::UdpSocket),
//! [`UnixStream`](crate::net::UnixStream),
//! [`UnixDatagram`](crate::net::UnixDatagram)), written once over the
//! driver's [`RawIo`](crate::driver::RawIo).

/// Gives the driver's raw-I/O state and watch of a socket type.
pub(crate) trait RawSocket {
    /// The socket's `RawIo` and how the driver watches the fd.
    fn raw_parts(&self) -> (&crate::driver::RawIo, crate::driver::RawOwner<'_>);
}

/// `try_io` and `async_io` with tokio's signatures.
macro_rules! raw_io_methods {
    () => {
        /// Runs `f`, a non-blocking system call the caller makes on this
        /// socket's fd (through `AsRawFd`), if the socket is ready for
        /// `interest`; else fails with `WouldBlock` without calling it.
        ///
        /// `f` should return `WouldBlock` only when its own call said so;
        /// the readiness is then cleared, so the next `readable`/`writable`
        /// waits for a new event. Pass one direction, not a combined
        /// interest.
        ///
        /// On mio the readiness is the socket's own (what `try_read` and
        /// `readable` use), exactly as in tokio. On io_uring the socket is in
        /// blocking mode, so `f` runs only when `poll(2)` says the socket is
        /// ready at that moment: a `recv` in `f` then does not block. Bytes
        /// the runtime already received (for `read`/`try_read`) are not
        /// visible to `f`, and bytes still queued by `AsyncWrite` go out
        /// after those `f` sends: flush first, and read one way or the other.
        ///
        /// # Errors
        /// `WouldBlock`, or whatever `f` returns.
        pub fn try_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            let (raw, owner) = $crate::net::raw_api::RawSocket::raw_parts(self);
            raw.try_io(owner, interest, f)
        }

        /// Waits until the socket is ready for `interest` and runs `f` (a
        /// system call the caller makes on the fd); when `f` returns
        /// `WouldBlock` the readiness is cleared and the wait starts again,
        /// until `f` returns anything else. See
        /// [`try_io`](Self::try_io) for what readiness means on each backend.
        ///
        /// # Errors
        /// Whatever `f` returns, or the runtime has shut down.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe if `f` is: dropping the future between tries loses
        /// nothing.
        pub async fn async_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnMut() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            let (raw, owner) = $crate::net::raw_api::RawSocket::raw_parts(self);
            raw.async_io(owner, interest, f).await
        }
    };
}

/// `RawSocket` for a type with an `io` field (a driver `Stream` or
/// `Datagram`) and a `raw` field (its `RawIo`).
macro_rules! impl_raw_socket {
    ($ty:ty) => {
        impl $crate::net::raw_api::RawSocket for $ty {
            fn raw_parts(&self) -> (&$crate::driver::RawIo, $crate::driver::RawOwner<'_>) {
                (&self.raw, self.io.raw_owner())
            }
        }
    };
}

pub(crate) use {impl_raw_socket, raw_io_methods};
