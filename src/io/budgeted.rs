//! tokio's in-memory I/O utilities (`sink`, `empty`, `repeat`, `duplex`,
//! `simplex`) and `copy`/`copy_buf` with ringline's cooperative budget.
//!
//! tokio's versions spend tokio's budget, which only tokio's schedulers grant,
//! so on ringline's workers they never yield and a loop over `sink()` writes
//! would starve every other task of its worker. These are the same types
//! behind [`Budgeted`], which spends one unit of ringline's budget per
//! operation that completes, exactly where tokio's spend one of tokio's.

use std::fmt;
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};

use crate::runtime::coop::poll_io;

/// One of tokio's in-memory I/O types, spending ringline's cooperative budget
/// (one unit per completed operation) as tokio's spends tokio's.
pub struct Budgeted<T> {
    inner: T,
}

/// An async writer that accepts and discards every byte, like tokio's `Sink`.
pub type Sink = Budgeted<tokio::io::Sink>;
/// An async reader at end of file and a writer that discards, like tokio's `Empty`.
pub type Empty = Budgeted<tokio::io::Empty>;
/// An async reader that yields one byte forever, like tokio's `Repeat`.
pub type Repeat = Budgeted<tokio::io::Repeat>;
/// One end of an in-memory pipe pair, like tokio's `DuplexStream`.
pub type DuplexStream = Budgeted<tokio::io::DuplexStream>;
/// A one-way in-memory pipe, like tokio's `SimplexStream`.
pub type SimplexStream = Budgeted<tokio::io::SimplexStream>;

/// A writer that discards everything, like `tokio::io::sink`.
pub fn sink() -> Sink {
    Budgeted { inner: tokio::io::sink() }
}

/// A reader at end of file (and a discarding writer), like `tokio::io::empty`.
pub fn empty() -> Empty {
    Budgeted { inner: tokio::io::empty() }
}

/// A reader that yields `byte` forever, like `tokio::io::repeat`.
pub fn repeat(byte: u8) -> Repeat {
    Budgeted { inner: tokio::io::repeat(byte) }
}

/// Two connected in-memory streams, each buffering up to `max_buf_size`
/// bytes, like `tokio::io::duplex`.
///
/// # Panics
/// When `max_buf_size` is 0, at the caller's line, as tokio's.
#[track_caller]
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let (a, b) = tokio::io::duplex(max_buf_size);
    (Budgeted { inner: a }, Budgeted { inner: b })
}

/// A one-way in-memory pipe split into its read and write halves, like
/// `tokio::io::simplex`.
///
/// # Panics
/// When `max_buf_size` is 0, at the caller's line, as tokio's.
#[track_caller]
pub fn simplex(max_buf_size: usize) -> (ReadHalf<SimplexStream>, WriteHalf<SimplexStream>) {
    tokio::io::split(SimplexStream::new_unsplit(max_buf_size))
}

/// Copies `reader` to `writer` until end of file, like `tokio::io::copy`,
/// spending one unit of ringline's budget each time it completes: a loop of
/// copies between always-ready ends yields to its worker's other tasks.
pub async fn copy<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    crate::runtime::coop::cooperative(tokio::io::copy(reader, writer)).await
}

/// Like [`copy`], from a buffered reader, as `tokio::io::copy_buf`.
pub async fn copy_buf<'a, R, W>(reader: &'a mut R, writer: &'a mut W) -> io::Result<u64>
where
    R: AsyncBufRead + Unpin + ?Sized,
    W: AsyncWrite + Unpin + ?Sized,
{
    crate::runtime::coop::cooperative(tokio::io::copy_buf(reader, writer)).await
}

impl SimplexStream {
    /// An unsplit one-way pipe buffering up to `max_buf_size` bytes, like
    /// tokio's `SimplexStream::new_unsplit`.
    ///
    /// # Panics
    /// When `max_buf_size` is 0, at the caller's line, as tokio's.
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        Budgeted { inner: tokio::io::SimplexStream::new_unsplit(max_buf_size) }
    }
}

impl<T> Budgeted<T> {
    /// tokio's own value, for code that names tokio's concrete type (it then
    /// spends tokio's budget, which ringline's workers leave unconstrained).
    pub fn into_inner(self) -> T {
        self.inner
    }

    fn inner(self: Pin<&mut Self>) -> Pin<&mut T>
    where
        T: Unpin,
    {
        Pin::new(&mut self.get_mut().inner)
    }
}

impl<T: fmt::Debug> fmt::Debug for Budgeted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Budgeted<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        poll_io(cx, |cx| self.inner().poll_read(cx, buf))
    }
}

impl<T: AsyncBufRead + Unpin> AsyncBufRead for Budgeted<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        poll_io(cx, |cx| self.inner().poll_fill_buf(cx))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.inner().consume(amt)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Budgeted<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll_io(cx, |cx| self.inner().poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        poll_io(cx, |cx| self.inner().poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_io(cx, |cx| self.inner().poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        poll_io(cx, |cx| self.inner().poll_shutdown(cx))
    }
}

impl<T: AsyncSeek + Unpin> AsyncSeek for Budgeted<T> {
    fn start_seek(self: Pin<&mut Self>, position: SeekFrom) -> io::Result<()> {
        self.inner().start_seek(position)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        poll_io(cx, |cx| self.inner().poll_complete(cx))
    }
}
