//! Paused time (tokio's `test-util`): `start_paused`, `pause`, `resume`,
//! `advance`, auto-advance when idle, and tokio's panics for misuse.

use std::future::Future;
use std::time::Duration;

use ringline::runtime::Builder;
use ringline::time::{self, sleep, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[ringline::test(start_paused = true)]
async fn one_hour_sleep_takes_no_wall_time() {
    let wall = std::time::Instant::now();
    let start = Instant::now();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    assert!(wall.elapsed() < Duration::from_secs(5), "slept {:?} of wall time", wall.elapsed());
}

#[ringline::test(start_paused = true)]
async fn paused_clock_stands_still() {
    let start = Instant::now();
    std::thread::sleep(ms(20));
    assert_eq!(Instant::now(), start);
    ringline::task::yield_now().await;
    assert_eq!(Instant::now(), start);
}

#[ringline::test(start_paused = true)]
async fn advance_moves_the_clock_and_fires_due_timers() {
    let start = Instant::now();
    let mut early = Box::pin(sleep(ms(50)));
    let mut late = Box::pin(sleep(ms(300)));
    let waker = futures_util::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(early.as_mut().poll(&mut cx).is_pending());
    assert!(late.as_mut().poll(&mut cx).is_pending());

    time::advance(ms(100)).await;
    assert_eq!(start.elapsed(), ms(100));
    assert!(early.is_elapsed(), "a timer due before the new time fired");
    assert!(!late.is_elapsed());
    assert!(late.as_mut().poll(&mut cx).is_pending());

    time::advance(ms(200)).await;
    assert_eq!(start.elapsed(), ms(300));
    assert!(late.as_mut().poll(&mut cx).is_ready());
}

#[ringline::test(start_paused = true)]
async fn sleeps_fire_in_deadline_order_when_auto_advancing() {
    let start = Instant::now();
    let order = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let mut tasks = Vec::new();
    for d in [30u64, 10, 20] {
        let order = order.clone();
        tasks.push(ringline::task::spawn_local(async move {
            sleep(ms(d)).await;
            order.borrow_mut().push((d, start.elapsed()));
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*order.borrow(), vec![(10, ms(10)), (20, ms(20)), (30, ms(30))]);
}

#[ringline::test(start_paused = true)]
async fn timeout_elapses_on_the_paused_clock() {
    let wall = std::time::Instant::now();
    let never = std::future::pending::<()>();
    assert!(time::timeout(Duration::from_secs(86_400), never).await.is_err());
    assert!(wall.elapsed() < Duration::from_secs(5));
}

#[ringline::test(start_paused = true)]
async fn no_auto_advance_while_a_blocking_job_runs() {
    let start = Instant::now();
    let job = ringline::task::spawn_blocking(|| std::thread::sleep(ms(50)));
    let timer = sleep(Duration::from_secs(3600));
    tokio::pin!(timer);
    tokio::select! {
        _ = job => {}
        _ = &mut timer => panic!("the clock jumped while a blocking job ran"),
    }
    assert!(start.elapsed() < Duration::from_secs(3600));
}

#[ringline::test]
async fn pause_and_resume() {
    time::pause();
    let start = Instant::now();
    time::advance(ms(5)).await;
    assert_eq!(start.elapsed(), ms(5));
    time::resume();
    sleep(ms(2)).await;
    assert!(start.elapsed() >= ms(7));
}

#[ringline::test]
#[should_panic(expected = "time is not frozen")]
async fn resume_unpaused_panics() {
    time::resume();
}

#[ringline::test(start_paused = true)]
#[should_panic(expected = "time is already frozen")]
async fn pause_twice_panics() {
    time::pause();
}

#[ringline::test]
#[should_panic(expected = "time is not frozen")]
async fn advance_unpaused_panics() {
    time::advance(ms(1)).await;
}

#[ringline::test(flavor = "multi_thread", worker_threads = 1)]
#[should_panic(expected = "`time::pause()` requires the `current_thread` Tokio runtime")]
async fn pause_on_multi_thread_panics() {
    time::pause();
}

#[test]
#[should_panic(expected = "`time::pause()` requires the `current_thread` Tokio runtime")]
fn start_paused_multi_thread_panics() {
    let _ = Builder::new_multi_thread().worker_threads(1).start_paused(true).build();
}

#[test]
#[should_panic(expected = "time cannot be frozen from outside the Tokio runtime")]
fn pause_outside_a_runtime_panics() {
    time::pause();
}

#[test]
fn builder_start_paused_and_instant_outside() {
    let rt = Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    let (inside, after) = rt.block_on(async {
        let start = Instant::now();
        sleep(Duration::from_secs(60)).await;
        (start.elapsed(), Instant::now())
    });
    assert_eq!(inside, Duration::from_secs(60));
    // Outside the runtime `Instant::now` is the real clock again.
    assert!(Instant::now() < after);
}
