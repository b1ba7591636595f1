//! A datagram socket driven by readiness on both backends.
//!
//! The caller brings the system call (`recvfrom`, `sendto`, ... on the
//! caller's own memory, the socket in non-blocking mode); this type says when
//! to make it and when to wait. On mio the socket's registration keeps
//! readiness, as for streams. On io_uring a call is tried first, and a
//! `WouldBlock` waits on a one-shot `POLL_ADD` ([`PollReady`]) before trying
//! again: the kernel never holds the caller's memory, so a dropped future
//! leaves nothing in flight but the poll, which the op slab owns until its
//! completion.
//!
//! Two ways to wait, as tokio has: the `poll_*` methods keep one pending wait
//! per half and wake only the most recent caller; the `async` ones give each
//! caller a wait of its own, so any number of tasks sharing the socket (in
//! an `Arc`) may wait at once.

use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::{Context, Poll};

use socket2::{SockAddr, SockRef};
use tokio::io::ReadBuf;

use super::poll::{Direction, Registration};
use crate::io::{Interest, Ready};

/// Flags for every send: a reset peer must give an error, never `SIGPIPE`.
#[cfg(not(target_vendor = "apple"))]
const SEND_FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
/// Apple has no `MSG_NOSIGNAL` (and raises no `SIGPIPE` for datagrams).
#[cfg(target_vendor = "apple")]
const SEND_FLAGS: libc::c_int = 0;

/// One non-blocking `recvfrom` into the unfilled part of `buf`, advancing
/// it past the bytes received: the sender's address. A datagram longer than
/// the room in `buf` is cut to fit; the rest of it is dropped.
pub(crate) fn recv_from(fd: BorrowedFd<'_>, buf: &mut ReadBuf<'_>) -> io::Result<SockAddr> {
    // SAFETY: the kernel only writes bytes into the slice; nothing in it is
    // de-initialised, and `assume_init` + `advance` below cover exactly the
    // `n` bytes it wrote.
    let unfilled = unsafe { buf.unfilled_mut() };
    let (n, addr) = SockRef::from(&fd).recv_from(unfilled)?;
    // SAFETY: the kernel initialised the first `n` bytes of the unfilled part
    // (it never reports more than it was given room for).
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Ok(addr)
}

/// One non-blocking send of `buf` as one datagram: to `target`, or to the
/// connected peer.
pub(crate) fn send_to(fd: BorrowedFd<'_>, buf: &[u8], target: Option<&SockAddr>) -> io::Result<usize> {
    let sock = SockRef::from(&fd);
    match target {
        Some(addr) => sock.send_to_with_flags(buf, addr, SEND_FLAGS),
        None => sock.send_with_flags(buf, SEND_FLAGS),
    }
}

/// A datagram socket (Unix today) owned by the driver of its backend.
pub(crate) struct Datagram {
    inner: Inner,
}

enum Inner {
    #[cfg(all(target_os = "linux", feature = "uring"))]
    Uring(uring::Readiness),
    Poll(Registration),
}

impl Datagram {
    /// Wraps a socket for the current runtime's backend, switching it to
    /// non-blocking mode.
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Datagram> {
        SockRef::from(&fd).set_nonblocking(true)?;
        let inner = match super::context::backend() {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            super::Backend::Uring => Inner::Uring(uring::Readiness::new(fd)),
            super::Backend::Mio => Inner::Poll(Registration::new(fd, Ready::WRITABLE)),
            #[cfg(not(all(target_os = "linux", feature = "uring")))]
            super::Backend::Uring => return Err(super::select::uring_not_built()),
        };
        Ok(Datagram { inner })
    }

    /// Runs the non-blocking `call` until it does not say `WouldBlock`,
    /// waiting for `dir` in between; only the most recent caller's waker is
    /// woken (tokio's rule for `poll_recv` and friends).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut call: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match &self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(r) => r.poll_io(cx, dir, call),
            Inner::Poll(reg) => reg.poll_io(cx, dir, &mut call),
        }
    }

    /// Like [`poll_io`](Datagram::poll_io), with a wait of this caller's own.
    pub(crate) async fn io<R>(&self, dir: Direction, mut call: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        loop {
            match self.try_io(dir, &mut call) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.ready(interest_of(dir)).await?,
                result => return result,
            };
        }
    }

    /// Runs `call` once, without waiting (`WouldBlock` if mio knows the half
    /// is not ready).
    pub(crate) fn try_io<R>(&self, dir: Direction, call: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        match &self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(_) => {
                let mut call = call;
                call()
            }
            Inner::Poll(reg) => reg.try_io(dir, call),
        }
    }

    /// Ready once `dir` is (believed) ready; the most recent caller is woken.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<Ready>> {
        match &self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(r) => r.poll_ready(cx, dir),
            Inner::Poll(reg) => reg.poll_ready(cx, dir),
        }
    }

    /// Waits until any half in `interest` is ready; any number of callers
    /// may wait at once.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        match &self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(r) => r.ready(interest).await,
            Inner::Poll(reg) => {
                poll_fn(|cx| {
                    let mut ready = Ready::EMPTY;
                    for dir in directions(interest) {
                        if let Poll::Ready(half) = reg.poll_ready(cx, dir)? {
                            ready |= half;
                        }
                    }
                    if ready.is_empty() {
                        return Poll::Pending;
                    }
                    Poll::Ready(Ok(ready & interest.mask()))
                })
                .await
            }
        }
    }

    /// Gives the socket back, in non-blocking mode.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        match self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(r) => r.into_fd(),
            Inner::Poll(reg) => Ok(reg.into_fd()),
        }
    }
}

/// The halves `interest` names.
fn directions(interest: Interest) -> impl Iterator<Item = Direction> {
    let read = interest.is_readable().then_some(Direction::Read);
    let write = interest.is_writable().then_some(Direction::Write);
    read.into_iter().chain(write)
}

/// The interest that waits for `dir`.
fn interest_of(dir: Direction) -> Interest {
    match dir {
        Direction::Read => Interest::READABLE,
        Direction::Write => Interest::WRITABLE,
    }
}

impl AsRawFd for Datagram {
    fn as_raw_fd(&self) -> RawFd {
        match &self.inner {
            #[cfg(all(target_os = "linux", feature = "uring"))]
            Inner::Uring(r) => r.as_raw_fd(),
            Inner::Poll(reg) => reg.fd().as_raw_fd(),
        }
    }
}

impl AsFd for Datagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the fd stays open as long as `self`: on io_uring the
        // object holds a reference to it, on mio it owns it.
        unsafe { BorrowedFd::borrow_raw(self.as_raw_fd()) }
    }
}

#[cfg(all(target_os = "linux", feature = "uring"))]
mod uring {
    //! Readiness on io_uring: one-shot `POLL_ADD` ops.

    use std::future::{poll_fn, Future};
    use std::io;
    use std::os::fd::{AsRawFd, OwnedFd, RawFd};
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{ready, Context, Poll};

    use super::directions;
    use crate::driver::op::poll_ready::PollReady;
    use crate::driver::op::{Op, OpSource};
    use crate::driver::poll::Direction;
    use crate::io::{Interest, Ready};

    /// A pending wait of the read or write half.
    type Wait<const WRITE: bool> = Op<'static, PollReady<WRITE>>;

    /// The socket, shared with the polls in flight (the kernel may look at
    /// it until their completions), and the `poll_*` callers' waits.
    pub(super) struct Readiness {
        fd: Arc<OwnedFd>,
        read: Mutex<Option<Wait<false>>>,
        write: Mutex<Option<Wait<true>>>,
    }

    impl Readiness {
        pub(super) fn new(fd: OwnedFd) -> Readiness {
            Readiness { fd: Arc::new(fd), read: Mutex::new(None), write: Mutex::new(None) }
        }

        pub(super) fn poll_io<R>(
            &self,
            cx: &mut Context<'_>,
            dir: Direction,
            mut call: impl FnMut() -> io::Result<R>,
        ) -> Poll<io::Result<R>> {
            loop {
                match call() {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => ready!(self.poll_ready(cx, dir))?,
                    result => return Poll::Ready(result),
                };
            }
        }

        /// Polls this half's shared wait, arming one if none is pending.
        pub(super) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<Ready>> {
            match dir {
                Direction::Read => poll_shared(&self.read, &self.fd, cx),
                Direction::Write => poll_shared(&self.write, &self.fd, cx),
            }
        }

        pub(super) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
            let mut read = None;
            let mut write = None;
            for dir in directions(interest) {
                match dir {
                    Direction::Read => read = Some(wait::<false>(&self.fd)),
                    Direction::Write => write = Some(wait::<true>(&self.fd)),
                }
            }
            poll_fn(|cx| {
                let mut ready = Ready::EMPTY;
                if let Some(op) = read.as_mut() {
                    if let Poll::Ready(half) = poll_wait(op, cx)? {
                        ready |= half;
                    }
                }
                if let Some(op) = write.as_mut() {
                    if let Poll::Ready(half) = poll_wait(op, cx)? {
                        ready |= half;
                    }
                }
                if ready.is_empty() {
                    return Poll::Pending;
                }
                Poll::Ready(Ok(ready & interest.mask()))
            })
            .await
        }

        /// A duplicate of the socket: polls still in flight keep the
        /// original open until their completions, then close it.
        pub(super) fn into_fd(self) -> io::Result<OwnedFd> {
            self.fd.try_clone()
        }
    }

    impl AsRawFd for Readiness {
        fn as_raw_fd(&self) -> RawFd {
            self.fd.as_raw_fd()
        }
    }

    fn wait<const WRITE: bool>(fd: &Arc<OwnedFd>) -> Wait<WRITE> {
        Op::new(OpSource::Uring(fd.clone()), PollReady::<WRITE>)
    }

    /// Polls a shared wait; a finished one is cleared, so the next call
    /// arms a fresh poll.
    fn poll_shared<const WRITE: bool>(
        slot: &Mutex<Option<Wait<WRITE>>>,
        fd: &Arc<OwnedFd>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<Ready>> {
        let mut slot = slot.lock().expect("datagram wait poisoned");
        let op = slot.get_or_insert_with(|| wait::<WRITE>(fd));
        let result = ready!(poll_wait(op, cx));
        *slot = None;
        Poll::Ready(result)
    }

    /// The readiness a finished poll reports, as the half's `Ready` bits.
    fn poll_wait<const WRITE: bool>(op: &mut Wait<WRITE>, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        let (result, _) = ready!(Pin::new(op).poll(cx));
        let events = result? as i16;
        let failed = events & (libc::POLLERR | libc::POLLHUP) != 0;
        let ready = match WRITE {
            true if failed => Ready::WRITABLE | Ready::WRITE_CLOSED,
            true => Ready::WRITABLE,
            false if events & libc::POLLIN == 0 && events & libc::POLLRDHUP != 0 && !failed => Ready::READ_CLOSED,
            false => Ready::READABLE,
        };
        Poll::Ready(Ok(ready))
    }
}
