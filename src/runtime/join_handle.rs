//! `JoinHandle`, `AbortHandle` and `JoinError`, shaped like tokio's.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::abort::AbortState;
use super::task_id::Id;

/// The task's output as the executor stores it until the `JoinHandle` takes
/// it. An output nobody takes (the handle was dropped) is dropped with its
/// task's id current, and a panic from its `Drop` is swallowed, as in tokio.
pub(crate) struct TaskOutput<T> {
    result: Option<Result<T, JoinError>>,
    id: Id,
}

impl<T> TaskOutput<T> {
    pub(crate) fn new(result: Result<T, JoinError>, id: Id) -> TaskOutput<T> {
        TaskOutput { result: Some(result), id }
    }

    /// Whether the task panicked.
    pub(crate) fn is_panic(&self) -> bool {
        matches!(&self.result, Some(Err(e)) if e.is_panic())
    }

    fn take(mut self) -> Result<T, JoinError> {
        self.result.take().expect("output taken once")
    }
}

impl<T> Drop for TaskOutput<T> {
    fn drop(&mut self) {
        if self.result.is_some() {
            let _current = self.id.enter();
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.result = None));
        }
    }
}

/// An owned permission to await a task's output, like tokio's `JoinHandle`.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`] when the task panicked
/// or was aborted. Dropping it detaches the task, which keeps running.
pub struct JoinHandle<T> {
    task: Option<async_task::FallibleTask<TaskOutput<T>>>,
    abort: AbortHandle,
    /// tokio's auto traits: `Send` and `Sync` exactly when `T: Send`.
    _output: PhantomData<Mutex<T>>,
}

/// As tokio's: a `JoinHandle` holds no state a panic could leave torn.
impl<T> UnwindSafe for JoinHandle<T> {}
impl<T> RefUnwindSafe for JoinHandle<T> {}
/// The output is never pinned.
impl<T> Unpin for JoinHandle<T> {}

/// Aborts a task without owning its output, like tokio's `AbortHandle`.
#[derive(Clone)]
pub struct AbortHandle {
    inner: Arc<AbortState>,
    id: Id,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<TaskOutput<T>>, abort: AbortHandle) -> Self {
        JoinHandle { task: Some(task.fallible()), abort, _output: PhantomData }
    }

    /// The task's [`Id`].
    pub fn id(&self) -> Id {
        self.abort.id
    }

    /// Aborts the task: it is dropped at its next scheduling point, and
    /// awaiting this handle yields a cancelled [`JoinError`]. A task that already
    /// finished is unaffected.
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Whether the task has finished (completed, panicked or been aborted).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// A handle that can abort the task without awaiting it.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(super::coop::poll_proceed(cx));
        let task = self.task.as_mut().expect("JoinHandle polled after completion");
        let polled = Pin::new(task).poll(cx);
        if polled.is_ready() {
            coop.made_progress();
        }
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                self.task = None;
                // None: the runtime dropped the task before it finished.
                Poll::Ready(output.map_or_else(|| Err(JoinError::cancelled(self.abort.id)), TaskOutput::take))
            }
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("finished", &self.is_finished()).finish()
    }
}

impl AbortHandle {
    pub(crate) fn new(inner: Arc<AbortState>, id: Id) -> AbortHandle {
        AbortHandle { inner, id }
    }

    /// The state the runtime aborts the task with at shutdown.
    pub(crate) fn state(&self) -> &Arc<AbortState> {
        &self.inner
    }

    /// The task's [`Id`].
    pub fn id(&self) -> Id {
        self.id
    }

    /// Aborts the task; see [`JoinHandle::abort`].
    pub fn abort(&self) {
        self.inner.abort();
    }

    /// Whether the task has finished: completed, panicked, or been
    /// cancelled and dropped. Right after `abort` this is still false until
    /// the task's worker has dropped it, as in tokio.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("id", &self.id).finish()
    }
}

/// Why a task did not produce its output.
pub struct JoinError {
    repr: Repr,
    id: Id,
}

enum Repr {
    Cancelled,
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError { repr: Repr::Cancelled, id }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError { repr: Repr::Panic(Mutex::new(payload)), id }
    }

    /// The [`Id`] of the task that failed.
    pub fn id(&self) -> Id {
        self.id
    }

    /// The task was aborted or dropped by runtime shutdown.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload. Panics (at the caller, as tokio's) if the task
    /// did not panic.
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().expect("`JoinError` reason is not a panic.")
    }

    /// The panic payload, or the error back if the task did not panic.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.into_inner().unwrap_or_else(|e| e.into_inner())),
            Repr::Cancelled => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        let Repr::Panic(p) = &self.repr else { return None };
        let p = p.lock().unwrap_or_else(|e| e.into_inner());
        p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned())
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "task {} was cancelled", self.id),
            (Repr::Panic(_), Some(msg)) => write!(f, "task {} panicked with message {msg:?}", self.id),
            (Repr::Panic(_), None) => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "JoinError::Panic({:?}, {msg:?}, ...)", self.id),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(src: JoinError) -> io::Error {
        io::Error::other(match src.repr {
            Repr::Cancelled => "task was cancelled",
            Repr::Panic(_) => "task panicked",
        })
    }
}
