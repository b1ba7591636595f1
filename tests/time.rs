//! `ringline::time` through the public API, on current-thread and multi-thread
//! runtimes; run with and without `RINGLINE_BACKEND=mio`. "Never early" is
//! asserted exactly, lateness only loosely (CI machines are small and busy).

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;

use ringline::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Duration, Instant, Interval, MissedTickBehavior,
    Sleep, Timeout,
};

/// Generous bound on how late a timer may be on a loaded machine.
const SLACK: Duration = Duration::from_millis(500);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn futures_are_send_and_sync() {
    assert_send_sync::<Sleep>();
    assert_send_sync::<Timeout<Sleep>>();
    assert_send_sync::<Interval>();
}

/// Polls each sleep once, so that each joins a worker's timer wheel.
async fn register_all(sleeps: &mut [Pin<Box<Sleep>>]) {
    poll_fn(|cx| {
        sleeps.iter_mut().for_each(|s| assert!(s.as_mut().poll(cx).is_pending()));
        Poll::Ready(())
    })
    .await;
}

/// Sleeps for `d` and checks it took at least `d`, and not absurdly longer.
async fn sleep_checked(d: Duration) {
    let start = Instant::now();
    sleep(d).await;
    let took = start.elapsed();
    assert!(took >= d, "woke early: slept {took:?} of {d:?}");
    assert!(took < d + SLACK, "woke far too late: slept {took:?} of {d:?}");
}

#[ringline::test]
async fn sleep_never_wakes_early() {
    for d in [0, 1, 2, 5, 13, 30] {
        sleep_checked(ms(d)).await;
    }
    sleep_checked(Duration::from_micros(1_500)).await;
    let deadline = Instant::now() + ms(7);
    sleep_until(deadline).await;
    assert!(Instant::now() >= deadline);

    // A deadline in the past is ready on the first poll.
    let mut s = pin!(sleep_until(Instant::now() - ms(10)));
    assert!(!s.is_elapsed());
    assert!(poll_fn(|cx| Poll::Ready(s.as_mut().poll(cx).is_ready())).await);
    assert!(s.is_elapsed());
}

/// 10,000 tasks, each sleeping 1..=100 ms; none wakes early, all are done in 2 s.
async fn many_sleeps() {
    let start = Instant::now();
    let tasks: Vec<_> = (0..10_000u64)
        .map(|i| {
            ringline::spawn(async move {
                let d = ms(1 + i % 100);
                let begin = Instant::now();
                sleep(d).await;
                begin.elapsed() >= d
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("sleep task"), "a sleep woke early");
    }
    let took = start.elapsed();
    assert!(took < Duration::from_secs(2), "10k sleeps took {took:?}");
}

#[ringline::test]
async fn ten_thousand_sleeps_current_thread() {
    many_sleeps().await;
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_sleeps_multi_thread() {
    many_sleeps().await;
}

#[ringline::test]
async fn timeout_elapses() {
    let start = Instant::now();
    let res = timeout(ms(50), sleep(Duration::from_secs(10))).await;
    let took = start.elapsed();
    let Err(elapsed) = res else { panic!("sleep(10 s) beat timeout(50 ms)") };
    assert_eq!(elapsed.to_string(), "deadline has elapsed");
    assert!(took >= ms(50), "timed out early: {took:?}");
    assert!(took < ms(50) + SLACK, "timed out late: {took:?}");

    let err: std::io::Error = timeout(ms(1), std::future::pending::<()>()).await.unwrap_err().into();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(err.to_string(), "deadline has elapsed");
}

#[ringline::test]
async fn timeout_of_ready_future_is_ok() {
    assert_eq!(timeout(Duration::ZERO, async { 7 }).await, Ok(7));
    assert_eq!(timeout(ms(10), sleep(ms(1))).await, Ok(()));
    let past = Instant::now() - ms(1);
    assert_eq!(timeout_at(past, std::future::ready("x")).await, Ok("x"));
    assert_eq!(timeout(Duration::MAX, async { 1 }).await, Ok(1));

    let mut t = timeout(ms(10), async { 3 });
    let _ = t.get_mut();
    let _ = t.get_ref();
    assert_eq!(t.into_inner().await, 3);
}

#[ringline::test]
async fn interval_ticks_on_schedule() {
    let period = ms(10);
    let start = Instant::now();
    let mut iv = interval(period);
    assert_eq!(iv.period(), period);
    assert_eq!(iv.missed_tick_behavior(), MissedTickBehavior::Burst);
    let first = iv.tick().await;
    assert!(first >= start && first.elapsed() < SLACK, "first tick is immediate");
    for n in 1..=3u32 {
        let due = iv.tick().await;
        assert_eq!(due, first + period * n);
        assert!(Instant::now() >= due, "tick {n} early");
    }

    let at = Instant::now() + ms(20);
    let mut iv = interval_at(at, period);
    assert_eq!(iv.tick().await, at);
    assert!(Instant::now() >= at);
}

#[test]
#[should_panic(expected = "`period` must be non-zero.")]
fn interval_zero_period_panics() {
    let _ = interval(Duration::ZERO);
}

/// A 10 ms interval with `behavior` whose task took the immediate first tick,
/// then stalled the worker for 35 ms; returns it and its first tick.
async fn stalled(behavior: MissedTickBehavior) -> (Interval, Instant) {
    let mut iv = interval(ms(10));
    iv.set_missed_tick_behavior(behavior);
    let start = iv.tick().await;
    std::thread::sleep(ms(35));
    (iv, start)
}

#[ringline::test]
async fn interval_burst_catches_up() {
    let (mut iv, start) = stalled(MissedTickBehavior::Burst).await;
    let stalled_at = Instant::now();
    for n in 1..=3u32 {
        assert_eq!(iv.tick().await, start + ms(10) * n);
    }
    assert!(stalled_at.elapsed() < SLACK, "missed ticks come in a burst");
    assert_eq!(iv.tick().await, start + ms(40));
    assert!(Instant::now() >= start + ms(40));
}

#[ringline::test]
async fn interval_delay_restarts_from_late_tick() {
    let (mut iv, start) = stalled(MissedTickBehavior::Delay).await;
    let before = Instant::now();
    assert_eq!(iv.tick().await, start + ms(10));
    let after = Instant::now();
    let next = iv.tick().await;
    assert!(next >= before + ms(10) && next <= after + ms(10), "{next:?}");
    assert!(Instant::now() >= next);
}

#[ringline::test]
async fn interval_skip_keeps_the_grid() {
    let (mut iv, start) = stalled(MissedTickBehavior::Skip).await;
    let before = Instant::now();
    assert_eq!(iv.tick().await, start + ms(10));
    let after = Instant::now();
    let next = iv.tick().await;
    assert_eq!((next - start).as_nanos() % ms(10).as_nanos(), 0, "off the grid");
    assert!(next > before && next <= after + ms(10), "{next:?}");
    assert!(Instant::now() >= next);
}

#[ringline::test]
async fn interval_resets() {
    let mut iv = interval(ms(10));
    iv.tick().await;
    let before = Instant::now();
    iv.reset_after(ms(30));
    let due = iv.tick().await;
    assert!(due >= before + ms(30) && Instant::now() >= due);
    iv.reset_immediately();
    assert!(iv.tick().await <= Instant::now());
    let before = Instant::now();
    iv.reset();
    assert!(iv.tick().await >= before + ms(10));
    let at = Instant::now() + ms(5);
    iv.reset_at(at);
    assert_eq!(iv.tick().await, at);
}

#[ringline::test]
async fn sleep_reset() {
    let mut s = pin!(sleep(Duration::from_secs(10)));
    // Register the long deadline first.
    ringline::select! {
        _ = &mut s => panic!("10 s sleep completed"),
        _ = sleep(ms(5)) => {}
    }
    let start = Instant::now();
    s.as_mut().reset(start + ms(20));
    assert_eq!(s.deadline(), start + ms(20));
    assert!(!s.is_elapsed());
    (&mut s).await;
    assert!(start.elapsed() >= ms(20) && start.elapsed() < ms(20) + SLACK);
    assert!(s.is_elapsed());

    // Resetting an elapsed sleep makes it pending again.
    s.as_mut().reset(Instant::now() + ms(5));
    assert!(!s.is_elapsed());
    s.await;
}

#[ringline::test]
async fn reset_while_pending_wakes_the_waiter() {
    // Poll the sleep once, reset it without polling again, return Pending:
    // the task must still wake for the new deadline.
    let mut s = pin!(sleep(Duration::from_secs(10)));
    let start = Instant::now();
    let mut first_poll = true;
    poll_fn(|cx| {
        if s.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if std::mem::take(&mut first_poll) {
            s.as_mut().reset(Instant::now() + ms(10));
        }
        Poll::Pending
    })
    .await;
    assert!(start.elapsed() >= ms(10) && start.elapsed() < SLACK);
}

/// The body of a multi-thread test runs in `block_on`, on a thread that is
/// not a worker: its timers live on the workers' wheels.
#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_from_the_block_on_thread_of_a_multi_thread_runtime() {
    sleep_checked(ms(15)).await;
    assert!(timeout(ms(20), std::future::pending::<()>()).await.is_err());
    let mut iv = interval(ms(5));
    let first = iv.tick().await;
    assert_eq!(iv.tick().await, first + ms(5));

    // A sleep registered from here, then awaited on a worker.
    let mut s = [Box::pin(sleep(ms(30)))];
    register_all(&mut s).await;
    let [s] = s;
    let deadline = s.deadline();
    let task = ringline::spawn(async move {
        s.await;
        assert!(Instant::now() >= deadline);
    });
    task.await.expect("task");
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeps_move_between_workers() {
    // Registered on one task's worker, dropped or awaited on others.
    let mut sleeps: Vec<_> = (0..64).map(|i| Box::pin(sleep(ms(10 + i % 10)))).collect();
    register_all(&mut sleeps).await;
    let tasks: Vec<_> = sleeps
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            ringline::spawn(async move {
                let deadline = s.deadline();
                if i % 2 == 0 {
                    s.await;
                    assert!(Instant::now() >= deadline);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
}

#[ringline::test]
async fn interval_resets_to_max_duration_do_not_panic() {
    let mut every_max = interval(Duration::MAX);
    every_max.reset();
    let mut short = interval(ms(1));
    short.reset_after(Duration::MAX);
    assert!(short.poll_tick(&mut std::task::Context::from_waker(futures_util::task::noop_waker_ref())).is_pending());
}
