//! The tokio-context bridge (cargo feature `tokio-bridge`, on by default).
//!
//! Libraries that call `tokio::spawn`, `tokio::time::sleep`,
//! `tokio::net::TcpStream::connect` or `tokio::task::spawn_blocking`
//! themselves (hyper-util's `HttpConnector`, tonic's client timeouts,
//! reqwest, database drivers) panic with "there is no reactor running"
//! outside a tokio runtime. With the bridge, a ringline runtime starts a small
//! tokio runtime (one tokio worker thread, its I/O and time drivers, tokio's
//! blocking pool on demand) and every ringline worker thread, `block_on` and
//! [`Handle::enter`](super::Handle::enter) enters its context. Work handed to
//! tokio this way runs on that tokio thread, not on ringline's workers;
//! ringline's own paths never use it.
//!
//! [`Builder::tokio_bridge(false)`](super::Builder::tokio_bridge) (or building
//! without the feature) leaves it out: those calls then fail as they do
//! outside tokio.

use std::io;

/// Owns the bridge's tokio runtime; the ringline `Runtime` holds it and drops
/// it after its own workers have stopped.
pub(crate) struct Bridge {
    #[cfg(feature = "tokio-bridge")]
    runtime: std::sync::Mutex<Option<tokio::runtime::Runtime>>,
}

/// What every thread of a ringline runtime needs to enter the bridge.
#[derive(Clone)]
pub(crate) struct BridgeHandle {
    #[cfg(feature = "tokio-bridge")]
    handle: Option<tokio::runtime::Handle>,
}

/// Keeps the bridge's tokio context entered on this thread until dropped.
pub(crate) struct BridgeGuard<'a> {
    #[cfg(feature = "tokio-bridge")]
    _guard: Option<tokio::runtime::EnterGuard<'a>>,
    _handle: std::marker::PhantomData<&'a BridgeHandle>,
}

impl Bridge {
    /// Starts the tokio runtime when `enabled` (and the feature is built in).
    pub(crate) fn start(enabled: bool) -> io::Result<(Bridge, BridgeHandle)> {
        #[cfg(feature = "tokio-bridge")]
        {
            if !enabled {
                return Ok((Bridge { runtime: std::sync::Mutex::new(None) }, BridgeHandle { handle: None }));
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("ringline-tokio-bridge")
                .enable_all()
                .build()?;
            let handle = Some(runtime.handle().clone());
            Ok((Bridge { runtime: std::sync::Mutex::new(Some(runtime)) }, BridgeHandle { handle }))
        }
        #[cfg(not(feature = "tokio-bridge"))]
        {
            let _ = enabled;
            Ok((Bridge {}, BridgeHandle {}))
        }
    }

    /// Stops the tokio runtime, waiting at most `wait` (None: for all of its
    /// blocking work, as dropping a tokio runtime does).
    pub(crate) fn shutdown(&self, wait: Option<std::time::Duration>) {
        #[cfg(feature = "tokio-bridge")]
        {
            let runtime = self.runtime.lock().unwrap_or_else(|e| e.into_inner()).take();
            match (runtime, wait) {
                (Some(runtime), Some(wait)) => runtime.shutdown_timeout(wait),
                (Some(runtime), None) => drop(runtime),
                (None, _) => {}
            }
        }
        #[cfg(not(feature = "tokio-bridge"))]
        let _ = wait;
    }
}

impl BridgeHandle {
    /// Enters the bridge's tokio context on this thread (a no-op without it).
    pub(crate) fn enter(&self) -> BridgeGuard<'_> {
        BridgeGuard {
            #[cfg(feature = "tokio-bridge")]
            _guard: self.handle.as_ref().map(tokio::runtime::Handle::enter),
            _handle: std::marker::PhantomData,
        }
    }

    /// Runs `f` with this thread inside the bridge's tokio runtime, the way
    /// tokio's own `block_on` and workers run their code (without the bridge:
    /// just runs `f`; in another tokio runtime's context: with only the
    /// bridge's handle entered).
    ///
    /// Inside, tokio sees a runtime on this thread, so its blocking calls
    /// (`blocking_recv`, `blocking_lock`, `Handle::block_on`, dropping a
    /// runtime) panic with tokio's "Cannot block the current thread from within
    /// a runtime" as they do in a tokio task, instead of hanging the worker.
    /// Inside, tokio's own coop budget is unconstrained: ringline's budget is
    /// the one that applies to ringline's tasks.
    pub(crate) fn run_entered<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tokio-bridge")]
        if let Some(handle) = &self.handle {
            // A thread already in another tokio runtime's context (ringline
            // driven from inside a tokio program) is not entered again, which
            // tokio would refuse; it only gets the bridge's handle, below.
            let foreign = tokio::runtime::Handle::try_current().is_ok_and(|current| current.id() != handle.id());
            if !foreign {
                // Unconstrained for the whole loop: tokio grants its budget
                // only in its own schedulers, and left at the 128 this
                // `block_on` grants, it would run out across the worker.
                return handle.block_on(tokio::task::coop::unconstrained(async move { f() }));
            }
        }
        let _handle = self.enter();
        f()
    }

    /// Whether the bridge runs for this runtime.
    pub(crate) fn is_enabled(&self) -> bool {
        #[cfg(feature = "tokio-bridge")]
        return self.handle.is_some();
        #[cfg(not(feature = "tokio-bridge"))]
        false
    }
}

/// Runs `f` outside the tokio runtime that [`BridgeHandle::run_entered`]
/// entered (tokio's `block_in_place` does exactly that off tokio's workers),
/// so blocking inside `f` is allowed again, as in tokio's `block_in_place`.
pub(crate) fn run_exited<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(feature = "tokio-bridge")]
    return tokio::task::block_in_place(f);
    #[cfg(not(feature = "tokio-bridge"))]
    f()
}
