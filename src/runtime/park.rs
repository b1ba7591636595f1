//! `block_on` for a thread that is not a worker: poll, then park the thread.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::SeqCst) {
            self.thread.unpark();
        }
    }
}

/// Polls `future` on this thread, sleeping between wake-ups.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let signal = Arc::new(ThreadWaker { thread: std::thread::current(), woken: AtomicBool::new(false) });
    let waker = Waker::from(signal.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        let polled = super::coop::poll_budgeted(&mut cx, |cx| future.as_mut().poll(cx));
        if let Poll::Ready(output) = polled {
            return output;
        }
        while !signal.woken.swap(false, Ordering::SeqCst) {
            std::thread::park();
        }
    }
}
