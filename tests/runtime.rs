//! The runtime and task behaviour a tokio user relies on, through the public
//! API only: `block_on`, both flavors, spawning and joining, panics, aborts,
//! `JoinSet`, `spawn_local`, `spawn_blocking`, placement on worker threads,
//! shutdown, backend selection.
//!
//! Run on both backends: `cargo test --test runtime` and
//! `RINGLINE_BACKEND=mio cargo test --test runtime`.
//!
//! `cargo test` runs these tests on parallel threads of one process, so the
//! test that counts threads and fds takes [`exclusive`] while every test that
//! builds a runtime holds [`shared`]. (nextest runs each test in its own
//! process; the lock then costs nothing.)

use std::cell::Cell;
use std::collections::HashSet;
use std::future::pending;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use ringline::runtime::{Backend, Builder, Handle, Runtime};
use ringline::sync::{oneshot, Barrier};
use ringline::task::{spawn_blocking, spawn_local, yield_now, JoinError, JoinSet};
use ringline::time::{sleep, timeout};

/// How long a test waits for something that should happen at once.
const WAIT: Duration = Duration::from_secs(1);

static PROCESS: RwLock<()> = RwLock::new(());

/// Held by every test that builds a runtime.
fn shared() -> RwLockReadGuard<'static, ()> {
    PROCESS.read().unwrap_or_else(|e| e.into_inner())
}

/// Held by the test that counts the process's threads and fds.
fn exclusive() -> RwLockWriteGuard<'static, ()> {
    PROCESS.write().unwrap_or_else(|e| e.into_inner())
}

fn multi(workers: usize) -> Runtime {
    Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("build a multi-thread runtime")
}

fn current() -> Runtime {
    Builder::new_current_thread().enable_all().build().expect("build a current-thread runtime")
}

/// One runtime of each flavor, named for assertion messages.
fn flavors() -> [(&'static str, Runtime); 2] {
    [("current_thread", current()), ("multi_thread", multi(2))]
}

/// Sends on its channel when dropped: proves a future's destructor ran.
struct DropSignal(mpsc::Sender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

fn drop_signal() -> (DropSignal, mpsc::Receiver<()>) {
    let (tx, rx) = mpsc::channel();
    (DropSignal(tx), rx)
}

/// Yields (and naps briefly) until `done` holds, failing after [`WAIT`].
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        yield_now().await;
        sleep(Duration::from_millis(1)).await;
    }
}

fn panic_message(err: JoinError) -> String {
    let payload = err.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .expect("a string payload")
}

// ---------------------------------------------------------------- block_on

#[test]
fn block_on_returns_the_value() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        assert_eq!(rt.block_on(async { 40 + 2 }), 42, "{flavor}");
        let text = rt.block_on(async {
            yield_now().await;
            sleep(Duration::from_millis(1)).await;
            String::from("done")
        });
        assert_eq!(text, "done", "{flavor}");
        // A runtime can block_on many times.
        for i in 0..10 {
            assert_eq!(rt.block_on(async move { i }), i, "{flavor}");
        }
    }
}

#[test]
fn runtime_new_and_default_worker_count() {
    let _lock = shared();
    let rt = Runtime::new().expect("Runtime::new");
    let expected = thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(rt.handle().num_workers(), expected);
    assert_eq!(rt.block_on(async { ringline::spawn(async { 7 }).await.expect("task output") }), 7);
    assert_eq!(multi(3).handle().num_workers(), 3);
    assert_eq!(current().handle().num_workers(), 1);
}

#[test]
fn current_thread_runs_tasks_on_the_calling_thread() {
    let _lock = shared();
    let rt = current();
    let me = thread::current().id();
    let ids = rt.block_on(async {
        let inner = ringline::spawn(async { thread::current().id() });
        (thread::current().id(), inner.await.expect("task output"))
    });
    assert_eq!(ids, (me, me));
}

#[test]
fn multi_thread_runs_tasks_on_worker_threads() {
    let _lock = shared();
    let rt = multi(2);
    let me = thread::current().id();
    let (block_on_thread, task_thread) = rt.block_on(async {
        let inner = ringline::spawn(async { thread::current().id() });
        (thread::current().id(), inner.await.expect("task output"))
    });
    assert_eq!(block_on_thread, me, "block_on polls its future on the caller's thread");
    assert_ne!(task_thread, me, "spawned tasks run on the workers");
}

#[test]
fn current_thread_block_on_survives_a_panic() {
    let _lock = shared();
    let rt = current();
    let caught = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { panic!("main future panics") })));
    assert!(caught.is_err());
    assert_eq!(rt.block_on(async { ringline::spawn(async { 5 }).await.expect("task output") }), 5);
}

#[test]
fn current_thread_task_finishes_in_a_later_block_on() {
    let _lock = shared();
    let rt = current();
    let (tx, rx) = oneshot::channel::<u32>();
    let mut handle = None;
    rt.block_on(async { handle = Some(ringline::spawn(async move { rx.await.expect("value sent") * 2 })) });
    let handle = handle.expect("spawned");
    tx.send(21).expect("receiver alive");
    assert_eq!(rt.block_on(handle).expect("task output"), 42);
}

// ------------------------------------------------------------ spawn / join

#[test]
fn spawn_and_join_handle_output() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let out = rt.block_on(async {
            let handles: Vec<_> = (0..32u64)
                .map(|i| {
                    ringline::spawn(async move {
                        yield_now().await;
                        i * i
                    })
                })
                .collect();
            let mut out = Vec::new();
            for h in handles {
                out.push(h.await.expect("task output"));
            }
            out
        });
        assert_eq!(out, (0..32u64).map(|i| i * i).collect::<Vec<_>>(), "{flavor}");
        // Spawned from outside the runtime, through the runtime itself.
        let handle = rt.spawn(async { String::from("outside") });
        assert_eq!(rt.block_on(handle).expect("task output"), "outside", "{flavor}");
    }
}

#[test]
fn dropping_a_join_handle_detaches_the_task() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let (done_tx, done_rx) = mpsc::channel();
        rt.block_on(async {
            let (go_tx, go_rx) = oneshot::channel::<()>();
            drop(ringline::spawn(async move {
                go_rx.await.expect("go sent");
                done_tx.send(()).expect("test alive");
            }));
            go_tx.send(()).expect("task alive");
            wait_until(&format!("{flavor}: the detached task finishes"), || done_rx.try_recv().is_ok()).await;
        });
    }
}

#[test]
fn panicking_task_yields_join_error_and_worker_keeps_running() {
    let _lock = shared();
    let rt_current = current();
    let rt_one_worker = multi(1);
    for (flavor, rt) in [("current_thread", rt_current), ("multi_thread(1)", rt_one_worker)] {
        rt.block_on(async {
            // A task already waiting on this worker must survive the panic too.
            let (tx, rx) = oneshot::channel::<u32>();
            let waiting = ringline::spawn(async move { rx.await.expect("value sent") + 1 });

            let err = ringline::spawn(async { panic!("boom {}", 7) }).await.expect_err("task panicked");
            assert!(err.is_panic(), "{flavor}");
            assert!(!err.is_cancelled(), "{flavor}");
            assert!(err.to_string().contains("boom 7"), "{flavor}: {err}");
            assert_eq!(panic_message(err), "boom 7", "{flavor}");

            let err = ringline::spawn(async { std::panic::panic_any(42u32) }).await.expect_err("task panicked");
            let payload = err.try_into_panic().expect("a panic");
            assert_eq!(payload.downcast_ref::<u32>(), Some(&42), "{flavor}");

            // The worker goes on: new tasks run, the waiting one completes.
            assert_eq!(ringline::spawn(async { 3 }).await.expect("task output"), 3, "{flavor}");
            tx.send(9).expect("task alive");
            assert_eq!(waiting.await.expect("task output"), 10, "{flavor}");
        });
    }
}

#[test]
fn join_error_converts_to_io_error() {
    let _lock = shared();
    let rt = current();
    let err = rt.block_on(async { ringline::spawn(async { panic!("disk on fire") }).await.expect_err("panicked") });
    let io: std::io::Error = err.into();
    // tokio's conversion: the kind of failure, not the payload.
    assert_eq!(io.to_string(), "task panicked");
    assert_eq!(io.kind(), std::io::ErrorKind::Other);
}

// ------------------------------------------------------------------- abort

#[test]
fn abort_cancels_a_running_task_and_drops_its_future() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let (guard, dropped) = drop_signal();
            let (started_tx, started_rx) = oneshot::channel::<()>();
            let handle = ringline::spawn(async move {
                let _guard = guard;
                started_tx.send(()).expect("test alive");
                pending::<()>().await;
            });
            started_rx.await.expect("task started");
            assert!(!handle.is_finished(), "{flavor}");
            handle.abort();
            let err = handle.await.expect_err("aborted");
            assert!(err.is_cancelled(), "{flavor}: {err:?}");
            assert!(!err.is_panic(), "{flavor}");
            assert_eq!(err.to_string(), format!("task {} was cancelled", err.id()));
            assert!(dropped.try_recv().is_ok(), "{flavor}: the future is dropped before the JoinHandle resolves");
        });
    }
}

#[test]
fn abort_before_first_poll() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let ran = Arc::new(AtomicBool::new(false));
            let (guard, dropped) = drop_signal();
            let flag = ran.clone();
            let handle = ringline::spawn(async move {
                let _guard = guard;
                flag.store(true, Ordering::SeqCst);
            });
            handle.abort();
            let result = handle.await;
            // On a multi-thread runtime a worker may have run the task before
            // the abort; either outcome is allowed, as with tokio.
            match result {
                Err(e) => assert!(e.is_cancelled(), "{flavor}"),
                Ok(()) => assert!(ran.load(Ordering::SeqCst), "{flavor}"),
            }
            if flavor == "current_thread" {
                assert!(!ran.load(Ordering::SeqCst), "an aborted task that never started must not run");
            }
            assert!(dropped.try_recv().is_ok(), "{flavor}: the future was dropped");
        });
    }
}

#[test]
fn abort_after_completion_keeps_the_output() {
    let _lock = shared();
    let rt = multi(2);
    rt.block_on(async {
        let handle = ringline::spawn(async { 5 });
        let abort = handle.abort_handle();
        wait_until("the task finishes", || handle.is_finished()).await;
        assert!(abort.is_finished(), "AbortHandle::is_finished is true once the task completed (tokio)");
        abort.abort();
        handle.abort();
        assert_eq!(handle.await.expect("finished before the abort"), 5);
    });
}

#[test]
fn is_finished_tracks_completion() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let (tx, rx) = oneshot::channel::<u32>();
            let handle = ringline::spawn(async move { rx.await.expect("value sent") + 1 });
            yield_now().await;
            assert!(!handle.is_finished(), "{flavor}");
            tx.send(1).expect("task alive");
            wait_until("the task finishes", || handle.is_finished()).await;
            assert_eq!(handle.await.expect("task output"), 2, "{flavor}");
        });
    }
}

#[test]
fn abort_handle_cancels_without_the_join_handle() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            // Through a clone, while the JoinHandle is awaited.
            let (guard, dropped) = drop_signal();
            let handle = ringline::spawn(async move {
                let _guard = guard;
                pending::<()>().await;
            });
            let abort = handle.abort_handle();
            let clone = abort.clone();
            assert!(!abort.is_finished(), "{flavor}");
            clone.abort();
            if flavor == "current_thread" {
                // Nothing has dropped the task yet: its worker is this thread.
                assert!(!abort.is_finished(), "{flavor}: an abort request alone is not finishing (tokio)");
            }
            assert!(handle.await.expect_err("aborted").is_cancelled(), "{flavor}");
            assert!(abort.is_finished(), "{flavor}");
            assert!(dropped.try_recv().is_ok(), "{flavor}");

            // After the JoinHandle was dropped (the task is detached).
            let (guard, dropped) = drop_signal();
            let handle = ringline::spawn(async move {
                let _guard = guard;
                pending::<()>().await;
            });
            let abort = handle.abort_handle();
            drop(handle);
            yield_now().await;
            abort.abort();
            wait_until("the detached task is dropped", || dropped.try_recv().is_ok()).await;
        });
    }
}

#[test]
fn num_alive_tasks_counts_running_tasks() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let handle = rt.handle().clone();
        rt.block_on(async {
            assert_eq!(handle.num_alive_tasks(), 0, "{flavor}");
            let tasks: Vec<_> = (0..3).map(|_| ringline::spawn(pending::<()>())).collect();
            assert_eq!(handle.num_alive_tasks(), 3, "{flavor}");
            for task in tasks {
                task.abort();
                assert!(task.await.expect_err("aborted").is_cancelled());
            }
            assert_eq!(handle.num_alive_tasks(), 0, "{flavor}");
        });
    }
}

// ----------------------------------------------------------------- JoinSet

#[test]
fn join_set_joins_in_completion_order() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut release = Vec::new();
            for i in 0..5usize {
                let (tx, rx) = oneshot::channel::<()>();
                release.push(Some(tx));
                set.spawn(async move {
                    rx.await.expect("released");
                    i
                });
            }
            assert_eq!(set.len(), 5);
            assert!(set.try_join_next().is_none(), "{flavor}: nothing finished yet");
            for i in [3, 1, 4, 0, 2] {
                release[i].take().expect("released once").send(()).expect("task alive");
                let joined = timeout(WAIT, set.join_next()).await.expect("joined in time");
                assert_eq!(joined.expect("a task").expect("task output"), i, "{flavor}");
            }
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none(), "{flavor}");
        });
    }
}

#[test]
fn join_set_reports_panics_and_cancellations() {
    let _lock = shared();
    let rt = multi(2);
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async { panic!("in a set") });
        let abort = set.spawn(pending::<()>());
        abort.abort();
        let mut panics = 0;
        let mut cancels = 0;
        while let Some(result) = set.join_next().await {
            let err = result.expect_err("neither task completes");
            panics += usize::from(err.is_panic());
            cancels += usize::from(err.is_cancelled());
        }
        assert_eq!((panics, cancels), (1, 1));
    });
}

/// Spawns `n` tasks that never finish, each holding a drop signal.
fn spawn_pending(set: &mut JoinSet<()>, n: usize) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    for _ in 0..n {
        let guard = DropSignal(tx.clone());
        set.spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        });
    }
    rx
}

fn assert_dropped(rx: &mpsc::Receiver<()>, n: usize, what: &str) {
    for i in 0..n {
        rx.recv_timeout(WAIT).unwrap_or_else(|_| panic!("{what}: only {i} of {n} futures were dropped"));
    }
}

#[test]
fn join_set_abort_all_shutdown_and_drop() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let mut set = JoinSet::new();
            let dropped = spawn_pending(&mut set, 6);
            sleep(Duration::from_millis(5)).await;
            set.abort_all();
            let mut cancelled = 0;
            while let Some(result) = set.join_next().await {
                assert!(result.expect_err("aborted").is_cancelled(), "{flavor}");
                cancelled += 1;
            }
            assert_eq!(cancelled, 6, "{flavor}");
            assert_dropped(&dropped, 6, "abort_all");

            let dropped = spawn_pending(&mut set, 6);
            sleep(Duration::from_millis(5)).await;
            timeout(WAIT, set.shutdown()).await.expect("shutdown finishes");
            assert!(set.is_empty(), "{flavor}");
            assert_dropped(&dropped, 6, "shutdown");

            // Dropping the set aborts its tasks, started or not.
            let dropped = spawn_pending(&mut set, 3);
            sleep(Duration::from_millis(5)).await;
            let unstarted = spawn_pending(&mut set, 3);
            drop(set);
            let mut count = 0;
            wait_until(&format!("{flavor}: the dropped set's tasks are dropped"), || {
                count += dropped.try_iter().count() + unstarted.try_iter().count();
                count == 6
            })
            .await;
        });
    }
}

#[test]
fn join_set_join_all_collects_every_output() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let mut out = rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..20u32 {
                set.spawn(async move {
                    sleep(Duration::from_millis(u64::from(i % 4))).await;
                    i
                });
            }
            set.join_all().await
        });
        out.sort_unstable();
        assert_eq!(out, (0..20).collect::<Vec<_>>(), "{flavor}");
        // FromIterator, like tokio.
        let mut out =
            rt.block_on(async { (0..4u32).map(|i| async move { i }).collect::<JoinSet<_>>().join_all().await });
        out.sort_unstable();
        assert_eq!(out, [0, 1, 2, 3], "{flavor}");
    }
}

// ------------------------------------------------------------- spawn_local

#[test]
fn spawn_local_runs_a_non_send_future() {
    let _lock = shared();
    let rt = current();
    rt.block_on(async {
        let counter = Rc::new(Cell::new(0));
        let inner = counter.clone();
        let handle = spawn_local(async move {
            yield_now().await;
            inner.set(inner.get() + 5);
            sleep(Duration::from_millis(1)).await;
            Rc::strong_count(&inner)
        });
        assert_eq!(handle.await.expect("task output"), 2);
        assert_eq!(counter.get(), 5);
    });

    // On a multi-thread runtime: from a task, staying on that task's worker.
    let rt = multi(2);
    let same = rt.block_on(async {
        ringline::spawn(async {
            let outer = thread::current().id();
            let inner = spawn_local(async {
                let rc = Rc::new(thread::current().id());
                yield_now().await;
                sleep(Duration::from_millis(1)).await;
                assert_eq!(*rc, thread::current().id());
                *rc
            });
            inner.await.expect("task output") == outer
        })
        .await
        .expect("task output")
    });
    assert!(same, "a local task runs on the worker that spawned it");
}

#[test]
fn spawn_local_off_a_worker_panics() {
    let _lock = shared();
    let rt = multi(1);
    rt.block_on(async {
        // Runtime::block_on of a multi-thread runtime is not on a worker.
        let result = catch_unwind(|| drop(spawn_local(async {})));
        assert!(result.is_err());
    });
}

// ---------------------------------------------------------- spawn_blocking

#[test]
fn spawn_blocking_runs_off_the_workers() {
    let _lock = shared();
    let workers = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
    let seen = workers.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || seen.lock().expect("not poisoned").push(thread::current().id()))
        .build()
        .expect("build");
    let (task_thread, blocking_thread, name, value, nested) = rt.block_on(async {
        ringline::spawn(async {
            let task_thread = thread::current().id();
            let (blocking_thread, name, nested) = spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(5));
                // The blocking thread is inside the runtime: it may spawn.
                let nested = Handle::current().spawn(async { 11 });
                (thread::current().id(), thread::current().name().map(str::to_owned), nested)
            })
            .await
            .expect("blocking output");
            let value = spawn_blocking(|| 6 * 7).await.expect("blocking output");
            (task_thread, blocking_thread, name, value, nested.await.expect("task output"))
        })
        .await
        .expect("task output")
    });
    assert_eq!(value, 42);
    assert_eq!(nested, 11);
    assert_ne!(task_thread, blocking_thread);
    assert_eq!(name.as_deref(), Some("ringline-blocking"));
    let deadline = Instant::now() + WAIT;
    while workers.lock().expect("not poisoned").len() < 2 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    let workers = workers.lock().expect("not poisoned").clone();
    assert_eq!(workers.len(), 2);
    assert!(workers.contains(&task_thread));
    assert!(!workers.contains(&blocking_thread), "spawn_blocking ran on a worker thread");

    // Current-thread: off the calling thread.
    let rt = current();
    let me = thread::current().id();
    let other = rt.block_on(async { spawn_blocking(|| thread::current().id()).await.expect("blocking output") });
    assert_ne!(other, me);
}

#[test]
fn spawn_blocking_panic_becomes_join_error() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let err = spawn_blocking(|| -> u32 { panic!("blocking boom") }).await.expect_err("panicked");
            assert!(err.is_panic(), "{flavor}");
            assert_eq!(panic_message(err), "blocking boom", "{flavor}");
            // The pool keeps working.
            assert_eq!(spawn_blocking(|| 1).await.expect("blocking output"), 1, "{flavor}");
        });
    }
}

#[test]
fn spawn_blocking_many_at_once() {
    let _lock = shared();
    let rt = multi(2);
    let total = rt.block_on(async {
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8u64)
            .map(|i| {
                let barrier = barrier.clone();
                // All 8 wait for each other: they must run on 8 threads at once.
                spawn_blocking(move || {
                    barrier.wait();
                    i
                })
            })
            .collect();
        let mut total = 0;
        for h in handles {
            total += timeout(WAIT, h).await.expect("blocking pool grew").expect("blocking output");
        }
        total
    });
    assert_eq!(total, 28);
}

/// tokio issue 8056: after one job has finished, its thread idles; a second
/// job parks that thread, and a third, queued before the thread woke, must
/// still get a thread of its own rather than wait behind the parked one.
#[test]
fn spawn_blocking_queued_behind_a_parked_job_still_runs() {
    let _lock = shared();
    for round in 0..200 {
        let rt = current();
        rt.block_on(async {
            spawn_blocking(|| {}).await.expect("first job");
            let (tx, mut rx) = ringline::sync::mpsc::channel::<()>(1);
            let parked = spawn_blocking(move || rx.blocking_recv());
            let third = spawn_blocking(move || tx.blocking_send(()).expect("the parked job receives"));
            timeout(WAIT, third)
                .await
                .unwrap_or_else(|_| panic!("round {round}: the third job never ran"))
                .expect("third job");
            assert_eq!(timeout(WAIT, parked).await.expect("parked job woke").expect("parked job"), Some(()));
        });
    }
}

// --------------------------------------------------------------- yield_now

#[test]
fn yield_now_lets_another_task_run() {
    let _lock = shared();
    let rt = current();
    rt.block_on(async {
        ringline::spawn(async {
            let flag = Arc::new(AtomicBool::new(false));
            let set = flag.clone();
            let other = ringline::spawn(async move { set.store(true, Ordering::SeqCst) });
            assert!(!flag.load(Ordering::SeqCst), "the new task has not run yet");
            yield_now().await;
            assert!(flag.load(Ordering::SeqCst), "yield_now let the other task run");
            other.await.expect("task output");
        })
        .await
        .expect("task output");

        // Two tasks yielding to each other interleave.
        let log = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|name| {
                let log = log.clone();
                ringline::spawn(async move {
                    for i in 0..3 {
                        log.lock().expect("not poisoned").push(format!("{name}{i}"));
                        yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task output");
        }
        assert_eq!(*log.lock().expect("not poisoned"), ["a0", "b0", "a1", "b1", "a2", "b2"]);
    });
}

#[test]
fn yield_now_in_block_on_lets_tasks_run() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let count = Arc::new(AtomicUsize::new(0));
            let c = count.clone();
            let _task = ringline::spawn(async move {
                loop {
                    c.fetch_add(1, Ordering::SeqCst);
                    yield_now().await;
                }
            });
            // A busy main future that only yields still lets the task progress.
            let deadline = Instant::now() + WAIT;
            while count.load(Ordering::SeqCst) < 10 {
                assert!(Instant::now() < deadline, "{flavor}: the task starved");
                yield_now().await;
            }
        });
    }
}

// ------------------------------------------------- sync, select!, join!

#[test]
fn mpsc_and_select_loop() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let (sum, ticks) = rt.block_on(async {
            let (tx, mut rx) = ringline::sync::mpsc::channel::<u32>(4);
            let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
            let producer = ringline::spawn(async move {
                for i in 1..=10 {
                    tx.send(i).await.expect("receiver alive");
                    if i % 3 == 0 {
                        sleep(Duration::from_millis(2)).await;
                    }
                }
                drop(tx);
                stop_tx.send(()).expect("receiver alive");
            });
            let mut sum = 0;
            let mut ticks = 0;
            let mut tick = ringline::time::interval(Duration::from_millis(1));
            loop {
                ringline::select! {
                    biased;
                    Some(v) = rx.recv() => sum += v,
                    _ = &mut stop_rx => break,
                    _ = tick.tick() => ticks += 1,
                    _ = sleep(WAIT) => panic!("the select loop stalled"),
                }
            }
            producer.await.expect("task output");
            (sum, ticks)
        });
        assert_eq!(sum, 55, "{flavor}");
        assert!(ticks >= 1, "{flavor}: the interval branch ran");
    }
}

#[test]
fn select_drops_the_losing_branch() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let (guard, dropped) = drop_signal();
            let loser = async move {
                let _guard = guard;
                pending::<u32>().await
            };
            let won = ringline::select! {
                v = loser => v,
                _ = sleep(Duration::from_millis(5)) => 1,
            };
            assert_eq!(won, 1, "{flavor}");
            assert!(dropped.try_recv().is_ok(), "{flavor}: the losing branch was dropped");
        });
    }
}

#[test]
fn oneshot_between_tasks() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let (tx, rx) = oneshot::channel();
            ringline::spawn(async move {
                sleep(Duration::from_millis(2)).await;
                tx.send(String::from("hello")).expect("receiver alive");
            });
            assert_eq!(rx.await.expect("sent"), "hello", "{flavor}");

            let (tx, rx) = oneshot::channel::<u32>();
            ringline::spawn(async move { drop(tx) });
            assert!(rx.await.is_err(), "{flavor}: a dropped sender closes the channel");
        });
    }
}

#[test]
fn join_and_try_join() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        rt.block_on(async {
            let (a, b, c) = ringline::join!(
                async {
                    sleep(Duration::from_millis(3)).await;
                    1
                },
                async { "two" },
                ringline::spawn(async { 3.0 }),
            );
            assert_eq!((a, b, c.expect("task output")), (1, "two", 3.0), "{flavor}");

            let ok = ringline::try_join!(async { Ok::<u8, &str>(1) }, async { Ok::<u8, &str>(2) });
            assert_eq!(ok, Ok((1, 2)), "{flavor}");

            let (guard, dropped) = drop_signal();
            let slow = async move {
                let _guard = guard;
                pending::<Result<u8, &str>>().await
            };
            let failed = ringline::try_join!(slow, async {
                sleep(Duration::from_millis(1)).await;
                Err::<u8, &str>("nope")
            });
            assert_eq!(failed, Err("nope"), "{flavor}");
            assert!(dropped.try_recv().is_ok(), "{flavor}: try_join! dropped the unfinished branch");

            let fut = async { 9 };
            ringline::pin!(fut);
            assert_eq!(fut.as_mut().await, 9);
        });
    }
}

// ----------------------------------------------------------------- Handle

#[test]
fn handle_current_inside_and_try_current_outside() {
    let _lock = shared();
    assert!(Handle::try_current().is_err(), "no runtime on a plain test thread");
    let rt = multi(2);
    let (in_block_on, in_task) = rt.block_on(async {
        let in_block_on = Handle::current().num_workers();
        let in_task = ringline::spawn(async {
            let h = Handle::current();
            (h.num_workers(), h.backend(), Handle::try_current().is_ok())
        })
        .await
        .expect("task output");
        (in_block_on, in_task)
    });
    assert_eq!(in_block_on, 2);
    assert_eq!(in_task, (2, rt.handle().backend(), true));
    assert!(Handle::try_current().is_err(), "block_on restores the context");
    let err = Handle::try_current().expect_err("outside");
    assert!(!err.to_string().is_empty());
    let outside = thread::spawn(|| catch_unwind(Handle::current).is_err()).join().expect("thread");
    assert!(outside, "Handle::current panics outside a runtime");
}

#[test]
fn handle_enter_lets_sync_code_spawn() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let guard = rt.enter();
        assert!(Handle::try_current().is_ok(), "{flavor}");
        let handle = ringline::spawn(async {
            yield_now().await;
            7
        });
        drop(guard);
        assert!(Handle::try_current().is_err(), "{flavor}: the guard restores the context");
        assert_eq!(rt.block_on(handle).expect("task output"), 7, "{flavor}");

        // Nested guards restore in order.
        let outer = rt.handle().enter();
        let inner = rt.handle().enter();
        drop(inner);
        assert!(Handle::try_current().is_ok(), "{flavor}");
        drop(outer);
        assert!(Handle::try_current().is_err(), "{flavor}");

        // Handle::spawn from another plain thread.
        let h = rt.handle().clone();
        let remote = thread::spawn(move || h.spawn(async { thread::current().id() })).join().expect("thread");
        rt.block_on(async { remote.await.expect("task output") });
    }
}

// --------------------------------------------------- placement and threads

#[test]
fn tasks_spread_over_two_workers() {
    let _lock = shared();
    let rt = multi(2);
    let main = thread::current().id();
    let (from_outside, from_task) = rt.block_on(async {
        let spread = || async {
            let barrier = Arc::new(Barrier::new(8));
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let barrier = barrier.clone();
                    ringline::spawn(async move {
                        let id = thread::current().id();
                        // All 8 are alive at once: placement sees real load.
                        barrier.wait().await;
                        sleep(Duration::from_millis(2)).await;
                        id
                    })
                })
                .collect();
            let mut ids = HashSet::new();
            for h in handles {
                ids.insert(timeout(WAIT, h).await.expect("no deadlock").expect("task output"));
            }
            ids
        };
        let from_outside = spread().await;
        let from_task = ringline::spawn(spread()).await.expect("task output");
        (from_outside, from_task)
    });
    assert_eq!(from_outside.len(), 2, "8 tasks spawned from block_on ran on {} threads", from_outside.len());
    assert_eq!(from_task.len(), 2, "8 tasks spawned from a task ran on {} threads", from_task.len());
    assert!(!from_outside.contains(&main));
    assert_eq!(from_outside, from_task, "the same two workers");
}

#[test]
fn a_task_never_changes_thread() {
    let _lock = shared();
    let rt = multi(4);
    let moved = rt.block_on(async {
        let (tx, rx) = ringline::sync::broadcast::channel::<u32>(16);
        drop(rx);
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let mut rx = tx.subscribe();
                ringline::spawn(async move {
                    let home = thread::current().id();
                    let mut seen = vec![home];
                    for round in 0..5u32 {
                        yield_now().await;
                        seen.push(thread::current().id());
                        sleep(Duration::from_millis(1)).await;
                        seen.push(thread::current().id());
                        // Woken from another thread (the sender's).
                        assert_eq!(rx.recv().await.expect("sender alive"), round);
                        seen.push(thread::current().id());
                        ringline::spawn(async {}).await.expect("task output");
                        seen.push(thread::current().id());
                    }
                    seen.iter().filter(|&&id| id != home).count()
                })
            })
            .collect();
        let sender = ringline::spawn(async move {
            for round in 0..5 {
                sleep(Duration::from_millis(3)).await;
                tx.send(round).expect("receivers alive");
            }
        });
        let mut moved = 0;
        for h in handles {
            moved += timeout(WAIT, h).await.expect("no deadlock").expect("task output");
        }
        sender.await.expect("task output");
        moved
    });
    assert_eq!(moved, 0, "tasks resumed on a thread other than their own");
}

// --------------------------------------------------------------- shutdown

#[test]
fn dropping_the_runtime_drops_pending_tasks() {
    let _lock = shared();
    for (flavor, rt) in flavors() {
        let (tx, rx) = mpsc::channel();
        let (_keep_sender, never) = oneshot::channel::<()>();
        rt.block_on(async {
            for _ in 0..4 {
                let guard = DropSignal(tx.clone());
                ringline::spawn(async move {
                    let _guard = guard;
                    pending::<()>().await;
                });
            }
            let guard = DropSignal(tx.clone());
            ringline::spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(3600)).await;
            });
            let guard = DropSignal(tx.clone());
            ringline::spawn(async move {
                let _guard = guard;
                let _ = never.await;
            });
            sleep(Duration::from_millis(10)).await;
        });
        // Spawned but never polled.
        let guard = DropSignal(tx.clone());
        rt.spawn(async move {
            let _guard = guard;
            pending::<()>().await;
        });
        drop(tx);
        let start = Instant::now();
        drop(rt);
        assert!(start.elapsed() < WAIT, "{flavor}: dropping the runtime took {:?}", start.elapsed());
        assert_eq!(rx.try_iter().count(), 7, "{flavor}: every task's future was dropped by the runtime's drop");
    }
}

#[test]
fn shutdown_timeout_does_not_wait_for_a_blocked_worker() {
    let _lock = shared();
    let (stopped_tx, stopped_rx) = mpsc::channel();
    let stopped_tx = Mutex::new(stopped_tx);
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_stop(move || {
            let _ = stopped_tx.lock().expect("not poisoned").send(());
        })
        .build()
        .expect("build");
    let (started_tx, started_rx) = mpsc::channel();
    rt.spawn(async move {
        let _ = started_tx.send(());
        // Blocks the worker thread: bad practice, but shutdown must cope.
        std::thread::sleep(Duration::from_millis(400));
    });
    started_rx.recv_timeout(WAIT).expect("task started");
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_millis(50));
    let took = start.elapsed();
    assert!(took < Duration::from_millis(300), "shutdown_timeout waited {took:?}");
    // The worker stops by itself once the task lets go of it.
    stopped_rx.recv_timeout(Duration::from_secs(2)).expect("the worker thread stopped");

    // An idle runtime shuts down at once.
    let rt = multi(2);
    rt.block_on(async { sleep(Duration::from_millis(1)).await });
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_secs(5));
    assert!(start.elapsed() < WAIT);
}

#[test]
fn shutdown_background_returns_at_once() {
    let _lock = shared();
    let rt = multi(2);
    let (guard, dropped) = drop_signal();
    rt.spawn(async move {
        let _guard = guard;
        pending::<()>().await;
    });
    let start = Instant::now();
    rt.shutdown_background();
    assert!(start.elapsed() < Duration::from_millis(300));
    dropped.recv_timeout(WAIT).expect("the workers dropped the pending task");
}

/// Open fds and ringline threads of this process.
#[cfg(target_os = "linux")]
fn resources() -> (usize, usize) {
    let fds = std::fs::read_dir("/proc/self/fd").expect("procfs").count();
    let threads = std::fs::read_dir("/proc/self/task")
        .expect("procfs")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("ringline"))
        .count();
    (fds, threads)
}

#[cfg(target_os = "linux")]
#[test]
fn runtimes_in_a_loop_leak_no_threads_or_fds() {
    let _lock = exclusive();
    // Blocking threads of earlier tests may still be on their way out.
    let deadline = Instant::now() + Duration::from_secs(2);
    while resources().1 > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    // One runtime first: with the tokio bridge, the first tokio runtime
    // makes tokio's process-wide signal pipe (2 fds, kept for the process's
    // life) when tokio's `signal` feature is on in the build.
    drop(multi(2));
    let before = resources();
    for i in 0..50 {
        let rt = if i % 2 == 0 { current() } else { multi(2) };
        let handle = rt.handle().clone();
        let counters = handle.driver_counters();
        let value = rt.block_on(async {
            let task = ringline::spawn(async {
                sleep(Duration::from_millis(1)).await;
                1
            });
            let blocking = spawn_blocking(|| 2);
            task.await.expect("task output") + blocking.await.expect("blocking output")
        });
        assert_eq!(value, 3);
        assert_eq!(handle.num_alive_tasks(), 0, "runtime {i}");
        assert_eq!(handle.driver_counters(), counters, "runtime {i}");
        drop(rt);
    }
    // Blocking threads exit on their own after shutdown; give them a moment.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut after = resources();
    while (after.0 > before.0 || after.1 > before.1) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
        after = resources();
    }
    assert!(after.0 <= before.0, "fds leaked: {} before, {} after", before.0, after.0);
    assert!(after.1 <= before.1, "threads leaked: {} before, {} after", before.1, after.1);
}

// ---------------------------------------------------------------- backend

#[test]
fn builder_backend_mio() {
    let _lock = shared();
    let rts = [
        Builder::new_current_thread().backend(Backend::Mio).build().expect("mio always builds"),
        Builder::new_multi_thread().worker_threads(2).backend(Backend::Mio).build().expect("mio always builds"),
    ];
    for rt in rts {
        assert_eq!(rt.handle().backend(), Backend::Mio);
        let inside = rt.block_on(async {
            sleep(Duration::from_millis(1)).await;
            ringline::spawn(async { Handle::current().backend() }).await.expect("task output")
        });
        assert_eq!(inside, Backend::Mio);
    }
    assert_eq!(Backend::Mio.name(), "mio");
    assert_eq!(Backend::Uring.name(), "uring");
}

#[test]
fn builder_backend_uring_builds_or_says_why() {
    let _lock = shared();
    match Builder::new_current_thread().backend(Backend::Uring).build() {
        Ok(rt) => {
            assert_eq!(rt.handle().backend(), Backend::Uring);
            assert_eq!(rt.block_on(async { ringline::spawn(async { 1 }).await.expect("task output") }), 1);
        }
        Err(e) => assert!(e.to_string().contains("io_uring"), "unhelpful error: {e}"),
    }
}

/// The backend `RINGLINE_BACKEND` asks for, when it names one.
fn env_backend() -> Option<Backend> {
    let value = std::env::var("RINGLINE_BACKEND").ok()?;
    match value.trim().to_ascii_lowercase().as_str() {
        "uring" | "io_uring" | "io-uring" => Some(Backend::Uring),
        "mio" | "poll" | "epoll" => Some(Backend::Mio),
        _ => None,
    }
}

#[test]
fn ringline_backend_env_is_honoured() {
    let _lock = shared();
    let Some(expected) = env_backend() else {
        // Unset: either backend may be chosen; both flavors must agree.
        let [(_, a), (_, b)] = flavors();
        assert_eq!(a.handle().backend(), b.handle().backend());
        return;
    };
    for (flavor, rt) in flavors() {
        assert_eq!(rt.handle().backend(), expected, "{flavor}");
        assert_eq!(rt.block_on(async { Handle::current().backend() }), expected, "{flavor}");
    }
}
