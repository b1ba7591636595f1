//! ringline: a thread-per-core async runtime on io_uring, with a mio backend
//! wherever io_uring is missing or forbidden, that tokio programs adopt by
//! changing paths.
//!
//! ```no_run
//! use ringline::io::{AsyncReadExt, AsyncWriteExt};
//!
//! #[ringline::main]                       // was #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = ringline::net::TcpListener::bind("127.0.0.1:8080").await?;
//!     loop {
//!         let (mut sock, _) = listener.accept().await?;
//!         ringline::spawn(async move {    // was tokio::spawn
//!             let mut buf = vec![0; 4096];
//!             loop {
//!                 let n = sock.read(&mut buf).await.unwrap();
//!                 if n == 0 { break; }
//!                 sock.write_all(&buf[..n]).await.unwrap();
//!             }
//!         });
//!     }
//! }
//! ```
//!
//! Every worker thread owns its ring (or poller), run queue and timer wheel.
//! [`spawn`] places a task on a worker once; it never moves after that. Streams
//! implement tokio's `AsyncRead`/`AsyncWrite`, so tokio-util, tokio-rustls and
//! hyper run on ringline unchanged.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

mod driver;
pub mod fs;
pub mod io;
pub mod net;
pub mod process;
pub mod runtime;
pub mod signal;
pub mod sync;
pub mod task;
pub mod time;

/// Fault injection through the real io_uring ring, for tests only.
#[cfg(all(target_os = "linux", feature = "fault-injection"))]
#[doc(hidden)]
pub use driver::uring::faults as fault_injection;
pub use ringline_macros::{main, test};
pub use task::spawn;
/// tokio's macro support items (`macros::support::poll_fn`, ...), which
/// code written for tokio sometimes names directly.
#[doc(hidden)]
pub use tokio::macros;
pub use tokio::{join, pin, select, task_local, try_join};
