//! hyper, axum, tonic and rustls on ringline's own workers.
//!
//! - [`rt::RinglineExecutor`] and [`rt::RinglineTimer`]: hyper's `Executor`
//!   and `Timer` on ringline, for hyper's and hyper-util's builders and
//!   clients and tonic's `Endpoint::executor`.
//! - [`serve`]: `axum::serve`'s shape for an axum `Router` (or its
//!   make-services), a tonic `Routes`, or any `Clone` tower HTTP service;
//!   HTTP/1.1 and h2c, graceful shutdown, connections over all workers.
//! - [`connect::HttpConnector`]: a `tower::Service<Uri>` over
//!   [`ringline::net::TcpStream`] for hyper-util's legacy `Client` and
//!   tonic's `Endpoint::connect_with_connector` (with the `tls` feature, an
//!   HTTPS one over tokio-rustls).
//!
//! TLS servers and clients need nothing from here: tokio-rustls runs over
//! `ringline::net::TcpStream` unchanged.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod connect;
mod make;
pub mod rt;
mod serve;

pub use make::{CloneServiceMarker, ConnService, IntoConnService, MakeServiceMarker};
pub use serve::{serve, Serve, DEFAULT_HEADER_READ_TIMEOUT};
