//! Readiness of any fd on io_uring: one-shot `POLL_ADD`s, one per half,
//! armed whenever that half is not known to be ready (at creation, after a
//! clear, when a task waits), as epoll keeps watching a registered fd.
//!
//! The readiness bookkeeping (bits, event tick, waiters) is the mio
//! backend's [`ScheduledIo`], so both backends clear and wake alike; here a
//! poll completion plays the part of an epoll event. A poll checks the
//! file's state when it is armed, so a half cleared after a `WouldBlock` and
//! then waited on again never misses readiness that came in between.
//!
//! The driver's slab holds the shared state (and with it the fd) until each
//! poll's completion: the fd closes only after every poll on it is done.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use io_uring::{opcode, types};

use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::{shut_down, Handle, Kick};
use crate::driver::poll::{Direction, ReadyEvent, ScheduledIo};
use crate::driver::waiters::WaitFor;
use crate::io::Ready;

/// An fd whose readiness the ring reports; owns (a duplicate of) the fd.
pub(crate) struct PollFd {
    shared: Arc<Shared>,
}

/// What the future side and the driver's slab share.
struct Shared {
    /// The driver the polls go to.
    home: Arc<Handle>,
    /// Readiness bits, event tick and waiters of both halves.
    io: ScheduledIo,
    /// Which polls are armed or wanted.
    state: Mutex<Arms>,
    /// The fd polled; closed when the last poll's completion lets go.
    fd: OwnedFd,
}

/// Per half (index: [`half`]): the armed poll's user_data, and whether a
/// waiting task asked for one.
#[derive(Default)]
struct Arms {
    /// The user_data of each half's armed poll.
    armed: [Option<u64>; 2],
    /// A poll is wanted for this half at the next reconcile.
    wanted: [bool; 2],
    /// The `PollFd` is gone: arm nothing more.
    closed: bool,
}

/// The index of `dir` in [`Arms`], which is also the poll's op tag.
fn half(dir: Direction) -> usize {
    match dir {
        Direction::Read => 0,
        Direction::Write => 1,
    }
}

/// The poll mask that waits for half `i`.
fn poll_mask(i: usize) -> u32 {
    let mask = if i == 0 { libc::POLLIN | libc::POLLPRI | libc::POLLRDHUP } else { libc::POLLOUT };
    mask as u32
}

/// What a poll's returned mask means for both halves, as mio reads epoll's:
/// errors and hang-ups make the halves ready, so the next call reports them.
fn revents_readiness(revents: u32) -> Ready {
    let has = |bits: libc::c_short| revents & (bits as u32) != 0;
    let error = has(libc::POLLERR);
    let mut ready = Ready::EMPTY;
    if has(libc::POLLIN | libc::POLLPRI) {
        ready |= Ready::READABLE;
    }
    if has(libc::POLLHUP | libc::POLLRDHUP) || error {
        ready |= Ready::READ_CLOSED;
    }
    if has(libc::POLLOUT) || has(libc::POLLHUP) || error {
        ready |= Ready::WRITABLE;
    }
    if has(libc::POLLHUP) || error {
        ready |= Ready::WRITE_CLOSED;
    }
    ready
}

impl PollFd {
    /// Polls `fd` on the current worker's ring, arming a poll for each half
    /// of `initial` at once (as epoll reports a new fd's state).
    pub(crate) fn new(fd: OwnedFd, initial: &[Direction]) -> io::Result<PollFd> {
        let home = super::home();
        home.object_opened();
        let io = ScheduledIo::new(0, Ready::EMPTY);
        let shared = Arc::new(Shared { home, io, state: Mutex::new(Arms::default()), fd });
        let poll_fd = PollFd { shared };
        for &dir in initial {
            poll_fd.want(dir)?;
        }
        Ok(poll_fd)
    }

    /// Ready with `dir`'s readiness once it is (believed) ready; without a
    /// context, "not ready" is `Err(WouldBlock)`. A waiting task gets a poll
    /// armed for it.
    pub(crate) fn poll_ready_event(
        &self,
        cx: Option<&mut Context<'_>>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let waiting = cx.is_some();
        match self.shared.io.poll_ready(cx, dir, WaitFor::Readiness) {
            Poll::Pending if waiting => match self.want(dir) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
            other => other,
        }
    }

    /// Forgets the `bits` of `event`, unless a poll completed since, and
    /// re-arms the poll of each half that is no longer ready, as epoll keeps
    /// watching: a later `try_io` sees new readiness even if no task waits.
    pub(crate) fn clear_matching(&self, event: ReadyEvent, bits: Ready) {
        self.shared.io.clear_matching(event, bits);
        for dir in [Direction::Read, Direction::Write] {
            let cleared = !(event.ready() & bits & dir.ready()).is_empty();
            let not_ready = matches!(self.shared.io.poll_ready(None, dir, WaitFor::Readiness), Poll::Ready(Err(_)));
            if cleared && not_ready {
                let _ = self.want(dir);
            }
        }
    }

    /// Asks the driver for a poll of `dir`, unless one is armed or asked for.
    fn want(&self, dir: Direction) -> io::Result<()> {
        let mut arms = self.shared.arms();
        let i = half(dir);
        if arms.armed[i].is_some() || arms.wanted[i] {
            return Ok(());
        }
        arms.wanted[i] = true;
        drop(arms);
        if self.shared.home.kick(Kick::Reconcile(self.shared.clone())) {
            Ok(())
        } else {
            Err(shut_down())
        }
    }
}

impl Drop for PollFd {
    /// Cancels the armed polls; their completions free the shared state.
    fn drop(&mut self) {
        let mut arms = self.shared.arms();
        arms.closed = true;
        for user_data in arms.armed.iter().flatten() {
            let _ = self.shared.home.kick(Kick::Cancel(*user_data));
        }
    }
}

impl Shared {
    /// The arm flags, locked.
    fn arms(&self) -> MutexGuard<'_, Arms> {
        self.state.lock().expect("poll arms poisoned")
    }

    /// Driver shutdown, or a poll that failed: every wait on the fd fails.
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
    /// Arms a poll for each half a task asked for.
    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        let mut arms = self.arms();
        if arms.closed {
            return;
        }
        if !ring.accepting_ops() {
            drop(arms);
            return self.fail_waiters();
        }
        for i in 0..2 {
            if arms.wanted[i] && arms.armed[i].is_none() {
                arms.wanted[i] = false;
                let entry = opcode::PollAdd::new(types::Fd(self.fd.as_raw_fd()), poll_mask(i)).build();
                let tag = OpTag::try_from(i).expect("two halves");
                arms.armed[i] = Some(ring.submit(entry, InFlight::of(self.clone(), tag)));
            }
        }
    }

    /// Records what the poll saw and wakes the half's waiters.
    fn on_completion(self: Arc<Self>, tag: OpTag, done: &Completion, ring: &mut Ring) {
        let mut arms = self.arms();
        arms.armed[usize::from(tag)] = None;
        let closed = arms.closed;
        drop(arms);
        match u32::try_from(done.result) {
            Ok(revents) => {
                let mut wake = Vec::new();
                self.io.set_readiness(revents_readiness(revents), &mut wake);
                wake.into_iter().for_each(Waker::wake);
            }
            Err(_) if closed => {}
            // Cancelled by the driver's shutdown; or a poll the kernel refused.
            Err(_) if !ring.accepting_ops() || done.result == -libc::ECANCELED => self.fail_waiters(),
            // Make both halves ready: the caller's next call meets the error.
            Err(_) => {
                let mut wake = Vec::new();
                let all = Ready::READABLE | Ready::READ_CLOSED | Ready::WRITABLE | Ready::WRITE_CLOSED;
                self.io.set_readiness(all, &mut wake);
                wake.into_iter().for_each(Waker::wake);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_masks_map_to_both_halves_like_epoll_events() {
        let r = |bits: libc::c_short| revents_readiness(bits as u32);
        assert_eq!(r(libc::POLLIN), Ready::READABLE);
        assert_eq!(r(libc::POLLOUT), Ready::WRITABLE);
        assert_eq!(r(libc::POLLHUP), Ready::READ_CLOSED | Ready::WRITABLE | Ready::WRITE_CLOSED);
        assert_eq!(r(libc::POLLIN | libc::POLLRDHUP), Ready::READABLE | Ready::READ_CLOSED);
    }
}
