//! Process-wide signal delivery: one handler per signal number (installed
//! through signal-hook-registry, so it chains with other libraries'), a
//! self-pipe, and one thread that turns pipe wake-ups into broadcasts.
//!
//! The handler only does async-signal-safe work: it marks its signal pending
//! and writes a byte to the pipe. The `ringline-signal` thread reads the pipe
//! and, for each pending signal, bumps that signal's `watch` channel, which
//! every [`Signal`](super::unix::Signal) of that number subscribes to. A watch
//! channel coalesces: several deliveries before a `recv` are seen once, and a
//! listener created after a delivery does not see it, as with tokio.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use tokio::sync::watch;

/// One signal number's state.
struct Slot {
    /// Set by the handler, cleared by the signal thread when it broadcasts.
    pending: AtomicBool,
    /// The handler is installed (or installing it failed, with its errno).
    installed: OnceLock<Result<(), Option<i32>>>,
    /// Bumped once per batch of deliveries; listeners subscribe to it.
    deliveries: watch::Sender<()>,
}

/// The process's signal state, made on first use.
struct Globals {
    /// The pipe's write end (non-blocking): the handler wakes the thread.
    wake: OwnedFd,
    /// Indexed by signal number.
    slots: Box<[Slot]>,
}

static GLOBALS: OnceLock<io::Result<Globals>> = OnceLock::new();

/// Subscribes to deliveries of `signum`, installing its handler first.
pub(super) fn subscribe(signum: i32) -> io::Result<watch::Receiver<()>> {
    if signum <= 0 || signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(io::Error::other(format!("Refusing to register signal {signum}")));
    }
    let globals = GLOBALS.get_or_init(Globals::new).as_ref().map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
    let slot = globals.slots.get(signum as usize).ok_or_else(|| io::Error::other("signal too large"))?;
    // Subscribed before the handler exists, so no delivery can slip between.
    let receiver = slot.deliveries.subscribe();
    slot.installed
        .get_or_init(|| {
            // SAFETY: the action only touches an atomic and write(2)s to a
            // pipe: async-signal-safe, no allocation, no locks.
            unsafe { signal_hook_registry::register(signum, move || on_signal(signum)) }
                .map(drop)
                .map_err(|e| e.raw_os_error())
        })
        .map_err(|errno| {
            errno.map_or_else(|| io::Error::other("registering signal handler failed"), io::Error::from_raw_os_error)
        })?;
    Ok(receiver)
}

/// The signal handler's work, for `signum`.
fn on_signal(signum: i32) {
    let Some(Ok(globals)) = GLOBALS.get() else { return };
    if let Some(slot) = globals.slots.get(signum as usize) {
        slot.pending.store(true, Ordering::SeqCst);
    }
    let byte = 1u8;
    // SAFETY: writes one byte from a live local to the pipe we own; a full
    // pipe (EAGAIN) already holds a wake-up, so the result is not needed.
    let _ = unsafe { libc::write(globals.wake.as_raw_fd(), (&byte as *const u8).cast(), 1) };
}

impl Globals {
    fn new() -> io::Result<Globals> {
        let mut fds = [0; 2];
        // SAFETY: pipe2(2) writes two fds into the array it is given.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: pipe2 succeeded: both fds are new and ours.
        let (read, wake) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: fcntl(2) on a valid fd we own.
        if unsafe { libc::fcntl(wake.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SIGRTMAX is not a constant in libc; 64 covers it on Linux.
        let slots = (0..=64)
            .map(|_| Slot {
                pending: AtomicBool::new(false),
                installed: OnceLock::new(),
                deliveries: watch::channel(()).0,
            })
            .collect();
        std::thread::Builder::new().name("ringline-signal".into()).spawn(move || broadcast_loop(read))?;
        Ok(Globals { wake, slots })
    }
}

/// The signal thread: waits on the pipe, then broadcasts what is pending.
fn broadcast_loop(read: OwnedFd) {
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: reads into a live local buffer of the given length.
        let n = unsafe { libc::read(read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 {
            return; // the write end is gone: the process is exiting
        }
        let Some(Ok(globals)) = GLOBALS.get() else { continue };
        for slot in globals.slots.iter() {
            if slot.pending.swap(false, Ordering::SeqCst) {
                slot.deliveries.send_replace(());
            }
        }
    }
}
