//! [`sleep`], [`sleep_until`] and the [`Sleep`] future.

use std::future::Future;
use std::marker::PhantomPinned;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::runtime::context;
use crate::runtime::WorkerId;

use super::entry::TimerEntry;
use super::Instant;

/// Waits until `duration` has elapsed, like `tokio::time::sleep`.
///
/// The sleep never completes early; it completes within about a millisecond
/// of its deadline on an idle worker (timers have millisecond resolution). A
/// duration too large to add to now means "practically forever" (~30 years).
///
/// # Panics
/// Outside a ringline runtime (as tokio's, with tokio's message).
///
/// ```no_run
/// use ringline::time::{sleep, Duration};
///
/// # async fn run() {
/// sleep(Duration::from_millis(100)).await;
/// println!("100 ms have elapsed");
/// # }
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    match Instant::now().checked_add(duration) {
        Some(deadline) => sleep_until(deadline),
        None => sleep_until(Instant::far_future()),
    }
}

/// Waits until `deadline` is reached, like `tokio::time::sleep_until`.
///
/// A deadline in the past completes on the first poll.
///
/// # Panics
/// Outside a ringline runtime (as tokio's, with tokio's message).
///
/// ```no_run
/// use ringline::time::{sleep_until, Duration, Instant};
///
/// # async fn run() {
/// sleep_until(Instant::now() + Duration::from_millis(100)).await;
/// # }
/// ```
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    context::assert_in_runtime();
    Sleep { deadline, registration: None, elapsed: false, _pinned: PhantomPinned }
}

pin_project_lite::pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`].
    ///
    /// It may be polled, reset and dropped from any thread (`Send + Sync`, as
    /// hyper's `Timer` needs). It joins the timer wheel of the worker that first
    /// polls it (or of some worker, when first polled off the workers) and costs
    /// no system call of its own: each worker arms one kernel timeout, for its
    /// nearest deadline. Like tokio's it is `!Unpin`: pin it (`pin!`,
    /// `Box::pin`) to poll or reset it.
    ///
    /// ```no_run
    /// use ringline::time::{sleep, Duration, Instant};
    ///
    /// # async fn run() {
    /// let sleep = sleep(Duration::from_millis(10));
    /// ringline::pin!(sleep);
    /// sleep.as_mut().reset(Instant::now() + Duration::from_millis(20));
    /// sleep.await;
    /// # }
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Sleep {
        // When the sleep completes.
        deadline: Instant,
        // The wheel entry, from the first pending poll until it fires or is
        // cancelled.
        registration: Option<Registration>,
        // The sleep has completed.
        elapsed: bool,
        // tokio's `Sleep` is `!Unpin`; so is this one, so the same code compiles
        // and the same auto traits hold.
        #[pin]
        _pinned: PhantomPinned,
    }

    impl PinnedDrop for Sleep {
        fn drop(this: Pin<&mut Self>) {
            if let Some(registration) = this.project().registration.take() {
                registration.cancel();
            }
        }
    }
}

/// A sleep's place in one worker's timer wheel.
#[derive(Debug)]
struct Registration {
    /// The entry that worker's wheel holds.
    entry: Arc<TimerEntry>,
    /// The worker whose wheel holds it.
    worker: WorkerId,
}

impl Sleep {
    /// Returns the instant at which the sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Returns `true` once the sleep has completed (its timer fired or a poll
    /// found the deadline passed), as tokio's `Sleep::is_elapsed`.
    pub fn is_elapsed(&self) -> bool {
        self.elapsed || self.registration.as_ref().is_some_and(|registration| registration.entry.is_fired())
    }

    /// Resets the sleep to complete at `deadline` instead, as if it had just
    /// been created by [`sleep_until`], even if it has already completed.
    ///
    /// A task waiting on the old deadline is woken so that it polls the sleep
    /// again and waits on the new one.
    ///
    /// ```no_run
    /// use ringline::time::{sleep, Duration, Instant};
    ///
    /// # async fn run() {
    /// let mut sleep = std::pin::pin!(sleep(Duration::from_secs(60)));
    /// sleep.as_mut().reset(Instant::now() + Duration::from_millis(10));
    /// sleep.await; // after 10 ms, not 60 s
    /// # }
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.deadline = deadline;
        *this.elapsed = false;
        if let Some(registration) = this.registration.take() {
            let waker = registration.entry.take_waker();
            registration.cancel();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        if *this.elapsed {
            return Poll::Ready(());
        }
        if this.registration.is_none() {
            let deadline = this.deadline.into_std();
            if deadline <= super::clock::now() {
                *this.elapsed = true;
                return Poll::Ready(());
            }
            *this.registration = Some(Registration::new(deadline));
        }
        let entry = &this.registration.as_ref().expect("registered above").entry;
        // Store the waker first, then look: a fire between the two is seen.
        entry.register_waker(cx.waker());
        if entry.is_fired() {
            *this.registration = None;
            *this.elapsed = true;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Registration {
    /// Puts a new entry for `deadline` on this worker's wheel, or, off the
    /// workers, hands it to one of the current runtime's workers.
    fn new(deadline: std::time::Instant) -> Registration {
        let entry = TimerEntry::new(deadline);
        if let Some(worker) = context::current_worker_id() {
            let local = context::with_local_timers(|timers| timers.register(Arc::clone(&entry)));
            if local.is_some() {
                return Registration { entry, worker };
            }
        }
        let worker = context::register_remote_timer(Arc::clone(&entry));
        Registration { entry, worker }
    }

    /// Cancels the entry: removes it from the wheel now when this is its
    /// worker's thread, else leaves the cancelled entry for the wheel to drop
    /// when it comes due.
    fn cancel(self) {
        if !self.entry.cancel() {
            return; // already fired
        }
        if context::current_worker_id() == Some(self.worker) {
            context::with_local_timers(|timers| timers.remove(&self.entry));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Builder;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn sleep_is_send_sync() {
        assert_send_sync::<Sleep>();
    }

    fn local_timer_count() -> usize {
        context::with_local_timers(|timers| timers.len()).expect("on a worker")
    }

    /// Polls every sleep once, so that each joins this worker's wheel.
    async fn register_all(sleeps: &mut [Pin<Box<Sleep>>]) {
        std::future::poll_fn(|cx| {
            for sleep in sleeps.iter_mut() {
                assert!(sleep.as_mut().poll(cx).is_pending());
            }
            Poll::Ready(())
        })
        .await;
    }

    #[test]
    fn dropping_pending_sleeps_empties_the_wheel() {
        let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let task = rt.spawn(async {
            let before = local_timer_count();
            let mut sleeps: Vec<Pin<Box<Sleep>>> =
                (0..10_000u64).map(|i| Box::pin(sleep(Duration::from_secs(60 + i % 100)))).collect();
            register_all(&mut sleeps).await;
            assert_eq!(local_timer_count(), before + 10_000);
            drop(sleeps);
            assert_eq!(local_timer_count(), before);

            // A reset cancels the old entry at once, too.
            let mut one = [Box::pin(sleep(Duration::from_secs(60)))];
            register_all(&mut one).await;
            one[0].as_mut().reset(Instant::now() + Duration::from_secs(120));
            assert_eq!(local_timer_count(), before);
        });
        rt.block_on(task).expect("task");
    }

    #[test]
    fn sleeps_dropped_on_another_thread_are_dropped_when_due() {
        let rt = Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let mut sleeps: Vec<Pin<Box<Sleep>>> =
                (0..100).map(|_| Box::pin(sleep(Duration::from_millis(20)))).collect();
            register_all(&mut sleeps).await;
            let before = local_timer_count();
            std::thread::spawn(move || drop(sleeps)).join().expect("dropper");
            assert_eq!(local_timer_count(), before, "cancelled lazily");
            super::sleep(Duration::from_millis(40)).await;
            assert_eq!(local_timer_count(), 0);
        });
    }
}
