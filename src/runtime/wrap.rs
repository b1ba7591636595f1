//! A task body as the executor runs it: panics caught, abortable, with its
//! task id and a fresh coop budget current while it runs.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::abort::AbortState;
use super::coop;
use super::join_handle::{AbortHandle, JoinError, TaskOutput};
use super::task_id::Id;

/// Wraps a task body so that its panic becomes a `JoinError`, it can be
/// aborted and it has an [`Id`]; returns the wrapped future and its abort
/// handle.
pub(crate) fn wrap<F: Future>(future: F) -> (impl Future<Output = TaskOutput<F::Output>>, AbortHandle) {
    let abort = Arc::new(AbortState::default());
    let id = Id::next();
    (Wrapped { body: Some(future), abort: abort.clone(), id }, AbortHandle::new(abort, id))
}

pin_project_lite::pin_project! {
    /// A task body as `wrap` returns it.
    ///
    /// Written out rather than as an `async` block: an async block keeps the
    /// future it captured and the same future being awaited side by side,
    /// which stored every task's body twice.
    struct Wrapped<F> {
        // `None` once dropped: the body is dropped as soon as it finishes,
        // with its task id current, as tokio does.
        #[pin]
        body: Option<F>,
        abort: Arc<AbortState>,
        id: Id,
    }

    impl<F> PinnedDrop for Wrapped<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _current = this.id.enter();
            // A panic here unwinds out of the task's drop, as it would anyway.
            this.body.set(None);
            this.abort.finish();
        }
    }
}

impl<F: Future> Future for Wrapped<F> {
    type Output = TaskOutput<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let id = *this.id;
        let _current = id.enter();
        let mut body = this.body;
        let mut output = if this.abort.poll_aborted(cx) {
            Err(JoinError::cancelled(id))
        } else {
            // A panicking body is dropped while its panic unwinds (its `Drop`
            // sees `thread::panicking()`), as in tokio.
            let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let mut unwinding = DropOnUnwind { body: body.as_mut() };
                let running = unwinding.body.as_mut().as_pin_mut().expect("task polled after it finished");
                let polled = coop::poll_budgeted(cx, |cx| running.poll(cx));
                std::mem::forget(unwinding);
                polled
            }));
            match polled {
                Ok(Poll::Pending) => return Poll::Pending,
                Ok(Poll::Ready(output)) => Ok(output),
                Err(payload) => Err(JoinError::panic(id, payload)),
            }
        };
        // Drop the body now, with the id current; a panic from its `Drop`
        // becomes the task's error, as in tokio.
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| body.set(None))) {
            output = Err(JoinError::panic(id, payload));
        }
        this.abort.finish();
        Poll::Ready(TaskOutput::new(output, id))
    }
}

/// Drops a task body when a panic unwinds out of its poll (forgotten when
/// the poll returns).
struct DropOnUnwind<'a, F> {
    body: Pin<&'a mut Option<F>>,
}

impl<F> Drop for DropOnUnwind<'_, F> {
    fn drop(&mut self) {
        self.body.set(None);
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
        // registration, abort handle and id, and no second copy of the body.
        assert!(std::mem::size_of_val(&task) <= body_size + 40, "{} vs {body_size}", std::mem::size_of_val(&task));
    }
}
