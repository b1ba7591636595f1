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
//! Writes: `poll_write` copies into the pending queue (up to `SEND_HIGH_WATER`
//! unsent bytes, else Pending) and returns; the driver sends one batch at a time
//! and resubmits partial sends from the right offset. A large write with
//! nothing queued goes straight to the socket instead.

use std::io;
use std::net::SocketAddr;
use std::num::NonZeroU64;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use io_uring::{cqueue, opcode, types};
use tokio::io::ReadBuf;

use super::bufring::RECV_GROUP;
use super::conn_state::{ConnState, Shutdown, HUP_EVENTS, RECV_HIGH_WATER, SEND_HIGH_WATER};
use super::oneshot::Oneshot;
use super::ring::{Completion, InFlight, Ring};
use super::{Handle, Kick};
use crate::driver::recv::enable_inq;

/// A stream socket owned by an io_uring driver.
pub(crate) struct Stream {
    shared: Arc<ConnShared>,
}

/// What the stream's handles and the driver's in-flight ops share.
pub(crate) struct ConnShared {
    /// Closed when the last reference goes: after every op has completed.
    fd: OwnedFd,
    /// The driver whose ring carries this stream's ops, fixed by the first op.
    home: OnceLock<Arc<Handle>>,
    /// A `Kick::Conn` for this stream is queued and not yet reconciled.
    kicked: AtomicBool,
    state: Mutex<ConnState>,
}

impl Stream {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Stream> {
        // io_uring parks blocking-mode sockets on its own poll; a non-blocking
        // one would hand EAGAIN back instead.
        set_nonblocking(&fd, false)?;
        let shared = Arc::new(ConnShared {
            fd,
            home: OnceLock::new(),
            kicked: AtomicBool::new(false),
            state: Mutex::new(ConnState::default()),
        });
        Ok(Stream { shared })
    }

    pub(crate) async fn connect(fd: OwnedFd, addr: SocketAddr) -> io::Result<Stream> {
        let addr = Box::new(socket2::SockAddr::from(addr));
        let op = Oneshot::new(super::home(), (fd, addr), |(fd, addr)| {
            opcode::Connect::new(types::Fd(fd.as_raw_fd()), addr.as_ptr().cast(), addr.len()).build()
        });
        let (result, (fd, _addr)) = op.await;
        if result < 0 {
            return Err(io::Error::from_raw_os_error(-result));
        }
        Stream::new(fd)
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
        match st.take_readable(self.as_raw_fd(), buf, consume) {
            Poll::Ready(result) => {
                let resume = st.recv_out_of_sync();
                drop(st);
                if resume {
                    let _ = self.shared.kick(); // a failure shows on the next read
                }
                Poll::Ready(result)
            }
            Poll::Pending => {
                st.read_waiters.set_io(cx);
                let arm = st.recv_out_of_sync();
                drop(st);
                if arm {
                    self.shared.kick()?;
                }
                Poll::Pending
            }
        }
    }

    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.shared.check_alive()?;
        let mut buf = ReadBuf::new(buf);
        let mut st = self.state();
        let result = st.take_readable(self.as_raw_fd(), &mut buf, true);
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

    pub(crate) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state();
        if !st.rx.is_empty() || st.eof || st.read_error.is_some() || st.may_recv_now() {
            return Poll::Ready(Ok(()));
        }
        st.read_interest = true;
        st.read_waiters.add_ready(cx);
        drop(st);
        self.shared.kick()?;
        Poll::Pending
    }

    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.write_with(buf, Some(cx))
    }

    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self.write_with(buf, None) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// The one write path: queue what fits and start a send if none is in
    /// flight; when full, wait for room (if there is a task to wake).
    fn write_with(&self, buf: &[u8], cx: Option<&mut Context<'_>>) -> Poll<io::Result<usize>> {
        self.shared.check_alive()?;
        let mut st = self.state();
        let taken = st.take_writable(self.as_raw_fd(), buf);
        match &taken {
            Poll::Ready(result) => {
                // Queued bytes (not all went straight out) and no send yet.
                let start = result.is_ok() && !st.tx.is_empty() && st.send_op.is_none();
                drop(st);
                if start {
                    // Queued bytes nobody will send: say so now.
                    self.shared.kick()?;
                }
            }
            Poll::Pending => {
                if let Some(cx) = cx {
                    st.write_waiters.set_io(cx);
                }
            }
        }
        taken
    }

    pub(crate) fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state();
        if st.write_error.is_some() || st.tx.len() < SEND_HIGH_WATER {
            return Poll::Ready(Ok(()));
        }
        st.write_waiters.add_ready(cx);
        Poll::Pending
    }

    pub(crate) fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state();
        if let Some(e) = st.write_error.take() {
            return Poll::Ready(Err(e));
        }
        if st.tx.is_empty() {
            return Poll::Ready(Ok(()));
        }
        st.write_waiters.set_io(cx);
        Poll::Pending
    }

    pub(crate) fn poll_shutdown(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut st = self.state();
        if let Some(e) = st.write_error.take() {
            return Poll::Ready(Err(e));
        }
        if st.shutdown == Shutdown::Done {
            return Poll::Ready(Ok(()));
        }
        if st.shutdown == Shutdown::Open {
            st.shutdown = Shutdown::Requested;
        }
        st.write_waiters.set_io(cx);
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
        if let Some(home) = self.shared.home.get() {
            home.object_closed();
            let _ = self.shared.kick(); // a dead driver already released everything
        }
    }
}

impl ConnShared {
    fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().expect("stream state poisoned")
    }

    fn home(&self) -> &Arc<Handle> {
        self.home.get_or_init(|| {
            let home = super::home();
            home.object_opened();
            home
        })
    }

    /// Fails once the home driver has shut down: the socket itself would
    /// still take direct reads and writes, but tokio's rule is that I/O on a
    /// dead runtime's object errors.
    fn check_alive(&self) -> io::Result<()> {
        match self.home.get() {
            Some(home) if home.is_closed() => Err(super::shut_down()),
            _ => Ok(()),
        }
    }

    /// Asks the home driver to reconcile this stream's ops with its state.
    /// Fails once the home driver has shut down: nothing would serve the op.
    fn kick(self: &Arc<Self>) -> io::Result<()> {
        if !self.kicked.swap(true, Ordering::AcqRel) && !self.home().kick(Kick::Conn(self.clone())) {
            self.kicked.store(false, Ordering::Release);
            return Err(super::shut_down());
        }
        Ok(())
    }

    /// Driver thread: submit or cancel whatever the state now calls for.
    pub(super) fn reconcile(self: &Arc<Self>, ring: &mut Ring) {
        self.kicked.store(false, Ordering::Release);
        let mut st = self.lock();
        self.sync_recv(&mut st, ring);
        self.sync_send(&mut st, ring);
    }

    fn sync_recv(self: &Arc<Self>, st: &mut ConnState, ring: &mut Ring) {
        let fd = types::Fd(self.fd.as_raw_fd());
        if st.wants_recv() && ring.accepting_ops() {
            let entry = opcode::RecvMulti::new(fd, RECV_GROUP).build();
            st.recv_op = NonZeroU64::new(ring.submit(entry, InFlight::Recv(self.clone())));
        } else if let Some(user_data) = st.recv_op.map(NonZeroU64::get) {
            if !st.recv_cancelling && (st.closed || st.rx.len() >= RECV_HIGH_WATER || st.mode.on_demand()) {
                st.recv_cancelling = true;
                ring.cancel(user_data);
            }
        }
        if st.wants_poll() && ring.accepting_ops() {
            st.inq = st.inq || enable_inq(self.fd.as_raw_fd());
            let entry = opcode::PollAdd::new(fd, (libc::POLLIN | libc::POLLRDHUP) as u32).multi(true).build();
            st.poll_op = NonZeroU64::new(ring.submit(entry, InFlight::Poll(self.clone())));
        } else if let Some(user_data) = st.poll_op.map(NonZeroU64::get) {
            if !st.poll_cancelling && (!st.receiving() || !st.mode.on_demand()) {
                st.poll_cancelling = true;
                ring.cancel(user_data);
            }
        }
    }

    fn sync_send(self: &Arc<Self>, st: &mut ConnState, ring: &mut Ring) {
        if st.send_op.is_some() || st.write_error.is_some() || !ring.accepting_ops() {
            return;
        }
        if let Some(chunk) = st.tx.next_chunk() {
            let entry = opcode::Send::new(types::Fd(self.fd.as_raw_fd()), chunk.as_ptr(), chunk.len() as u32)
                .flags(libc::MSG_NOSIGNAL)
                .build();
            st.send_op = NonZeroU64::new(ring.submit(entry, InFlight::Send(self.clone())));
        } else if st.shutdown == Shutdown::Requested {
            st.shutdown = Shutdown::InFlight;
            let entry = opcode::Shutdown::new(types::Fd(self.fd.as_raw_fd()), libc::SHUT_WR).build();
            ring.submit(entry, InFlight::Shutdown(self.clone()));
        }
    }

    pub(super) fn on_recv(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        let mut switched = false;
        match done.result {
            n if n > 0 => {
                let bid = cqueue::buffer_select(done.flags).expect("receive completed without a buffer");
                if !st.closed {
                    st.rx.extend(ring.bufs.bytes(bid, n as usize));
                }
                ring.bufs.taken();
                ring.bufs.push(bid);
                switched = st.mode.observe_received(n as usize, ring.bufs.size());
            }
            0 => st.eof = true,
            e if -e == libc::ENOBUFS || -e == libc::ECANCELED => {}
            e => st.read_error = Some(io::Error::from_raw_os_error(-e)),
        }
        if !done.more() {
            st.recv_op = None;
            st.recv_cancelling = false;
        }
        if !done.more() || switched {
            self.sync_recv(&mut st, ring);
        }
        st.read_waiters.wake();
    }

    /// The on-demand poll fired (or ended): the reader may try the socket.
    pub(super) fn on_poll(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        if done.result != -libc::ECANCELED && st.mode.on_demand() {
            // An error shows on the reader's own `recv`.
            st.readable = true;
            st.read_hup |= done.result < 0 || done.result & HUP_EVENTS != 0;
        }
        if !done.more() {
            st.poll_op = None;
            st.poll_cancelling = false;
            self.sync_recv(&mut st, ring);
        }
        st.read_waiters.wake();
    }

    pub(super) fn on_send(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        st.send_op = None;
        if done.result < 0 {
            st.write_error = Some(io::Error::from_raw_os_error(-done.result));
            st.tx.clear();
        } else {
            st.tx.advance(done.result as usize);
            self.sync_send(&mut st, ring);
        }
        st.write_waiters.wake();
    }

    pub(super) fn on_shutdown(self: &Arc<Self>, done: &Completion) {
        let mut st = self.lock();
        st.shutdown = Shutdown::Done;
        if done.result < 0 && -done.result != libc::ENOTCONN {
            st.write_error = Some(io::Error::from_raw_os_error(-done.result));
        }
        st.write_waiters.wake();
    }
}

pub(super) fn set_nonblocking(fd: &OwnedFd, nonblocking: bool) -> io::Result<()> {
    socket2::SockRef::from(fd).set_nonblocking(nonblocking)
}
