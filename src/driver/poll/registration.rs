//! A socket plus its lazy registration with a worker's poller, and the one
//! retry loop every non-blocking call goes through.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{ready, Context, Poll};

use super::scheduled_io::{Direction, ReadyEvent, ScheduledIo};
use super::Handle;
use crate::driver::context::Anchor;
use crate::driver::waiters::WaitFor;
use crate::driver::Ready;

/// What a call that went through says about the readiness it acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Readiness {
    /// Maybe more to do: the next call tries at once.
    Kept,
    /// Used up (a read came back short: the socket holds no more bytes): the
    /// next call waits for an event instead of trying for a `WouldBlock`. An
    /// EOF or error that came with the bytes is still reported at once.
    Drained,
}

/// A non-blocking socket that joins the poller of the worker first polling it.
///
/// Fields drop in declaration order: the registration is removed from the
/// poller while the fd is still open, then the fd closes.
pub(crate) struct Registration {
    /// Set by the first call that needs readiness; never changes after.
    registered: OnceLock<Registered>,
    /// Serialises that first registration, so the socket joins one poller once.
    registering: Mutex<()>,
    /// Readiness assumed at registration, before the poller has reported.
    initial: Ready,
    /// Where it registers when first used off every runtime.
    anchor: Anchor,
    /// The socket, in non-blocking mode.
    fd: OwnedFd,
}

/// The socket's place in one driver's table.
struct Registered {
    /// The driver whose poller reports this socket's events.
    home: Arc<Handle>,
    /// Readiness and wakers, shared with that driver.
    io: Arc<ScheduledIo>,
    /// The registered fd, for deregistration (owned by `Registration::fd`).
    fd: RawFd,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.home.deregister(self.fd, &self.io);
    }
}

impl Registration {
    /// Wraps a non-blocking socket; it registers on first use, assuming
    /// `initial` readiness until its first event.
    pub(crate) fn new(fd: OwnedFd, initial: Ready) -> Registration {
        let anchor = Anchor::here();
        Registration { registered: OnceLock::new(), registering: Mutex::new(()), initial, anchor, fd }
    }

    /// The socket.
    pub(crate) fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// Runs the non-blocking `op` once `dir` is ready; on `WouldBlock` forgets
    /// that readiness and waits for the next event.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.drive(Some(cx), dir, WaitFor::Io, || op().map(|result| (result, Readiness::Kept)))
    }

    /// Like `poll_io`, for sockets several tasks use at once (a datagram
    /// socket shared through an `Arc`): the next event wakes every waiting
    /// task, not only the last one to wait, as tokio's readiness waiters do.
    pub(crate) fn poll_io_shared<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.drive(Some(cx), dir, WaitFor::Readiness, || op().map(|result| (result, Readiness::Kept)))
    }

    /// Like `poll_io`, for a read that can tell when it has drained the
    /// socket: the call that would only say `WouldBlock` is then skipped.
    pub(super) fn poll_read_io<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut() -> io::Result<(R, Readiness)>,
    ) -> Poll<io::Result<R>> {
        self.drive(Some(cx), Direction::Read, WaitFor::Io, op)
    }

    /// Runs `op` if `dir` is ready, else fails with `WouldBlock`; never waits.
    pub(super) fn try_io<R>(&self, dir: Direction, mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        match self.drive(None, dir, WaitFor::Io, || op().map(|result| (result, Readiness::Kept))) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Ready with the readiness bits of `dir` once it is (believed) ready;
    /// the readiness stays set.
    pub(super) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<Ready>> {
        let io = &self.registered()?.io;
        io.poll_ready(Some(cx), dir, WaitFor::Readiness).map_ok(|event| event.ready())
    }

    /// Joins the current worker's poller now rather than at first use, so a
    /// file the poller refuses (a regular file: `EPERM`) fails here.
    pub(crate) fn register_now(&self) -> io::Result<()> {
        self.registered().map(drop)
    }

    /// The readiness of `dir` as an event its user clears itself
    /// ([`clear_matching`](Self::clear_matching)) once a call says it is
    /// used up. Without a context, "not ready" is `Err(WouldBlock)`; with
    /// one, the task waits as `kind` (the half's one `poll_*` task, or one
    /// of any number of readiness waiters).
    pub(crate) fn poll_ready_event(
        &self,
        cx: Option<&mut Context<'_>>,
        dir: Direction,
        kind: WaitFor,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.registered()?.io.poll_ready(cx, dir, kind)
    }

    /// Forgets the `bits` of `event`, unless an event arrived since.
    pub(crate) fn clear_matching(&self, event: ReadyEvent, bits: Ready) {
        if let Some(registered) = self.registered.get() {
            registered.io.clear_matching(event, bits);
        }
    }

    /// The retry loop: wait for readiness (or, without a context, fail with
    /// `WouldBlock`), try the call, and on `WouldBlock` clear and go round.
    /// A waiting task waits as `kind`.
    /// A call that went through and says it drained the socket clears too.
    fn drive<R>(
        &self,
        mut cx: Option<&mut Context<'_>>,
        dir: Direction,
        kind: WaitFor,
        mut op: impl FnMut() -> io::Result<(R, Readiness)>,
    ) -> Poll<io::Result<R>> {
        let io = &self.registered()?.io;
        loop {
            let event = ready!(io.poll_ready(cx.as_deref_mut(), dir, kind))?;
            match op() {
                Ok((result, readiness)) => {
                    if readiness == Readiness::Drained {
                        io.clear_drained(event);
                    }
                    return Poll::Ready(Ok(result));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => io.clear_readiness(event),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// This socket's registration, made now with the current worker's driver
    /// if it has none yet.
    fn registered(&self) -> io::Result<&Registered> {
        if let Some(registered) = self.registered.get() {
            return Ok(registered);
        }
        let _first = self.registering.lock().expect("registration lock poisoned");
        if let Some(registered) = self.registered.get() {
            return Ok(registered);
        }
        // Made in a runtime that is gone before its first use: as tokio's.
        if self.anchor.is_dead() {
            return Err(super::scheduled_io::shutdown_error());
        }
        let home = super::home(&self.anchor)?;
        let fd = self.fd.as_raw_fd();
        let io = home.register(fd, self.initial)?;
        Ok(self.registered.get_or_init(|| Registered { home, io, fd }))
    }

    /// Leaves the poller and gives the (still non-blocking) socket back.
    pub(super) fn into_fd(self) -> OwnedFd {
        let Registration { registered, fd, .. } = self;
        drop(registered);
        fd
    }
}
