//! The io_uring path of [`Op`](crate::driver::op::Op): a single-completion
//! op as a future that owns its resources.
//!
//! The op (boxed) and its socket live inside the shared state, which the
//! driver's slab holds until the completion arrives. Dropping the future
//! early only asks for a cancel: the memory is freed when the CQE comes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::ring::{Completion, InFlight, OpTag, Owner, Ring};
use super::{Handle, Kick};
use crate::driver::op::{OpAble, SharedFd};
use crate::driver::waiters::set_waker;

/// A future resolving to the op's CQE result and the op back.
pub(crate) struct Oneshot<T: OpAble> {
    shared: Arc<OneshotOp<T>>,
    /// Dropping the future lets the op run on instead of cancelling it.
    detached: bool,
}

/// What the driver's slab and the future share.
struct OneshotOp<T> {
    /// The driver the op was queued on.
    home: Arc<Handle>,
    /// Everything that changes, under one lock.
    state: Mutex<OneshotState<T>>,
}

/// The op's progress.
struct OneshotState<T> {
    /// Boxed so pointers into it stay put while the kernel uses them.
    op: Option<Box<T>>,
    /// The fd the op acts on (none for an op on a path relative to the
    /// working directory), kept open until the completion; let go with the
    /// op, so the caller may own the fd again.
    fd: Option<SharedFd>,
    /// Set once submitted: what a cancel names.
    user_data: Option<u64>,
    /// The CQE's result, once it arrived.
    result: Option<i32>,
    /// The task awaiting the result.
    waker: Option<Waker>,
    /// The future is gone: don't submit; a submitted op gets cancelled.
    abandoned: bool,
}

impl<T: OpAble> Oneshot<T> {
    /// Queues `op` on `fd` (or, given none, on `AT_FDCWD`) on the current
    /// thread's io_uring driver.
    pub(crate) fn new(fd: Option<SharedFd>, op: T) -> Self {
        Oneshot::on(super::current_home(), fd, op)
    }

    /// Queues `op` on `fd` on the driver `home`.
    pub(super) fn on(home: Arc<Handle>, fd: Option<SharedFd>, op: T) -> Self {
        let state =
            OneshotState { op: Some(Box::new(op)), fd, user_data: None, result: None, waker: None, abandoned: false };
        let shared = Arc::new(OneshotOp { home, state: Mutex::new(state) });
        if !shared.home.kick(Kick::Reconcile(shared.clone())) {
            shared.finish(-libc::ECANCELED); // the driver is gone: fail, don't hang
        }
        Oneshot { shared, detached: false }
    }

    /// Lets the op run to completion with nobody waiting for it (dropping
    /// the future would cancel it): the slab frees it on its CQE.
    pub(crate) fn detach(mut self) {
        self.detached = true;
    }
}

impl<T: OpAble> Future for Oneshot<T> {
    type Output = (i32, T);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.shared.state.lock().expect("op state poisoned");
        match st.result {
            Some(result) => {
                let op = st.op.take().expect("one-shot op polled after completion");
                st.fd = None;
                Poll::Ready((result, *op))
            }
            None => {
                set_waker(&mut st.waker, cx);
                Poll::Pending
            }
        }
    }
}

impl<T: OpAble> Drop for Oneshot<T> {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        let mut st = self.shared.state.lock().expect("op state poisoned");
        if st.result.is_none() {
            st.abandoned = true;
            if let Some(user_data) = st.user_data {
                let _ = self.shared.home.kick(Kick::Cancel(user_data));
            }
        }
    }
}

impl<T: OpAble> OneshotOp<T> {
    /// Records the result and wakes the task.
    fn finish(&self, result: i32) {
        let mut st = self.state.lock().expect("op state poisoned");
        if let Some(op) = st.op.as_mut() {
            op.on_cqe(result);
        }
        st.result = Some(result);
        let waker = st.waker.take();
        // Woken with the lock released: the waker may own the op's future,
        // whose drop takes the lock.
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T: OpAble> Owner for OneshotOp<T> {
    /// Submits the op, unless its future was dropped first.
    fn reconcile(self: Arc<Self>, ring: &mut Ring) {
        let mut st = self.state.lock().expect("op state poisoned");
        if st.abandoned {
            return;
        }
        let st = &mut *st;
        let fd = st.fd.as_ref().map_or(libc::AT_FDCWD, |fd| fd.as_raw_fd());
        let entry = st.op.as_mut().expect("op present until completion").uring_sqe(fd);
        st.user_data = Some(ring.submit(entry, InFlight::of(self.clone(), 0)));
    }

    fn on_completion(self: Arc<Self>, _tag: OpTag, done: &Completion, _ring: &mut Ring) {
        self.finish(done.result);
    }

    /// An op whose submission was still queued never reaches the kernel:
    /// it fails instead of waiting forever. (One in flight completes with
    /// its own result while the driver drains the ring.)
    fn driver_closed(&self) {
        let unsubmitted = {
            let st = self.state.lock().expect("op state poisoned");
            st.result.is_none() && st.user_data.is_none()
        };
        if unsubmitted {
            self.finish(-libc::ECANCELED);
        }
    }
}
