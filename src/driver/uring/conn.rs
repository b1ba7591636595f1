//! What an io_uring stream's handles and the driver's in-flight ops share,
//! and the driver's side of it: turning the stream's state into receive,
//! poll, send and shutdown ops, and each op's completion back into state.
//! `stream.rs` holds the handles tasks use; `conn_state.rs` the state.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard};

use io_uring::{cqueue, opcode, types};

use super::bufring::RECV_GROUP;
use super::conn_state::{ConnState, Shutdown, HUP_EVENTS, RECV_HIGH_WATER};
use super::home_link::HomeLink;
use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::send_off::Unsent;
use super::Kick;
use crate::driver::waiters::Woken;
use crate::driver::Origin;

/// The multishot receive.
const RECV: OpTag = 0;
/// The multishot readiness poll of an on-demand stream.
const POLL: OpTag = 1;
/// A send of queued bytes.
const SEND: OpTag = 2;
/// The `shutdown(SHUT_WR)`.
const SHUTDOWN: OpTag = 3;

/// What the stream's handles and the driver's in-flight ops share.
pub(crate) struct ConnShared {
    /// Closed when the last reference goes: after every op has completed.
    pub(super) fd: OwnedFd,
    /// The driver whose ring carries this stream's ops, fixed by the first op.
    pub(super) home: HomeLink,
    /// Queues, ops and waiters; see `ConnState`.
    state: Mutex<ConnState>,
}

impl ConnShared {
    /// A stream on `fd`, with no home driver until its first op.
    pub(super) fn new(fd: OwnedFd, origin: Origin) -> ConnShared {
        let mut state = ConnState::default();
        // An accepted socket often holds the peer's first bytes already: its
        // first read tries the socket (one `recv` per connection) before a
        // receive is armed, as tokio's does, instead of waiting a tick.
        let accepted = origin == Origin::Accepted;
        state.read.assume_readable = accepted;
        state.read.readable = accepted;
        ConnShared { fd, home: HomeLink::new(), state: Mutex::new(state) }
    }

    /// The stream's state, locked.
    pub(super) fn lock(&self) -> MutexGuard<'_, ConnState> {
        self.state.lock().expect("stream state poisoned")
    }

    /// Fails once the home driver has shut down: the socket itself would
    /// still take direct reads and writes, but tokio's rule is that I/O on a
    /// dead runtime's object errors.
    pub(super) fn check_alive(&self) -> io::Result<()> {
        match self.home.get() {
            Some(home) if home.is_closed() => Err(super::shut_down()),
            _ => Ok(()),
        }
    }

    /// Asks the home driver to reconcile this stream's ops with its state.
    /// Fails once the home driver has shut down: nothing would serve the op.
    pub(super) fn kick(self: &Arc<Self>) -> io::Result<()> {
        self.home.kick(|| Kick::Reconcile(self.clone()))
    }

    fn sync_recv(self: &Arc<Self>, st: &mut ConnState, ring: &mut Ring) {
        let fd = types::Fd(self.fd.as_raw_fd());
        if st.wants_recv() && ring.accepting_ops() {
            // From now on bytes come through the receive, not the socket.
            st.read.readable = false;
            let entry = opcode::RecvMulti::new(fd, RECV_GROUP).build();
            st.read.recv_op.arm(ring, entry, InFlight::of(self.clone(), RECV));
        } else if st.closed || st.read.rx.len() >= RECV_HIGH_WATER || st.read.mode.on_demand() {
            st.read.recv_op.cancel(ring);
        }
        if st.wants_poll() && ring.accepting_ops() {
            let entry = opcode::PollAdd::new(fd, (libc::POLLIN | libc::POLLRDHUP) as u32).multi(true).build();
            st.read.poll_op.arm(ring, entry, InFlight::of(self.clone(), POLL));
        } else if !st.receiving() || !st.read.mode.on_demand() {
            st.read.poll_op.cancel(ring);
        }
    }

    fn sync_send(self: &Arc<Self>, st: &mut ConnState, ring: &mut Ring) {
        if st.write.send_op.is_armed() || st.write.write_error.is_some() || !ring.accepting_ops() {
            return;
        }
        if let Some(chunk) = st.write.tx.next_chunk() {
            let entry = opcode::Send::new(types::Fd(self.fd.as_raw_fd()), chunk.as_ptr(), chunk.len() as u32)
                .flags(libc::MSG_NOSIGNAL)
                .build();
            st.write.send_op.arm(ring, entry, InFlight::of(self.clone(), SEND));
        } else if st.write.shutdown == Shutdown::Requested {
            st.write.shutdown = Shutdown::InFlight;
            let entry = opcode::Shutdown::new(types::Fd(self.fd.as_raw_fd()), libc::SHUT_WR).build();
            ring.submit(entry, InFlight::of(self.clone(), SHUTDOWN));
        }
    }

    fn on_recv(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        let mut switched = false;
        match done.result {
            n if n > 0 => {
                let Some(bid) = cqueue::buffer_select(done.flags) else {
                    // Not something the kernel does; fail the connection, don't panic.
                    st.read.read_error = Some(io::Error::from_raw_os_error(libc::EIO));
                    return self.recv_ended(st, done, ring, false);
                };
                if !st.closed {
                    st.read.rx.extend(ring.bufs.bytes(bid, n as usize));
                }
                ring.bufs.taken();
                ring.bufs.push(bid);
                switched = st.read.mode.observe_received(n as usize, ring.bufs.size());
            }
            0 => st.read.eof = true,
            // The receive ended without data (buffers ran out, cancelled,
            // interrupted): armed again while the reader wants bytes.
            e if matches!(-e, libc::ENOBUFS | libc::ECANCELED | libc::EAGAIN | libc::EINTR) => {}
            e => st.read.read_error = Some(io::Error::from_raw_os_error(-e)),
        }
        self.recv_ended(st, done, ring, switched);
    }

    /// After a receive completion: forget an ended receive, arm or cancel
    /// what the state now calls for, wake the reader.
    fn recv_ended(
        self: &Arc<Self>,
        mut st: MutexGuard<'_, ConnState>,
        done: &Completion,
        ring: &mut Ring,
        switched: bool,
    ) {
        let last = st.read.recv_op.completed(done);
        // Past the high-water mark the receive must be cancelled now: a
        // reader that stopped reading will not come back to ask.
        if last || switched || st.read.rx.len() >= RECV_HIGH_WATER {
            self.sync_recv(&mut st, ring);
        }
        let readers = st.read.read_waiters.take();
        drop(st);
        readers.wake();
    }

    /// The on-demand poll fired (or ended): the reader may try the socket.
    fn on_poll(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        if done.result != -libc::ECANCELED && st.read.mode.on_demand() {
            // An error shows on the reader's own `recv`.
            st.read.readable = true;
            st.read.read_hup |= done.result < 0 || done.result & HUP_EVENTS != 0;
        }
        if st.read.poll_op.completed(done) {
            self.sync_recv(&mut st, ring);
        }
        let readers = st.read.read_waiters.take();
        drop(st);
        readers.wake();
    }

    fn on_send(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        st.write.send_op.completed(done);
        let mut readers = Woken::default();
        if matches!(-done.result, libc::EAGAIN | libc::EINTR | libc::ECANCELED) {
            // Nothing sent; tokio's write would retry too. (Cancelled: the
            // driver is shutting down, and `take_unsent` keeps the bytes.)
            self.sync_send(&mut st, ring);
        } else if done.result < 0 {
            st.write.tx.clear();
            readers = st.fail(io::Error::from_raw_os_error(-done.result));
        } else {
            st.write.tx.advance(done.result as usize);
            self.sync_send(&mut st, ring);
        }
        let writers = st.write.write_waiters.take();
        drop(st);
        readers.wake();
        writers.wake();
    }

    fn on_shutdown(&self, done: &Completion) {
        let mut st = self.lock();
        st.write.shutdown = Shutdown::Done;
        let mut readers = Woken::default();
        if done.result < 0 && -done.result != libc::ENOTCONN {
            readers = st.fail(io::Error::from_raw_os_error(-done.result));
        }
        let writers = st.write.write_waiters.take();
        drop(st);
        readers.wake();
        writers.wake();
    }
}

impl Owner for ConnShared {
    /// Submits or cancels whatever the state now calls for.
    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        self.home.reconciled();
        let mut st = self.lock();
        self.sync_recv(&mut st, ring);
        self.sync_send(&mut st, ring);
    }

    fn driver_closed(&self) {
        let mut wakers = Vec::new();
        let mut st = self.lock();
        st.read.read_waiters.take_all(&mut wakers);
        st.write.write_waiters.take_all(&mut wakers);
        // Woken with the lock released: a waker may hold the last handle to
        // the stream, whose drop takes the lock.
        drop(st);
        wakers.into_iter().for_each(std::task::Waker::wake);
    }

    fn take_unsent(&self) -> Option<Unsent> {
        let mut st = self.lock();
        if st.write.send_op.is_armed() {
            // The kernel may still read the queue (the driver gave up
            // waiting): it stays where it is, with the leaked ring.
            return None;
        }
        let shutdown = st.write.shutdown == Shutdown::Requested;
        let bytes = st.write.tx.take_unsent();
        if bytes.is_empty() && !shutdown {
            return None;
        }
        if shutdown {
            st.write.shutdown = Shutdown::Done;
        }
        // Without a second fd (none left) the bytes are lost, as on exit.
        let fd = self.fd.try_clone().ok()?;
        Some(Unsent { fd, bytes, shutdown })
    }

    fn on_completion(self: Arc<Self>, tag: OpTag, done: &Completion, ring: &mut Ring) {
        match tag {
            RECV => self.on_recv(done, ring),
            POLL => self.on_poll(done, ring),
            SEND => self.on_send(done, ring),
            _ => self.on_shutdown(done),
        }
    }

    #[cfg(feature = "fault-injection")]
    fn op_kind(&self, tag: OpTag) -> Option<super::faults::OpKind> {
        use super::faults::OpKind;
        Some(match tag {
            RECV => OpKind::Recv,
            POLL => OpKind::ReadinessPoll,
            SEND => OpKind::Send,
            _ => OpKind::Shutdown,
        })
    }
}
