//! Choosing a backend: io_uring where the kernel allows it, mio otherwise.

use std::io;

/// The kernel interface a runtime drives its I/O with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// io_uring (Linux 6.1+): completion-based, multishot receive into
    /// ring-provided buffers, batched submission.
    Uring,
    /// mio (epoll/kqueue): readiness plus non-blocking system calls. Runs
    /// wherever io_uring is missing or forbidden (seccomp, gVisor,
    /// `kernel.io_uring_disabled`, non-Linux).
    Mio,
}

impl Backend {
    /// The name `RINGLINE_BACKEND` accepts for this backend.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Uring => "uring",
            Backend::Mio => "mio",
        }
    }
}

/// Environment variable that forces a backend: `uring` or `mio`.
pub(crate) const BACKEND_ENV: &str = "RINGLINE_BACKEND";

/// Picks the backend for a new runtime. `forced` (from the builder) wins over
/// the environment; forcing io_uring where it is refused is an error, while the
/// automatic choice falls back to mio and says why at debug level.
pub(crate) fn choose_backend(forced: Option<Backend>) -> io::Result<Backend> {
    let forced = match forced {
        Some(b) => Some(b),
        None => from_env()?,
    };
    match forced {
        Some(Backend::Mio) => Ok(Backend::Mio),
        Some(Backend::Uring) => probe_uring()
            .map(|()| Backend::Uring)
            .map_err(|e| io::Error::new(e.kind(), format!("io_uring backend requested but unavailable: {e}"))),
        None => match probe_uring() {
            Ok(()) => Ok(Backend::Uring),
            Err(e) => {
                log::debug!("ringline: io_uring unavailable ({e}); using the mio backend");
                Ok(Backend::Mio)
            }
        },
    }
}

fn from_env() -> io::Result<Option<Backend>> {
    match std::env::var(BACKEND_ENV) {
        Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Ok(None),
            "uring" | "io_uring" | "io-uring" => Ok(Some(Backend::Uring)),
            "mio" | "poll" | "epoll" => Ok(Some(Backend::Mio)),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{BACKEND_ENV}={other:?}: expected \"uring\" or \"mio\""),
            )),
        },
        Err(_) => Ok(None),
    }
}

#[cfg(all(target_os = "linux", feature = "uring"))]
fn probe_uring() -> io::Result<()> {
    super::uring::probe()
}

#[cfg(not(all(target_os = "linux", feature = "uring")))]
fn probe_uring() -> io::Result<()> {
    Err(uring_not_built())
}

/// The error for io_uring on a build without its backend.
#[cfg(not(all(target_os = "linux", feature = "uring")))]
pub(crate) fn uring_not_built() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "ringline was built without the io_uring backend")
}
