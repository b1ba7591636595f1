//! The tasks waiting on one half (read or write) of a socket, on either backend.

use std::task::{Context, Waker};

/// The half's own task (the one in `poll_read`/`poll_write`, whose waker
/// replaces the previous one, as in tokio), plus every task awaiting
/// readiness (`readable()`, `writable()`), which tokio lets several tasks do
/// at once. A readiness waiter is kept until the next wake-up.
#[derive(Default)]
pub(crate) struct Waiters {
    io: Option<Waker>,
    /// Boxed: most streams never have a readiness waiter.
    ready: Option<Box<ReadyWaiters>>,
}

#[derive(Default)]
struct ReadyWaiters(Vec<Waker>);

impl Waiters {
    /// Stores the half's own task's waker (cloning only when it changed).
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    pub(crate) fn set_io(&mut self, cx: &Context<'_>) {
        set_waker(&mut self.io, cx);
    }

    /// Registers the task of `cx` as `kind`; returns a waker it replaced, for
    /// the caller to drop once no lock is held (it may be a task's last
    /// reference).
    pub(crate) fn register(&mut self, cx: &Context<'_>, kind: WaitFor) -> Option<Waker> {
        match kind {
            WaitFor::Io => replace_waker(&mut self.io, cx),
            WaitFor::Readiness => {
                self.add_ready(cx);
                None
            }
        }
    }

    /// Adds a task awaiting readiness, unless it is already waiting.
    pub(crate) fn add_ready(&mut self, cx: &Context<'_>) {
        let ready = &mut self.ready.get_or_insert_with(Box::default).0;
        if !ready.iter().any(|w| w.will_wake(cx.waker())) {
            ready.push(cx.waker().clone());
        }
    }

    /// Takes every waiting task's waker, to be woken once no lock is held.
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    pub(crate) fn take(&mut self) -> Woken {
        Woken { io: self.io.take(), ready: self.ready.take() }
    }

    /// Moves every waiting task's waker into `wake`, to be woken by the
    /// caller once it holds no lock.
    pub(crate) fn take_all(&mut self, wake: &mut Vec<Waker>) {
        wake.extend(self.io.take());
        if let Some(ready) = self.ready.take() {
            wake.extend(ready.0);
        }
    }
}

/// Wakers taken out of a locked socket state, woken by [`Woken::wake`] once
/// the lock is released: a waker may own the last handle to the socket, and
/// that handle's drop takes the lock. Taking them allocates nothing.
#[must_use = "the tasks wake only when `wake` is called"]
#[derive(Default)]
pub(crate) struct Woken {
    io: Option<Waker>,
    ready: Option<Box<ReadyWaiters>>,
}

impl Woken {
    /// Wakes the tasks. Call with no lock held.
    #[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
    pub(crate) fn wake(self) {
        if let Some(w) = self.io {
            w.wake();
        }
        if let Some(ready) = self.ready {
            ready.0.into_iter().for_each(Waker::wake);
        }
    }
}

/// What a task waits on a socket half for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitFor {
    /// To do its own I/O (`poll_read`, `poll_write`, ...): one task per
    /// half, the latest waker wins.
    Io,
    /// Readiness (`readable()`, `writable()`): any number of tasks.
    Readiness,
}

/// Stores the task's waker, cloning only when it changed.
#[cfg_attr(not(all(target_os = "linux", feature = "uring")), allow(dead_code))]
pub(crate) fn set_waker(slot: &mut Option<Waker>, cx: &Context<'_>) {
    drop(replace_waker(slot, cx));
}

/// Stores the task's waker unless `slot` already wakes that task; returns
/// the waker it replaced.
fn replace_waker(slot: &mut Option<Waker>, cx: &Context<'_>) -> Option<Waker> {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => None,
        _ => slot.replace(cx.waker().clone()),
    }
}

/// A waker that counts its wake-ups, for the drivers' tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct CountingWaker(std::sync::atomic::AtomicUsize);

#[cfg(test)]
impl CountingWaker {
    /// A counter and a waker that bumps it.
    pub(crate) fn new() -> (std::sync::Arc<CountingWaker>, Waker) {
        let count = std::sync::Arc::new(CountingWaker::default());
        (count.clone(), Waker::from(count))
    }

    /// Wake-ups so far.
    pub(crate) fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(test)]
impl std::task::Wake for CountingWaker {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_readiness_waiter_and_the_latest_io_waiter_wake() {
        let [(a, wa), (b, wb), (c, wc), (d, wd)] = std::array::from_fn(|_| CountingWaker::new());
        let mut waiters = Waiters::default();
        waiters.add_ready(&Context::from_waker(&wa));
        waiters.add_ready(&Context::from_waker(&wb));
        waiters.add_ready(&Context::from_waker(&wa)); // no duplicate
        waiters.set_io(&Context::from_waker(&wc));
        waiters.set_io(&Context::from_waker(&wd)); // replaces c
        waiters.take().wake();
        let counts: Vec<usize> = [&a, &b, &c, &d].iter().map(|n| n.count()).collect();
        assert_eq!(counts, [1, 1, 0, 1]);
        waiters.take().wake(); // nobody left
        assert_eq!(a.count(), 1);
    }
}
