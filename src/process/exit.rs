//! Learning that a child exited, and reaping children nobody waits for.
//!
//! A child's exit is watched through a pidfd (`pidfd_open(2)`, Linux 5.3):
//! it turns readable when the child exits, which the runtime's readiness
//! reports on either backend (a `POLL_ADD` on io_uring, epoll on mio); then
//! `waitpid(WNOHANG)` (std's `try_wait`) reaps it. No thread, no SIGCHLD
//! handler. Where `pidfd_open` is refused (an older kernel: `ENOSYS`; a
//! seccomp filter: `EPERM`), each child instead listens for `SIGCHLD`
//! through `ringline::signal` (installing its handler, as tokio always
//! does) and tries `try_wait` after each delivery.
//!
//! A `Child` dropped while its process runs is *orphaned*: inside a runtime
//! a small task waits for its exit and reaps it (as tokio reaps in the
//! background); dropped outside one, or if that task ends unfinished (its
//! runtime shut down), it joins a queue that every later spawn and
//! `try_wait`/`wait` sweeps with `try_wait`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child as StdChild, ExitStatus};
use std::sync::Mutex;

use crate::io::unix::AsyncFd;
use crate::io::Interest;
use crate::signal::unix::{signal, Signal, SignalKind};

/// Children dropped before they exited, and not yet reaped.
static ORPHANS: Mutex<Vec<StdChild>> = Mutex::new(Vec::new());

/// How a running child's exit is noticed.
pub(super) enum ExitWatch {
    /// Readable once the child has exited.
    Pidfd(AsyncFd<OwnedFd>),
    /// Every `SIGCHLD` after this listener was made (any child's).
    Sigchld(Signal),
}

impl ExitWatch {
    /// Watches the child `pid` (not yet reaped, so the pid is still its).
    pub(super) fn new(pid: u32) -> io::Result<ExitWatch> {
        match pidfd_open(pid) {
            Ok(fd) => AsyncFd::with_interest(fd, Interest::READABLE).map(ExitWatch::Pidfd),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM | libc::EINVAL)) => {
                ExitWatch::sigchld()
            }
            Err(e) => Err(e),
        }
    }

    /// The fallback: listen for `SIGCHLD`.
    pub(super) fn sigchld() -> io::Result<ExitWatch> {
        signal(SignalKind::child()).map(ExitWatch::Sigchld)
    }

    /// Waits until the child may have exited (a `try_wait` then tells).
    async fn changed(&mut self) -> io::Result<()> {
        match self {
            // A pidfd stays readable once the child exited: nothing to clear.
            ExitWatch::Pidfd(fd) => fd.readable().await.map(drop),
            ExitWatch::Sigchld(sig) => {
                sig.recv().await;
                Ok(())
            }
        }
    }
}

/// A spawned child that has not been reaped, with its exit watch.
pub(super) struct Running {
    /// std's handle: `try_wait` is `waitpid(WNOHANG)`, `kill` is `kill(2)`.
    pub(super) child: StdChild,
    /// How its exit is noticed.
    watch: ExitWatch,
}

impl Running {
    /// `child`, whose exit `watch` notices.
    pub(super) fn new(child: StdChild, watch: ExitWatch) -> Running {
        Running { child, watch }
    }

    /// Reaps the child if it has exited.
    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        reap_orphans();
        self.child.try_wait()
    }

    /// Waits for the child to exit and reaps it. Cancel-safe: dropped
    /// midway, the child is as it was.
    pub(super) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let mut rewatched = false;
        loop {
            // The watch was made before this first check, so an exit after
            // the check still reaches it.
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            match self.watch.changed().await {
                Ok(()) => {}
                // The runtime the watch was made on has shut down (a child
                // spawned on one runtime, awaited on another): watch again
                // from the current one, once.
                Err(e) if !rewatched && crate::runtime::Handle::try_current().is_ok() => {
                    self.watch = ExitWatch::new(self.child.id()).map_err(|_| e)?;
                    rewatched = true;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The `Child` handle is gone: reap the process once it exits.
    pub(super) fn orphan(mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return; // reaped now (or not ours to reap any more)
        }
        let mut orphan = Orphan(Some(self));
        if let Ok(runtime) = crate::runtime::Handle::try_current() {
            drop(runtime.spawn(async move {
                if let Some(running) = orphan.0.as_mut() {
                    if running.wait().await.is_ok() {
                        drop(orphan.0.take()); // reaped: nothing to queue
                    }
                }
            }));
        }
    }
}

/// A child nobody waits for; queued for the sweep unless it was reaped
/// before this is dropped (as when the reaping task never ran: the runtime
/// was shutting down).
struct Orphan(Option<Running>);

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(running) = self.0.take() {
            ORPHANS.lock().expect("orphan queue poisoned").push(running.child);
        }
    }
}

/// Reaps every queued orphan that has exited.
pub(super) fn reap_orphans() {
    let Ok(mut orphans) = ORPHANS.try_lock() else {
        return; // another thread is sweeping right now
    };
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

/// `pidfd_open(2)`: an fd that turns readable when `pid` exits.
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = i32::try_from(fd).map_err(|_| io::Error::other("pidfd_open returned an out-of-range fd"))?;
    // SAFETY: the syscall returned a new fd (close-on-exec) that we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
