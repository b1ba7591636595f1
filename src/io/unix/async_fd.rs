//! [`AsyncFd`]: tokio's readiness wrapper for any fd.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

use super::guard::{AsyncFdReadyGuard, AsyncFdReadyMutGuard};
use crate::driver::poll::{Direction, ReadyEvent};
use crate::driver::waiters::WaitFor;
use crate::driver::{FdReady, ReadySource};
use crate::io::{Interest, Ready};

/// Associates an I/O object that has a file descriptor with the runtime's
/// readiness reporting, as tokio's `AsyncFd`.
///
/// The fd must be in non-blocking mode (ringline, like tokio, does not set
/// it). Wait for readiness with [`readable`](Self::readable),
/// [`writable`](Self::writable) or [`ready`](Self::ready), then make the
/// non-blocking call through the guard's `try_io`, which clears the
/// readiness when the call says `WouldBlock`, so the next wait waits for a
/// new event.
///
/// The readiness is edge-triggered epoll's on both backends: on mio the
/// worker's poller watches a duplicate of the fd; on io_uring an epoll
/// instance of this `AsyncFd`'s own watches it and the ring polls that. The
/// watch is looked up once, here: the file description behind the fd at
/// creation is what is watched, until the `AsyncFd` is dropped or
/// [`into_inner`](Self::into_inner) gives the object back. Dropping it
/// closes the fd at once (the runtime holds no reference to the file).
pub struct AsyncFd<T: AsRawFd> {
    /// The driver's watch on the fd's file description.
    ready: FdReady,
    /// The object; `None` only inside `into_inner`.
    inner: Option<T>,
}

/// The error from [`AsyncFd::register`], [`AsyncFd::try_new`] and the
/// like: the object back, with the cause.
pub struct AsyncFdRegisterError<T> {
    inner: T,
    cause: io::Error,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Watches `inner`'s fd for reads and writes.
    ///
    /// # Errors
    /// The runtime cannot watch the fd (mio: a regular file is
    /// `PermissionDenied`, as with tokio).
    ///
    /// # Panics
    /// Outside a ringline runtime, as tokio's does outside its runtime.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<Self> {
        Self::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Watches `inner`'s fd for the readiness in `interest`. (Both halves
    /// are always watched, as ringline's sockets are; waiting on a half
    /// outside `interest` works rather than hangs.)
    ///
    /// # Errors
    /// As [`new`](Self::new).
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<Self> {
        Self::try_with_interest(inner, interest).map_err(|e| e.cause)
    }

    /// Like [`new`](Self::new), giving the object back on failure.
    ///
    /// # Errors
    /// As [`new`](Self::new), with `inner`.
    #[track_caller]
    pub fn try_new(inner: T) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Like [`with_interest`](Self::with_interest), giving the object back
    /// on failure.
    ///
    /// # Errors
    /// As [`new`](Self::new), with `inner`.
    #[track_caller]
    pub fn try_with_interest(inner: T, _interest: Interest) -> Result<Self, AsyncFdRegisterError<T>> {
        let raw = inner.as_raw_fd();
        if raw < 0 {
            let cause = io::Error::from_raw_os_error(libc::EBADF);
            return Err(AsyncFdRegisterError { inner, cause });
        }
        // SAFETY: `inner` owns the fd (not -1: checked) and outlives this
        // borrow, which only lasts while the watch is set up.
        let fd = unsafe { BorrowedFd::borrow_raw(raw) };
        match FdReady::new(fd) {
            Ok(ready) => Ok(AsyncFd { ready, inner: Some(inner) }),
            Err(cause) => Err(AsyncFdRegisterError { inner, cause }),
        }
    }

    /// tokio 1.54's name for [`try_new`](Self::try_new), which it made
    /// `unsafe` because tokio watches the caller's fd number itself.
    ///
    /// # Safety
    /// None needed here (ringline looks the fd up once, now, and then
    /// watches its file description, never the number); `unsafe` only so
    /// code written for tokio compiles unchanged.
    ///
    /// # Errors
    /// As [`new`](Self::new), with `inner`.
    #[track_caller]
    pub unsafe fn register(inner: T) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::try_new(inner)
    }

    /// tokio 1.54's name for [`try_with_interest`](Self::try_with_interest).
    ///
    /// # Safety
    /// As [`register`](Self::register): nothing beyond an open fd now.
    ///
    /// # Errors
    /// As [`new`](Self::new), with `inner`.
    #[track_caller]
    pub unsafe fn register_with_interest(inner: T, interest: Interest) -> Result<Self, AsyncFdRegisterError<T>> {
        Self::try_with_interest(inner, interest)
    }

    /// The wrapped object.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("AsyncFd holds its object until into_inner")
    }

    /// The wrapped object, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("AsyncFd holds its object until into_inner")
    }

    /// Stops watching the fd and gives the object back.
    pub fn into_inner(mut self) -> T {
        self.inner.take().expect("AsyncFd holds its object until into_inner")
    }

    /// Polls for read readiness; the guard's `try_io` or `clear_ready`
    /// forgets it. As with tokio, only the waker of the latest call is kept
    /// (per half); [`readable`](Self::readable) serves any number of tasks.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub fn poll_read_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.ready.poll_ready(Some(cx), Direction::Read, WaitFor::Io))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// Like [`poll_read_ready`](Self::poll_read_ready), with a guard that
    /// gives mutable access to the object.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.ready.poll_ready(Some(cx), Direction::Read, WaitFor::Io))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Polls for write readiness; only the latest call's waker is kept.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub fn poll_write_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.ready.poll_ready(Some(cx), Direction::Write, WaitFor::Io))?;
        Poll::Ready(Ok(AsyncFdReadyGuard::new(self, event)))
    }

    /// Like [`poll_write_ready`](Self::poll_write_ready), with a guard that
    /// gives mutable access to the object.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = ready!(self.ready.poll_ready(Some(cx), Direction::Write, WaitFor::Io))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard::new(self, event)))
    }

    /// Waits until any readiness in `interest` is seen.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = wait(&self.ready, interest).await?;
        Ok(AsyncFdReadyGuard::new(self, event))
    }

    /// Like [`ready`](Self::ready), with a guard that gives mutable access.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn ready_mut(&mut self, interest: Interest) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = wait(&self.ready, interest).await?;
        Ok(AsyncFdReadyMutGuard::new(self, event))
    }

    /// Waits until the fd is readable.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// Like [`readable`](Self::readable), with mutable access.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the fd is writable.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// Like [`writable`](Self::writable), with mutable access.
    ///
    /// # Errors
    /// The runtime has shut down.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Waits for `interest` and runs `f` until it returns something other
    /// than `WouldBlock` (after which readiness is cleared and waited for
    /// again).
    ///
    /// # Errors
    /// Whatever `f` returns, or the runtime has shut down.
    pub async fn async_io<R>(&self, interest: Interest, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        loop {
            let event = wait(&self.ready, interest).await?;
            if let Some(done) = self.settle(event, f(self.get_ref())) {
                return done;
            }
        }
    }

    /// Like [`async_io`](Self::async_io), giving `f` mutable access.
    ///
    /// # Errors
    /// Whatever `f` returns, or the runtime has shut down.
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let event = wait(&self.ready, interest).await?;
            let result = f(self.get_mut());
            if let Some(done) = self.settle(event, result) {
                return done;
            }
        }
    }

    /// Runs `f` if `interest` is ready now, else fails with `WouldBlock`
    /// without calling it; a `WouldBlock` from `f` clears the readiness.
    ///
    /// # Errors
    /// `WouldBlock`, or whatever `f` returns.
    pub fn try_io<R>(&self, interest: Interest, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        let event = self.try_ready(interest)?;
        self.settle(event, f(self.get_ref())).unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))
    }

    /// Like [`try_io`](Self::try_io), giving `f` mutable access.
    ///
    /// # Errors
    /// `WouldBlock`, or whatever `f` returns.
    pub fn try_io_mut<R>(&mut self, interest: Interest, f: impl FnOnce(&mut T) -> io::Result<R>) -> io::Result<R> {
        let event = self.try_ready(interest)?;
        let result = f(self.get_mut());
        self.settle(event, result).unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))
    }

    /// The readiness of `interest` now, or `WouldBlock`.
    fn try_ready(&self, interest: Interest) -> io::Result<ReadyEvent> {
        match self.ready.poll_interest(None, interest) {
            Poll::Ready(event) => event,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    /// `None` (and the readiness of `event` forgotten) if `result` is
    /// `WouldBlock`; the result otherwise.
    pub(super) fn settle<R>(&self, event: ReadyEvent, result: io::Result<R>) -> Option<io::Result<R>> {
        crate::driver::raw_io_settle(&self.ready, event, result)
    }

    /// Forgets the `bits` of `event`, unless an event arrived since. Closed
    /// states are final, as in tokio: they are never forgotten (epoll would
    /// not report them again).
    pub(super) fn clear(&self, event: ReadyEvent, bits: Ready) {
        self.ready.clear_matching(event, bits - Ready::READ_CLOSED - Ready::WRITE_CLOSED);
    }
}

/// Waits for any half of `interest`. A free function over the watch alone,
/// so the `*_mut` futures, which hold `&mut AsyncFd`, are `Send` whenever
/// `T` is (tokio's: they never need `T: Sync`).
async fn wait(ready: &FdReady, interest: Interest) -> io::Result<ReadyEvent> {
    poll_fn(|cx| ready.poll_interest(Some(cx), interest)).await
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the object owns the fd and lives as long as `self`.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd").field("inner", &self.inner).finish()
    }
}

impl<T> AsyncFdRegisterError<T> {
    /// The object and the reason it could not be watched.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Display for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> fmt::Debug for AsyncFdRegisterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.cause, f)
    }
}

impl<T> std::error::Error for AsyncFdRegisterError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdRegisterError<T>> for io::Error {
    fn from(value: AsyncFdRegisterError<T>) -> Self {
        value.cause
    }
}
