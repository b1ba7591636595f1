//! Cooperative scheduling, like `tokio::task::coop`.
//!
//! Every time a worker polls a task it grants the task a budget of 128
//! operations. ringline's own I/O (reads, peeks, writes, accepts) takes one
//! unit per operation that completes; once the budget is spent, such an
//! operation returns `Pending` and re-schedules the task behind the others
//! ready on its worker, so a task looping on I/O that is always ready cannot
//! starve them.
//!
//! tokio's primitives that ringline re-exports (`ringline::sync`, the io
//! utilities) keep their own budget inside tokio's runtime context, which only
//! tokio's schedulers can set, so they do not see ringline's: wrap such a
//! future in [`cooperative`], or call [`consume_budget`] in the loop.

use std::cell::Cell;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// Operations a task may complete per poll, as in tokio.
const INITIAL: u8 = 128;

thread_local! {
    /// The running task's remaining budget; `None`: unconstrained.
    static BUDGET: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Sets `budget` until dropped, then restores the previous one.
pub(crate) struct BudgetGuard {
    prev: Option<u8>,
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        let _ = BUDGET.try_with(|b| b.set(self.prev));
    }
}

fn set(budget: Option<u8>) -> BudgetGuard {
    BudgetGuard { prev: BUDGET.try_with(|b| b.replace(budget)).ok().flatten() }
}

/// No budget until dropped (blocking sections are not constrained).
pub(crate) fn unconstrained_guard() -> BudgetGuard {
    set(None)
}

/// Grants a fresh budget for one poll of a task (or of `block_on`'s future).
fn budget() -> BudgetGuard {
    set(Some(INITIAL))
}

/// Polls one task (or `block_on`'s future) with a fresh budget.
pub(crate) fn poll_budgeted<T>(cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let _budget = budget();
    poll(cx)
}

/// Returned by [`poll_proceed`]: puts the unit back when dropped, unless
/// [`made_progress`](RestoreOnPending::made_progress) says it was used.
#[derive(Debug)]
#[must_use]
pub struct RestoreOnPending {
    /// The budget before the unit was taken.
    restore: Cell<Option<u8>>,
    _not_send: PhantomData<*mut ()>,
}

impl RestoreOnPending {
    /// The operation made progress: keep the unit spent.
    #[inline]
    pub fn made_progress(&self) {
        self.restore.set(None);
    }
}

impl Drop for RestoreOnPending {
    #[inline]
    fn drop(&mut self) {
        if let Some(prev) = self.restore.get() {
            let _ = BUDGET.try_with(|b| b.set(Some(prev)));
        }
    }
}

/// Takes one unit of the current task's budget, like tokio's `poll_proceed`:
/// `Pending` (with the task woken to run again later) when it is spent.
/// Outside a task it always proceeds.
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let current = BUDGET.try_with(Cell::get).ok().flatten();
    match current {
        None => Poll::Ready(RestoreOnPending { restore: Cell::new(None), _not_send: PhantomData }),
        Some(0) => {
            // Run again after the worker has polled for I/O, as tokio does.
            super::context::defer(cx.waker());
            Poll::Pending
        }
        Some(n) => {
            let _ = BUDGET.try_with(|b| b.set(Some(n - 1)));
            Poll::Ready(RestoreOnPending { restore: Cell::new(Some(n)), _not_send: PhantomData })
        }
    }
}

/// Runs one I/O poll under the budget: it costs a unit if it completes.
#[inline]
pub(crate) fn poll_io<T>(cx: &mut Context<'_>, op: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let coop = ready!(poll_proceed(cx));
    let out = op(cx);
    if out.is_ready() {
        coop.made_progress();
    }
    out
}

/// Whether the current task has budget left (always true outside a task or
/// inside [`unconstrained`]).
pub fn has_budget_remaining() -> bool {
    BUDGET.try_with(Cell::get).ok().flatten() != Some(0)
}

/// Takes one unit of budget, yielding first if it is spent, like tokio's
/// `consume_budget`: put it in a loop that otherwise never waits.
pub async fn consume_budget() {
    let mut status = Poll::Pending;
    std::future::poll_fn(move |cx| {
        if status.is_ready() {
            return status;
        }
        status = poll_proceed(cx).map(|restore| restore.made_progress());
        status
    })
    .await
}

pin_project_lite::pin_project! {
    /// A future that runs without a budget; see [`unconstrained`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Unconstrained<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _unconstrained = set(None);
        self.project().inner.poll(cx)
    }
}

/// Turns off cooperative scheduling for `inner`, like tokio's `unconstrained`:
/// its operations never yield for budget.
pub fn unconstrained<F: Future>(inner: F) -> Unconstrained<F> {
    Unconstrained { inner }
}

pin_project_lite::pin_project! {
    /// A future that takes budget; see [`cooperative`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Coop<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for Coop<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner = self.project().inner;
        poll_io(cx, |cx| inner.poll(cx))
    }
}

/// Makes `inner` take a unit of budget whenever it completes, and wait while
/// the budget is spent, like tokio's `cooperative`. This is how a loop over
/// tokio's own primitives (a channel's `recv`) yields to the other tasks on
/// a ringline worker.
pub fn cooperative<F: Future>(inner: F) -> Coop<F> {
    Coop { inner }
}
