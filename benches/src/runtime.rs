//! The runtimes a workload is measured on.

use std::fmt;

/// One column of the comparison: a server implementation and, for ringline,
/// the backend it is forced onto.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// ringline with `RINGLINE_BACKEND=uring`.
    RinglineUring,
    /// ringline with `RINGLINE_BACKEND=mio`.
    RinglineMio,
    /// tokio's multi-thread runtime with the same worker count.
    Tokio,
    /// A single-threaded io_uring loop with no runtime: the ceiling.
    RawUring,
    /// The raw loop with registered (fixed) files: what they buy at the
    /// ceiling. Only when asked for (`--runtimes`).
    RawUringFixed,
    /// The raw loop sending 4 KiB and more with SEND_ZC. Only when asked for.
    RawUringZc,
}

impl Runtime {
    /// The runtimes measured unless `--runtimes` says otherwise.
    pub const DEFAULT: [Runtime; 4] = [Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio, Runtime::RawUring];

    /// Every runtime, in the order rows are reported.
    pub const ALL: [Runtime; 6] = [
        Runtime::RinglineUring,
        Runtime::RinglineMio,
        Runtime::Tokio,
        Runtime::RawUring,
        Runtime::RawUringFixed,
        Runtime::RawUringZc,
    ];

    /// The short name used on the command line and in the CSV.
    pub fn id(self) -> &'static str {
        match self {
            Runtime::RinglineUring => "ringline-uring",
            Runtime::RinglineMio => "ringline-mio",
            Runtime::Tokio => "tokio",
            Runtime::RawUring => "raw-uring",
            Runtime::RawUringFixed => "raw-uring-fixed",
            Runtime::RawUringZc => "raw-uring-zc",
        }
    }

    /// The name shown in tables and charts.
    pub fn label(self) -> &'static str {
        match self {
            Runtime::RinglineUring => "ringline (io_uring)",
            Runtime::RinglineMio => "ringline (mio)",
            Runtime::Tokio => "tokio",
            Runtime::RawUring => "raw io_uring",
            Runtime::RawUringFixed => "raw io_uring, fixed files",
            Runtime::RawUringZc => "raw io_uring, SEND_ZC",
        }
    }

    /// Parses [`Runtime::id`].
    pub fn from_id(id: &str) -> Option<Runtime> {
        Runtime::ALL.into_iter().find(|r| r.id() == id)
    }

    /// The value of `bench server --runtime`.
    pub fn server_flag(self) -> &'static str {
        match self {
            Runtime::RinglineUring | Runtime::RinglineMio => "ringline",
            Runtime::Tokio => "tokio",
            Runtime::RawUring | Runtime::RawUringFixed | Runtime::RawUringZc => self.id(),
        }
    }

    /// The `RINGLINE_BACKEND` the server process is started with, if any.
    pub fn backend_env(self) -> Option<&'static str> {
        match self {
            Runtime::RinglineUring => Some("uring"),
            Runtime::RinglineMio => Some("mio"),
            _ => None,
        }
    }

    /// Whether this build can run it (ringline needs the `ringline` feature).
    pub fn is_built(self) -> bool {
        match self {
            Runtime::RinglineUring | Runtime::RinglineMio => cfg!(feature = "ringline"),
            _ => true,
        }
    }

    /// Whether this is one of the ringline rows.
    pub fn is_ringline(self) -> bool {
        matches!(self, Runtime::RinglineUring | Runtime::RinglineMio)
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
