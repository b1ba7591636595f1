//! `task::LocalSet`, `flavor = "local"`, and `JoinSet`'s local and
//! iterator spawning.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ringline::runtime::Builder;
use ringline::task::{self, JoinSet, LocalSet};

#[test]
fn run_until_on_a_multi_thread_block_on() {
    // Off the workers `spawn_local` needs a LocalSet, as in tokio.
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let local = LocalSet::new();
    let out = local.block_on(&rt, async {
        let shared = Rc::new(RefCell::new(Vec::new()));
        let mut handles = Vec::new();
        for i in 0..10 {
            let shared = shared.clone();
            handles.push(task::spawn_local(async move {
                ringline::time::sleep(Duration::from_millis(1)).await;
                shared.borrow_mut().push(i);
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        let mut v = shared.borrow().clone();
        v.sort();
        v
    });
    assert_eq!(out, (0..10).collect::<Vec<_>>());
}

#[ringline::test]
async fn tasks_spawned_before_running_run_when_awaited() {
    let local = LocalSet::new();
    let count = Rc::new(Cell::new(0));
    for _ in 0..5 {
        let count = count.clone();
        local.spawn_local(async move {
            task::yield_now().await;
            count.set(count.get() + 1);
        });
    }
    assert_eq!(count.get(), 0, "nothing runs until the set is polled");
    local.await;
    assert_eq!(count.get(), 5);
}

#[ringline::test]
async fn run_until_leaves_unfinished_tasks_in_the_set() {
    let local = LocalSet::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
    let waiting = local.spawn_local(async move { rx.await.unwrap() * 2 });
    local.run_until(task::yield_now()).await;
    assert!(!waiting.is_finished());
    tx.send(21).unwrap();
    assert_eq!(local.run_until(waiting).await.unwrap(), 42);
}

#[ringline::test]
async fn enter_routes_spawn_local_to_the_set() {
    let local = LocalSet::new();
    let ran = Rc::new(Cell::new(false));
    {
        let _guard = local.enter();
        let ran = ran.clone();
        task::spawn_local(async move { ran.set(true) });
    }
    assert!(!ran.get());
    local.await;
    assert!(ran.get());
}

#[test]
fn dropping_the_set_drops_its_tasks() {
    struct Flag(Arc<AtomicBool>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let local = LocalSet::new();
    let flag = Flag(dropped.clone());
    let handle = local.spawn_local(async move {
        let _flag = flag;
        std::future::pending::<()>().await;
    });
    local.block_on(&rt, task::yield_now());
    assert!(!dropped.load(Ordering::SeqCst));
    drop(local);
    assert!(dropped.load(Ordering::SeqCst), "the task's future is dropped with the set");
    let err = rt.block_on(handle).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
#[should_panic(expected = "`spawn_local` called from outside of a `task::LocalSet`")]
fn spawn_local_off_workers_without_a_set_panics() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(async {
        task::spawn_local(async {});
    });
}

#[ringline::test(flavor = "local")]
async fn local_flavor_runs_local_tasks() {
    let rc = Rc::new(3);
    let out = task::spawn_local(async move { *rc + 1 }).await.unwrap();
    assert_eq!(out, 4);
}

#[ringline::test]
async fn join_set_local_and_iterator_spawning() {
    let local = LocalSet::new();
    let mut set: JoinSet<u32> = (0..3).map(|i| async move { i }).collect();
    set.extend((3..5).map(|i| async move { i }));
    let rc = Rc::new(10u32);
    let rc2 = rc.clone();
    set.spawn_local_on(async move { *rc2 }, &local);
    set.spawn_local(async move { *rc + 1 });
    set.spawn_on(async { 100 }, &ringline::runtime::Handle::current());
    let mut out = local
        .run_until(async {
            let mut out = Vec::new();
            while let Some(v) = set.join_next().await {
                out.push(v.unwrap());
            }
            out
        })
        .await;
    out.sort();
    assert_eq!(out, vec![0, 1, 2, 3, 4, 10, 11, 100]);
}

#[test]
#[should_panic(expected = "can call blocking only when running on the multi-threaded runtime")]
fn block_in_place_inside_a_local_set_panics() {
    let rt = Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    LocalSet::new().block_on(&rt, async { task::block_in_place(|| {}) });
}

#[test]
fn runtime_and_set_dropped_by_a_thread_local() {
    #[allow(dead_code)]
    struct Both(ringline::runtime::Runtime, LocalSet);
    thread_local! {
        static BOTH: RefCell<Option<Both>> = const { RefCell::new(None) };
    }
    std::thread::spawn(|| {
        let rt = Builder::new_current_thread().enable_all().build().unwrap();
        let local = LocalSet::new();
        local.block_on(&rt, async { task::spawn_local(async {}).await.unwrap() });
        local.spawn_local(std::future::pending::<()>());
        BOTH.with(|b| *b.borrow_mut() = Some(Both(rt, local)));
        // Dropped while the thread's locals are destroyed: must not panic.
    })
    .join()
    .expect("thread exits cleanly");
}

/// A `JoinSet` of `n` tasks that have all run to completion.
async fn join_set_of_finished_tasks(n: usize) -> JoinSet<()> {
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut set = JoinSet::new();
    for _ in 0..n {
        let done = done.clone();
        set.spawn(async move {
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    while done.load(Ordering::SeqCst) < n {
        task::yield_now().await;
    }
    set
}

#[ringline::test]
async fn join_set_spends_budget_but_try_join_next_does_not() {
    use futures_util::FutureExt;
    let mut set = join_set_of_finished_tasks(300).await;
    let mut yields = 0;
    let mut joined = 0;
    while joined < 300 {
        match set.join_next().now_or_never() {
            Some(Some(r)) => {
                r.unwrap();
                joined += 1;
            }
            Some(None) => break,
            None => {
                yields += 1;
                task::yield_now().await;
            }
        }
    }
    assert!(yields >= 1, "joining 300 finished tasks never ran out of budget");
    let mut set = join_set_of_finished_tasks(300).await;
    let mut n = 0;
    while set.try_join_next().is_some() {
        n += 1;
    }
    assert_eq!(n, 300);
}
