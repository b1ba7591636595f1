//! [`FdReady`]: the readiness of any fd (a pipe, a pidfd, a socket a caller
//! made), on either backend, for `AsyncFd` and the process pipes.
//!
//! The caller keeps its own fd. mio: a [`Registration`] of a duplicate of
//! it with the worker's poller (deregistered and closed when the watch is
//! dropped, so the registration never outlives the file description nor
//! follows a number the caller reused). io_uring: a
//! [`PollFd`](super::uring::PollFd), an epoll instance of the fd's own that
//! the ring polls (which needs the fd's number only to register it). Both are edge-triggered epoll with the same readiness
//! bookkeeping, so a task sees the same clear-and-wait rules.

use std::io;
use std::os::fd::BorrowedFd;
use std::task::{Context, Poll};

use super::poll::{Direction, ReadyEvent, Registration};
use super::waiters::WaitFor;
use crate::driver::{Interest, Ready};

/// An fd's readiness, on the current runtime's backend.
pub(crate) enum FdReady {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(super::uring::PollFd),
    Poll(Registration),
}

impl FdReady {
    /// Watches `fd`, both halves, with the current worker's driver (mio
    /// registers a duplicate of it).
    ///
    /// # Errors
    /// The duplicate could not be made, or epoll refused the fd (a regular
    /// file or a directory is `PermissionDenied`, as with tokio).
    #[track_caller]
    pub(crate) fn new(fd: BorrowedFd<'_>) -> io::Result<FdReady> {
        super::context::io_backend()?;
        match super::context::current() {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            super::Handle::Uring(_) => super::uring::PollFd::new(fd).map(FdReady::Uring),
            super::Handle::Poll(_) => {
                let registration = Registration::new(fd.try_clone_to_owned()?, Ready::EMPTY);
                registration.register_now()?;
                Ok(FdReady::Poll(registration))
            }
        }
    }

    /// Ready with `dir`'s readiness once it is (believed) ready. Without a
    /// context, "not ready" is `Err(WouldBlock)`; with one, the task waits as
    /// `kind`: the half's one `poll_*_ready` task (the latest waker wins, as
    /// in tokio) or one of any number of readiness waiters.
    pub(crate) fn poll_ready(
        &self,
        cx: Option<&mut Context<'_>>,
        dir: Direction,
        kind: WaitFor,
    ) -> Poll<io::Result<ReadyEvent>> {
        on_backend!(self, FdReady, r => r.poll_ready_event(cx, dir, kind))
    }

    /// Forgets the `bits` of `event` (a call found them used up), unless an
    /// event arrived since it was observed.
    pub(crate) fn clear_matching(&self, event: ReadyEvent, bits: Ready) {
        on_backend!(self, FdReady, r => r.clear_matching(event, bits))
    }
}

/// Edge-triggered readiness with tokio's clear-and-wait rules: an
/// [`FdReady`] watch, or a mio socket's own [`Registration`].
pub(crate) trait ReadySource: Sync {
    /// Ready with `dir`'s readiness once it is (believed) ready; see
    /// [`FdReady::poll_ready`].
    fn poll_dir(&self, cx: Option<&mut Context<'_>>, dir: Direction, kind: WaitFor) -> Poll<io::Result<ReadyEvent>>;

    /// Forgets the `bits` of `event`, unless an event arrived since.
    fn clear_bits(&self, event: ReadyEvent, bits: Ready);

    /// Ready once any half of `interest` is ready, with the bits of every
    /// half that is; the task waits as one of any number of waiters.
    fn poll_interest(&self, mut cx: Option<&mut Context<'_>>, interest: Interest) -> Poll<io::Result<ReadyEvent>> {
        let mut seen: Option<ReadyEvent> = None;
        for dir in directions(interest) {
            match self.poll_dir(cx.as_deref_mut(), dir, WaitFor::Readiness) {
                Poll::Ready(Ok(event)) => seen = Some(seen.map_or(event, |s| s.merge(event))),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        match seen {
            Some(event) => Poll::Ready(Ok(event)),
            None if cx.is_none() => Poll::Ready(Err(io::ErrorKind::WouldBlock.into())),
            None => Poll::Pending,
        }
    }
}

impl ReadySource for FdReady {
    fn poll_dir(&self, cx: Option<&mut Context<'_>>, dir: Direction, kind: WaitFor) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready(cx, dir, kind)
    }

    fn clear_bits(&self, event: ReadyEvent, bits: Ready) {
        self.clear_matching(event, bits);
    }
}

impl ReadySource for Registration {
    fn poll_dir(&self, cx: Option<&mut Context<'_>>, dir: Direction, kind: WaitFor) -> Poll<io::Result<ReadyEvent>> {
        self.poll_ready_event(cx, dir, kind)
    }

    fn clear_bits(&self, event: ReadyEvent, bits: Ready) {
        self.clear_matching(event, bits);
    }
}

/// The halves (and priority and error events) `interest` names.
fn directions(interest: Interest) -> Vec<Direction> {
    let mut halves = Vec::with_capacity(4);
    if interest.is_readable() {
        halves.push(Direction::Read);
    }
    if interest.is_writable() {
        halves.push(Direction::Write);
    }
    if interest.is_priority() {
        halves.push(Direction::Priority);
    }
    if interest.is_error() {
        halves.push(Direction::Error);
    }
    halves
}
