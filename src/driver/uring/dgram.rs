//! A datagram socket on io_uring.
//!
//! Receives: one multishot `recvmsg`, armed when a reader first asks, lands
//! each datagram in a buffer of the ring's datagram group; the driver copies
//! it, with the sender's address parsed from the kernel's header, into the
//! socket's queue and gives the buffer straight back. The queue is bounded
//! (`QUEUE_MAX` datagrams, `QUEUE_BYTES_MAX` bytes): past it the receive is
//! cancelled until readers catch up, and datagrams wait in (or are dropped
//! by) the kernel's socket buffer, as with a slow tokio reader.
//!
//! Sends: `sendto` straight from the caller's memory, never waiting; with no
//! room, `send_to` waits through a `SendTo` [`Op`](crate::driver::op::Op)
//! (`op/send_to.rs`) and `poll_send_to` through a one-shot `POLLOUT` poll.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll};

use io_uring::{cqueue, opcode, types};
use socket2::{SockAddr, SockRef};
use tokio::io::ReadBuf;

use super::armed::ArmedOp;
use super::bufring::DGRAM_GROUP;
use super::home_link::HomeLink;
use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::stream::set_nonblocking;
use super::Kick;
use crate::driver::waiters::{Waiters, Woken};
use crate::driver::Ready;

/// The multishot `recvmsg`.
const RECV: OpTag = 0;
/// The one-shot `POLLOUT` poll.
const WRITABLE: OpTag = 1;
/// Datagrams a socket queues before its receive pauses.
const QUEUE_MAX: usize = 256;
/// Bytes a socket queues before its receive pauses.
const QUEUE_BYTES_MAX: usize = 1024 * 1024;

/// A datagram socket owned by an io_uring driver.
pub(crate) struct Datagram {
    shared: Arc<DgramShared>,
}

/// What the socket's handle and the driver's in-flight ops share.
pub(crate) struct DgramShared {
    /// The socket; ops hold clones, so it closes after the last completes.
    fd: Arc<OwnedFd>,
    /// The driver whose ring carries the receive, fixed by the first one.
    home: HomeLink,
    /// What the multishot `recvmsg` reads (see [`MsgHdr`]).
    msghdr: MsgHdr,
    /// Queue, ops and waiters.
    state: Mutex<DgramState>,
    /// The last send found no room and no `POLLOUT` has fired since: until
    /// then the socket counts as writable, as tokio's edge-triggered
    /// readiness does (`poll(2)` calls a Unix datagram socket full long
    /// before its sends start failing).
    send_blocked: AtomicBool,
}

/// The `msghdr` a multishot `recvmsg` takes: only its lengths matter (room
/// for any address, no control data); the kernel writes the address into
/// the buffer, after its header.
struct MsgHdr(libc::msghdr);

// SAFETY: the msghdr's pointers are all null and it is never written after
// creation: sharing or sending it shares nothing.
unsafe impl Send for MsgHdr {}
// SAFETY: as above.
unsafe impl Sync for MsgHdr {}

/// The socket's state behind its lock.
#[derive(Default)]
struct DgramState {
    /// Datagrams received and not yet read, oldest first.
    queue: VecDeque<Received>,
    /// Payload bytes in `queue`.
    queued_bytes: usize,
    /// The multishot receive.
    recv_op: ArmedOp,
    /// The poll waiting for room to send.
    write_op: ArmedOp,
    /// A reader has asked: keep a receive armed.
    reading: bool,
    /// A sender found no room: keep the `POLLOUT` poll armed.
    want_writable: bool,
    /// A receive failed (`ECONNREFUSED` after an ICMP error, ...): the next
    /// read reports it, once, as the socket's own `recvfrom` would.
    error: Option<io::Error>,
    /// Tasks waiting for a datagram.
    read_waiters: Waiters,
    /// Tasks waiting for room.
    write_waiters: Waiters,
    /// The handle is gone: stop receiving.
    closed: bool,
}

/// One datagram and its sender.
struct Received {
    bytes: Box<[u8]>,
    from: SockAddr,
}

impl Datagram {
    /// Wraps a bound datagram socket (blocking mode: io_uring then waits for
    /// datagrams with its own poll instead of completing with EAGAIN).
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Datagram> {
        set_nonblocking(&fd, false)?;
        // SAFETY: an all-zero msghdr is valid (null pointers, zero lengths).
        let mut msghdr: libc::msghdr = unsafe { std::mem::zeroed() };
        msghdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let shared = DgramShared {
            fd: Arc::new(fd),
            home: HomeLink::new(),
            msghdr: MsgHdr(msghdr),
            state: Mutex::new(DgramState::default()),
            send_blocked: AtomicBool::new(false),
        };
        Ok(Datagram { shared: Arc::new(shared) })
    }

    /// The socket, for ops that keep it open until their completion.
    pub(crate) fn shared_fd(&self) -> Arc<OwnedFd> {
        self.shared.fd.clone()
    }

    /// Copies the oldest datagram (its first bytes, if `buf` is smaller: the
    /// rest is dropped, as `recvfrom` does) into `buf` and returns its sender;
    /// with `peek` it stays queued. Without a context, Pending means nothing
    /// is queued (and a receive is armed).
    pub(crate) fn poll_recv_from(
        &self,
        cx: Option<&mut Context<'_>>,
        buf: &mut ReadBuf<'_>,
        peek: bool,
    ) -> Poll<io::Result<SockAddr>> {
        self.shared.check_alive()?;
        let mut st = self.shared.lock();
        if let Some(datagram) = st.queue.front() {
            let n = datagram.bytes.len().min(buf.remaining());
            buf.put_slice(&datagram.bytes[..n]);
            let from = datagram.from.clone();
            if !peek {
                st.pop();
            }
            let arm = st.needs_recv();
            drop(st);
            if arm {
                let _ = self.shared.kick(); // a failure shows on the next read
            }
            return Poll::Ready(Ok(from));
        }
        if let Some(e) = st.error.take() {
            return Poll::Ready(Err(e));
        }
        st.reading = true;
        if let Some(cx) = cx {
            st.read_waiters.add_ready(cx);
        }
        let arm = st.needs_recv();
        drop(st);
        if arm {
            self.shared.kick()?;
        }
        Poll::Pending
    }

    /// Ready once a datagram (or an error) is queued.
    pub(crate) fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        let mut st = self.shared.lock();
        if !st.queue.is_empty() || st.error.is_some() {
            return Poll::Ready(Ok(Ready::READABLE));
        }
        st.reading = true;
        st.read_waiters.add_ready(cx);
        let arm = st.needs_recv();
        drop(st);
        if arm {
            self.shared.kick()?;
        }
        Poll::Pending
    }

    /// Sends one datagram now, from the caller's memory, without waiting.
    pub(crate) fn try_send_to(&self, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
        self.shared.check_alive()?;
        let sent = send_now(self.shared.fd.as_fd(), buf, target);
        let blocked = matches!(&sent, Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        if blocked != self.shared.send_blocked.load(Ordering::Relaxed) {
            self.shared.send_blocked.store(blocked, Ordering::Relaxed);
        }
        sent
    }

    /// Sends one datagram; Pending (a `POLLOUT` poll armed) while the socket
    /// has no room.
    pub(crate) fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: Option<&SockAddr>,
    ) -> Poll<io::Result<usize>> {
        // Twice at most: a poll that reports room the send then lacks (a
        // big datagram) leaves its wake-up armed instead of spinning here.
        for _ in 0..2 {
            match self.try_send_to(buf, target) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    ready!(self.wait_writable(cx))?;
                }
                result => return Poll::Ready(result),
            }
        }
        Poll::Pending
    }

    /// Ready once the socket has room for a datagram.
    pub(crate) fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        if !self.shared.send_blocked.load(Ordering::Relaxed) {
            return Poll::Ready(Ok(Ready::WRITABLE));
        }
        self.wait_writable(cx)
    }

    /// Arms the `POLLOUT` poll and waits for it (or finds room at once).
    fn wait_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        let mut st = self.shared.lock();
        st.want_writable = true;
        st.write_waiters.add_ready(cx);
        let arm = !st.write_op.is_armed();
        drop(st);
        if arm {
            self.shared.kick()?;
        }
        // The poll fires at once if room appeared since the failed send.
        if fd_has_room(self.shared.fd.as_raw_fd()) {
            self.shared.send_blocked.store(false, Ordering::Relaxed);
            return Poll::Ready(Ok(Ready::WRITABLE));
        }
        Poll::Pending
    }

    /// Gives the socket back, in non-blocking mode (queued datagrams are
    /// lost, as with tokio).
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        let fd = self.shared.fd.try_clone()?;
        set_nonblocking(&fd, true)?;
        Ok(fd) // dropping `self` cancels the receive; the original fd closes after
    }
}

impl AsRawFd for Datagram {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.fd.as_raw_fd()
    }
}

impl Drop for Datagram {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.closed = true;
        st.queue.clear();
        st.queued_bytes = 0;
        drop(st);
        self.shared.home.closed(|| Kick::Reconcile(self.shared.clone()));
    }
}

impl DgramState {
    /// Removes the oldest datagram.
    fn pop(&mut self) {
        if let Some(datagram) = self.queue.pop_front() {
            self.queued_bytes -= datagram.bytes.len();
        }
    }

    /// The queue is at its bound: the receive must pause.
    fn full(&self) -> bool {
        self.queue.len() >= QUEUE_MAX || self.queued_bytes >= QUEUE_BYTES_MAX
    }

    /// A receive should be armed and is not (a paused one resumes once the
    /// queue is half drained).
    fn needs_recv(&self) -> bool {
        self.reading
            && !self.closed
            && self.error.is_none()
            && !self.recv_op.is_armed()
            && self.queue.len() < QUEUE_MAX / 2
            && self.queued_bytes < QUEUE_BYTES_MAX / 2
    }
}

impl DgramShared {
    fn lock(&self) -> MutexGuard<'_, DgramState> {
        self.state.lock().expect("datagram state poisoned")
    }

    /// Fails once the home driver has shut down.
    fn check_alive(&self) -> io::Result<()> {
        match self.home.get() {
            Some(home) if home.is_closed() => Err(super::shut_down()),
            _ => Ok(()),
        }
    }

    /// Asks the home driver to reconcile the ops with the state.
    fn kick(self: &Arc<Self>) -> io::Result<()> {
        self.home.kick(|| Kick::Reconcile(self.clone()))
    }

    /// Driver thread: arms or cancels the receive and the poll. Returns the
    /// readers to wake (once the lock is released) when arming failed.
    fn sync(self: &Arc<Self>, st: &mut DgramState, ring: &mut Ring) -> Woken {
        let mut readers = Woken::default();
        let wanted = st.reading && !st.closed && st.error.is_none() && !st.full() && ring.accepting_ops();
        if !wanted {
            st.recv_op.cancel(ring);
        } else if !st.recv_op.is_armed() {
            match ring.dgram_bufs() {
                Ok(_) => {
                    let fd = types::Fd(self.fd.as_raw_fd());
                    let entry = opcode::RecvMsgMulti::new(fd, &self.msghdr.0, DGRAM_GROUP).build();
                    st.recv_op.arm(ring, entry, InFlight::of(self.clone(), RECV));
                }
                Err(e) => {
                    st.error = Some(e);
                    readers = st.read_waiters.take();
                }
            }
        }
        if st.closed {
            st.write_op.cancel(ring);
        } else if st.want_writable && !st.write_op.is_armed() && ring.accepting_ops() {
            let entry = opcode::PollAdd::new(types::Fd(self.fd.as_raw_fd()), libc::POLLOUT as u32).build();
            st.write_op.arm(ring, entry, InFlight::of(self.clone(), WRITABLE));
        }
        readers
    }

    /// A completion of the multishot receive: queue the datagram.
    fn on_recv(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        match done.result {
            n @ 0.. => {
                let Some(bid) = cqueue::buffer_select(done.flags) else {
                    // Not something the kernel does; an error, not a panic.
                    st.error = Some(io::Error::from_raw_os_error(libc::EIO));
                    return self.recv_ended(st, done, ring);
                };
                let bufs = ring.dgram_bufs().expect("the receive was armed with the group present");
                if !st.closed {
                    if let Some(datagram) = parse(bufs.bytes(bid, n as usize), &self.msghdr.0) {
                        st.queued_bytes += datagram.bytes.len();
                        st.queue.push_back(datagram);
                    }
                }
                bufs.taken();
                bufs.push(bid);
            }
            // Ended without a datagram (buffers ran out, cancelled,
            // interrupted): armed again while someone reads.
            e if matches!(-e, libc::ENOBUFS | libc::ECANCELED | libc::EAGAIN | libc::EINTR) => {}
            e if !st.closed => st.error = Some(io::Error::from_raw_os_error(-e)),
            _ => {}
        }
        self.recv_ended(st, done, ring);
    }

    /// After a receive completion: forget an ended receive, re-arm or pause,
    /// wake the readers.
    fn recv_ended(self: &Arc<Self>, mut st: MutexGuard<'_, DgramState>, done: &Completion, ring: &mut Ring) {
        let last = st.recv_op.completed(done);
        let failed = if last || st.full() { self.sync(&mut st, ring) } else { Woken::default() };
        let readers = st.read_waiters.take();
        drop(st);
        failed.wake();
        readers.wake();
    }

    /// The `POLLOUT` poll fired (or was cancelled): senders try again.
    fn on_writable(&self, done: &Completion) {
        let mut st = self.lock();
        st.write_op.completed(done);
        st.want_writable = false;
        self.send_blocked.store(false, Ordering::Relaxed);
        let writers = st.write_waiters.take();
        drop(st);
        writers.wake();
    }
}

impl Owner for DgramShared {
    fn driver_closed(&self) {
        // Woken with the lock released, as the stream's and listener's: a
        // waker may own the last handle to the socket, whose drop locks.
        let mut wakers = Vec::new();
        let mut st = self.lock();
        st.read_waiters.take_all(&mut wakers);
        st.write_waiters.take_all(&mut wakers);
        drop(st);
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        self.home.reconciled();
        let mut st = self.lock();
        let failed = self.sync(&mut st, ring);
        drop(st);
        failed.wake();
    }

    fn on_completion(self: Arc<Self>, tag: OpTag, done: &Completion, ring: &mut Ring) {
        match tag {
            RECV => self.on_recv(done, ring),
            _ => self.on_writable(done),
        }
    }

    #[cfg(feature = "fault-injection")]
    fn op_kind(&self, tag: OpTag) -> Option<super::faults::OpKind> {
        (tag == RECV).then_some(super::faults::OpKind::DatagramRecv)
    }
}

/// The datagram and sender in a multishot `recvmsg` buffer; None if the
/// kernel's header does not parse (never expected).
fn parse(buffer: &[u8], msghdr: &libc::msghdr) -> Option<Received> {
    let out = types::RecvMsgOut::parse(buffer, msghdr).ok()?;
    let name = out.name_data();
    // SAFETY: `try_init` hands a zeroed `sockaddr_storage` and its length;
    // we copy at most that many bytes of the kernel's address into it.
    let ((), from) = unsafe {
        SockAddr::try_init(|storage, len| {
            let n = name.len().min(*len as usize);
            std::ptr::copy_nonoverlapping(name.as_ptr(), storage.cast::<u8>(), n);
            *len = n as libc::socklen_t;
            Ok(())
        })
    }
    .ok()?;
    Some(Received { bytes: out.payload_data().into(), from })
}

/// One `sendto` (or `send`, without a target) that never waits.
pub(crate) fn send_now(fd: std::os::fd::BorrowedFd<'_>, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
    let sock = SockRef::from(&fd);
    match target {
        Some(addr) => sock.send_to_with_flags(buf, addr, libc::MSG_DONTWAIT),
        None => sock.send_with_flags(buf, libc::MSG_DONTWAIT),
    }
}

/// Whether a datagram could be sent now (`poll(2)` with no wait).
fn fd_has_room(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLOUT, revents: 0 };
    // SAFETY: one valid pollfd, no wait.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n > 0 && pfd.revents & (libc::POLLOUT | libc::POLLERR) != 0
}
