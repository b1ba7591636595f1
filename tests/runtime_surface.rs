//! tokio's runtime surface: identity, flavor, name, metrics, park hooks,
//! `unhandled_panic`, and the knobs thread-per-core accepts without effect.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ringline::runtime::{self, Builder, Handle, RuntimeFlavor, UnhandledPanic};

#[test]
fn flavor_id_and_name() {
    let current = Builder::new_current_thread().name("alpha").enable_all().build().unwrap();
    let multi = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    assert_eq!(current.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    assert_eq!(multi.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_ne!(current.handle().id(), multi.handle().id());
    assert_eq!(current.handle().id(), current.handle().clone().id());
    assert_eq!(current.handle().name(), Some("alpha"));
    assert_eq!(multi.handle().name(), None);
    let inside = current.block_on(async { Handle::current().id() });
    assert_eq!(inside, current.handle().id());
    assert!(!current.handle().id().to_string().is_empty());
}

#[test]
#[should_panic(expected = "runtime name shouldn't be empty")]
fn empty_name_panics() {
    Builder::new_current_thread().name("  ");
}

#[test]
fn metrics_count_workers_and_tasks() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let metrics = rt.metrics();
    assert_eq!(metrics.num_workers(), 2);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = rt.spawn(async move { rx.await.ok() });
    assert_eq!(metrics.num_alive_tasks(), 1);
    tx.send(()).unwrap();
    rt.block_on(task).unwrap();
    for _ in 0..1000 {
        if metrics.num_alive_tasks() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(metrics.num_alive_tasks(), 0);
    assert_eq!(metrics.global_queue_depth(), 0);
    assert_eq!(rt.handle().metrics().num_workers(), 2);
}

#[test]
fn park_hooks_run_on_idle_workers() {
    let parks = Arc::new(AtomicUsize::new(0));
    let unparks = Arc::new(AtomicUsize::new(0));
    let (p, u) = (parks.clone(), unparks.clone());
    let rt = Builder::new_current_thread()
        .on_thread_park(move || {
            p.fetch_add(1, Ordering::SeqCst);
        })
        .on_thread_unpark(move || {
            u.fetch_add(1, Ordering::SeqCst);
        })
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { ringline::time::sleep(Duration::from_millis(5)).await });
    assert!(parks.load(Ordering::SeqCst) >= 1);
    assert_eq!(parks.load(Ordering::SeqCst), unparks.load(Ordering::SeqCst));
}

#[test]
fn ignored_knobs_are_accepted() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .global_queue_interval(31)
        .event_interval(61)
        .max_io_events_per_tick(1024)
        .max_io_events_per_busy_tick(64)
        .unhandled_panic(UnhandledPanic::Ignore)
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7);
}

#[test]
#[should_panic(expected = "global_queue_interval must be greater than 0")]
fn zero_global_queue_interval_panics() {
    Builder::new_multi_thread().global_queue_interval(0);
}

#[test]
#[should_panic(expected = "UnhandledPanic::ShutdownRuntime is only supported in current thread runtime")]
fn shutdown_on_panic_needs_current_thread() {
    Builder::new_multi_thread().unhandled_panic(UnhandledPanic::ShutdownRuntime);
}

#[ringline::test(unhandled_panic = "shutdown_runtime")]
#[should_panic(expected = "a spawned task panicked and the runtime is configured to shut down on unhandled panic")]
async fn unhandled_panic_shuts_the_runtime_down() {
    ringline::spawn(async { panic!("boom") });
    std::future::pending::<()>().await;
}

#[ringline::test]
async fn panics_are_ignored_by_default() {
    let err = ringline::spawn(async { panic!("boom") }).await.unwrap_err();
    assert!(err.is_panic());
}

#[test]
fn shutdown_error_shape() {
    assert!(runtime::is_rt_shutdown_err(&std::io::Error::other(
        "A Tokio 1.x context was found, but it is being shutdown."
    )));
    assert!(!runtime::is_rt_shutdown_err(&std::io::Error::other("nope")));
}

#[test]
fn worker_metrics_count_parks_and_busy_time() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let metrics = rt.metrics();
    // Both workers park once they find nothing to do after starting.
    for _ in 0..1000 {
        if (0..2).all(|i| metrics.worker_park_count(i) >= 1) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    for i in 0..2 {
        assert!(metrics.worker_park_count(i) >= 1, "worker {i} never parked");
    }
    rt.block_on(async {
        for _ in 0..4 {
            ringline::spawn(async { ringline::task::yield_now().await }).await.unwrap();
        }
    });
    drop(rt);
    for i in 0..2 {
        // Every park was followed by an unpark, the last one by shutdown's.
        assert_eq!(metrics.worker_park_unpark_count(i) % 2, 0, "worker {i}");
        assert_eq!(metrics.worker_park_unpark_count(i), 2 * metrics.worker_park_count(i), "worker {i}");
        assert!(metrics.worker_total_busy_duration(i) > Duration::ZERO, "worker {i}");
    }
}

#[test]
fn current_thread_busy_time_covers_block_on() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let metrics = rt.metrics();
    assert_eq!(metrics.worker_total_busy_duration(0), Duration::ZERO);
    rt.block_on(rt.spawn(async {})).unwrap();
    assert!(metrics.worker_total_busy_duration(0) > Duration::ZERO);
    rt.block_on(async { ringline::time::sleep(Duration::from_millis(2)).await });
    assert!(metrics.worker_park_count(0) >= 1);
    assert_eq!(metrics.worker_park_unpark_count(0) % 2, 0);
}

#[test]
#[should_panic(expected = "worker index 2 out of range")]
fn worker_metrics_check_the_index() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.metrics().worker_park_count(2);
}

#[test]
fn a_task_spawned_by_the_park_hook_runs_before_parking() {
    let spawned = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(tokio::sync::Notify::new());
    let (s, n) = (spawned.clone(), notify.clone());
    let rt = Builder::new_current_thread()
        .on_thread_park(move || {
            if s.fetch_add(1, Ordering::SeqCst) == 0 {
                let n = n.clone();
                ringline::spawn(async move { n.notify_one() });
            }
        })
        .enable_all()
        .build()
        .unwrap();
    // Hangs if the worker parks with the hook's task queued.
    rt.block_on(notify.notified());
    assert!(spawned.load(Ordering::SeqCst) >= 1);
}

#[test]
fn concurrent_block_on_takes_the_worker_over() {
    // Thread A drives the current-thread worker and returns first; thread B,
    // which waited on its own future meanwhile, must take over driving the
    // timers (B's last sleep hangs otherwise).
    let rt = Arc::new(Builder::new_current_thread().enable_all().build().unwrap());
    let (a_done_tx, a_done_rx) = tokio::sync::oneshot::channel::<()>();
    let (b_started_tx, b_started_rx) = tokio::sync::oneshot::channel::<()>();
    let a = {
        let rt = rt.clone();
        std::thread::spawn(move || {
            rt.block_on(async move {
                b_started_rx.await.unwrap();
                ringline::time::sleep(Duration::from_millis(5)).await;
                a_done_tx.send(()).unwrap();
            })
        })
    };
    let b = {
        let rt = rt.clone();
        std::thread::spawn(move || {
            rt.block_on(async move {
                b_started_tx.send(()).unwrap();
                ringline::time::sleep(Duration::from_millis(5)).await;
                a_done_rx.await.unwrap();
                ringline::time::sleep(Duration::from_millis(5)).await;
            })
        })
    };
    a.join().unwrap();
    b.join().unwrap();
}

#[test]
fn a_panicking_task_is_dropped_while_its_panic_unwinds() {
    struct Boom(Option<tokio::sync::oneshot::Sender<bool>>);
    impl std::future::Future for Boom {
        type Output = ();
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
            panic!("boom");
        }
    }
    impl Drop for Boom {
        fn drop(&mut self) {
            let _ = self.0.take().unwrap().send(std::thread::panicking());
        }
    }
    for rt in [
        Builder::new_current_thread().enable_all().build().unwrap(),
        Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap(),
    ] {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = rt.spawn(Boom(Some(tx)));
        assert!(rt.block_on(rx).unwrap(), "dropped after the panic was caught");
        assert!(rt.block_on(task).unwrap_err().is_panic());
    }
}

#[test]
fn shutdown_timeout_accepts_duration_max() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.shutdown_timeout(Duration::MAX);
}

#[test]
fn a_task_deferred_by_the_park_hook_runs_before_parking() {
    let notify = Arc::new(tokio::sync::Notify::new());
    let first = Arc::new(AtomicUsize::new(0));
    let (n, f) = (notify.clone(), first.clone());
    struct NotifyWaker(Arc<tokio::sync::Notify>);
    impl std::task::Wake for NotifyWaker {
        fn wake(self: Arc<Self>) {
            self.0.notify_one();
        }
    }
    let rt = Builder::new_current_thread()
        .on_thread_park(move || {
            if f.fetch_add(1, Ordering::SeqCst) == 0 {
                let waker = std::task::Waker::from(Arc::new(NotifyWaker(n.clone())));
                let mut cx = std::task::Context::from_waker(&waker);
                // `yield_now` defers the waker to after the next I/O poll.
                let _ = std::future::Future::poll(std::pin::pin!(ringline::task::yield_now()), &mut cx);
            }
        })
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(notify.notified());
}

#[test]
fn runtimes_and_handles_are_unwind_safe_as_tokios() {
    // tokio's own tests capture `&Runtime` in `catch_unwind` closures.
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    unwind_safe::<runtime::Runtime>();
    unwind_safe::<runtime::LocalRuntime>();
    unwind_safe::<Handle>();
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let caught = std::panic::catch_unwind(|| rt.block_on(async { panic!("inside") }));
    assert!(caught.is_err());
    assert_eq!(rt.block_on(async { 5 }), 5, "the runtime still works after the panic");
}
