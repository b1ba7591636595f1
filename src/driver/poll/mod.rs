//! The mio backend: readiness plus non-blocking system calls.
//!
//! Each worker owns one [`Driver`] (a `mio::Poll`). An I/O object registers
//! its socket with the poller of the worker that first polls it, edge-triggered
//! for both halves, under a token naming a slot of the [`Handle`]'s table.
//! `park` waits for events, records them in the slot's [`ScheduledIo`] and
//! wakes the tasks waiting on them, wherever those tasks run. Tasks retry their
//! non-blocking call in [`Registration`]'s one retry loop.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use slab::Slab;

use super::{DriverConfig, DriverCounters};

mod dgram;
mod listener;
mod registration;
mod scheduled_io;
mod stream;
#[cfg(test)]
mod tests;

pub(crate) use dgram::Datagram;
pub(crate) use listener::Listener;
pub(crate) use stream::Stream;

use crate::driver::Ready;
pub(crate) use registration::Registration;
use scheduled_io::{event_readiness, shutdown_error};
pub(crate) use scheduled_io::{Direction, ReadyEvent, ScheduledIo};

/// The token of the driver's own wake-up source; no slot ever gets it.
const WAKE_TOKEN: Token = Token(usize::MAX);
/// Low token bits name the slot; the bits above carry its generation.
const SLOT_BITS: u32 = if usize::BITS >= 64 { 32 } else { 24 };
/// The slot part of a token.
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;

/// A worker's mio driver: owned and parked by that worker's thread only.
pub(crate) struct Driver {
    /// The poller; only `park` waits on it.
    poll: Poll,
    /// Event buffer reused across parks.
    events: Events,
    /// Wakers collected under the table lock, woken after it is released.
    wake: Vec<Waker>,
    /// What other threads share.
    handle: Arc<Handle>,
}

/// The shareable half of a worker's mio driver: register, deregister, wake.
pub(crate) struct Handle {
    /// Registers and deregisters sockets with the driver's poller.
    registry: Registry,
    /// Interrupts a blocked `park` from any thread.
    waker: mio::Waker,
    /// Set while the driver is (about to be) blocked in the poller.
    parked: AtomicBool,
    /// Every registered socket, by slot.
    table: Mutex<Table>,
    /// The driver has shut down (`Table::shut_down`, readable without the lock).
    closed: AtomicBool,
}

/// The registered sockets of one driver.
#[derive(Default)]
struct Table {
    /// Registered sockets; the slot is the low part of the token.
    slots: Slab<Arc<ScheduledIo>>,
    /// Distinguishes successive users of the same slot.
    generation: usize,
    /// The driver has shut down: no new registrations.
    shut_down: bool,
}

impl Driver {
    /// Creates the poller, its waker and the registration table; the event
    /// buffer holds `config.ring_entries` events per wait.
    pub(crate) fn new(config: &DriverConfig) -> io::Result<Driver> {
        let poll = Poll::new()?;
        let handle = Arc::new(Handle {
            registry: poll.registry().try_clone()?,
            waker: mio::Waker::new(poll.registry(), WAKE_TOKEN)?,
            parked: AtomicBool::new(false),
            table: Mutex::new(Table::default()),
            closed: AtomicBool::new(false),
        });
        let capacity = usize::try_from(config.ring_entries).unwrap_or(usize::MAX).clamp(16, 64 * 1024);
        Ok(Driver { poll, events: Events::with_capacity(capacity), wake: Vec::new(), handle })
    }

    /// The handle other threads use to wake this driver and register with it.
    pub(crate) fn handle(&self) -> Arc<Handle> {
        self.handle.clone()
    }

    /// Waits up to `timeout` (`None`: until woken; `Some(ZERO)`: not at all)
    /// for events, then wakes the tasks they concern.
    pub(crate) fn park(&mut self, timeout: Option<Duration>, has_work: &dyn Fn() -> bool) {
        let mut timeout = timeout;
        if timeout != Some(Duration::ZERO) {
            self.handle.parked.store(true, Ordering::SeqCst);
            // A task queued before `parked` was visible found nothing to wake.
            if has_work() {
                self.handle.parked.store(false, Ordering::SeqCst);
                timeout = Some(Duration::ZERO);
            }
        }
        let polled = self.poll.poll(&mut self.events, timeout);
        self.handle.parked.store(false, Ordering::SeqCst);
        if let Err(e) = polled {
            assert!(e.kind() == io::ErrorKind::Interrupted, "polling for I/O events failed: {e}");
        }
        self.dispatch();
    }

    /// Records each event in its socket's slot and wakes the waiting tasks.
    fn dispatch(&mut self) {
        let table = self.handle.table();
        for event in &self.events {
            if event.token() == WAKE_TOKEN {
                continue; // mio's waker re-arms itself
            }
            let Token(token) = event.token();
            // A stale event for a slot reused since is recognised and dropped.
            if let Some(io) = table.slots.get(token & SLOT_MASK).filter(|io| io.token == token) {
                io.set_readiness(event_readiness(event), &mut self.wake);
            }
        }
        drop(table);
        // Waking may run arbitrary code (even drop a task and its sockets,
        // which takes the table lock), so it happens with no lock held.
        self.wake.drain(..).for_each(Waker::wake);
    }

    /// Fails every wait on this driver's sockets and refuses new ones.
    /// Called once, when the worker stops; also on drop.
    pub(crate) fn shutdown(&mut self) {
        let mut table = self.handle.table();
        if table.shut_down {
            return;
        }
        table.shut_down = true;
        self.handle.closed.store(true, Ordering::Release);
        for (_, io) in &table.slots {
            io.shutdown(&mut self.wake);
        }
        drop(table);
        self.wake.drain(..).for_each(Waker::wake);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Handle {
    /// The registration table, locked.
    /// The driver has shut down: it takes no new registrations.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().expect("registration table poisoned")
    }

    /// Wakes the driver's thread if it is parked; cheap when it is not.
    pub(crate) fn unpark(&self) {
        if self.parked.swap(false, Ordering::SeqCst) {
            if let Err(e) = self.waker.wake() {
                log::warn!("ringline: waking a mio driver failed: {e}");
            }
        }
    }

    /// Counters of what this driver holds right now.
    pub(crate) fn counters(&self) -> DriverCounters {
        let registered = self.table().slots.len() as u64;
        DriverCounters {
            ops_in_flight: registered,
            recv_buffers_free: 0,
            recv_buffers_total: 0,
            io_objects: registered,
        }
    }

    /// Registers `fd` for edge-triggered readiness of both halves, assuming
    /// `initial` readiness until the poller says otherwise.
    fn register(&self, fd: RawFd, initial: Ready) -> io::Result<Arc<ScheduledIo>> {
        let mut table = self.table();
        if table.shut_down {
            return Err(shutdown_error());
        }
        let slot = table.slots.vacant_key();
        if slot >= SLOT_MASK {
            return Err(io::Error::other("too many sockets registered with one ringline worker"));
        }
        let generation = table.generation;
        table.generation = generation.wrapping_add(1);
        // The generation's high bits fall off the top; WAKE_TOKEN's slot part
        // (SLOT_MASK) is never handed out, so no token equals it.
        let token = slot | (generation << SLOT_BITS);
        let io = Arc::new(ScheduledIo::new(token, initial));
        // Registered under the table lock: an event for the new token can only
        // be dispatched once the slot holds it.
        self.registry.register(&mut SourceFd(&fd), Token(token), registered_interest())?;
        let inserted = table.slots.insert(io.clone());
        debug_assert_eq!(inserted, slot, "the table lock is held since vacant_key");
        Ok(io)
    }

    /// Removes `fd` (registered as `io`) from the poller and frees its slot.
    /// Must run while `fd` is still open.
    fn deregister(&self, fd: RawFd, io: &ScheduledIo) {
        if let Err(e) = self.registry.deregister(&mut SourceFd(&fd)) {
            log::debug!("ringline: deregistering fd {fd} failed: {e}");
        }
        let mut table = self.table();
        let slot = io.token & SLOT_MASK;
        if table.slots.get(slot).is_some_and(|held| held.token == io.token) {
            table.slots.remove(slot);
        }
    }
}

/// What every fd is registered for: both halves, and priority events where
/// epoll has them (for `AsyncFd`; errors are always reported).
fn registered_interest() -> Interest {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return Interest::READABLE | Interest::WRITABLE | Interest::PRIORITY;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    return Interest::READABLE | Interest::WRITABLE;
}

/// The mio driver of the worker the calling thread belongs to (or, off the
/// workers, one chosen round-robin; off every runtime, one of the runtime
/// `anchor` names).
fn home(anchor: &super::context::Anchor) -> io::Result<Arc<Handle>> {
    match anchor.home() {
        super::Handle::Poll(handle) => Ok(handle),
        #[allow(unreachable_patterns)]
        _ => Err(io::Error::other("a ringline I/O object made for the mio backend was used on an io_uring runtime")),
    }
}
