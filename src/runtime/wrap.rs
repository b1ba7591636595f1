//! A task body as the executor runs it: panics caught, abortable, with its
//! task id and a fresh coop budget current while it runs.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::{AbortHandle as RawAbortHandle, Abortable};

use super::coop;
use super::join_handle::{AbortHandle, JoinError, TaskOutput};
use super::task_id::Id;

/// Wraps a task body so that its panic becomes a `JoinError`, it can be
/// aborted and it has an [`Id`]; returns the wrapped future and its abort
/// handle.
pub(crate) fn wrap<F: Future>(future: F) -> (impl Future<Output = TaskOutput<F::Output>>, AbortHandle) {
    let (abort, registration) = RawAbortHandle::new_pair();
    let guarded = Some(Abortable::new(future, registration));
    let id = Id::next();
    (Wrapped { guarded, finished: abort.clone(), id }, AbortHandle::new(abort, id))
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
        guarded: Option<Abortable<F>>,
        finished: RawAbortHandle,
        id: Id,
    }

    impl<F> PinnedDrop for Wrapped<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _current = this.id.enter();
            // A panic here unwinds out of the task's drop, as it would anyway.
            this.guarded.set(None);
        }
    }
}

impl<F: Future> Future for Wrapped<F> {
    type Output = TaskOutput<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let id = *this.id;
        let _current = id.enter();
        let mut guarded = this.guarded;
        // A panicking body is dropped while its panic unwinds (its `Drop`
        // sees `thread::panicking()`), as in tokio.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut unwinding = DropOnUnwind { body: guarded.as_mut() };
            let body = unwinding.body.as_mut().as_pin_mut().expect("task polled after it finished");
            let polled = coop::poll_budgeted(cx, |cx| body.poll(cx));
            std::mem::forget(unwinding);
            polled
        }));
        let mut output = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(output))) => Ok(output),
            Ok(Poll::Ready(Err(_aborted))) => Err(JoinError::cancelled(id)),
            Err(payload) => Err(JoinError::panic(id, payload)),
        };
        // Drop the body now, with the id current; a panic from its `Drop`
        // becomes the task's error, as in tokio.
        if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| guarded.set(None))) {
            output = Err(JoinError::panic(id, payload));
        }
        // Marks the handle so `AbortHandle::is_finished` reports completion.
        this.finished.abort();
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
