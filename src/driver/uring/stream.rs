//! A connected stream socket on io_uring.
//!
//! Reads: one multishot receive, armed when a reader first asks, fills
//! ring-provided buffers; the driver copies each completion into the
//! connection's receive queue and returns the buffer at once. `poll_read`
//! copies out of that queue, so the caller's memory never reaches the kernel
//! and a cancelled read loses nothing. Past `RECV_HIGH_WATER` unread bytes the
//! receive is cancelled until the reader catches up. A connection that keeps
//! receiving large chunks reads on demand instead (see `recv_mode`): a
//! multishot poll marks it readable and `poll_read` calls `recv` into the
//! caller's buffer, under the state lock, so bytes never reorder.
//!
//! Writes: `poll_write` and `poll_write_vectored` copy into the pending queue
//! (up to `SEND_HIGH_WATER` unsent bytes, else Pending) and return; the driver
//! sends one batch at a time and resubmits partial sends from the right
//! offset. A large write (all its slices together) with nothing queued goes
//! straight to the socket instead, with one `send` or `sendmsg`.
//!
//! This file holds the handle tasks use; `conn.rs` the driver's side.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::conn::ConnShared;
use super::conn_state::{ConnState, Shutdown};
use super::Kick;
use crate::driver::Origin;
use crate::driver::Ready;

/// A stream socket owned by an io_uring driver.
pub(crate) struct Stream {
    shared: Arc<ConnShared>,
}

impl Stream {
    /// Wraps a connected socket that came to be as `origin` says.
    pub(crate) fn new(fd: OwnedFd, origin: Origin) -> io::Result<Stream> {
        // io_uring parks blocking-mode sockets on its own poll; a non-blocking
        // one would hand EAGAIN back instead.
        set_nonblocking(&fd, false)?;
        Ok(Stream { shared: Arc::new(ConnShared::new(fd, origin)) })
    }

    fn state(&self) -> MutexGuard<'_, ConnState> {
        self.shared.lock()
    }

    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.read_with(cx, buf, true).map_ok(drop)
    }

    pub(crate) fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<usize>> {
        self.read_with(cx, buf, false)
    }

    /// The one read path: copy out what is queued, else arm and wait.
    fn read_with(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>, consume: bool) -> Poll<io::Result<usize>> {
        self.shared.check_alive()?;
        let mut st = self.state();
        match st.read.take_readable(self.as_raw_fd(), buf, consume) {
            Poll::Ready(result) => {
                let resume = st.recv_out_of_sync();
                drop(st);
                if resume {
                    let _ = self.shared.kick(); // a failure shows on the next read
                }
                Poll::Ready(result)
            }
            Poll::Pending => {
                st.read.read_waiters.set_io(cx);
                let arm = st.recv_out_of_sync();
                drop(st);
                if arm {
                    self.shared.kick()?;
                }
                Poll::Pending
            }
        }
    }

    /// Reads into the unfilled part of `buf` without waiting.
    pub(crate) fn try_read(&self, buf: &mut ReadBuf<'_>) -> io::Result<usize> {
        self.try_read_with(|st, fd| st.read.take_readable(fd, buf, true))
    }

    /// Reads into `bufs` in order without waiting.
    pub(crate) fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.try_read_with(|st, fd| st.read.take_readable_vectored(fd, bufs))
    }

    /// The one non-blocking read path: `take` under the state lock, then arm
    /// the receive if the reader now waits; Pending becomes `WouldBlock`.
    fn try_read_with(&self, take: impl FnOnce(&mut ConnState, RawFd) -> Poll<io::Result<usize>>) -> io::Result<usize> {
        self.shared.check_alive()?;
        let mut st = self.state();
        let result = take(&mut st, self.as_raw_fd());
        let kick = st.recv_out_of_sync();
        drop(st);
        if kick {
            self.shared.kick()?;
        }
        match result {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Ready, with the read half's readiness bits, when a read would not
    /// return `WouldBlock`, or no read has said so yet (tokio's readiness:
    /// set until a read finds nothing).
    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        let mut st = self.state();
        if st.read.read_ready() {
            return Poll::Ready(Ok(st.read.read_readiness()));
        }
        st.read.read_interest = true;
        st.read.read_waiters.add_ready(cx);
        drop(st);
        self.shared.kick()?;
        Poll::Pending
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.write_with(&[IoSlice::new(buf)], Some(cx))
    }

    pub(crate) fn poll_write_vectored(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        self.write_with(bufs, Some(cx))
    }

    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_write_vectored(&[IoSlice::new(buf)])
    }

    pub(crate) fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self.write_with(bufs, None) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// The one write path: queue what fits and start a send if none is in
    /// flight; when full, wait for room (if there is a task to wake).
    fn write_with(&self, bufs: &[IoSlice<'_>], cx: Option<&mut Context<'_>>) -> Poll<io::Result<usize>> {
        self.shared.check_alive()?;
        let mut st = self.state();
        let taken = st.take_writable(self.as_raw_fd(), bufs);
        match &taken {
            Poll::Ready(result) => {
                // Queued bytes (not all went straight out) and no send yet.
                let start = result.is_ok() && !st.write.tx.is_empty() && !st.write.send_op.is_armed();
                drop(st);
                if start {
                    // Queued bytes nobody will send: say so now.
                    self.shared.kick()?;
                }
            }
            Poll::Pending => {
                if let Some(cx) = cx {
                    st.write.write_waiters.set_io(cx);
                }
            }
        }
        taken
    }

    /// Ready, with the write half's readiness bits, when a write would not
    /// return `WouldBlock`, or no write has said so yet (tokio's readiness:
    /// set until a write finds no room).
    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        let mut st = self.state();
        if st.write_ready() {
            return Poll::Ready(Ok(st.write_readiness()));
        }
        st.write.write_waiters.add_ready(cx);
        Poll::Pending
    }

    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state();
        if let Some(e) = st.write.write_error.take() {
            return Poll::Ready(Err(e));
        }
        if st.write.tx.is_empty() {
            return Poll::Ready(Ok(()));
        }
        st.write.write_waiters.set_io(cx);
        Poll::Pending
    }

    pub(crate) fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state();
        if let Some(e) = st.write.write_error.take() {
            return Poll::Ready(Err(e));
        }
        if st.write.shutdown == Shutdown::Done {
            return Poll::Ready(Ok(()));
        }
        if st.write.shutdown == Shutdown::Open {
            st.write.shutdown = Shutdown::Requested;
        }
        st.write.write_waiters.set_io(cx);
        drop(st);
        self.shared.kick()?;
        Poll::Pending
    }

    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        let fd = self.shared.fd.try_clone()?;
        set_nonblocking(&fd, true)?;
        Ok(fd) // dropping `self` cancels the receive; the original fd closes after
    }
}

impl AsRawFd for Stream {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.fd.as_raw_fd()
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.home.closed(|| Kick::Reconcile(self.shared.clone()));
    }
}

pub(super) fn set_nonblocking(fd: &OwnedFd, nonblocking: bool) -> io::Result<()> {
    socket2::SockRef::from(fd).set_nonblocking(nonblocking)
}
