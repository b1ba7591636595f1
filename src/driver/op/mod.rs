//! [`Op`]: one future for every single-completion operation, on both backends.
//!
//! An operation type says how to build its io_uring SQE from the resources
//! it owns ([`OpAble`]) and how to do the same without the ring, in one of
//! two ways:
//! - [`ReadinessOp`] (sockets): a non-blocking system call once the socket
//!   is ready. [`Op::new`] picks the path from the [`OpSource`] the
//!   backend's I/O object supplies.
//! - [`BlockingOp`] (files and paths, which have no readiness): the blocking
//!   system call, run on the blocking pool. [`Op::blocking`] runs the op on
//!   the ring when the runtime's backend is io_uring and the kernel has the
//!   opcode, else on the pool.
//!
//! Callers never match on the backend.
//!
//! On io_uring the op (boxed, so pointers into it stay put) and its fd belong
//! to the driver's slab until the CQE: dropping the future only asks for a
//! cancel (ARCHITECTURE.md rules 1 and 3). On the blocking pool the closure
//! owns the op and its fd until the call returns, whether or not anyone still
//! waits. On mio the op runs on the caller's task through the registration's
//! one retry loop.
//!
//! Adding an op is one file in this folder: see `connect.rs` (readiness) or
//! `read.rs` (blocking).

use std::future::Future;
use std::io;
#[cfg(all(target_os = "linux", feature = "uring"))]
use std::os::fd::OwnedFd;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};

use super::poll::{Direction, Registration};
use std::sync::OnceLock;

use tokio::sync::oneshot;

pub(crate) mod close;
pub(crate) mod connect;
pub(crate) mod fallocate;
pub(crate) mod fsync;
pub(crate) mod ftruncate;
pub(crate) mod link;
pub(crate) mod mkdir;
pub(crate) mod open;
mod path;
pub(crate) mod read;
pub(crate) mod rename;
pub(crate) mod send_to;
pub(crate) mod statx;
pub(crate) mod symlink;
pub(crate) mod unlink;
pub(crate) mod write;

/// An operation io_uring can run.
pub(crate) trait OpAble: Send + Unpin + 'static {
    /// io_uring: the SQE acting on `fd` (`AT_FDCWD` for an op given no fd).
    /// Pointers in it may point into `self`, which the driver keeps boxed,
    /// unmoved, until the completion.
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry;

    /// io_uring, driver thread: the CQE's result arrived, whether or not
    /// anyone still waits for it. An op whose result is a resource (a new
    /// fd) takes it here, so dropping an abandoned op releases it.
    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn on_cqe(&mut self, _result: i32) {}
}

/// An op on a socket, which the mio backend runs once the socket is ready.
pub(crate) trait ReadinessOp: OpAble {
    /// The half of the socket whose readiness lets [`poll_call`](Self::poll_call) go through.
    const DIRECTION: Direction;

    /// Readiness: the non-blocking system call on `fd`. `WouldBlock` waits
    /// for the next readiness event and calls again.
    fn poll_call(&mut self, fd: BorrowedFd<'_>) -> io::Result<u32>;
}

/// An op on a file or path, which has no readiness: without the ring it runs
/// as a blocking system call on the blocking pool.
pub(crate) trait BlockingOp: OpAble {
    /// The io_uring opcode [`uring_sqe`](OpAble::uring_sqe) uses; a kernel
    /// without it runs [`blocking_call`](Self::blocking_call) instead.
    #[cfg(all(target_os = "linux", feature = "uring"))]
    const OPCODE: u8;

    /// Blocking pool: the same operation as a blocking system call on `fd`
    /// (`AT_FDCWD` for an op given no fd).
    fn blocking_call(&mut self, fd: RawFd) -> io::Result<u32>;
}

/// An fd an op keeps open until it is over: a socket's, a file's.
pub(crate) type SharedFd = Arc<dyn AsRawFd + Send + Sync>;

/// Where a readiness op runs, as the backend's I/O object gives it.
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

/// A blocking op between the caller and the pool thread: the thread takes
/// the op out for the call and puts it back, so a job the pool drops
/// unstarted (at shutdown) still leaves the op for the caller.
type Parked<T> = Arc<Mutex<Option<T>>>;

enum Inner<'a, T: OpAble> {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(super::uring::Oneshot<T>),
    /// `op` is taken when the future completes.
    Poll {
        io: &'a Registration,
        op: Option<T>,
        direction: Direction,
        call: fn(&mut T, BorrowedFd<'_>) -> io::Result<u32>,
    },
    /// A pool thread owns the op (and its fd) during the call and sends its
    /// result.
    Blocking(oneshot::Receiver<io::Result<u32>>, Parked<T>),
}

impl<'a, T: ReadinessOp> Op<'a, T> {
    /// Starts `op` on `source`'s backend (io_uring queues it now).
    pub(crate) fn new(source: OpSource<'a>, op: T) -> Op<'a, T> {
        let inner = match source {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            OpSource::Uring(fd) => Inner::Uring(super::uring::Oneshot::new(Some(fd), op)),
            OpSource::Poll(io) => Inner::Poll { io, op: Some(op), direction: T::DIRECTION, call: T::poll_call },
        };
        Op { inner }
    }
}

impl<T: BlockingOp> Op<'static, T> {
    /// Starts `op` on `fd` (none: paths are relative to the working
    /// directory): on the current worker's ring when the runtime runs
    /// io_uring, the kernel has `T::OPCODE` and the ring gets driven while
    /// this thread waits, else on the blocking pool. On a runtime that has
    /// shut down it fails at once, as tokio's pool refuses the job.
    #[track_caller]
    pub(crate) fn blocking(fd: Option<SharedFd>, op: T) -> Op<'static, T> {
        let Some(_backend) = super::context::running_backend() else {
            return Op::refused(op);
        };
        #[cfg(all(target_os = "linux", feature = "uring"))]
        if _backend == super::Backend::Uring && super::uring::supports(T::OPCODE) && super::context::ring_driven_here()
        {
            return Op { inner: Inner::Uring(super::uring::Oneshot::new(fd, op)) };
        }
        Op::on_pool(fd, op)
    }

    /// An op the runtime will not run: it resolves at once to the error of
    /// a job the pool dropped unrun.
    fn refused(op: T) -> Op<'static, T> {
        let (_, result) = oneshot::channel();
        Op { inner: Inner::Blocking(result, Arc::new(Mutex::new(Some(op)))) }
    }

    /// Starts `op` on the blocking pool.
    fn on_pool(fd: Option<SharedFd>, op: T) -> Op<'static, T> {
        let parked = Arc::new(Mutex::new(Some(op)));
        let slot = parked.clone();
        let (done, result) = oneshot::channel();
        spawn_blocking(Box::new(move || {
            let mut op = slot.lock().expect("op slot poisoned").take().expect("the op waits for its call");
            let raw = fd.as_ref().map_or(libc::AT_FDCWD, |fd| fd.as_raw_fd());
            let res = op.blocking_call(raw);
            drop(fd);
            *slot.lock().expect("op slot poisoned") = Some(op);
            let _ = done.send(res);
        }));
        Op { inner: Inner::Blocking(result, parked) }
    }
}

/// A job for the blocking pool.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How the runtime runs a [`Job`] on its blocking pool: installed by the
/// runtime when it is built, so the driver never looks up into it.
static BLOCKING_POOL: OnceLock<fn(Job)> = OnceLock::new();

/// Called by the runtime: `spawn` runs a job on the current runtime's
/// blocking pool (dropping it, unrun, once the pool has shut down).
pub(crate) fn install_blocking_pool(spawn: fn(Job)) {
    let _ = BLOCKING_POOL.set(spawn);
}

fn spawn_blocking(job: Job) {
    let spawn = BLOCKING_POOL.get().expect("a ringline runtime installs its blocking pool before running ops");
    spawn(job);
}

impl<T: OpAble> Op<'_, T> {
    /// Lets the op run to completion with nobody waiting for its result;
    /// dropping it instead cancels it (io_uring) or, on the pool, lets it
    /// run anyway. A readiness op only runs while polled: it just stops.
    pub(crate) fn detach(self) {
        match self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(oneshot) => oneshot.detach(),
            Inner::Blocking(..) | Inner::Poll { .. } => {}
        }
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
            Inner::Poll { io, op, direction, call } => {
                let pending = op.as_mut().expect("op polled after completion");
                let res = ready!(io.poll_io_shared(cx, *direction, || call(pending, io.fd().as_fd())));
                Poll::Ready((res, op.take().expect("checked above")))
            }
            Inner::Blocking(result, parked) => {
                // No result: the pool dropped the job unrun (it shut down)
                // and the op is still in its slot; tokio's fs error then.
                let res = ready!(Pin::new(result).poll(cx))
                    .unwrap_or_else(|_| Err(io::Error::other(super::context::BACKGROUND_TASK_FAILED)));
                let op = parked.lock().expect("op slot poisoned").take();
                Poll::Ready((res, op.expect("the blocking call panicked on the pool")))
            }
        }
    }
}

/// The most bytes one read or write asks the kernel for (Linux's own cap).
const MAX_RW: usize = 0x7fff_f000;

/// The return value of a system call that reports failure as -1 and errno.
pub(crate) fn cvt(ret: libc::c_long) -> io::Result<u32> {
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(u32::try_from(ret).unwrap_or(u32::MAX))
}

/// `lseek(2)` on `fd` (no io_uring op exists, and none is needed: it moves a
/// number, never waits for a device).
pub(crate) fn lseek(fd: &SharedFd, offset: i64, whence: i32) -> io::Result<u64> {
    // SAFETY: a plain system call on an fd `fd` keeps open.
    let pos = unsafe { libc::lseek(fd.as_raw_fd(), offset, whence) };
    if pos < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(pos as u64)
}
