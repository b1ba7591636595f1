//! An I/O object's tie to its home driver, shared by streams and listeners.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::{Handle, Kick};
use crate::driver::context::Origin;

/// The driver whose ring carries an object's ops (fixed by the object's
/// first kick) and whether a kick for the object is queued and not yet
/// reconciled, so that at most one is.
pub(super) struct HomeLink {
    home: OnceLock<Arc<Handle>>,
    kicked: AtomicBool,
    /// The runtime the object was made in, for its first kick.
    origin: Origin,
}

impl HomeLink {
    /// The link of an object made now, on this thread's runtime.
    pub(super) fn new() -> HomeLink {
        HomeLink { home: OnceLock::new(), kicked: AtomicBool::new(false), origin: Origin::current() }
    }

    /// Fails once the home driver has shut down, or, before the object has
    /// one, once the runtime it was made in has: the socket itself would
    /// still take direct reads and writes, but tokio's rule is that I/O on
    /// a dead runtime's object errors.
    pub(super) fn check_alive(&self) -> io::Result<()> {
        match self.home.get() {
            Some(home) if home.is_closed() => Err(super::shut_down()),
            Some(_) => Ok(()),
            None => self.origin.check(),
        }
    }

    /// Queues `kick()` on the home driver (the current worker's, on first
    /// use) unless a kick is already queued. Fails once the home driver has
    /// shut down: nothing would serve the object's ops.
    pub(super) fn kick(&self, kick: impl FnOnce() -> Kick) -> io::Result<()> {
        // A kick flagged queued when the driver shut down is never served.
        self.check_alive()?;
        if self.kicked.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let home = self.home.get_or_init(|| {
            let home = super::uring_handle(self.origin.home());
            home.object_opened();
            home
        });
        if !home.kick(kick()) {
            self.kicked.store(false, Ordering::Release);
            return Err(super::shut_down());
        }
        Ok(())
    }

    /// Driver thread: the queued kick is being reconciled; changes from now
    /// on need a new one.
    pub(super) fn reconciled(&self) {
        self.kicked.store(false, Ordering::Release);
    }

    /// The object's last handle is gone: its home driver (if it has one)
    /// counts it closed and gets a last kick to release its ops. A dead
    /// driver has released everything already, so its refusal is fine.
    pub(super) fn closed(&self, kick: impl FnOnce() -> Kick) {
        if let Some(home) = self.home.get() {
            home.object_closed();
            let _ = self.kick(kick);
        }
    }
}
