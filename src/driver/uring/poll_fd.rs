//! Readiness of any fd on io_uring, through an epoll instance of its own
//! that the ring polls (one multishot `POLL_ADD`), as `accept_watch.rs`
//! does for listeners.
//!
//! A poll op on the fd itself would hold a reference to its file until the
//! op completes, so dropping the `AsyncFd` (or a child's pipe) would close
//! the file only once the driver had cancelled that op: a peer waiting for
//! EOF, checked right after the drop, would not see it. An epoll instance
//! holds no such reference (and needs the fd's number only to register it,
//! here, at once), so the caller's fd closes when the caller closes it.
//!
//! The fd is registered edge-triggered for both halves, so the readiness
//! bookkeeping is exactly the mio backend's [`ScheduledIo`]: each completion
//! drains the epoll instance and records the event, and a task clears
//! readiness when a call says `WouldBlock`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use io_uring::{opcode, types};

use super::armed::ArmedOp;
use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::{shut_down, Handle, Kick};
use crate::driver::poll::{Direction, ReadyEvent, ScheduledIo};
use crate::driver::waiters::WaitFor;
use crate::driver::Ready;

/// An fd whose readiness the ring reports.
pub(crate) struct PollFd {
    /// What the driver's slab holds too.
    shared: Arc<Shared>,
}

/// What the future side and the driver's slab share.
struct Shared {
    /// The driver the watch runs on.
    home: Arc<Handle>,
    /// Readiness bits, event tick and waiters of both halves.
    io: ScheduledIo,
    /// The epoll instance watching only the fd; the ring polls it.
    epoll: OwnedFd,
    /// The watch op, and whether the `PollFd` is gone.
    state: Mutex<WatchState>,
}

/// The multishot poll of the epoll fd.
#[derive(Default)]
struct WatchState {
    /// The armed watch.
    op: ArmedOp,
    /// The `PollFd` is gone: cancel the watch, arm nothing more.
    closed: bool,
}

/// What an epoll (or poll) event mask means for both halves, as mio reads
/// epoll's: errors and hang-ups make the halves ready, so the next call
/// reports them. (`EPOLL*` and `POLL*` bits have the same values.)
fn event_readiness(events: u32) -> Ready {
    let has = |bits: libc::c_int| events & (bits as u32) != 0;
    let error = has(libc::EPOLLERR);
    let mut ready = Ready::EMPTY;
    if has(libc::EPOLLIN | libc::EPOLLPRI) {
        ready |= Ready::READABLE;
    }
    if has(libc::EPOLLHUP | libc::EPOLLRDHUP) || error {
        ready |= Ready::READ_CLOSED;
    }
    if has(libc::EPOLLOUT | libc::EPOLLHUP) || error {
        ready |= Ready::WRITABLE;
    }
    if has(libc::EPOLLHUP) || error {
        ready |= Ready::WRITE_CLOSED;
    }
    if has(libc::EPOLLPRI) {
        ready |= Ready::PRIORITY;
    }
    if error {
        ready |= Ready::ERROR;
    }
    ready
}

impl PollFd {
    /// Watches `fd` on the current worker's ring, until dropped or until
    /// every fd of its file description is closed.
    ///
    /// # Errors
    /// epoll refuses the fd (a regular file or a directory: `EPERM`, as with
    /// tokio), or the driver has shut down.
    pub(crate) fn new(fd: BorrowedFd<'_>) -> io::Result<PollFd> {
        // SAFETY: epoll_create1(2) returns a new fd or -1.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: epoll_create1 returned a fresh fd we now own.
        let epoll = unsafe { OwnedFd::from_raw_fd(raw) };
        let events = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLPRI | libc::EPOLLRDHUP | libc::EPOLLET;
        let mut event = libc::epoll_event { events: events as u32, u64: 0 };
        // SAFETY: both fds are open; `event` is a valid epoll_event.
        if unsafe { libc::epoll_ctl(raw, libc::EPOLL_CTL_ADD, fd.as_raw_fd(), &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let home = super::current_home();
        home.object_opened();
        let io = ScheduledIo::new(0, Ready::EMPTY);
        let shared = Arc::new(Shared { home, io, epoll, state: Mutex::new(WatchState::default()) });
        if !shared.home.kick(Kick::Reconcile(shared.clone())) {
            return Err(shut_down());
        }
        Ok(PollFd { shared })
    }

    /// Ready with `dir`'s readiness once it is (believed) ready; without a
    /// context, "not ready" is `Err(WouldBlock)`, with one the task waits
    /// as `kind`.
    pub(crate) fn poll_ready_event(
        &self,
        cx: Option<&mut Context<'_>>,
        dir: Direction,
        kind: WaitFor,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.shared.io.poll_ready(cx, dir, kind)
    }

    /// Forgets the `bits` of `event`, unless an event arrived since.
    pub(crate) fn clear_matching(&self, event: ReadyEvent, bits: Ready) {
        self.shared.io.clear_matching(event, bits);
    }
}

impl Drop for PollFd {
    /// Asks the driver to cancel the watch.
    fn drop(&mut self) {
        self.shared.state().closed = true;
        let _ = self.shared.home.kick(Kick::Reconcile(self.shared.clone()));
    }
}

impl Shared {
    /// The watch state, locked.
    fn state(&self) -> MutexGuard<'_, WatchState> {
        self.state.lock().expect("poll watch state poisoned")
    }

    /// Records the pending event, if any, and wakes the tasks it satisfies.
    fn drain_events(&self) {
        let mut event = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: the epoll fd is open; room for one event, which is all one
        // watched fd can yield; timeout 0 never blocks.
        let n = unsafe { libc::epoll_wait(self.epoll.as_raw_fd(), &mut event, 1, 0) };
        if n == 1 {
            let mut wake = Vec::new();
            self.io.set_readiness(event_readiness(event.events), &mut wake);
            wake.into_iter().for_each(Waker::wake);
        }
    }

    /// Driver shutdown, or a watch the kernel ended: every wait fails.
    fn fail_waiters(&self) {
        let mut wake = Vec::new();
        self.io.shutdown(&mut wake);
        wake.into_iter().for_each(Waker::wake);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.home.object_closed();
    }
}

impl Owner for Shared {
    fn driver_closed(&self) {
        self.fail_waiters();
    }

    /// Arms the watch, or cancels it once the `PollFd` is gone.
    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        let mut st = self.state();
        if st.closed {
            return st.op.cancel(ring);
        }
        if !ring.accepting_ops() {
            drop(st);
            return self.fail_waiters();
        }
        if !st.op.is_armed() {
            let entry =
                opcode::PollAdd::new(types::Fd(self.epoll.as_raw_fd()), libc::POLLIN as u32).multi(true).build();
            st.op.arm(ring, entry, InFlight::of(self.clone(), 0));
        }
    }

    /// The epoll fd turned readable: record the event; re-arm a watch the
    /// kernel ended (a full completion queue ends multishot polls).
    fn on_completion(self: Arc<Self>, _tag: OpTag, done: &Completion, ring: &mut Ring) {
        let mut st = self.state();
        let ended = st.op.completed(done);
        if st.closed {
            return;
        }
        if done.result < 0 {
            drop(st);
            return self.fail_waiters();
        }
        drop(st);
        self.drain_events();
        if ended {
            self.reconcile(ring);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_masks_map_to_both_halves_like_mio() {
        let r = |bits: libc::c_int| event_readiness(bits as u32);
        assert_eq!(r(libc::EPOLLIN), Ready::READABLE);
        assert_eq!(r(libc::EPOLLPRI), Ready::READABLE | Ready::PRIORITY);
        assert_eq!(r(libc::EPOLLERR), Ready::ALL - Ready::READABLE - Ready::PRIORITY);
        assert_eq!(r(libc::EPOLLOUT), Ready::WRITABLE);
        assert_eq!(r(libc::EPOLLHUP), Ready::READ_CLOSED | Ready::WRITABLE | Ready::WRITE_CLOSED);
        assert_eq!(r(libc::EPOLLIN | libc::EPOLLRDHUP), Ready::READABLE | Ready::READ_CLOSED);
    }
}
