//! The runtime: worker threads, each with its own driver, run queue and timer
//! wheel; spawn placement; the blocking pool. Mirrors `tokio::runtime`.

pub(crate) mod block_in_place;
mod blocking;
mod bridge;
mod builder;
mod config;
pub(crate) mod context;
pub(crate) mod coop;
mod handle;
pub(crate) mod join_handle;
mod metrics;
mod park;
#[allow(clippy::module_inception)]
mod runtime;
mod spawn;
pub(crate) mod task_id;
mod worker;
mod wrap;

pub use crate::driver::{Backend, DriverCounters};
pub use builder::Builder;
pub use config::{is_rt_shutdown_err, Id, RuntimeFlavor, UnhandledPanic};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::RuntimeMetrics;
pub use runtime::Runtime;

pub(crate) use join_handle::JoinHandle;
pub(crate) use worker::WorkerId;
pub(crate) use wrap::wrap;
