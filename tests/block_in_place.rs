//! `task::block_in_place`: on a multi-thread worker the worker's other `Send`
//! tasks keep running while the closure blocks the thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringline::runtime::{Builder, Handle};
use ringline::task;

/// How long a blocked closure waits for its neighbour before giving up.
const PATIENCE: Duration = Duration::from_secs(5);

fn wait_for(flag: &AtomicBool) -> bool {
    let start = Instant::now();
    while !flag.load(Ordering::SeqCst) && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(1));
    }
    flag.load(Ordering::SeqCst)
}

#[test]
fn queued_neighbour_runs_while_the_only_worker_blocks() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let blocker = {
        let flag = flag.clone();
        rt.spawn(async move { task::block_in_place(|| wait_for(&flag)) })
    };
    let neighbour = {
        let flag = flag.clone();
        rt.spawn(async move { flag.store(true, Ordering::SeqCst) })
    };
    assert!(rt.block_on(blocker).unwrap(), "the neighbour never ran while the worker was blocked");
    rt.block_on(neighbour).unwrap();
}

#[test]
fn neighbour_woken_meanwhile_runs() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let flag = Arc::new(AtomicBool::new(false));
    let (tx, rx) = ringline::sync::oneshot::channel::<()>();
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let neighbour = {
        let flag = flag.clone();
        rt.spawn(async move {
            rx.await.unwrap();
            flag.store(true, Ordering::SeqCst);
        })
    };
    let blocker = {
        let flag = flag.clone();
        rt.spawn(async move {
            task::block_in_place(|| {
                started_tx.send(()).unwrap();
                wait_for(&flag)
            })
        })
    };
    started_rx.recv().unwrap();
    // Woken from a thread outside the runtime while the worker is blocked.
    tx.send(()).unwrap();
    assert!(rt.block_on(blocker).unwrap(), "the woken neighbour never ran");
    rt.block_on(neighbour).unwrap();
}

#[test]
fn block_on_inside_block_in_place() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let out = rt.block_on(rt.spawn(async {
        task::block_in_place(|| Handle::current().block_on(async { ringline::spawn(async { 6 * 7 }).await.unwrap() }))
    }));
    assert_eq!(out.unwrap(), 42);
}

/// In a multi-thread runtime's `block_on` (not a worker), `block_in_place`
/// also lets the closure block: here it builds, runs and drops a second
/// runtime, as tokio allows.
#[test]
fn block_in_place_in_block_on_may_run_and_drop_a_runtime() {
    let outer = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let out = outer.block_on(async {
        task::block_in_place(|| {
            let inner = Builder::new_current_thread().enable_all().build().unwrap();
            inner.block_on(async { 6 * 7 })
        })
    });
    assert_eq!(out, 42);
}

#[test]
fn worker_resumes_after_block_in_place() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let out = rt.block_on(rt.spawn(async {
        let v = task::block_in_place(|| 1);
        ringline::time::sleep(Duration::from_millis(2)).await;
        let local = task::spawn_local(async { 2 }).await.unwrap();
        v + local
    }));
    assert_eq!(out.unwrap(), 3);
}

#[test]
fn outside_a_runtime_it_just_runs() {
    assert_eq!(task::block_in_place(|| 5), 5);
}

#[ringline::test]
#[should_panic(expected = "can call blocking only when running on the multi-threaded runtime")]
async fn current_thread_panics() {
    task::block_in_place(|| {});
}

#[test]
fn yielded_tasks_are_woken_before_the_closure_blocks() {
    use std::future::Future;
    use std::task::{Context, Poll, Wake, Waker};
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let woken = Arc::new(Flag(AtomicBool::new(false)));
    let seen = {
        let woken = woken.clone();
        rt.spawn(async move {
            // Poll a yield with a waker of our own: the worker defers it.
            let waker = Waker::from(woken.clone());
            let mut yielded = std::pin::pin!(task::yield_now());
            assert!(yielded.as_mut().poll(&mut Context::from_waker(&waker)) == Poll::Pending);
            task::block_in_place(|| wait_for(&woken.0))
        })
    };
    assert!(rt.block_on(seen).unwrap(), "the deferred waker waited for the blocking closure");
}
