//! The current-thread runtime's one worker, handed between the threads that
//! call `Runtime::block_on` at the same time: whichever holds it drives the
//! worker (its tasks, timers and I/O); the others wait on their own future
//! and take the worker over when it comes free, as tokio's current-thread
//! scheduler hands its core on, so timers and I/O keep being driven.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::handle::Handle;
use super::worker::Worker;

/// Where the worker rests between `block_on` calls.
pub(crate) struct WorkerHome {
    inner: Mutex<Home>,
}

struct Home {
    /// The worker, while no thread drives it.
    worker: Option<Box<Worker>>,
    /// Threads waiting for it to come free.
    waiters: Vec<Waker>,
}

impl WorkerHome {
    pub(crate) fn new(worker: Worker) -> WorkerHome {
        WorkerHome { inner: Mutex::new(Home { worker: Some(Box::new(worker)), waiters: Vec::new() }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Home> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the worker for good (shutdown); None while a thread drives it.
    pub(crate) fn take(&self) -> Option<Box<Worker>> {
        self.lock().worker.take()
    }

    /// Runs `future` to completion on this thread, driving the worker
    /// whenever this thread holds it.
    pub(crate) fn block_on<F: Future>(&self, handle: &Handle, future: F) -> F::Output {
        let mut future = pin!(future);
        loop {
            if let Some(worker) = self.take() {
                let mut lease = Lease { worker: Some(worker), home: self };
                return lease.worker.as_mut().expect("worker present").block_on(future.as_mut());
            }
            if let Some(output) = handle.block_on(UntilFree { future: future.as_mut(), home: self }) {
                return output;
            }
        }
    }
}

/// Polls a `block_on` future off the worker until it finishes (`Some`) or
/// the worker comes free (`None`).
struct UntilFree<'a, F> {
    future: Pin<&'a mut F>,
    home: &'a WorkerHome,
}

impl<F: Future> Future for UntilFree<'_, F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        let mut home = self.home.lock();
        if home.worker.is_some() {
            return Poll::Ready(None);
        }
        if !home.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            home.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Puts the worker back when `block_on` returns or unwinds, and wakes the
/// threads waiting for it.
struct Lease<'a> {
    worker: Option<Box<Worker>>,
    home: &'a WorkerHome,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.assert_detached();
            let waiters = {
                let mut home = self.home.lock();
                home.worker = Some(worker);
                std::mem::take(&mut home.waiters)
            };
            waiters.into_iter().for_each(Waker::wake);
        }
    }
}
