//! Readiness bookkeeping for one registered socket.
//!
//! The driver thread *sets* readiness when the poller reports an event; tasks
//! on any thread *clear* it when a non-blocking call says `WouldBlock`, or
//! when a read comes back short (the socket is drained: asking again would
//! only say `WouldBlock`). Each event also bumps a tick, and a task clears
//! only if the tick it saw before its call is still current: an event that
//! lands between the call and the clear is never lost.
//!
//! The read half has two bits, as in tokio: `READABLE` (bytes) and
//! `READ_CLOSED` (EOF or an error). A short read clears only `READABLE`: when
//! bytes and EOF arrive in one event, the read after the bytes must still see
//! the EOF, and no further event will come to say so. The write half has
//! `WRITABLE` and `WRITE_CLOSED` (the connection hung up or failed).

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::driver::waiters::{WaitFor, Waiters};
use crate::driver::Ready;

/// Which half of a socket a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Readable (data, EOF, an error, or a connection to accept).
    Read,
    /// Writable (buffer space, a finished connect, or an error).
    Write,
    /// A priority event (`EPOLLPRI`), for `AsyncFd`.
    Priority,
    /// An error (`EPOLLERR`), for `AsyncFd`.
    Error,
}

/// What a poller event means for the socket's two halves. Errors and
/// hang-ups make both halves ready: the next call reports them.
pub(super) fn event_readiness(event: &mio::event::Event) -> Ready {
    let failed = event.is_error();
    let mut ready = Ready::EMPTY;
    if event.is_readable() {
        ready |= Ready::READABLE;
    }
    if event.is_read_closed() || failed {
        ready |= Ready::READ_CLOSED;
    }
    if event.is_writable() || event.is_write_closed() || failed {
        ready |= Ready::WRITABLE;
    }
    if event.is_write_closed() {
        ready |= Ready::WRITE_CLOSED;
    }
    if event.is_priority() {
        ready |= Ready::PRIORITY;
    }
    if failed {
        ready |= Ready::ERROR;
    }
    ready
}

impl Direction {
    /// The readiness bits of this half; any one of them makes it ready.
    pub(crate) fn ready(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED,
            Direction::Priority => Ready::PRIORITY,
            Direction::Error => Ready::ERROR,
        }
    }
}

/// The readiness a task observed, remembered so it can clear exactly that.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    /// The event tick at the time of observation.
    tick: usize,
    /// The bits set, of the half the task is about to act on.
    ready: Ready,
}

impl ReadyEvent {
    /// The bits set, of the half the task is about to act on.
    pub(crate) fn ready(&self) -> Ready {
        self.ready
    }

    /// This event and `other` (of the other half) as one: the bits of both,
    /// and the older tick, so a clear made with it never hides a newer event.
    pub(crate) fn merge(self, other: ReadyEvent) -> ReadyEvent {
        let tick = if other.tick.wrapping_sub(self.tick) as isize > 0 { self.tick } else { other.tick };
        ReadyEvent { tick, ready: self.ready | other.ready }
    }
}

/// Set in the state word once the driver has shut down (above the
/// readiness bits, which are `Ready::as_usize`).
const SHUTDOWN: usize = 0b1_0000;
/// The tick lives above the flag bits and wraps.
const TICK_SHIFT: u32 = 8;
/// One tick, in place.
const TICK_ONE: usize = 1 << TICK_SHIFT;

/// The per-socket state shared by its owner (any thread) and its driver.
pub(crate) struct ScheduledIo {
    /// The poller token, unique across slot reuse (slot and generation).
    pub(super) token: usize,
    /// Readiness bits, the shutdown flag and the event tick, in one word.
    state: AtomicUsize,
    /// The tasks waiting for each half.
    waiters: Mutex<HalfWaiters>,
}

/// The tasks waiting on each half.
#[derive(Default)]
struct HalfWaiters {
    /// Woken when the socket becomes readable.
    reader: Waiters,
    /// Woken when the socket becomes writable.
    writer: Waiters,
    /// Woken on a priority event or an error (`AsyncFd`'s other interests).
    other: Waiters,
}

impl ScheduledIo {
    /// A freshly registered socket with `initial` readiness assumed.
    pub(crate) fn new(token: usize, initial: Ready) -> ScheduledIo {
        ScheduledIo { token, state: AtomicUsize::new(initial.as_usize()), waiters: Mutex::new(HalfWaiters::default()) }
    }

    /// The waiter slots, locked.
    fn waiters(&self) -> MutexGuard<'_, HalfWaiters> {
        self.waiters.lock().expect("waiter slots poisoned")
    }

    /// Driver thread: records an event and moves the wakers it satisfies
    /// into `wake` (woken by the caller once no driver lock is held).
    pub(crate) fn set_readiness(&self, ready: Ready, wake: &mut Vec<Waker>) {
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
            Some(state.wrapping_add(TICK_ONE) | ready.as_usize())
        });
        let mut waiters = self.waiters();
        if !(ready & Direction::Read.ready()).is_empty() {
            waiters.reader.take_all(wake);
        }
        if !(ready & Direction::Write.ready()).is_empty() {
            waiters.writer.take_all(wake);
        }
        if !(ready & (Ready::PRIORITY | Ready::ERROR)).is_empty() {
            waiters.other.take_all(wake);
        }
    }

    /// Driver shutdown: every current and future wait fails; wakers go to `wake`.
    pub(crate) fn shutdown(&self, wake: &mut Vec<Waker>) {
        self.state.fetch_or(SHUTDOWN, Ordering::AcqRel);
        let mut waiters = self.waiters();
        waiters.reader.take_all(wake);
        waiters.writer.take_all(wake);
        waiters.other.take_all(wake);
    }

    /// Ready when `dir` is (believed) ready. Without a context, "not ready" is
    /// `Ready(Err(WouldBlock))`; with one, the task's waker is stored first,
    /// as the half's I/O task or as one of its readiness waiters (`kind`).
    pub(crate) fn poll_ready(
        &self,
        cx: Option<&mut Context<'_>>,
        dir: Direction,
        kind: WaitFor,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(ready) = self.ready_now(dir) {
            return Poll::Ready(ready);
        }
        let Some(cx) = cx else {
            return Poll::Ready(Err(io::ErrorKind::WouldBlock.into()));
        };
        let replaced = {
            let mut waiters = self.waiters();
            match dir {
                Direction::Read => waiters.reader.register(cx, kind),
                Direction::Write => waiters.writer.register(cx, kind),
                Direction::Priority | Direction::Error => waiters.other.register(cx, kind),
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
        let ready = Ready::from_usize(state) & dir.ready();
        (!ready.is_empty()).then_some(Ok(ReadyEvent { tick: state >> TICK_SHIFT, ready }))
    }

    /// A call acting on `event` said `WouldBlock`: forget that readiness,
    /// EOF and errors included (the kernel has nothing to report), unless an
    /// event arrived since it was observed.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.clear(event.tick, event.ready);
    }

    /// A read acting on `event` came back short: the socket holds no more
    /// bytes, so forget that it is readable, unless an event arrived since.
    /// An EOF or error seen with those bytes stays for the next read.
    pub(super) fn clear_drained(&self, event: ReadyEvent) {
        self.clear(event.tick, event.ready - Ready::READ_CLOSED);
    }

    /// Forgets the `bits` of `event` (the caller found them used up),
    /// unless an event arrived since it was observed.
    pub(crate) fn clear_matching(&self, event: ReadyEvent, bits: Ready) {
        self.clear(event.tick, event.ready & bits);
    }

    /// Clears `bits` if the event tick is still `tick`.
    fn clear(&self, tick: usize, bits: Ready) {
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
            (state >> TICK_SHIFT == tick).then_some(state & !bits.as_usize())
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
    use crate::driver::waiters::CountingWaker;

    fn wake_all(wakers: &mut Vec<Waker>) {
        wakers.drain(..).for_each(Waker::wake);
    }

    #[test]
    fn initial_readiness_is_honoured() {
        let io = ScheduledIo::new(7, Ready::WRITABLE);
        assert!(matches!(io.poll_ready(None, Direction::Write, WaitFor::Io), Poll::Ready(Ok(_))));
        match io.poll_ready(None, Direction::Read, WaitFor::Io) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
            _ => panic!("a fresh socket must not look readable"),
        }
    }

    #[test]
    fn event_wakes_only_the_matching_waiter() {
        let io = ScheduledIo::new(1, Ready::EMPTY);
        let (reads, read_waker) = CountingWaker::new();
        let (writes, write_waker) = CountingWaker::new();
        assert!(io.poll_ready(Some(&mut Context::from_waker(&read_waker)), Direction::Read, WaitFor::Io).is_pending());
        assert!(io
            .poll_ready(Some(&mut Context::from_waker(&write_waker)), Direction::Write, WaitFor::Io)
            .is_pending());
        let mut wakers = Vec::new();
        io.set_readiness(Ready::READABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.count(), 1);
        assert_eq!(writes.count(), 0);
        assert!(matches!(io.poll_ready(None, Direction::Read, WaitFor::Io), Poll::Ready(Ok(_))));
        io.set_readiness(Ready::READABLE | Ready::WRITABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.count(), 1, "a waker is used once");
        assert_eq!(writes.count(), 1);
    }

    #[test]
    fn clear_is_skipped_when_an_event_raced_it() {
        let io = ScheduledIo::new(1, Ready::READABLE);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else { panic!("readable") };
        // The event arrives after the call said WouldBlock, before the clear.
        io.set_readiness(Ready::READABLE, &mut Vec::new());
        io.clear_readiness(seen);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else {
            panic!("the racing event must survive the stale clear")
        };
        io.clear_readiness(seen);
        assert!(io.poll_ready(None, Direction::Read, WaitFor::Io).is_ready_and_would_block());
    }

    #[test]
    fn clear_leaves_the_other_half_alone() {
        let io = ScheduledIo::new(1, Ready::READABLE | Ready::WRITABLE);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else { panic!("readable") };
        io.clear_readiness(seen);
        assert!(io.poll_ready(None, Direction::Read, WaitFor::Io).is_ready_and_would_block());
        assert!(matches!(io.poll_ready(None, Direction::Write, WaitFor::Io), Poll::Ready(Ok(_))));
    }

    #[test]
    fn read_closed_alone_makes_the_read_half_ready_and_wakes_the_reader() {
        let io = ScheduledIo::new(1, Ready::EMPTY);
        let (reads, waker) = CountingWaker::new();
        assert!(io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Read, WaitFor::Io).is_pending());
        let mut wakers = Vec::new();
        io.set_readiness(Ready::READ_CLOSED, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.count(), 1);
        assert!(matches!(io.poll_ready(None, Direction::Read, WaitFor::Io), Poll::Ready(Ok(_))));
        assert!(io.poll_ready(None, Direction::Write, WaitFor::Io).is_ready_and_would_block());
    }

    #[test]
    fn short_read_clears_readable_but_keeps_read_closed() {
        // Bytes and EOF in one event: the read after the short read is the EOF.
        let io = ScheduledIo::new(1, Ready::EMPTY);
        io.set_readiness(Ready::READABLE | Ready::READ_CLOSED, &mut Vec::new());
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else { panic!("readable") };
        io.clear_drained(seen);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else {
            panic!("the EOF behind the bytes must stay visible")
        };
        // Only a WouldBlock forgets the EOF bit too.
        io.clear_readiness(seen);
        assert!(io.poll_ready(None, Direction::Read, WaitFor::Io).is_ready_and_would_block());
    }

    #[test]
    fn short_read_without_eof_waits_for_the_next_event() {
        let io = ScheduledIo::new(1, Ready::READABLE | Ready::WRITABLE);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else { panic!("readable") };
        io.clear_drained(seen);
        assert!(io.poll_ready(None, Direction::Read, WaitFor::Io).is_ready_and_would_block());
        assert!(
            matches!(io.poll_ready(None, Direction::Write, WaitFor::Io), Poll::Ready(Ok(_))),
            "the write half is untouched"
        );
    }

    #[test]
    fn short_read_clear_is_skipped_when_an_event_raced_it() {
        let io = ScheduledIo::new(1, Ready::READABLE);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else { panic!("readable") };
        // More bytes arrive after the short read, before its clear.
        io.set_readiness(Ready::READABLE, &mut Vec::new());
        io.clear_drained(seen);
        let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else {
            panic!("the racing event must survive the stale clear")
        };
        io.clear_drained(seen);
        assert!(io.poll_ready(None, Direction::Read, WaitFor::Io).is_ready_and_would_block());
    }

    #[test]
    fn shutdown_fails_waiters_and_later_polls() {
        let io = ScheduledIo::new(1, Ready::EMPTY);
        let (reads, waker) = CountingWaker::new();
        assert!(io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Read, WaitFor::Io).is_pending());
        let mut wakers = Vec::new();
        io.shutdown(&mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reads.count(), 1);
        match io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Write, WaitFor::Io) {
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
