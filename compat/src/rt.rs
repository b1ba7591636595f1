//! hyper's runtime traits on ringline: [`RinglineExecutor`] spawns onto
//! ringline's workers, [`RinglineTimer`] sleeps on their timer wheels.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

/// `hyper::rt::Executor` on ringline: every future goes to
/// [`ringline::spawn`], which places it on the least-loaded worker, where it
/// stays.
///
/// Give it to hyper's HTTP/2 builders, hyper-util's
/// `server::conn::auto::Builder` and `client::legacy::Client`, or tonic's
/// `Endpoint::executor`.
///
/// ```
/// use hyper_util::server::conn::auto;
/// use ringline_compat::rt::RinglineExecutor;
///
/// let builder = auto::Builder::new(RinglineExecutor::new());
/// # drop(builder);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RinglineExecutor {
    _private: (),
}

impl RinglineExecutor {
    /// An executor spawning on the ringline runtime current where it runs.
    pub fn new() -> RinglineExecutor {
        RinglineExecutor { _private: () }
    }
}

impl<F> hyper::rt::Executor<F> for RinglineExecutor
where
    F: Future + Send + 'static,
{
    fn execute(&self, future: F) {
        // The output is dropped where it is made, so it need not be `Send`.
        drop(ringline::spawn(async move {
            future.await;
        }));
    }
}

/// `hyper::rt::Timer` on ringline's timer wheels: its sleeps are
/// [`ringline::time::Sleep`]s, which are `Send + Sync`, cost no system call
/// of their own, and can be reset in place.
///
/// ```
/// use hyper_util::server::conn::auto;
/// use ringline_compat::rt::{RinglineExecutor, RinglineTimer};
///
/// let mut builder = auto::Builder::new(RinglineExecutor::new());
/// builder.http1().timer(RinglineTimer::new());
/// builder.http2().timer(RinglineTimer::new());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct RinglineTimer {
    _private: (),
}

impl RinglineTimer {
    /// A timer on the ringline runtime current where its sleeps are polled.
    pub fn new() -> RinglineTimer {
        RinglineTimer { _private: () }
    }
}

pin_project! {
    /// A hyper sleep: a [`ringline::time::Sleep`] behind hyper's `Sleep` trait.
    #[derive(Debug)]
    struct RinglineSleep {
        #[pin]
        inner: ringline::time::Sleep,
    }
}

impl Future for RinglineSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl hyper::rt::Sleep for RinglineSleep {}

impl hyper::rt::Timer for RinglineTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(RinglineSleep { inner: ringline::time::sleep(duration) })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        let deadline = ringline::time::Instant::from_std(deadline);
        Box::pin(RinglineSleep { inner: ringline::time::sleep_until(deadline) })
    }

    fn now(&self) -> Instant {
        ringline::time::Instant::now().into_std()
    }

    /// Moves a sleep made by this timer to `new_deadline` in place (another
    /// timer's sleep is replaced by a new one).
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<RinglineSleep>() {
            Some(ours) => ours.project().inner.reset(ringline::time::Instant::from_std(new_deadline)),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn sleep_is_send_and_sync() {
        assert_send_sync::<RinglineSleep>();
        assert_send_sync::<RinglineExecutor>();
        assert_send_sync::<RinglineTimer>();
    }

    #[ringline::test]
    async fn reset_moves_a_sleep_in_place() {
        let timer = RinglineTimer::new();
        let mut sleep = timer.sleep(Duration::from_secs(3600));
        let start = Instant::now();
        timer.reset(&mut sleep, timer.now() + Duration::from_millis(10));
        assert!(sleep.as_mut().downcast_mut_pin::<RinglineSleep>().is_some(), "reset kept our sleep");
        sleep.await;
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(10) && waited < Duration::from_secs(3600));
    }
}
