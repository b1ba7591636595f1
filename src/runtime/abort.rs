//! A task's abort state: what its `AbortHandle`s, its worker's shutdown and
//! a `LocalSet` stop it with, and how the task says it has finished.
//!
//! The task's waker is stored once, at its first poll: every poll of a task
//! comes from the executor with a waker for that same task, so there is
//! nothing to re-register. A poll then costs one atomic load (futures'
//! `Abortable` re-registered its waker with two compare-exchanges every time).

use std::sync::atomic::{fence, AtomicU8, Ordering};
use std::sync::OnceLock;
use std::task::{Context, Waker};

/// `abort` was called: the body is dropped at its next poll.
const ABORTED: u8 = 1;
/// The task has completed, panicked or been cancelled, and its body dropped.
const FINISHED: u8 = 2;

/// One task's abort request and completion, shared by the task and its
/// abort handles.
#[derive(Default)]
pub(crate) struct AbortState {
    /// `ABORTED` and `FINISHED` bits.
    state: AtomicU8,
    /// The task's waker, from its first poll.
    waker: OnceLock<Waker>,
}

impl AbortState {
    /// The task's side, at the start of every poll: stores the waker on the
    /// first, then says whether the task must stop.
    pub(crate) fn poll_aborted(&self, cx: &Context<'_>) -> bool {
        if self.waker.get().is_none() {
            let _ = self.waker.set(cx.waker().clone());
            // Pairs with the fence in `abort`: either this load sees the
            // request, or `abort` sees the waker and wakes the task.
            fence(Ordering::SeqCst);
        }
        self.state.load(Ordering::Acquire) & ABORTED != 0
    }

    /// Asks the task to stop, waking it if it has been polled (a task not
    /// polled yet is queued already and sees the request on its first poll).
    /// Nothing happens to a task that has finished.
    pub(crate) fn abort(&self) {
        let before = self.state.fetch_or(ABORTED, Ordering::AcqRel);
        fence(Ordering::SeqCst);
        if before == 0 {
            if let Some(waker) = self.waker.get() {
                waker.wake_by_ref();
            }
        }
    }

    /// The task's side: its body has finished and been dropped.
    pub(crate) fn finish(&self) {
        self.state.fetch_or(FINISHED, Ordering::Release);
    }

    /// Whether the task has finished: completed, panicked, or cancelled and
    /// dropped (an abort request alone is not finishing, as in tokio).
    pub(crate) fn is_finished(&self) -> bool {
        self.state.load(Ordering::Acquire) & FINISHED != 0
    }
}

#[cfg(test)]
mod tests {
    use std::task::Context;

    use super::AbortState;
    use crate::driver::waiters::CountingWaker;

    #[test]
    fn abort_wakes_a_polled_task_once_and_finish_is_separate() {
        let (count, waker) = CountingWaker::new();
        let state = AbortState::default();
        assert!(!state.poll_aborted(&Context::from_waker(&waker)));
        state.abort();
        state.abort();
        assert_eq!(count.count(), 1);
        assert!(!state.is_finished(), "an abort request is not finishing");
        assert!(state.poll_aborted(&Context::from_waker(&waker)));
        state.finish();
        assert!(state.is_finished());
    }

    #[test]
    fn an_abort_before_the_first_poll_is_seen_by_it() {
        let (count, waker) = CountingWaker::new();
        let state = AbortState::default();
        state.abort();
        assert!(state.poll_aborted(&Context::from_waker(&waker)));
        assert_eq!(count.count(), 0, "nothing to wake before the first poll");
    }
}
