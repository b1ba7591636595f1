//! A task body as the executor runs it: panics caught, abortable.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::future::{AbortHandle as RawAbortHandle, Abortable, CatchUnwind, FutureExt};

use super::join_handle::{JoinError, TaskOutput};

/// Wraps a task body so that its panic becomes a `JoinError` and it can be
/// aborted; returns the wrapped future and its abort handle.
pub(crate) fn wrap<F: Future>(future: F) -> (impl Future<Output = TaskOutput<F::Output>>, RawAbortHandle) {
    let (abort, registration) = RawAbortHandle::new_pair();
    let guarded = Abortable::new(AssertUnwindSafe(future).catch_unwind(), registration);
    (Wrapped { guarded, finished: abort.clone() }, abort)
}

pin_project_lite::pin_project! {
    /// A task body as `wrap` returns it.
    ///
    /// Written out rather than as an `async` block: an async block keeps the
    /// future it captured and the same future being awaited side by side,
    /// which stored every task's body twice.
    struct Wrapped<F> {
        #[pin]
        guarded: Abortable<CatchUnwind<AssertUnwindSafe<F>>>,
        finished: RawAbortHandle,
    }
}

impl<F: Future> Future for Wrapped<F> {
    type Output = TaskOutput<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let output = match ready!(this.guarded.poll(cx)) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(payload)) => Err(JoinError::panic(payload)),
            Err(_aborted) => Err(JoinError::cancelled()),
        };
        // Marks the handle so `AbortHandle::is_finished` reports completion.
        this.finished.abort();
        Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_stores_the_body_once() {
        let body = async {
            let buf = [1u8; 1024];
            std::future::ready(()).await;
            buf.iter().map(|&b| usize::from(b)).sum::<usize>()
        };
        let body_size = std::mem::size_of_val(&body);
        let (task, _abort) = wrap(body);
        // Every task of every connection pays for this: the body, its abort
        // registration and abort handle, and no second copy of the body.
        assert!(std::mem::size_of_val(&task) <= body_size + 32, "{} vs {body_size}", std::mem::size_of_val(&task));
    }
}
