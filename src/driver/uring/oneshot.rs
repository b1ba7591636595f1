//! A single-completion op (connect, ...) as a future that owns its resources.
//!
//! The resources (socket, address, buffer) live inside the shared op, which
//! the driver's slab holds until the completion arrives. Dropping the future
//! early only asks for a cancel: the memory is freed when the CQE comes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use io_uring::squeue;

use super::ring::{InFlight, Ring};
use super::{Handle, Kick};
use crate::driver::waiters::{set_waker, wake};

/// What the driver calls on a one-shot op.
pub(super) trait OneshotCompletion: Send + Sync {
    /// Driver thread: push the SQE (unless the future was already dropped).
    fn submit(self: Arc<Self>, ring: &mut Ring);
    /// Driver thread: the completion arrived.
    fn complete(&self, result: i32);
}

/// A future resolving to the op's result and its resources back.
pub(super) struct Oneshot<R: Send + 'static> {
    op: Arc<OneshotOp<R>>,
}

struct OneshotOp<R> {
    home: Arc<Handle>,
    build: fn(&mut R) -> squeue::Entry,
    state: Mutex<OneshotState<R>>,
}

struct OneshotState<R> {
    /// Boxed so pointers into it stay put while the kernel uses them.
    resources: Option<Box<R>>,
    user_data: Option<u64>,
    result: Option<i32>,
    waker: Option<Waker>,
    /// The future is gone: don't submit; a submitted op gets cancelled.
    abandoned: bool,
}

impl<R: Send + 'static> Oneshot<R> {
    /// Queues an op on `home`; `build` makes its SQE from the (boxed, pinned
    /// in place) resources.
    pub(super) fn new(home: Arc<Handle>, resources: R, build: fn(&mut R) -> squeue::Entry) -> Self {
        let op = Arc::new(OneshotOp {
            home,
            build,
            state: Mutex::new(OneshotState {
                resources: Some(Box::new(resources)),
                user_data: None,
                result: None,
                waker: None,
                abandoned: false,
            }),
        });
        if !op.home.kick(Kick::Submit(op.clone())) {
            op.complete(-libc::ECANCELED); // the driver is gone: fail, don't hang
        }
        Oneshot { op }
    }
}

impl<R: Send + 'static> Future for Oneshot<R> {
    type Output = (i32, R);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.op.state.lock().expect("op state poisoned");
        match st.result {
            Some(result) => {
                let resources = st.resources.take().expect("one-shot op polled after completion");
                Poll::Ready((result, *resources))
            }
            None => {
                set_waker(&mut st.waker, cx);
                Poll::Pending
            }
        }
    }
}

impl<R: Send + 'static> Drop for Oneshot<R> {
    fn drop(&mut self) {
        let mut st = self.op.state.lock().expect("op state poisoned");
        if st.result.is_none() {
            st.abandoned = true;
            if let Some(user_data) = st.user_data {
                let _ = self.op.home.kick(Kick::Cancel(user_data));
            }
        }
    }
}

impl<R: Send + 'static> OneshotCompletion for OneshotOp<R> {
    fn submit(self: Arc<Self>, ring: &mut Ring) {
        let mut st = self.state.lock().expect("op state poisoned");
        if st.abandoned {
            return;
        }
        let resources = st.resources.as_mut().expect("resources present until completion");
        let entry = (self.build)(resources);
        st.user_data = Some(ring.submit(entry, InFlight::Oneshot(self.clone())));
    }

    fn complete(&self, result: i32) {
        let mut st = self.state.lock().expect("op state poisoned");
        st.result = Some(result);
        wake(&mut st.waker);
    }
}
