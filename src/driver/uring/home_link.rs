//! An I/O object's tie to its home driver, shared by streams and listeners.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::{Handle, Kick};
use crate::driver::context::Anchor;

/// The driver whose ring carries an object's ops (fixed by the object's
/// first kick) and whether a kick for the object is queued and not yet
/// reconciled, so that at most one is.
pub(super) struct HomeLink {
    home: OnceLock<Arc<Handle>>,
    kicked: AtomicBool,
    /// Where the first kick goes when made off every runtime.
    anchor: Anchor,
}

impl HomeLink {
    /// A link to no driver yet, anchored to the runtime the calling thread
    /// has entered (see [`Anchor`]).
    pub(super) fn new() -> HomeLink {
        HomeLink { home: OnceLock::new(), kicked: AtomicBool::new(false), anchor: Anchor::here() }
    }

    /// The home driver, once the object has kicked one.
    pub(super) fn get(&self) -> Option<&Arc<Handle>> {
        self.home.get()
    }

    /// Queues `kick()` on the home driver (the current worker's, on first
    /// use) unless a kick is already queued. Fails once the home driver has
    /// shut down: nothing would serve the object's ops.
    pub(super) fn kick(&self, kick: impl FnOnce() -> Kick) -> io::Result<()> {
        // A kick flagged queued when the driver shut down is never served.
        if self.home.get().is_some_and(|home| home.is_closed()) {
            return Err(super::shut_down());
        }
        // Made in a runtime that is gone before its first op: as tokio's.
        if self.home.get().is_none() && self.anchor.is_dead() {
            return Err(super::shut_down());
        }
        if self.kicked.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let home = self.home.get_or_init(|| {
            let home = super::home(&self.anchor);
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
