//! [`Op`]: one future for every single-completion operation, on both backends.
//!
//! An operation type ([`OpAble`]) says two things: how to build its io_uring
//! SQE from the resources it owns, and how to do the same with a
//! non-blocking system call once its socket is ready. [`Op::new`] picks the
//! path from the [`OpSource`] it is given, which the backend's I/O object
//! supplies; callers never match on the backend.
//!
//! On io_uring the op (boxed, so pointers into it stay put) and its socket
//! belong to the driver's slab until the CQE: dropping the future only asks
//! for a cancel (ARCHITECTURE.md rules 1 and 3). On mio the op runs on the
//! caller's task through the registration's one retry loop, as one of
//! possibly several tasks waiting on the socket.
//!
//! Adding an op is one file in this folder: see `connect.rs`.

use std::future::Future;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
#[cfg(all(target_os = "linux", feature = "uring"))]
use std::os::fd::{OwnedFd, RawFd};
use std::pin::Pin;
#[cfg(all(target_os = "linux", feature = "uring"))]
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::poll::{Direction, Registration};

pub(crate) mod connect;
pub(crate) mod send_to;

/// An operation both backends can run.
pub(crate) trait OpAble: Send + Unpin + 'static {
    /// The half of the socket whose readiness lets [`poll_call`](Self::poll_call) go through.
    const DIRECTION: Direction;

    /// io_uring: the SQE acting on `fd`. Pointers in it may point into
    /// `self`, which the driver keeps boxed, unmoved, until the completion.
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry;

    /// Readiness: the non-blocking system call on `fd`. `WouldBlock` waits
    /// for the next readiness event and calls again.
    fn poll_call(&mut self, fd: BorrowedFd<'_>) -> io::Result<u32>;
}

/// Where an op runs, as the backend's I/O object gives it.
pub(crate) enum OpSource<'a> {
    /// On the current worker's ring; the op keeps the socket open until its
    /// completion.
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(Arc<OwnedFd>),
    /// On the caller's task, waiting on this registration's readiness.
    Poll(&'a Registration),
}

/// A future running one `T`; resolves to the result (the CQE's `res`, or the
/// system call's return value) and the op with its resources.
pub(crate) struct Op<'a, T: OpAble> {
    inner: Inner<'a, T>,
}

enum Inner<'a, T: OpAble> {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(super::uring::Oneshot<T>),
    /// `op` is taken when the future completes.
    Poll { io: &'a Registration, op: Option<T> },
}

impl<'a, T: OpAble> Op<'a, T> {
    /// Starts `op` on `source`'s backend (io_uring queues it now).
    pub(crate) fn new(source: OpSource<'a>, op: T) -> Op<'a, T> {
        let inner = match source {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            OpSource::Uring(fd) => Inner::Uring(super::uring::Oneshot::new(fd, op)),
            OpSource::Poll(io) => Inner::Poll { io, op: Some(op) },
        };
        Op { inner }
    }
}

impl<T: OpAble> Future for Op<'_, T> {
    type Output = (io::Result<u32>, T);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(oneshot) => {
                let (res, op) = ready!(Pin::new(oneshot).poll(cx));
                let res = u32::try_from(res).map_err(|_| io::Error::from_raw_os_error(-res));
                Poll::Ready((res, op))
            }
            Inner::Poll { io, op } => {
                let call = op.as_mut().expect("op polled after completion");
                let res = ready!(io.poll_io_shared(cx, T::DIRECTION, || call.poll_call(io.fd().as_fd())));
                Poll::Ready((res, op.take().expect("checked above")))
            }
        }
    }
}
