//! The runtime: worker threads, each with its own driver, run queue and timer
//! wheel; spawn placement; the blocking pool. Mirrors `tokio::runtime`.

pub(crate) mod abort;
pub(crate) mod block_in_place;
mod blocking;
mod bridge;
mod builder;
mod config;
pub(crate) mod context;
pub(crate) mod coop;
mod handle;
pub(crate) mod join_handle;
mod local_runtime;
mod metrics;
mod park;
#[allow(clippy::module_inception)]
mod runtime;
mod spawn;
pub(crate) mod task_id;
mod worker;
mod worker_home;
mod wrap;

pub use crate::driver::{Backend, DriverCounters};
pub use builder::Builder;
pub use config::{is_rt_shutdown_err, Id, RuntimeFlavor, UnhandledPanic};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use local_runtime::{LocalOptions, LocalRuntime};
pub use metrics::RuntimeMetrics;
pub use runtime::Runtime;

pub(crate) use join_handle::JoinHandle;

/// The index of the worker thread this is called on, like tokio's
/// `runtime::worker_index`: 0-based, matching the worker indices of
/// [`RuntimeMetrics`]. `None` off the workers: on the blocking pool, inside
/// `block_in_place`, on a thread running `Runtime::block_on` of a
/// multi-thread runtime or `Handle::block_on`. On the current-thread runtime
/// the thread inside `Runtime::block_on` that drives the worker gets
/// `Some(0)`.
pub fn worker_index() -> Option<usize> {
    context::worker_index()
}
pub(crate) use worker::WorkerId;
pub(crate) use wrap::wrap;
