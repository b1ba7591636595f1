//! The readiness guards [`AsyncFd`]'s waits return.

use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

use super::AsyncFd;
use crate::driver::poll::ReadyEvent;
use crate::io::Ready;

/// The error of a guard's `try_io` whose call said `WouldBlock`: the
/// readiness was cleared; wait again.
#[derive(Debug)]
pub struct TryIoError(());

/// Readiness observed on an [`AsyncFd`], from [`AsyncFd::readable`] and the
/// like. Dropping it keeps the readiness; [`clear_ready`](Self::clear_ready)
/// or a `WouldBlock` in [`try_io`](Self::try_io) forgets it.
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    seen: Seen,
}

/// Like [`AsyncFdReadyGuard`], holding the [`AsyncFd`] mutably.
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    async_fd: &'a mut AsyncFd<T>,
    seen: Seen,
}

/// What a guard observed and has not cleared yet.
struct Seen {
    /// The event, for clearing; `None` once cleared or retained.
    event: Option<ReadyEvent>,
    /// The bits observed and not cleared.
    ready: Ready,
}

impl Seen {
    fn new(event: ReadyEvent) -> Seen {
        Seen { event: Some(event), ready: event.ready() }
    }

    fn clear<T: AsRawFd>(&mut self, async_fd: &AsyncFd<T>) {
        if let Some(event) = self.event.take() {
            async_fd.clear(event, self.ready);
        }
        self.ready = Ready::EMPTY;
    }

    fn clear_matching<T: AsRawFd>(&mut self, async_fd: &AsyncFd<T>, bits: Ready) {
        if let Some(event) = self.event {
            async_fd.clear(event, self.ready & bits);
        }
        self.ready = self.ready - bits;
        if self.ready.is_empty() {
            self.event = None;
        }
    }

    /// The call's result, or (clearing first) `TryIoError` for `WouldBlock`.
    fn settle<T: AsRawFd, R>(
        &mut self,
        async_fd: &AsyncFd<T>,
        result: io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match result {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear(async_fd);
                Err(TryIoError(()))
            }
            other => Ok(other),
        }
    }
}

/// The readiness methods both guards have, over their `seen` and `async_fd`.
macro_rules! readiness_methods {
    () => {
        /// Forgets the observed readiness: the next wait waits for a new event.
        /// Call it only once a call has said `WouldBlock`.
        pub fn clear_ready(&mut self) {
            self.seen.clear(self.async_fd);
        }

        /// Forgets only the bits of `ready` among those observed.
        pub fn clear_ready_matching(&mut self, ready: Ready) {
            self.seen.clear_matching(self.async_fd, ready);
        }

        /// Keeps the readiness (what dropping the guard does too).
        pub fn retain_ready(&mut self) {
            self.seen.event = None;
        }

        /// The readiness observed and not cleared.
        pub fn ready(&self) -> Ready {
            self.seen.ready
        }
    };
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    pub(super) fn new(async_fd: &'a AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyGuard { async_fd, seen: Seen::new(event) }
    }

    readiness_methods!();

    /// Runs `f`; a `WouldBlock` from it clears the readiness and becomes
    /// `Err(TryIoError)`, anything else is `Ok(result)`.
    ///
    /// # Errors
    /// `TryIoError` when `f` said `WouldBlock`.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>) -> Result<io::Result<R>, TryIoError> {
        let result = f(self.async_fd);
        self.seen.settle(self.async_fd, result)
    }

    /// The `AsyncFd` the readiness is of.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The object inside the `AsyncFd`.
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<'a, T: AsRawFd> AsyncFdReadyMutGuard<'a, T> {
    pub(super) fn new(async_fd: &'a mut AsyncFd<T>, event: ReadyEvent) -> Self {
        AsyncFdReadyMutGuard { async_fd, seen: Seen::new(event) }
    }

    readiness_methods!();

    /// Runs `f`; a `WouldBlock` from it clears the readiness and becomes
    /// `Err(TryIoError)`, anything else is `Ok(result)`.
    ///
    /// # Errors
    /// `TryIoError` when `f` said `WouldBlock`.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>) -> Result<io::Result<R>, TryIoError> {
        let result = f(self.async_fd);
        self.seen.settle(self.async_fd, result)
    }

    /// The `AsyncFd` the readiness is of.
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` the readiness is of, mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }

    /// The object inside the `AsyncFd`.
    pub fn get_inner(&self) -> &T {
        self.async_fd.get_ref()
    }

    /// The object inside the `AsyncFd`, mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.async_fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyGuard").field("async_fd", self.async_fd).finish()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutReadyGuard").field("async_fd", &self.async_fd).finish()
    }
}
