//! [`FdReady`]: the readiness of any fd (a pipe, a pidfd, a socket a caller
//! made), on either backend, for `AsyncFd` and the process pipes.
//!
//! The caller keeps its own fd; the driver polls a duplicate, so the
//! registration never outlives the file description it watches, and on
//! io_uring a poll still in flight when the caller closes its fd cannot
//! land on a new file that reused the number.
//!
//! mio: a [`Registration`] (edge-triggered epoll). io_uring: a
//! [`PollFd`](super::uring::PollFd) (one-shot `POLL_ADD`s). Both keep the
//! same readiness bookkeeping, so a task sees the same clear-and-wait rules.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::task::{Context, Poll};

use super::poll::{Direction, ReadyEvent, Registration};
use crate::io::{Interest, Ready};

/// An fd's readiness, on the current runtime's backend.
pub(crate) enum FdReady {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(super::uring::PollFd),
    Poll(Registration),
}

impl FdReady {
    /// Watches (a duplicate of) `fd` with the current worker's driver.
    ///
    /// # Errors
    /// The duplicate could not be made, or the poller refused the fd (mio:
    /// a regular file is `PermissionDenied`, as with tokio).
    ///
    /// io_uring arms a poll for each half of `interest` at once, as epoll
    /// reports a new fd's state; mio always registers both halves.
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(unused_variables))]
    pub(crate) fn new(fd: BorrowedFd<'_>, interest: Interest) -> io::Result<FdReady> {
        let fd: OwnedFd = fd.try_clone_to_owned()?;
        match super::context::current() {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            super::Handle::Uring(_) => {
                let fd = refuse_unpollable(fd)?;
                let halves = directions(interest);
                super::uring::PollFd::new(fd, &halves).map(FdReady::Uring)
            }
            super::Handle::Poll(_) => {
                let registration = Registration::new(fd, Ready::EMPTY);
                registration.register_now()?;
                Ok(FdReady::Poll(registration))
            }
        }
    }

    /// Ready with `dir`'s readiness once it is (believed) ready. Without a
    /// context, "not ready" is `Err(WouldBlock)`; with one, the task waits as
    /// one of any number of waiters.
    pub(crate) fn poll_ready(&self, cx: Option<&mut Context<'_>>, dir: Direction) -> Poll<io::Result<ReadyEvent>> {
        on_backend!(self, FdReady, r => r.poll_ready_event(cx, dir))
    }

    /// Ready once any half of `interest` is ready, with the bits of every
    /// half that is.
    pub(crate) fn poll_interest(
        &self,
        mut cx: Option<&mut Context<'_>>,
        interest: Interest,
    ) -> Poll<io::Result<ReadyEvent>> {
        let mut seen: Option<ReadyEvent> = None;
        for dir in directions(interest) {
            match self.poll_ready(cx.as_deref_mut(), dir) {
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

    /// Forgets the `bits` of `event` (a call found them used up), unless an
    /// event arrived since it was observed.
    pub(crate) fn clear_matching(&self, event: ReadyEvent, bits: Ready) {
        on_backend!(self, FdReady, r => r.clear_matching(event, bits))
    }
}

/// Fails, as epoll does (`EPERM`), for a regular file or a directory, which
/// io_uring's poll would report as always ready.
#[cfg(all(target_os = "linux", feature = "uring"))]
fn refuse_unpollable(fd: OwnedFd) -> io::Result<OwnedFd> {
    let file = std::fs::File::from(fd);
    let kind = file.metadata()?.file_type();
    if kind.is_file() || kind.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::EPERM));
    }
    Ok(file.into())
}

/// The halves `interest` names.
fn directions(interest: Interest) -> Vec<Direction> {
    let mut halves = Vec::with_capacity(2);
    if interest.is_readable() {
        halves.push(Direction::Read);
    }
    if interest.is_writable() {
        halves.push(Direction::Write);
    }
    halves
}
