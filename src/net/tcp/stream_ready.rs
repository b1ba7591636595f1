//! Readiness and non-blocking I/O of a [`TcpStream`]: wait with
//! [`ready`](TcpStream::ready), [`readable`](TcpStream::readable) or
//! [`writable`](TcpStream::writable), then call a `try_*` method, which
//! never waits.

use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use bytes::BufMut;
use tokio::io::ReadBuf;

use super::TcpStream;
use crate::io::{Interest, Ready};

impl TcpStream {
    /// Waits until any of the readiness in `interest` holds and returns what
    /// holds of it.
    ///
    /// Usually paired with [`try_read`](TcpStream::try_read) or
    /// [`try_write`](TcpStream::try_write), to read and write the same
    /// stream from one task. As with tokio, readiness may be spurious: a
    /// `try_*` call may still say `WouldBlock`; then wait again. A closed
    /// half counts as ready: [`Ready::READ_CLOSED`] once the peer has shut
    /// down its writing (reads return end-of-file), [`Ready::WRITE_CLOSED`]
    /// once the connection failed.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use ringline::io::Interest;
    /// use std::io::ErrorKind::WouldBlock;
    ///
    /// # async fn dox(stream: ringline::net::TcpStream) -> std::io::Result<()> {
    /// loop {
    ///     let ready = stream.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     if ready.is_readable() {
    ///         let mut buf = [0; 1024];
    ///         match stream.try_read(&mut buf) {
    ///             Ok(0) => break,
    ///             Ok(n) => println!("read {n} bytes"),
    ///             Err(e) if e.kind() == WouldBlock => {}
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    ///     if ready.is_writable() {
    ///         match stream.try_write(b"hello") {
    ///             Ok(n) => println!("wrote {n} bytes"),
    ///             Err(e) if e.kind() == WouldBlock => {}
    ///             Err(e) => return Err(e),
    ///         }
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        poll_fn(|cx| self.io.poll_ready(cx, interest)).await
    }

    /// Waits until the stream is readable: [`try_read`](TcpStream::try_read)
    /// should return data, end-of-file or an error. As with tokio, readiness
    /// may be spurious; when `try_read` then says `WouldBlock`, wait again.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_read_ready(cx)).await
    }

    /// Polls for read readiness; see [`readable`](TcpStream::readable).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_read_ready(cx).map_ok(drop)
    }

    /// Waits until the stream is writable: [`try_write`](TcpStream::try_write)
    /// should take bytes or report an error. As with tokio, readiness may be
    /// spurious; when `try_write` then says `WouldBlock`, wait again.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future loses nothing.
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_write_ready(cx)).await
    }

    /// Polls for write readiness; see [`writable`](TcpStream::writable).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_write_ready(cx).map_ok(drop)
    }

    /// Reads what is available now, without waiting.
    ///
    /// `Ok(n)`: `n` bytes were read (`0` at end-of-file); an error of kind
    /// `WouldBlock` means nothing is there yet: await
    /// [`readable`](TcpStream::readable) and try again.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn dox(stream: ringline::net::TcpStream) -> std::io::Result<()> {
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
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(&mut ReadBuf::new(buf))
    }

    /// Reads what is available now into the spare capacity of `buf`,
    /// advancing it, without waiting; as [`try_read`](TcpStream::try_read)
    /// otherwise (`Ok(0)` at end-of-file, `WouldBlock` when nothing is there).
    ///
    /// A `Vec<u8>` or `BytesMut` grows by at least 64 bytes if it is full.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn dox(stream: ringline::net::TcpStream) -> std::io::Result<()> {
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
    pub fn try_read_buf<B: BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        self.io.try_read_buf(buf)
    }

    /// Reads what is available now into `bufs`, filling them in order,
    /// without waiting; as [`try_read`](TcpStream::try_read) otherwise.
    pub fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_read_vectored(bufs)
    }

    /// Writes what can be taken now, without waiting; `WouldBlock` when
    /// nothing can: await [`writable`](TcpStream::writable) and try again.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// Writes what can be taken now of the bytes of `bufs`, in order,
    /// without waiting; as [`try_write`](TcpStream::try_write) otherwise.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::io::IoSlice;
    ///
    /// # async fn dox(stream: ringline::net::TcpStream) -> std::io::Result<()> {
    /// let bufs = [IoSlice::new(b"hello "), IoSlice::new(b"world")];
    /// stream.writable().await?;
    /// let n = stream.try_write_vectored(&bufs)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }
}
