//! `yield_now`: let other tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields execution back to the worker once, like `tokio::task::yield_now`:
/// the task runs again after the worker has polled for I/O and timers, behind
/// the tasks already ready.
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        crate::runtime::context::defer(cx.waker());
        Poll::Pending
    }
}
