//! Benchmark harness for ringline.
//!
//! One binary, `bench`, is both the orchestrator (`bench all`, `bench echo`, ...)
//! and the server it measures (`bench server --runtime ...`, started as a child
//! process pinned to its own core). `bench-server` is the same server entry point
//! as a binary of its own, for running a server by hand.
//!
//! Layout:
//! - [`runtime`]: the runtimes being compared (ringline on io_uring, ringline on
//!   mio, tokio, and a raw io_uring loop with no runtime).
//! - [`server`]: the servers and in-process benchmarks, written once and compiled
//!   against each runtime.
//! - [`load`]: the single-threaded load generator (io_uring, or epoll).
//! - [`process`]: the one place that spawns, pins and kills processes.
//! - [`workloads`]: one module per workload, and the registry that lists them.
//! - [`report`]: results as markdown, CSV and an SVG chart.
//! - [`uring`]: io_uring pieces shared by the raw server and the load generator.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks, missing_docs)]

pub mod args;
pub mod load;
pub mod process;
pub mod report;
pub mod runtime;
pub mod server;
pub mod stats;
pub mod uring;
pub mod workloads;
