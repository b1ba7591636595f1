//! A listening socket on io_uring: while someone accepts, a watch on its
//! epoll fd says when connections arrive and one-shot accepts take them,
//! feeding a queue of accepted sockets (see `accept_watch` for why no accept
//! stays pending in the ring).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::accept_watch::{accept_entry, more_queued, AcceptWatch};
use super::armed::ArmedOp;
use super::home_link::HomeLink;
use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::stream::set_nonblocking;
use super::Kick;
use crate::driver::waiters::Waiters;

/// Accepted sockets a listener may queue before its accept is paused.
const ACCEPT_BACKLOG: usize = 1024;
/// The multishot poll of the epoll fd.
const WATCH: OpTag = 0;
/// A one-shot accept.
const ACCEPT: OpTag = 1;

pub(crate) struct Listener {
    shared: Arc<ListenerShared>,
}

pub(crate) struct ListenerShared {
    /// The listening socket.
    fd: OwnedFd,
    /// Its epoll fd, which the ring polls instead of the socket.
    watch: AcceptWatch,
    /// The driver whose ring carries the ops.
    home: HomeLink,
    state: Mutex<ListenerState>,
}

#[derive(Default)]
struct ListenerState {
    /// Accepted sockets not yet handed out.
    accepted: VecDeque<OwnedFd>,
    /// The one error to hand out (EMFILE, ...): no accept is submitted until
    /// `poll_accept` has returned it and is asked again, so each error
    /// answers one accept call, and the next call retries for real.
    error: Option<io::Error>,
    /// The multishot poll of the epoll fd.
    watch_op: ArmedOp,
    /// The one-shot accept.
    accept_op: ArmedOp,
    /// A connection may be waiting: submit an accept when none is in flight.
    ready: bool,
    /// The last accept said more connections are queued (TCP's
    /// SOCK_NONEMPTY): the next takes them all, a multishot accept that ends
    /// at EAGAIN; otherwise the next is one-shot (EAGAIN when none waits).
    burst: bool,
    /// Someone is accepting: keep the watch armed.
    interest: bool,
    /// Every task waiting in `poll_accept`: tokio lets several tasks accept
    /// on one listener, and a connection (or an error) wakes them all.
    waiters: Waiters,
    /// The handle is gone: stop accepting.
    closed: bool,
}

impl Listener {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Listener> {
        set_nonblocking(&fd, false)?;
        Ok(Listener {
            shared: Arc::new(ListenerShared {
                watch: AcceptWatch::new(&fd)?,
                fd,
                home: HomeLink::new(),
                state: Mutex::new(ListenerState::default()),
            }),
        })
    }

    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(OwnedFd, socket2::SockAddr)>> {
        if self.shared.home.get().is_some_and(|home| home.is_closed()) {
            return Poll::Ready(Err(super::shut_down()));
        }
        let mut st = self.shared.lock();
        while let Some(fd) = st.accepted.pop_front() {
            // A connection reset before we looked has no peer: skip it.
            if let Ok(peer) = socket2::SockRef::from(&fd).peer_addr() {
                return Poll::Ready(Ok((fd, peer)));
            }
        }
        if let Some(e) = st.error.take() {
            // The next call retries for real.
            st.ready = true;
            return Poll::Ready(Err(e));
        }
        st.waiters.add_ready(cx);
        let arm = !st.interest || !st.watch_op.is_armed() || (st.ready && !st.accept_op.is_armed());
        st.interest = true;
        drop(st);
        if arm {
            self.shared.kick()?;
        }
        Poll::Pending
    }

    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        let fd = self.shared.fd.try_clone()?;
        set_nonblocking(&fd, true)?;
        Ok(fd)
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.fd.as_raw_fd()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.closed = true;
        st.accepted.clear();
        drop(st);
        self.shared.home.closed(|| Kick::Reconcile(self.shared.clone()));
    }
}

impl ListenerShared {
    fn lock(&self) -> MutexGuard<'_, ListenerState> {
        self.state.lock().expect("listener state poisoned")
    }

    /// Fails once the home driver has shut down: nothing would accept.
    fn kick(self: &Arc<Self>) -> io::Result<()> {
        self.home.kick(|| Kick::Reconcile(self.clone()))
    }

    fn sync_accept(self: &Arc<Self>, st: &mut ListenerState, ring: &mut Ring) {
        let wanted = st.interest
            && !st.closed
            && st.error.is_none()
            && st.accepted.len() < ACCEPT_BACKLOG
            && ring.accepting_ops();
        if !wanted {
            st.watch_op.cancel(ring);
            st.accept_op.cancel(ring);
            return;
        }
        if !st.watch_op.is_armed() {
            // Armed on a listener with connections waiting, it completes at
            // once; until it does, try an accept anyway.
            st.ready = true;
            st.watch_op.arm(ring, self.watch.poll_entry(), InFlight::of(self.clone(), WATCH));
        }
        if st.ready && !st.accept_op.is_armed() {
            st.ready = false;
            let entry = accept_entry(self.fd.as_raw_fd(), std::mem::take(&mut st.burst));
            st.accept_op.arm(ring, entry, InFlight::of(self.clone(), ACCEPT));
        }
    }

    /// A completion of the epoll watch: a connection may be waiting.
    fn on_ready(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        // Once ended (cancelled, or overflow) it is re-armed if wanted.
        st.watch_op.completed(done);
        if done.result >= 0 {
            st.ready = true;
        }
        self.sync_accept(&mut st, ring);
    }

    /// A completion of an accept.
    fn on_accept(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        let last = st.accept_op.completed(done);
        match done.result {
            fd @ 0.. => {
                // SAFETY: a successful accept completion carries a new fd we own.
                let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                if !st.closed {
                    st.accepted.push_back(fd);
                }
                if last {
                    // Accept until EAGAIN: only TCP says whether more wait
                    // (a Unix listener's completion never does, and the
                    // watch's wake-ups for a burst of arrivals coalesce).
                    st.ready = true;
                    st.burst = more_queued(done.flags);
                }
            }
            errno => {
                let errno = -errno;
                if crate::driver::accept_error_skipped(errno) {
                    st.ready = true;
                } else if errno != libc::EAGAIN && errno != libc::ECANCELED && !st.closed && st.error.is_none() {
                    st.error = Some(io::Error::from_raw_os_error(errno));
                }
            }
        }
        self.sync_accept(&mut st, ring);
        if !st.accepted.is_empty() || st.error.is_some() {
            let mut wakers = Vec::new();
            st.waiters.take_all(&mut wakers);
            drop(st);
            wake_all(wakers);
        }
    }
}

/// Wakes `wakers`, with no lock held: a waker may hold the last reference
/// to the listener, whose drop takes its lock.
fn wake_all(wakers: Vec<Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

impl Owner for ListenerShared {
    fn driver_closed(&self) {
        let mut wakers = Vec::new();
        self.lock().waiters.take_all(&mut wakers);
        wake_all(wakers);
    }

    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        self.home.reconciled();
        let mut st = self.lock();
        self.sync_accept(&mut st, ring);
    }

    fn on_completion(self: Arc<Self>, tag: OpTag, done: &Completion, ring: &mut Ring) {
        match tag {
            WATCH => self.on_ready(done, ring),
            _ => self.on_accept(done, ring),
        }
    }

    #[cfg(feature = "fault-injection")]
    fn op_kind(&self, tag: OpTag) -> Option<super::faults::OpKind> {
        use super::faults::OpKind;
        Some(if tag == WATCH { OpKind::AcceptWatch } else { OpKind::Accept })
    }
}
