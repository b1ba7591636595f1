//! Readiness bookkeeping for one registered socket.
//!
//! The driver thread *sets* readiness when the poller reports an event; tasks
//! on any thread *clear* it when a non-blocking call says `WouldBlock`. Each
//! event also bumps a tick, and a task clears only if the tick it saw before
//! its call is still current: an event that lands between the call's
//! `WouldBlock` and the clear is never lost.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// Which half of a socket a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// Readable (data, EOF, an error, or a connection to accept).
    Read,
    /// Writable (buffer space, a finished connect, or an error).
    Write,
}

/// A set of readiness bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Ready(usize);

impl Ready {
    /// Neither half.
    pub(super) const EMPTY: Ready = Ready(0);
    /// The read half (or the listener's accept).
    pub(super) const READABLE: Ready = Ready(0b01);
    /// The write half.
    pub(super) const WRITABLE: Ready = Ready(0b10);

    /// What a poller event means for the socket's two halves. Errors and
    /// hang-ups count as both: the next call reports them.
    pub(super) fn from_event(event: &mio::event::Event) -> Ready {
        let failed = event.is_error();
        let mut ready = Ready::EMPTY;
        if event.is_readable() || event.is_read_closed() || failed {
            ready = ready | Ready::READABLE;
        }
        if event.is_writable() || event.is_write_closed() || failed {
            ready = ready | Ready::WRITABLE;
        }
        ready
    }

    /// Every bit of `other` (which is not empty) is set in `self`.
    fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
}

impl std::ops::BitOr for Ready {
    type Output = Ready;

    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl Direction {
    /// The readiness bit of this half.
    fn ready(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE,
            Direction::Write => Ready::WRITABLE,
        }
    }
}

/// The readiness a task observed, remembered so it can clear exactly that.
#[derive(Clone, Copy, Debug)]
pub(super) struct ReadyEvent {
    /// The event tick at the time of observation.
    tick: usize,
    /// The bit the task is about to act on.
    ready: Ready,
}

/// The readiness bits of the state word.
const READY_MASK: usize = 0b11;
/// Set in the state word once the driver has shut down.
const SHUTDOWN: usize = 0b100;
/// The tick lives above the flag bits and wraps.
const TICK_SHIFT: u32 = 8;
/// One tick, in place.
const TICK_ONE: usize = 1 << TICK_SHIFT;

/// The per-socket state shared by its owner (any thread) and its driver.
pub(super) struct ScheduledIo {
    /// The poller token, unique across slot reuse (slot and generation).
    pub(super) token: usize,
    /// Readiness bits, the shutdown flag and the event tick, in one word.
    state: AtomicUsize,
    /// The tasks waiting for each half.
    waiters: Mutex<Waiters>,
}

/// The last task to wait on each half (tokio's `poll_*_ready` semantics).
#[derive(Default)]
struct Waiters {
    /// Woken when the socket becomes readable.
    reader: Option<Waker>,
    /// Woken when the socket becomes writable.
    writer: Option<Waker>,
}

impl ScheduledIo {
    /// A freshly registered socket with `initial` readiness assumed.
    pub(super) fn new(token: usize, initial: Ready) -> ScheduledIo {
        ScheduledIo { token, state: AtomicUsize::new(initial.0), waiters: Mutex::new(Waiters::default()) }
    }

    /// The waiter slots, locked.
    fn waiters(&self) -> MutexGuard<'_, Waiters> {
        self.waiters.lock().expect("waiter slots poisoned")
    }

    /// Driver thread: records an event and moves the wakers it satisfies
    /// into `wake` (woken by the caller once no driver lock is held).
    pub(super) fn set_readiness(&self, ready: Ready, wake: &mut Vec<Waker>) {
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| Some(state.wrapping_add(TICK_ONE) | ready.0));
        let mut waiters = self.waiters();
        if ready.contains(Ready::READABLE) {
            wake.extend(waiters.reader.take());
        }
        if ready.contains(Ready::WRITABLE) {
            wake.extend(waiters.writer.take());
        }
    }

    /// Driver shutdown: every current and future wait fails; wakers go to `wake`.
    pub(super) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.state.fetch_or(SHUTDOWN, Ordering::AcqRel);
        let mut waiters = self.waiters();
        wake.extend(waiters.reader.take());
        wake.extend(waiters.writer.take());
    }

    /// Ready when `dir` is (believed) ready. Without a context, "not ready" is
    /// `Ready(Err(WouldBlock))`; with one, the task's waker is stored first.
    pub(super) fn poll_ready(&self, cx: Option<&mut Context<'_>>, dir: Direction) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ready) = self.ready_now(dir) {
            return Poll::Ready(ready);
        }
        let Some(cx) = cx else {
            return Poll::Ready(Err(io::ErrorKind::WouldBlock.into()));
        };
        let replaced = {
            let mut waiters = self.waiters();
            let slot = match dir {
                Direction::Read => &mut waiters.reader,
                Direction::Write => &mut waiters.writer,
            };
            match slot {
                Some(w) if w.will_wake(cx.waker()) => None,
                _ => slot.replace(cx.waker().clone()),
            }
        };
        // Dropped with no lock held: it may be the last reference to a task,
        // whose sockets then deregister (taking the driver's table lock).
        drop(replaced);
        // The driver sets readiness before it takes wakers under the waiter
        // lock, so an event racing with us is seen here or wakes the waker
        // just stored.
        match self.ready_now(dir) {
            Some(ready) => Poll::Ready(ready),
            None => Poll::Pending,
        }
    }

    /// The current readiness of `dir`, if set (or the shutdown error).
    fn ready_now(&self, dir: Direction) -> Option<io::Result<ReadyEvent>> {
        let state = self.state.load(Ordering::Acquire);
        if state & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        Ready(state & READY_MASK)
            .contains(dir.ready())
            .then(|| Ok(ReadyEvent { tick: state >> TICK_SHIFT, ready: dir.ready() }))
    }

    /// A call acting on `event` said `WouldBlock`: forget that readiness,
    /// unless an event arrived since it was observed.
    pub(super) fn clear_readiness(&self, event: ReadyEvent) {
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
            (state >> TICK_SHIFT == event.tick).then_some(state & !event.ready.0)
        });
    }
}

/// The error every wait on a shut-down driver returns.
pub(super) fn shutdown_error() -> io::Error {
    io::Error::other("the ringline runtime driving this I/O object has shut down")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    /// A waker that counts its wake-ups.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counting() -> (Arc<CountingWaker>, Waker) {
        let count = Arc::new(CountingWaker::default());
        (count.clone(), Waker::from(count))
    }

    fn wake_all(wakers: &mut Vec<Waker>) {
        wakers.drain(..).for_each(Waker::wake);
    }

    #[test]
    fn initial_readiness_is_honoured() {
        let io = ScheduledIo::new(7, Ready::WRITABLE);
        assert!(matches!(io.poll_ready(None, Direction::Write), Poll::Ready(Ok(_))));
        match io.poll_ready(None, Direction::Read) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
            _ => panic!("a fresh socket must not look readable"),
        }
    }

    #[test]
    fn event_wakes_only_the_matching_waiter() {
        let io = ScheduledIo::new(1, Ready::EMPTY);
        let (reads, read_waker) = counting();
        let (writes, write_waker) = counting();
        assert!(io.poll_ready(Some(&mut Context::from_waker(&read_waker)), Direction::Read).is_pending());
        assert!(io.poll_ready(Some(&mut Context::from_waker(&write_waker)), Direction::Write).is_pending());
        let mut wakers = Vec::new();
        io.set_readiness(Ready::READABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1);
        assert_eq!(writes.0.load(Ordering::SeqCst), 0);
        assert!(matches!(io.poll_ready(None, Direction::Read), Poll::Ready(Ok(_))));
        io.set_readiness(Ready::READABLE | Ready::WRITABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1, "a waker is used once");
        assert_eq!(writes.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn clear_is_skipped_when_an_event_raced_it() {
        let io = ScheduledIo::new(1, Ready::READABLE);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read) else { panic!("readable") };
        // The event arrives after the call said WouldBlock, before the clear.
        io.set_readiness(Ready::READABLE, &mut Vec::new());
        io.clear_readiness(seen);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read) else {
            panic!("the racing event must survive the stale clear")
        };
        io.clear_readiness(seen);
        assert!(io.poll_ready(None, Direction::Read).is_ready_and_would_block());
    }

    #[test]
    fn clear_leaves_the_other_half_alone() {
        let io = ScheduledIo::new(1, Ready::READABLE | Ready::WRITABLE);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read) else { panic!("readable") };
        io.clear_readiness(seen);
        assert!(io.poll_ready(None, Direction::Read).is_ready_and_would_block());
        assert!(matches!(io.poll_ready(None, Direction::Write), Poll::Ready(Ok(_))));
    }

    #[test]
    fn shutdown_fails_waiters_and_later_polls() {
        let io = ScheduledIo::new(1, Ready::EMPTY);
        let (reads, waker) = counting();
        assert!(io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Read).is_pending());
        let mut wakers = Vec::new();
        io.shutdown(&mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.0.load(Ordering::SeqCst), 1);
        match io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Write) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::Other),
            _ => panic!("a shut-down driver must fail waits"),
        }
    }

    trait WouldBlock {
        fn is_ready_and_would_block(&self) -> bool;
    }

    impl WouldBlock for Poll<io::Result<ReadyEvent>> {
        fn is_ready_and_would_block(&self) -> bool {
            matches!(self, Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::WouldBlock)
        }
    }
}
