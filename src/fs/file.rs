//! [`File`]: tokio's `fs::File`, with its reads, writes, syncs and length
//! changes as io_uring ops where the runtime runs io_uring.

use std::fmt;
use std::fs::{FileTimes, Metadata, Permissions};
use std::io::{self, IoSlice, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};
use tokio::sync::Mutex;

use super::file_io::Inner;
use super::{asyncify, OpenOptions};
use crate::driver::op::{self, SharedFd};
use crate::io::{IoBuf, IoBufMut};

/// The most bytes one read or write of the `AsyncRead`/`AsyncWrite` impls
/// moves (tokio's default, 2 MiB).
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// A reference to an open file, like `tokio::fs::File`.
///
/// Reads and writes go through io_uring on an io_uring runtime (the file's
/// own ops, no thread hop) and through the blocking pool on mio, as tokio
/// does. The `AsyncWrite` impl has tokio's semantics: `write` copies the
/// bytes and returns at once, the write finishes in the background, and
/// its error surfaces on the next write or flush; call `flush` to know the
/// write succeeded, and `sync_all` to have it on the device.
///
/// ```no_run
/// use ringline::io::AsyncWriteExt;
///
/// # #[ringline::main] async fn main() -> std::io::Result<()> {
/// let mut file = ringline::fs::File::create("foo.txt").await?;
/// file.write_all(b"hello, world!").await?;
/// file.flush().await?;
/// # Ok(()) }
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    inner: Mutex<Inner>,
    /// The most bytes one `AsyncRead`/`AsyncWrite` call moves.
    max_buf_size: usize,
}

impl File {
    /// Opens a file read-only.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens a file write-only, creating it or truncating it.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().write(true).create(true).truncate(true).open(path).await
    }

    /// Creates a new file read-write; `AlreadyExists` when the path exists.
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).write(true).create_new(true).open(path).await
    }

    /// An [`OpenOptions`] to open a file with.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps a std file.
    pub fn from_std(std: std::fs::File) -> File {
        let std = Arc::new(std);
        let fd: SharedFd = std.clone();
        File { std, inner: Mutex::new(Inner::new(fd)), max_buf_size: DEFAULT_MAX_BUF_SIZE }
    }

    fn fd(&self) -> SharedFd {
        self.std.clone()
    }

    /// Flushes data and metadata to the device (after any write in flight).
    pub async fn sync_all(&self) -> io::Result<()> {
        self.inner.lock().await.complete_inflight().await?;
        op::fsync::fsync(self.fd(), false).await
    }

    /// Flushes data (and the metadata needed to read it) to the device.
    pub async fn sync_data(&self) -> io::Result<()> {
        self.inner.lock().await.complete_inflight().await?;
        op::fsync::fsync(self.fd(), true).await
    }

    /// Truncates or extends the file to `size` bytes (after any write in
    /// flight). The position does not move.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.complete_inflight().await?;
        op::ftruncate::ftruncate(self.fd(), size).await
    }

    /// The file's metadata.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// A new `File` for the same open file (sharing its position), with
    /// the same `max_buf_size`.
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.std.clone();
        let mut clone = asyncify(move || std.try_clone()).await.map(File::from_std)?;
        clone.max_buf_size = self.max_buf_size;
        Ok(clone)
    }

    /// The std file, once any operation in flight has finished.
    pub async fn into_std(self) -> std::fs::File {
        let File { std, inner, .. } = self;
        // A failure to rewind over read-ahead leaves the position where the
        // kernel has it, as tokio's does.
        let _ = inner.into_inner().complete_inflight().await;
        Arc::into_inner(std).expect("no operation holds the file once every operation finished")
    }

    /// The std file, if no operation is in flight; else the `File` back.
    #[allow(clippy::result_large_err)] // tokio's signature
    pub fn try_into_std(self) -> Result<std::fs::File, File> {
        let File { std, inner, max_buf_size } = self;
        drop(inner);
        Arc::try_unwrap(std).map_err(|std| {
            let fd: SharedFd = std.clone();
            File { std, inner: Mutex::new(Inner::new(fd)), max_buf_size }
        })
    }

    /// Sets the file's access and modification times (after any write in
    /// flight, which would change them).
    pub async fn set_times(&self, times: FileTimes) -> io::Result<()> {
        self.inner.lock().await.complete_inflight().await?;
        let std = self.std.clone();
        asyncify(move || std.set_times(times)).await
    }

    /// Sets the file's modification time (after any write in flight), as
    /// tokio's `set_modified`: `set_times` with only that time.
    pub async fn set_modified(&self, time: std::time::SystemTime) -> io::Result<()> {
        self.set_times(FileTimes::new().set_modified(time)).await
    }

    /// Changes the file's permissions.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        let std = self.std.clone();
        asyncify(move || std.set_permissions(perm)).await
    }

    /// Sets the most bytes one `AsyncRead`/`AsyncWrite` call moves (2 MiB
    /// by default).
    ///
    /// # Panics
    /// When `max_buf_size` is 0, as tokio's does.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        assert!(max_buf_size > 0, "`max_buf_size` must be greater than 0");
        self.max_buf_size = max_buf_size;
    }

    /// The most bytes one `AsyncRead`/`AsyncWrite` call moves.
    pub fn max_buf_size(&self) -> usize {
        self.max_buf_size
    }

    /// ringline's own (tokio has none): reads up to `buf`'s capacity at
    /// `pos`, leaving the file's position alone, into `buf`, which then
    /// holds exactly the bytes read. The buffer is lent to the operation and
    /// returned with its result (tokio-uring's shape), so the kernel never
    /// writes into memory the caller could free: dropping the future
    /// mid-read is safe. Several may run at once on one file. For an
    /// `O_DIRECT` file, use an [`AlignedBuf`](super::AlignedBuf).
    pub async fn read_at<B: IoBufMut>(&self, buf: B, pos: u64) -> (io::Result<usize>, B) {
        if pos == op::read::CURRENT_POS {
            return (Err(io::ErrorKind::InvalidInput.into()), buf);
        }
        op::read::read_at(self.fd(), buf, pos, usize::MAX).await
    }

    /// ringline's own: writes `buf`'s bytes at `pos`, leaving the file's
    /// position alone (except in append mode, where Linux writes at the
    /// end); returns how many were written, which may be fewer, and the
    /// buffer. Ownership works as in [`read_at`](Self::read_at).
    pub async fn write_at<B: IoBuf>(&self, buf: B, pos: u64) -> (io::Result<usize>, B) {
        if pos == op::read::CURRENT_POS {
            return (Err(io::ErrorKind::InvalidInput.into()), buf);
        }
        op::write::write_at(self.fd(), buf, pos).await
    }

    /// ringline's own: `fallocate(2)` with `mode` 0: makes sure the blocks
    /// of `offset..offset + len` are allocated, growing the file if needed.
    pub async fn allocate(&self, offset: u64, len: u64) -> io::Result<()> {
        op::fallocate::fallocate(self.fd(), 0, offset, len).await
    }

    /// ringline's own: closes the file and reports close's error (std and
    /// tokio ignore it on drop), after any operation in flight.
    pub async fn close(self) -> io::Result<()> {
        let std = self.into_std().await;
        op::close::close(OwnedFd::from(std)).await
    }
}

impl AsyncRead for File {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, dst: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        me.inner.get_mut().poll_read(me.max_buf_size, cx, dst)
    }
}

impl AsyncWrite for File {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        me.inner.get_mut().poll_write(me.max_buf_size, cx, &[IoSlice::new(src)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        srcs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        me.inner.get_mut().poll_write(me.max_buf_size, cx, srcs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().inner.get_mut().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

crate::io::futures_io::impl_futures_io!(read File);
crate::io::futures_io::impl_futures_io!(write File);

impl AsyncSeek for File {
    fn start_seek(self: Pin<&mut Self>, pos: SeekFrom) -> io::Result<()> {
        self.get_mut().inner.get_mut().start_seek(pos)
    }

    fn poll_complete(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        self.get_mut().inner.get_mut().poll_complete(cx)
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ringline::fs::File").field("std", &self.std).finish()
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl FromRawFd for File {
    unsafe fn from_raw_fd(fd: RawFd) -> File {
        // SAFETY: the caller hands over an open fd it owns.
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
    }
}
