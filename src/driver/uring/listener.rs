//! A listening socket on io_uring: one multishot accept, armed while someone
//! accepts, feeding a queue of accepted sockets.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use io_uring::{opcode, types};

use super::armed::ArmedOp;
use super::home_link::HomeLink;
use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::stream::set_nonblocking;
use super::Kick;
use crate::driver::waiters::{set_waker, wake};

/// Accepted sockets a listener may queue before its accept is paused.
const ACCEPT_BACKLOG: usize = 1024;

pub(crate) struct Listener {
    shared: Arc<ListenerShared>,
}

pub(crate) struct ListenerShared {
    fd: OwnedFd,
    home: HomeLink,
    state: Mutex<ListenerState>,
}

#[derive(Default)]
struct ListenerState {
    accepted: VecDeque<io::Result<OwnedFd>>,
    /// The multishot accept.
    accept_op: ArmedOp,
    /// Someone is accepting: keep an accept armed.
    interest: bool,
    waker: Option<Waker>,
    closed: bool,
}

impl Listener {
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Listener> {
        set_nonblocking(&fd, false)?;
        Ok(Listener {
            shared: Arc::new(ListenerShared {
                fd,
                home: HomeLink::default(),
                state: Mutex::new(ListenerState::default()),
            }),
        })
    }

    pub(crate) fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(OwnedFd, socket2::SockAddr)>> {
        let mut st = self.shared.lock();
        while let Some(accepted) = st.accepted.pop_front() {
            let fd = match accepted {
                Ok(fd) => fd,
                Err(e) => return Poll::Ready(Err(e)),
            };
            // A connection reset before we looked has no peer: skip it.
            if let Ok(peer) = socket2::SockRef::from(&fd).peer_addr() {
                return Poll::Ready(Ok((fd, peer)));
            }
        }
        st.interest = true;
        set_waker(&mut st.waker, cx);
        let arm = !st.accept_op.is_armed();
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
        let wanted = st.interest && !st.closed && st.accepted.len() < ACCEPT_BACKLOG && ring.accepting_ops();
        if !wanted {
            st.accept_op.cancel(ring);
        } else if !st.accept_op.is_armed() {
            let entry = opcode::AcceptMulti::new(types::Fd(self.fd.as_raw_fd())).flags(libc::SOCK_CLOEXEC).build();
            st.accept_op.arm(ring, entry, InFlight::of(self.clone(), 0));
        }
    }

    fn on_accept(self: &Arc<Self>, done: &Completion, ring: &mut Ring) {
        let mut st = self.lock();
        if done.result >= 0 {
            // SAFETY: a successful accept completion carries a new fd we own.
            let fd = unsafe { OwnedFd::from_raw_fd(done.result) };
            if !st.closed {
                st.accepted.push_back(Ok(fd));
            }
        } else if -done.result != libc::ECANCELED && !st.closed {
            st.accepted.push_back(Err(io::Error::from_raw_os_error(-done.result)));
        }
        let last = st.accept_op.completed(done);
        if st.accepted.len() >= ACCEPT_BACKLOG || last {
            self.sync_accept(&mut st, ring);
        }
        wake(&mut st.waker);
    }
}

impl Owner for ListenerShared {
    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        self.home.reconciled();
        let mut st = self.lock();
        self.sync_accept(&mut st, ring);
    }

    /// The multishot accept is the listener's only op.
    fn on_completion(self: Arc<Self>, _tag: OpTag, done: &Completion, ring: &mut Ring) {
        self.on_accept(done, ring);
    }
}
