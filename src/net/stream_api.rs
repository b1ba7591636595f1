//! The readiness, `try_*` and `AsyncRead`/`AsyncWrite` surface that every
//! stream type ([`TcpStream`](crate::net::TcpStream),
//! [`UnixStream`](crate::net::UnixStream)) and each of their split halves
//! offers, written once.
//!
//! tokio spells these as inherent methods, so callers need no trait in scope;
//! the macros below expand them into each type's `impl` block. Every method
//! reaches the driver through [`StreamIo`], so a half and its stream run the
//! very same code.

/// Gives the driver's stream under a stream type or one of its halves.
pub(crate) trait StreamIo {
    /// The connected socket owned by the driver.
    fn stream_io(&self) -> &crate::driver::Stream;
}

/// `ready(interest)`: for streams and both kinds of half.
macro_rules! ready_method {
    () => {
        /// Waits until any of the readiness in `interest` holds and returns
        /// what holds of it.
        ///
        /// Usually paired with `try_read` or `try_write`, to read and write
        /// the same stream from one task. As with tokio, readiness may be
        /// spurious: a `try_*` call may still say `WouldBlock`; then wait
        /// again. A closed half counts as ready: [`Ready::READ_CLOSED`](crate::io::Ready::READ_CLOSED)
        /// once the peer has shut down its writing (reads return
        /// end-of-file), [`Ready::WRITE_CLOSED`](crate::io::Ready::WRITE_CLOSED)
        /// once the connection failed.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: dropping the future loses nothing.
        pub async fn ready(&self, interest: $crate::io::Interest) -> std::io::Result<$crate::io::Ready> {
            let io = $crate::net::stream_api::StreamIo::stream_io(self);
            std::future::poll_fn(|cx| io.poll_ready(cx, interest)).await
        }
    };
}

/// `readable` and the non-blocking reads; `$this` names the type in examples.
macro_rules! read_methods {
    ($this:expr) => {
        /// Waits until the stream is readable: `try_read` should return data,
        /// end-of-file or an error. As with tokio, readiness may be spurious;
        /// when `try_read` then says `WouldBlock`, wait again.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: dropping the future loses nothing.
        pub async fn readable(&self) -> std::io::Result<()> {
            let io = $crate::net::stream_api::StreamIo::stream_io(self);
            std::future::poll_fn(|cx| io.poll_read_ready(cx).map_ok(drop)).await
        }

        /// Reads what is available now, without waiting.
        ///
        /// `Ok(n)`: `n` bytes were read (`0` at end-of-file); an error of kind
        /// `WouldBlock` means nothing is there yet: await `readable` and try
        /// again.
        ///
        /// # Examples
        ///
        /// ```no_run
        #[doc = concat!("# async fn dox(stream: ", $this, ") -> std::io::Result<()> {")]
        /// let mut buf = [0; 4096];
        /// loop {
        ///     stream.readable().await?;
        ///     match stream.try_read(&mut buf) {
        ///         Ok(0) => break,
        ///         Ok(n) => println!("read {n} bytes"),
        ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
        ///         Err(e) => return Err(e),
        ///     }
        /// }
        /// # Ok(())
        /// # }
        /// ```
        pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
            $crate::net::stream_api::StreamIo::stream_io(self).try_read(&mut tokio::io::ReadBuf::new(buf))
        }

        /// Reads what is available now into the spare capacity of `buf`,
        /// advancing it, without waiting; as `try_read` otherwise (`Ok(0)` at
        /// end-of-file, `WouldBlock` when nothing is there).
        ///
        /// A `Vec<u8>` or `BytesMut` grows by at least 64 bytes if it is full.
        ///
        /// # Examples
        ///
        /// ```no_run
        #[doc = concat!("# async fn dox(stream: ", $this, ") -> std::io::Result<()> {")]
        /// let mut buf = Vec::with_capacity(4096);
        /// loop {
        ///     stream.readable().await?;
        ///     match stream.try_read_buf(&mut buf) {
        ///         Ok(0) => break,
        ///         Ok(n) => println!("read {n} bytes, {} in all", buf.len()),
        ///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
        ///         Err(e) => return Err(e),
        ///     }
        /// }
        /// # Ok(())
        /// # }
        /// ```
        pub fn try_read_buf<B: bytes::BufMut>(&self, buf: &mut B) -> std::io::Result<usize> {
            $crate::net::stream_api::StreamIo::stream_io(self).try_read_buf(buf)
        }

        /// Reads what is available now into `bufs`, filling them in order,
        /// without waiting; as `try_read` otherwise.
        pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
            $crate::net::stream_api::StreamIo::stream_io(self).try_read_vectored(bufs)
        }
    };
}

/// `writable` and the non-blocking writes; `$this` names the type in examples.
macro_rules! write_methods {
    ($this:expr) => {
        /// Waits until the stream is writable: `try_write` should take bytes
        /// or report an error. As with tokio, readiness may be spurious; when
        /// `try_write` then says `WouldBlock`, wait again.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: dropping the future loses nothing.
        pub async fn writable(&self) -> std::io::Result<()> {
            let io = $crate::net::stream_api::StreamIo::stream_io(self);
            std::future::poll_fn(|cx| io.poll_write_ready(cx).map_ok(drop)).await
        }

        /// Writes what can be taken now, without waiting; `WouldBlock` when
        /// nothing can: await `writable` and try again.
        pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
            $crate::net::stream_api::StreamIo::stream_io(self).try_write(buf)
        }

        /// Writes what can be taken now of the bytes of `bufs`, in order,
        /// without waiting; as `try_write` otherwise.
        ///
        /// # Examples
        ///
        /// ```no_run
        /// use std::io::IoSlice;
        ///
        #[doc = concat!("# async fn dox(stream: ", $this, ") -> std::io::Result<()> {")]
        /// let bufs = [IoSlice::new(b"hello "), IoSlice::new(b"world")];
        /// stream.writable().await?;
        /// let n = stream.try_write_vectored(&bufs)?;
        /// # Ok(())
        /// # }
        /// ```
        pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
            $crate::net::stream_api::StreamIo::stream_io(self).try_write_vectored(bufs)
        }
    };
}

/// Everything above plus the `poll_*_ready` pair: a whole stream's surface.
macro_rules! stream_methods {
    ($this:expr) => {
        $crate::net::stream_api::ready_method!();
        $crate::net::stream_api::read_methods!($this);
        $crate::net::stream_api::write_methods!($this);

        /// Polls for read readiness; see `readable`. Only the waker of the
        /// most recent call is woken.
        pub fn poll_read_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
            $crate::net::stream_api::StreamIo::stream_io(self).poll_read_ready(cx).map_ok(drop)
        }

        /// Polls for write readiness; see `writable`. Only the waker of the
        /// most recent call is woken.
        pub fn poll_write_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
            $crate::net::stream_api::StreamIo::stream_io(self).poll_write_ready(cx).map_ok(drop)
        }
    };
}

/// `AsyncRead` for a stream or read half.
macro_rules! impl_async_read {
    ($($ty:tt)+) => {
        impl tokio::io::AsyncRead for $($ty)+ {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let io = $crate::net::stream_api::StreamIo::stream_io(&*self);
                $crate::runtime::coop::poll_io(cx, |cx| io.poll_read(cx, buf))
            }
        }
        $crate::io::futures_io::impl_futures_io!(read $($ty)+);
    };
}

/// `AsyncWrite` for a stream or write half. With `on_shutdown = f`, `f(&mut
/// self)` runs once a shutdown has succeeded.
macro_rules! impl_async_write {
    (@on_shutdown $on_shutdown:expr, $($ty:tt)+) => {
        impl tokio::io::AsyncWrite for $($ty)+ {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let io = $crate::net::stream_api::StreamIo::stream_io(&*self);
                $crate::runtime::coop::poll_io(cx, |cx| io.poll_write(cx, buf))
            }

            /// Writes the bytes of `bufs`, in order, as one write (see
            /// [`is_write_vectored`](tokio::io::AsyncWrite::is_write_vectored)).
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let io = $crate::net::stream_api::StreamIo::stream_io(&*self);
                $crate::runtime::coop::poll_io(cx, |cx| io.poll_write_vectored(cx, bufs))
            }

            /// True: a vectored write takes every slice at once (one
            /// `sendmsg`, or one copy into the send queue on io_uring), as
            /// tokio's does.
            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::stream_api::StreamIo::stream_io(&*self).poll_flush(cx)
            }

            /// Flushes, then shuts down the write direction: the peer reads
            /// end-of-file. Reading from the stream still works.
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let result = std::task::ready!($crate::net::stream_api::StreamIo::stream_io(&*self).poll_shutdown(cx));
                if result.is_ok() {
                    let on_shutdown: fn(&mut Self) = $on_shutdown;
                    on_shutdown(std::pin::Pin::into_inner(self));
                }
                std::task::Poll::Ready(result)
            }
        }
        $crate::io::futures_io::impl_futures_io!(write $($ty)+);
    };
    ($($ty:tt)+) => {
        $crate::net::stream_api::impl_async_write!(@on_shutdown |_this| {}, $($ty)+);
    };
}

/// `AsRawFd` and `AsFd` for a stream type.
macro_rules! impl_as_fd {
    ($ty:ty) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                $crate::net::stream_api::StreamIo::stream_io(self).as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                $crate::net::stream_api::StreamIo::stream_io(self).as_fd()
            }
        }
    };
}

pub(crate) use {
    impl_as_fd, impl_async_read, impl_async_write, read_methods, ready_method, stream_methods, write_methods,
};
