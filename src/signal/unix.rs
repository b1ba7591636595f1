//! Unix signals as streams of notifications, tokio's `signal::unix`.

use std::future::Future;
use std::io;
use std::os::raw::c_int;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::sync::watch;

use super::registry;

/// A kind of Unix signal: a signal number with tokio's constructor names.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
pub struct SignalKind(c_int);

macro_rules! signal_kinds {
    ($($(#[$doc:meta])* $name:ident => $signum:ident,)*) => {
        impl SignalKind {
            $(
                $(#[$doc])*
                pub const fn $name() -> Self {
                    SignalKind(libc::$signum)
                }
            )*
        }
    };
}

signal_kinds! {
    /// `SIGALRM`: a real-time timer expired.
    alarm => SIGALRM,
    /// `SIGCHLD`: a child process changed state.
    child => SIGCHLD,
    /// `SIGHUP`: the terminal was disconnected.
    hangup => SIGHUP,
    /// `SIGINT`: an interrupt from the terminal (Ctrl-C).
    interrupt => SIGINT,
    /// `SIGIO`: I/O is possible on a descriptor.
    io => SIGIO,
    /// `SIGPIPE`: a write to a pipe with no reader.
    pipe => SIGPIPE,
    /// `SIGQUIT`: a quit request from the terminal.
    quit => SIGQUIT,
    /// `SIGTERM`: a request to terminate.
    terminate => SIGTERM,
    /// `SIGUSR1`: user-defined signal 1.
    user_defined1 => SIGUSR1,
    /// `SIGUSR2`: user-defined signal 2.
    user_defined2 => SIGUSR2,
    /// `SIGWINCH`: the terminal window changed size.
    window_change => SIGWINCH,
}

impl SignalKind {
    /// Any signal by its number (for those without a constructor above).
    pub const fn from_raw(signum: c_int) -> Self {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> c_int {
        self.0
    }
}

impl From<c_int> for SignalKind {
    fn from(signum: c_int) -> Self {
        SignalKind(signum)
    }
}

impl From<SignalKind> for c_int {
    fn from(kind: SignalKind) -> Self {
        kind.0
    }
}

/// Deliveries of one kind of signal, from [`signal`].
///
/// Deliveries that arrive before the next `recv` coalesce into one; every
/// `Signal` of the same kind sees each delivery; a `Signal` created after a
/// delivery does not see it. Once a kind has a listener, its default action
/// (e.g. terminating on `SIGTERM`) is replaced for the rest of the process,
/// as with tokio.
pub struct Signal {
    next: Pin<Box<dyn Future<Output = watch::Receiver<()>> + Send + Sync>>,
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal").finish_non_exhaustive()
    }
}

/// Waits for the next change of `rx` and hands it back. The sender lives in a
/// static, so the channel never closes.
async fn next_delivery(mut rx: watch::Receiver<()>) -> watch::Receiver<()> {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
    rx
}

/// Listens for signals of `kind`.
///
/// # Errors
/// `ErrorKind::Other` for a signal that may not be handled (`SIGKILL`,
/// `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`, zero or negative numbers) or one
/// out of range, as with tokio.
///
/// # Panics
/// Outside a ringline runtime, or in one built without `enable_io` (tokio
/// has no signal driver there), as tokio's does.
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    assert!(
        crate::driver::context::io_enabled(),
        "there is no signal driver running, must be called from the context of Tokio runtime"
    );
    let rx = registry::subscribe(kind.0)?;
    Ok(Signal { next: Box::pin(next_delivery(rx)) })
}

impl Signal {
    /// Waits for the next delivery. Never returns `None` (tokio's does only
    /// once its runtime has gone; ringline's deliveries are process-wide).
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery, registering `cx`'s waker if none came.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let rx = ready!(self.next.as_mut().poll(cx));
        self.next = Box::pin(next_delivery(rx));
        Poll::Ready(Some(()))
    }
}
