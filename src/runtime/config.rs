//! What a runtime was built with and tells about itself: its id, name and
//! flavor, tokio's panic policy, the park hooks, and tokio's shutdown error.

use std::fmt;
use std::io;
use std::num::NonZeroU64;
use std::sync::Arc;

use crate::driver::Backend;

/// A hook run on a worker thread.
pub(crate) type ThreadHook = Arc<dyn Fn() + Send + Sync>;

/// An opaque id of a runtime, unique among the runtimes of this process, like
/// `tokio::runtime::Id`.
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq)]
pub struct Id(NonZeroU64);

impl Id {
    pub(crate) fn new(id: u64) -> Id {
        Id(NonZeroU64::new(id).expect("runtime ids start at 1"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The flavor of a runtime, as [`Handle::runtime_flavor`](super::Handle::runtime_flavor)
/// returns it (tokio's `RuntimeFlavor`).
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// One worker, run by the thread that calls `block_on`.
    CurrentThread,
    /// One worker thread per core (or `worker_threads`).
    MultiThread,
}

/// What the runtime does when a spawned task panics, like tokio's
/// `UnhandledPanic` (see [`Builder::unhandled_panic`](super::Builder::unhandled_panic)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// The panic goes to the task's `JoinHandle`; everything else runs on.
    /// The default.
    Ignore,
    /// The runtime shuts down: `block_on` panics with tokio's message. Only
    /// on the current-thread runtime, as in tokio.
    ShutdownRuntime,
}

/// Hooks run on the worker threads.
#[derive(Clone, Default)]
pub(crate) struct ThreadHooks {
    /// When a worker thread starts.
    pub(crate) start: Option<ThreadHook>,
    /// Before a worker thread exits.
    pub(crate) stop: Option<ThreadHook>,
    /// Before the worker thread parks.
    pub(crate) park: Option<ThreadHook>,
    /// After the worker thread wakes from parking.
    pub(crate) unpark: Option<ThreadHook>,
}

/// A runtime's settings that every thread may read.
pub(crate) struct RuntimeConfig {
    /// The I/O backend of every worker.
    pub(crate) backend: Backend,
    /// Unique among this process's runtimes.
    pub(crate) id: Id,
    /// `Builder::name`.
    pub(crate) name: Option<String>,
    /// Multi-thread (else current-thread).
    pub(crate) multi_thread: bool,
    /// `Builder::unhandled_panic`.
    pub(crate) unhandled_panic: UnhandledPanic,
    /// `Builder::on_thread_*`.
    pub(crate) hooks: ThreadHooks,
    /// `Builder::enable_io` (or `enable_all`) was called.
    pub(crate) io_enabled: bool,
    /// Built by `Builder::build_local`: the thread the `LocalRuntime` lives on.
    pub(crate) local_thread: Option<std::thread::ThreadId>,
}

/// tokio's message for an operation refused because its runtime shuts down.
pub(crate) use crate::driver::context::RUNTIME_SHUT_DOWN as RUNTIME_SHUTTING_DOWN_ERROR;

/// The messages of the errors ringline's drivers give for I/O on an object
/// whose runtime has shut down (mio, io_uring).
const RINGLINE_SHUTDOWN_ERRORS: [&str; 2] = [
    "the ringline runtime driving this I/O object has shut down",
    "the ringline runtime this I/O object belongs to has shut down",
];

/// Whether `err` says the runtime is shutting down (tokio's
/// `runtime::is_rt_shutdown_err`): an `Other` error carrying tokio's message
/// or the one ringline's drivers give for I/O after shutdown.
pub fn is_rt_shutdown_err(err: &io::Error) -> bool {
    match err.get_ref() {
        Some(inner) if err.kind() == io::ErrorKind::Other && inner.source().is_none() => {
            let msg = inner.to_string();
            msg == RUNTIME_SHUTTING_DOWN_ERROR || RINGLINE_SHUTDOWN_ERRORS.contains(&msg.as_str())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_errors_are_recognised() {
        assert!(is_rt_shutdown_err(&io::Error::other(RUNTIME_SHUTTING_DOWN_ERROR)));
        assert!(!is_rt_shutdown_err(&io::Error::other("something else")));
        assert!(!is_rt_shutdown_err(&io::Error::from(io::ErrorKind::Other)));
        RINGLINE_SHUTDOWN_ERRORS.iter().for_each(|msg| assert!(is_rt_shutdown_err(&io::Error::other(*msg))));
    }
}
