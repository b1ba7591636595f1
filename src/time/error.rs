//! Time error types, as in `tokio::time::error`.

use std::error;
use std::fmt;
use std::io;

/// The error returned when a [`timeout`](crate::time::timeout()) expires before
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

/// An error of the timer itself, as tokio's `time::error::Error`. ringline's
/// timers never fail, so nothing returns it; it exists so code that names or
/// matches it compiles.
#[derive(Debug, Copy, Clone)]
pub struct Error(Kind);

#[derive(Debug, Clone, Copy, Eq, PartialEq)]
enum Kind {
    Shutdown,
    AtCapacity,
    Invalid,
}

impl Error {
    /// The timer is shut down.
    pub fn shutdown() -> Error {
        Error(Kind::Shutdown)
    }

    /// Whether the timer is shut down.
    pub fn is_shutdown(&self) -> bool {
        self.0 == Kind::Shutdown
    }

    /// The timer is at capacity.
    pub fn at_capacity() -> Error {
        Error(Kind::AtCapacity)
    }

    /// Whether the timer is at capacity.
    pub fn is_at_capacity(&self) -> bool {
        self.0 == Kind::AtCapacity
    }

    /// The duration is too long for the timer.
    pub fn invalid() -> Error {
        Error(Kind::Invalid)
    }

    /// Whether the duration was too long for the timer.
    pub fn is_invalid(&self) -> bool {
        self.0 == Kind::Invalid
    }
}

impl error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Kind::Shutdown => "the timer is shutdown, must be called from the context of Tokio runtime",
            Kind::AtCapacity => "timer is at capacity and cannot create a new entry",
            Kind::Invalid => "timer duration exceeds maximum duration",
        })
    }
}

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

impl error::Error for Elapsed {}

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
