//! `block_on` for a thread that is not a worker: poll, then park the thread.

use std::cell::Cell;
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

thread_local! {
    /// This thread is inside `block_on` (and not inside `block_in_place`).
    static IN_BLOCK_ON: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is inside a (non-worker) `block_on`.
pub(crate) fn in_block_on() -> bool {
    IN_BLOCK_ON.try_with(Cell::get).unwrap_or(false)
}

/// Restores the thread's `block_on` mark when dropped.
pub(crate) struct BlockOnMark {
    prev: bool,
}

impl Drop for BlockOnMark {
    fn drop(&mut self) {
        let _ = IN_BLOCK_ON.try_with(|b| b.set(self.prev));
    }
}

/// Marks this thread inside `block_on` (`true`) or out of it (`false`,
/// `block_in_place`) until the mark drops.
pub(crate) fn mark_block_on(inside: bool) -> BlockOnMark {
    BlockOnMark { prev: IN_BLOCK_ON.try_with(|b| b.replace(inside)).unwrap_or(false) }
}

/// Polls `future` on this thread, sleeping between wake-ups.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let _mark = mark_block_on(true);
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
