//! `futures::io::{AsyncRead, AsyncWrite}` for ringline's byte streams, with
//! the `futures-io` feature: for libraries written against the `futures`
//! traits (tokio's own types need `tokio_util::compat` for that).
//!
//! Each impl forwards to the type's tokio impl, so both behave alike:
//! `poll_close` is tokio's `poll_shutdown` (flush, then half-close).

/// Implements the `futures` traits for types that implement tokio's, by
/// forwarding: `read` for `AsyncRead`, `write` for `AsyncWrite`.
macro_rules! impl_futures_io {
    (read $($ty:ty),+ $(,)?) => {$(
        #[cfg(feature = "futures-io")]
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let mut read = tokio::io::ReadBuf::new(buf);
                std::task::ready!(tokio::io::AsyncRead::poll_read(self, cx, &mut read))?;
                std::task::Poll::Ready(Ok(read.filled().len()))
            }
        }
    )+};
    (write $($ty:ty),+ $(,)?) => {$(
        #[cfg(feature = "futures-io")]
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                tokio::io::AsyncWrite::poll_write_vectored(self, cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                tokio::io::AsyncWrite::poll_flush(self, cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                tokio::io::AsyncWrite::poll_shutdown(self, cx)
            }
        }
    )+};
}

pub(crate) use impl_futures_io;
