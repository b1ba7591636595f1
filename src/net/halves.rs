//! The halves a stream splits into, written once for every stream type.
//!
//! [`stream_halves!`] expands, inside a stream's module (`net::tcp`,
//! `net::unix`), into tokio's four half types and `ReuniteError`, with
//! tokio's names and signatures: `ReadHalf<'a>`/`WriteHalf<'a>` borrow the
//! stream (from `split`); `OwnedReadHalf`/`OwnedWriteHalf` share it through
//! one `Arc` (from `into_split`) and may live in different tasks on different
//! workers; dropping the owned write half half-closes the stream, as in tokio.
//!
//! Reading through one half while writing through the other is what the
//! driver supports anyway, so neither kind of half locks anything.

/// Defines the halves of `$stream` (whose addresses are `$addr`) in the
/// calling module, plus `split` and `split_owned` for the stream to call.
macro_rules! stream_halves {
    (stream: $stream:ident, addr: $addr:ty, path: $path:literal) => {
        #[doc = concat!("The read half of a [`", stringify!($stream), "`], borrowed from [`", stringify!($stream), "::split`].")]
        ///
        /// Reads through `AsyncRead`; use it with
        /// [`AsyncReadExt`](tokio::io::AsyncReadExt).
        #[derive(Debug)]
        pub struct ReadHalf<'a>(&'a $stream);

        #[doc = concat!("The write half of a [`", stringify!($stream), "`], borrowed from [`", stringify!($stream), "::split`].")]
        ///
        /// Writes through `AsyncWrite`; `shutdown()` half-closes the stream's
        /// write direction. Dropping it does nothing to the stream.
        #[derive(Debug)]
        pub struct WriteHalf<'a>(&'a $stream);

        #[doc = concat!("The read half of a [`", stringify!($stream), "`], from [`", stringify!($stream), "::into_split`].")]
        ///
        /// Reads through `AsyncRead`. Dropping it does not close the stream;
        /// the stream closes when both halves are gone.
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            inner: std::sync::Arc<$stream>,
        }

        #[doc = concat!("The write half of a [`", stringify!($stream), "`], from [`", stringify!($stream), "::into_split`].")]
        ///
        /// Writes through `AsyncWrite`. Dropping it shuts down the write
        /// direction (after the bytes already written are sent), so the peer
        /// reads end-of-file; [`forget`](OwnedWriteHalf::forget) drops it
        /// without doing so.
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            inner: std::sync::Arc<$stream>,
            /// Cleared by `forget`, `reunite` and a successful `shutdown()`.
            shutdown_on_drop: bool,
        }

        /// The halves given to `reunite` did not come from the same stream;
        /// both are handed back.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}

        pub(super) fn split(stream: &mut $stream) -> (ReadHalf<'_>, WriteHalf<'_>) {
            (ReadHalf(stream), WriteHalf(stream))
        }

        pub(super) fn split_owned(stream: $stream) -> (OwnedReadHalf, OwnedWriteHalf) {
            let inner = std::sync::Arc::new(stream);
            let read = OwnedReadHalf { inner: inner.clone() };
            let write = OwnedWriteHalf { inner, shutdown_on_drop: true };
            (read, write)
        }

        fn reunite(read: OwnedReadHalf, mut write: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
            if !std::sync::Arc::ptr_eq(&read.inner, &write.inner) {
                return Err(ReuniteError(read, write));
            }
            write.shutdown_on_drop = false;
            drop(write);
            Ok(std::sync::Arc::into_inner(read.inner).expect("both halves are here, so no other reference exists"))
        }

        impl ReadHalf<'_> {
            $crate::net::stream_api::ready_method!();
            $crate::net::stream_api::read_methods!(concat!($path, "::ReadHalf<'_>"));
            $crate::net::halves::addr_methods!($addr);
        }

        impl WriteHalf<'_> {
            $crate::net::stream_api::ready_method!();
            $crate::net::stream_api::write_methods!(concat!($path, "::WriteHalf<'_>"));
            $crate::net::halves::addr_methods!($addr);
        }

        impl OwnedReadHalf {
            #[doc = concat!("Puts the two halves back together. Succeeds only if they came from the same call to [`", stringify!($stream), "::into_split`]; otherwise both are returned in the error.")]
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                reunite(self, other)
            }

            $crate::net::stream_api::ready_method!();
            $crate::net::stream_api::read_methods!(concat!($path, "::OwnedReadHalf"));
            $crate::net::halves::addr_methods!($addr);
        }

        impl OwnedWriteHalf {
            /// Puts the two halves back together; see [`OwnedReadHalf::reunite`].
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                reunite(other, self)
            }

            /// Drops the write half without shutting down the write direction:
            /// the stream stays open until the read half is dropped too.
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }

            $crate::net::stream_api::ready_method!();
            $crate::net::stream_api::write_methods!(concat!($path, "::OwnedWriteHalf"));
            $crate::net::halves::addr_methods!($addr);
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    // Asks the driver to half-close once what was written is
                    // sent; it carries that out with nobody waiting, so a no-op
                    // waker will do.
                    let mut cx = std::task::Context::from_waker(futures_util::task::noop_waker_ref());
                    let _ = $crate::net::stream_api::StreamIo::stream_io(self).poll_shutdown(&mut cx);
                }
            }
        }

        $crate::net::halves::half_impls!($stream, ReadHalf<'_>, |h| h.0);
        $crate::net::halves::half_impls!($stream, WriteHalf<'_>, |h| h.0);
        $crate::net::halves::half_impls!($stream, OwnedReadHalf, |h| &*h.inner);
        $crate::net::halves::half_impls!($stream, OwnedWriteHalf, |h| &*h.inner);

        $crate::net::stream_api::impl_async_read!(ReadHalf<'_>);
        $crate::net::stream_api::impl_async_read!(OwnedReadHalf);
        $crate::net::stream_api::impl_async_write!(WriteHalf<'_>);
        $crate::net::stream_api::impl_async_write!(
            @on_shutdown |half: &mut OwnedWriteHalf| half.shutdown_on_drop = false,
            OwnedWriteHalf
        );
    };
}

/// `local_addr` and `peer_addr` of a half, from its stream.
macro_rules! addr_methods {
    ($addr:ty) => {
        /// The address of the remote peer.
        pub fn peer_addr(&self) -> std::io::Result<$addr> {
            self.as_ref().peer_addr()
        }

        /// The local address of this end of the connection.
        pub fn local_addr(&self) -> std::io::Result<$addr> {
            self.as_ref().local_addr()
        }
    };
}

/// `AsRef<stream>` and the driver access of a half; `$get` reaches the stream.
macro_rules! half_impls {
    ($stream:ident, $half:ident $(<$lt:lifetime>)?, $get:expr) => {
        impl AsRef<$stream> for $half $(<$lt>)? {
            fn as_ref(&self) -> &$stream {
                let get: fn(&Self) -> &$stream = $get;
                get(self)
            }
        }

        impl $crate::net::stream_api::StreamIo for $half $(<$lt>)? {
            fn stream_io(&self) -> &$crate::driver::Stream {
                $crate::net::stream_api::StreamIo::stream_io(self.as_ref())
            }
        }
    };
}

pub(crate) use {addr_methods, half_impls, stream_halves};
