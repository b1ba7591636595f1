//! The runtime: worker threads, each with its own driver, run queue and timer
//! wheel; spawn placement; the blocking pool. Mirrors `tokio::runtime`.

mod blocking;
mod bridge;
mod builder;
pub(crate) mod context;
mod handle;
pub(crate) mod join_handle;
mod park;
#[allow(clippy::module_inception)]
mod runtime;
mod spawn;
mod worker;
mod wrap;

pub use crate::driver::{Backend, DriverCounters};
pub use builder::Builder;
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use runtime::Runtime;

pub(crate) use join_handle::JoinHandle;
pub(crate) use worker::WorkerId;
pub(crate) use wrap::wrap;
