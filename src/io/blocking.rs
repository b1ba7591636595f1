//! `AsyncRead`/`AsyncWrite` over a blocking `std::io` object, by running each
//! read, write or flush on the blocking pool (how tokio serves stdio, and
//! files where no native op exists).
//!
//! One operation is in flight at a time; it owns the object and a buffer of
//! its own, so the caller's memory never crosses to the pool thread. Writes
//! are taken at once (copied) and finish in the background: their error
//! surfaces on the next write, flush or shutdown, as with tokio.

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::task::JoinHandle;

/// The most bytes one pool operation moves (tokio's default, 2 MiB).
pub(crate) const MAX_BUF: usize = 2 * 1024 * 1024;

/// A blocking object driven from async code through the blocking pool.
pub(crate) struct Blocking<T> {
    state: State<T>,
    /// A write finished since the last flush: `poll_flush` must flush.
    need_flush: bool,
}

enum State<T> {
    /// The object and the buffer are here; the buffer may hold read-ahead.
    Idle(Option<T>, Buf),
    /// A pool thread holds both; the handle returns them with the result.
    Busy(JoinHandle<(io::Result<usize>, Buf, T)>),
    /// The runtime shut down and its pool dropped the job, and the object
    /// with it: every operation fails.
    Gone,
}

/// tokio's error for stdio used after its runtime shut down.
fn gone() -> io::Error {
    io::Error::other(crate::driver::context::RUNTIME_SHUT_DOWN)
}

/// Bytes read ahead (`pos..len` unread) or waiting to be written.
#[derive(Default)]
struct Buf {
    bytes: Vec<u8>,
    pos: usize,
    /// The last read returned 0 and no reader has seen that end yet.
    eof: bool,
}

// The inner value is never pinned: it moves to pool threads and back.
impl<T> Unpin for Blocking<T> {}

impl<T> Blocking<T> {
    pub(crate) fn new(inner: T) -> Blocking<T> {
        Blocking { state: State::Idle(Some(inner), Buf::default()), need_flush: false }
    }
}

impl<T: Send + 'static> Blocking<T> {
    /// Waits for the operation in flight, if any, and puts the object back.
    /// Returns that operation's result.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let handle = match &mut self.state {
            State::Idle(..) => return Poll::Ready(Ok(0)),
            State::Gone => return Poll::Ready(Err(gone())),
            State::Busy(handle) => handle,
        };
        let (res, buf, inner) = match ready!(Pin::new(handle).poll(cx)) {
            Ok(done) => done,
            Err(e) if e.is_cancelled() => {
                self.state = State::Gone;
                return Poll::Ready(Err(gone()));
            }
            Err(e) => return Poll::Ready(Err(io::Error::other(e))),
        };
        self.state = State::Idle(Some(inner), buf);
        Poll::Ready(res)
    }

    /// Starts `op` on the pool with the (idle) object and buffer; tokio's
    /// shutdown error once the runtime has shut down (as tokio's mandatory
    /// stdio jobs).
    ///
    /// # Panics
    /// Outside a runtime, with tokio's message.
    fn start(&mut self, op: impl FnOnce(&mut T, &mut Buf) -> io::Result<usize> + Send + 'static) -> io::Result<()> {
        let runtime = crate::runtime::Handle::current();
        if runtime.is_shut_down() {
            return Err(gone());
        }
        let State::Idle(inner, buf) = &mut self.state else {
            unreachable!("an operation starts only on an idle object");
        };
        let mut inner = inner.take().expect("an idle object holds its inner value");
        let mut buf = std::mem::take(buf);
        self.state = State::Busy(runtime.spawn_blocking(move || {
            let res = op(&mut inner, &mut buf);
            (res, buf, inner)
        }));
        Ok(())
    }

    fn idle_buf(&mut self) -> &mut Buf {
        match &mut self.state {
            State::Idle(_, buf) => buf,
            State::Busy(_) | State::Gone => unreachable!("the buffer is read only while idle"),
        }
    }
}

impl<T: Read + Send + 'static> AsyncRead for Blocking<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, dst: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_idle(cx))?;
        let buf = this.idle_buf();
        if buf.pos < buf.bytes.len() {
            let n = dst.remaining().min(buf.bytes.len() - buf.pos);
            dst.put_slice(&buf.bytes[buf.pos..buf.pos + n]);
            buf.pos += n;
            return Poll::Ready(Ok(()));
        }
        if std::mem::take(&mut buf.eof) {
            return Poll::Ready(Ok(()));
        }
        let want = dst.remaining().min(MAX_BUF);
        this.start(move |inner, buf| {
            buf.bytes.resize(want, 0);
            buf.pos = 0;
            let res = inner.read(&mut buf.bytes);
            let n = *res.as_ref().unwrap_or(&0);
            buf.bytes.truncate(n);
            buf.eof = res.is_ok() && n == 0;
            res
        })?;
        // The read is in flight; the next poll (woken by it) copies it out.
        self.as_mut().poll_read(cx, dst)
    }
}

impl<T: Write + Send + 'static> AsyncWrite for Blocking<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_idle(cx))?;
        let n = src.len().min(MAX_BUF);
        let buf = this.idle_buf();
        buf.bytes.clear();
        buf.pos = 0;
        buf.bytes.extend_from_slice(&src[..n]);
        this.start(|inner, buf| inner.write_all(&buf.bytes).map(|()| buf.bytes.len()))?;
        this.need_flush = true;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            ready!(this.poll_idle(cx))?;
            if !this.need_flush {
                return Poll::Ready(Ok(()));
            }
            this.need_flush = false;
            this.start(|inner, _| inner.flush().map(|()| 0))?;
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}
