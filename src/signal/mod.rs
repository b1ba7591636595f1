//! Signal handling, tokio's `signal` module: [`ctrl_c`] and, on Unix,
//! [`unix::signal`] for any signal.

mod registry;
pub mod unix;

use std::io;

/// Completes when the process receives `SIGINT` (Ctrl-C) after this call.
///
/// The first call installs a handler for the rest of the process, so from
/// then on Ctrl-C no longer terminates it by default, as with tokio.
///
/// # Panics
/// Outside a ringline runtime.
pub async fn ctrl_c() -> io::Result<()> {
    unix::signal(unix::SignalKind::interrupt())?.recv().await;
    Ok(())
}
