//! [`timeout`], [`timeout_at`] and the [`Timeout`] future.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;

use super::error::Elapsed;
use super::{sleep, sleep_until, Instant, Sleep};

/// Requires `future` to complete within `duration`, like
/// `tokio::time::timeout`.
///
/// Resolves to `Ok(output)` if the future completes first, else to
/// `Err(Elapsed)`, dropping the future. The future is polled before the
/// timer, so one that is already ready succeeds even with a zero duration.
///
/// ```no_run
/// use ringline::time::{timeout, Duration};
///
/// # async fn run() {
/// let (_tx, rx) = ringline::sync::oneshot::channel::<u32>();
/// if let Err(_) = timeout(Duration::from_millis(10), rx).await {
///     println!("did not receive value within 10 ms");
/// }
/// # }
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep(duration))
}

/// Requires `future` to complete before `deadline`, like
/// `tokio::time::timeout_at`.
///
/// ```no_run
/// use ringline::time::{timeout_at, Duration, Instant};
///
/// # async fn run() {
/// let deadline = Instant::now() + Duration::from_millis(10);
/// let result = timeout_at(deadline, async { 42 }).await;
/// assert_eq!(result, Ok(42));
/// # }
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout::new(future.into_future(), sleep_until(deadline))
}

pin_project! {
    /// The future returned by [`timeout`] and [`timeout_at`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<T> {
        #[pin]
        value: T,
        #[pin]
        delay: Sleep,
    }
}

impl<T> Timeout<T> {
    fn new(value: T, delay: Sleep) -> Timeout<T> {
        Timeout { value, delay }
    }

    /// Gets a reference to the underlying future.
    pub fn get_ref(&self) -> &T {
        &self.value
    }

    /// Gets a mutable reference to the underlying future.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// Consumes the `Timeout`, returning the underlying future.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: Future> Future for Timeout<T> {
    type Output = Result<T::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let me = self.project();
        if let Poll::Ready(output) = me.value.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match me.delay.poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}
