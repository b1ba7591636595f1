//! The state behind [`File`](super::File)'s `AsyncRead`, `AsyncWrite` and
//! `AsyncSeek`, with tokio's semantics: one operation in flight at a time; a
//! write is copied into the file's buffer and completes in the background
//! (its error surfaces on the next write or flush); `flush` waits for
//! it; a seek waits for whatever is in flight; a read may leave bytes in the
//! buffer, which a later seek or write accounts for.
//!
//! Reads and writes use the file's own position (io_uring's offset -1), so
//! the kernel's cursor stays the truth: `into_std`, `try_clone` and a
//! `seek` see exactly what a std `File` would.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use crate::driver::op::read::{read_at, ReadAtOp, CURRENT_POS};
use crate::driver::op::write::{write_at, WriteAtOp};
use crate::driver::op::SharedFd;

/// Bytes read ahead (`pos..` unread) or waiting to be written.
#[derive(Default)]
struct Buf {
    bytes: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn copy_to(&mut self, dst: &mut ReadBuf<'_>) {
        let n = dst.remaining().min(self.bytes.len() - self.pos);
        dst.put_slice(&self.bytes[self.pos..self.pos + n]);
        self.pos += n;
    }

    /// Forgets unread bytes; returns how far the file's position is ahead
    /// of what the reader saw (as a negative offset).
    fn discard_read(&mut self) -> i64 {
        let ahead = -((self.bytes.len() - self.pos) as i64);
        self.clear();
        ahead
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.pos = 0;
    }
}

/// The operation in flight.
enum Busy {
    Read(ReadAtOp<Vec<u8>>),
    /// Writes `bytes`, then (a short write) the rest.
    Write(WriteAtOp<Vec<u8>>),
}

enum State {
    /// Nothing in flight; the buffer is here.
    Idle(Buf),
    Busy(Busy),
}

/// What finished when the operation in flight completed.
enum Done {
    Read(io::Result<()>),
    Write(io::Result<()>),
}

/// A file's I/O state (in `File`'s mutex).
pub(super) struct Inner {
    state: State,
    /// An error from a write that finished in the background, reported by
    /// the next write or flush.
    last_write_err: Option<io::ErrorKind>,
    /// The position `start_seek` produced, for `poll_complete`.
    seeked: Option<io::Result<u64>>,
    /// The file, which every op keeps open until it is over.
    fd: SharedFd,
}

impl Inner {
    pub(super) fn new(fd: SharedFd) -> Inner {
        Inner { state: State::Idle(Buf::default()), last_write_err: None, seeked: None, fd }
    }

    /// Waits for the operation in flight (recording a write error for later)
    /// and returns the idle buffer.
    /// Waits for the operation in flight (recording a write error for
    /// later), then puts the file's position where the reader believes it
    /// is: before any bytes read ahead. Afterwards the file is idle.
    pub(super) async fn complete_inflight(&mut self) -> io::Result<()> {
        poll_fn(|cx| match ready!(self.poll_done(cx)) {
            Some(Done::Write(Err(e))) => {
                self.last_write_err = Some(e.kind());
                Poll::Ready(())
            }
            _ => Poll::Ready(()),
        })
        .await;
        self.rewind_read_ahead()
    }

    /// When idle: moves the file's position back over bytes read ahead.
    fn rewind_read_ahead(&mut self) -> io::Result<()> {
        let Some(buf) = self.idle_buf() else { return Ok(()) };
        let ahead = buf.discard_read();
        if ahead != 0 {
            lseek(&self.fd, SeekFrom::Current(ahead))?;
        }
        Ok(())
    }

    fn idle_buf(&mut self) -> Option<&mut Buf> {
        match &mut self.state {
            State::Idle(buf) => Some(buf),
            State::Busy(_) => None,
        }
    }

    /// Waits for the operation in flight, if any; None when idle.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<Option<Done>> {
        let State::Busy(busy) = &mut self.state else {
            return Poll::Ready(None);
        };
        let (done, bytes) = match busy {
            Busy::Read(op) => {
                let (res, bytes) = ready!(Pin::new(op).poll(cx));
                (Done::Read(res.map(drop)), bytes)
            }
            Busy::Write(op) => {
                let (res, mut bytes) = ready!(Pin::new(&mut *op).poll(cx));
                match res {
                    // A short write: the rest goes next (std's write_all).
                    Ok(n) if n > 0 && n < bytes.len() => {
                        bytes.drain(..n);
                        *op = write_at(self.fd.clone(), bytes, CURRENT_POS);
                        return self.poll_done(cx);
                    }
                    Ok(0) if !bytes.is_empty() => (Done::Write(Err(io::ErrorKind::WriteZero.into())), bytes),
                    res => (Done::Write(res.map(drop)), bytes),
                }
            }
        };
        let mut buf = Buf { bytes, pos: 0 };
        if matches!(done, Done::Write(_)) {
            buf.clear();
        }
        self.state = State::Idle(buf);
        Poll::Ready(Some(done))
    }

    pub(super) fn poll_read(
        &mut self,
        max_buf: usize,
        cx: &mut Context<'_>,
        dst: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            match ready!(self.poll_done(cx)) {
                Some(Done::Read(res)) => {
                    let buf = self.idle_buf().expect("idle after a read");
                    if res.is_ok() {
                        buf.copy_to(dst);
                    }
                    return Poll::Ready(res);
                }
                Some(Done::Write(Err(e))) => self.last_write_err = Some(e.kind()),
                Some(Done::Write(Ok(()))) | None => {}
            }
            let buf = self.idle_buf().expect("idle here");
            if !buf.is_empty() || dst.remaining() == 0 {
                buf.copy_to(dst);
                return Poll::Ready(Ok(()));
            }
            let mut bytes = std::mem::take(&mut buf.bytes);
            let want = dst.remaining().min(max_buf);
            bytes.clear();
            bytes.reserve(want);
            self.state = State::Busy(Busy::Read(read_at(self.fd.clone(), bytes, CURRENT_POS, want)));
        }
    }

    /// Takes up to `max_buf` bytes of `srcs`, in order, and starts writing
    /// them; returns how many were taken.
    pub(super) fn poll_write(
        &mut self,
        max_buf: usize,
        cx: &mut Context<'_>,
        srcs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(kind) = self.last_write_err.take() {
            return Poll::Ready(Err(kind.into()));
        }
        match ready!(self.poll_done(cx)) {
            Some(Done::Write(res)) => res?,
            // A read's result (and bytes) don't matter to a write.
            Some(Done::Read(_)) | None => {}
        }
        self.rewind_read_ahead()?;
        let buf = self.idle_buf().expect("idle here");
        let mut bytes = std::mem::take(&mut buf.bytes);
        for src in srcs {
            let n = src.len().min(max_buf - bytes.len());
            bytes.extend_from_slice(&src[..n]);
        }
        let n = bytes.len();
        self.state = State::Busy(Busy::Write(write_at(self.fd.clone(), bytes, CURRENT_POS)));
        Poll::Ready(Ok(n))
    }

    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(kind) = self.last_write_err.take() {
            return Poll::Ready(Err(kind.into()));
        }
        match ready!(self.poll_done(cx)) {
            Some(Done::Write(res)) => Poll::Ready(res),
            Some(Done::Read(_)) | None => Poll::Ready(Ok(())),
        }
    }

    pub(super) fn start_seek(&mut self, mut pos: SeekFrom) -> io::Result<()> {
        let Some(buf) = self.idle_buf() else {
            return Err(io::Error::other("other file operation is pending, call poll_complete before start_seek"));
        };
        if !buf.is_empty() {
            let ahead = buf.discard_read();
            if let SeekFrom::Current(offset) = &mut pos {
                *offset += ahead;
            }
        }
        buf.clear();
        self.seeked = Some(lseek(&self.fd, pos));
        Ok(())
    }

    pub(super) fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            match ready!(self.poll_done(cx)) {
                Some(Done::Write(Err(e))) => self.last_write_err = Some(e.kind()),
                Some(_) => {}
                None => break,
            }
        }
        Poll::Ready(match self.seeked.take() {
            Some(res) => res,
            None => {
                let ahead = self.idle_buf().map_or(0, |buf| buf.bytes.len() - buf.pos) as u64;
                lseek(&self.fd, SeekFrom::Current(0)).map(|pos| pos - ahead)
            }
        })
    }
}

impl Drop for Inner {
    /// A write in flight finishes though its `File` is gone, as in tokio
    /// (where the blocking task runs on); a read in flight is cancelled.
    fn drop(&mut self) {
        if let State::Busy(Busy::Write(op)) = std::mem::replace(&mut self.state, State::Idle(Buf::default())) {
            op.detach();
        }
    }
}

/// `lseek(2)`: moves the file's position (never blocks: no I/O happens).
fn lseek(fd: &SharedFd, pos: SeekFrom) -> io::Result<u64> {
    let (offset, whence) = match pos {
        SeekFrom::Start(n) => (i64::try_from(n).map_err(|_| io::ErrorKind::InvalidInput)?, libc::SEEK_SET),
        SeekFrom::End(n) => (n, libc::SEEK_END),
        SeekFrom::Current(n) => (n, libc::SEEK_CUR),
    };
    crate::driver::op::lseek(fd, offset, whence)
}
