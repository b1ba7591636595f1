//! Time error types, as in `tokio::time::error`.

use std::error::Error;
use std::fmt;
use std::io;

/// The error returned when a [`timeout`](crate::time::timeout) expires before
/// its future completes.
///
/// Converts into an [`io::Error`] of kind [`io::ErrorKind::TimedOut`], so `?`
/// works in functions returning `io::Result`.
///
/// ```no_run
/// use ringline::time::{timeout, Duration};
///
/// # async fn run() -> std::io::Result<()> {
/// let never = std::future::pending::<()>();
/// let res = timeout(Duration::from_millis(10), never).await;
/// assert_eq!(res.unwrap_err().to_string(), "deadline has elapsed");
/// # Ok(()) }
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    /// Creates the error; only the timer module does.
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        "deadline has elapsed".fmt(f)
    }
}

impl Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(elapsed: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_io_kind() {
        assert_eq!(Elapsed::new().to_string(), "deadline has elapsed");
        let err: io::Error = Elapsed::new().into();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "deadline has elapsed");
    }
}
