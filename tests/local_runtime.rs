//! `runtime::LocalRuntime` (tokio's `build_local`) and `runtime::worker_index`.

use std::rc::Rc;

use ringline::runtime::{self, Builder, LocalOptions, LocalRuntime};

#[test]
fn spawn_local_before_block_on_runs_inside_it() {
    let rt = Builder::new_current_thread().enable_all().build_local(LocalOptions::default()).unwrap();
    let shared = Rc::new(20);
    let task = rt.spawn_local({
        let shared = shared.clone();
        async move {
            ringline::task::yield_now().await;
            *shared + 1
        }
    });
    assert_eq!(rt.block_on(task).unwrap(), 21);
    assert_eq!(Rc::strong_count(&shared), 1, "the task's future was dropped after it finished");
}

#[test]
fn free_spawn_local_under_enter_guard() {
    let rt = LocalRuntime::new().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let _guard = rt.enter();
    ringline::task::spawn_local(async move { tx.send(Rc::new(5)).unwrap() });
    assert_eq!(*rt.block_on(rx).unwrap(), 5);
}

#[test]
fn handle_spawns_send_tasks_from_other_threads() {
    let rt = LocalRuntime::new().unwrap();
    let handle = rt.handle().clone();
    let task = std::thread::spawn(move || handle.spawn(async { 7 })).join().unwrap();
    assert_eq!(rt.block_on(task).unwrap(), 7);
}

#[test]
#[should_panic(
    expected = "Local tasks can only be spawned on a LocalRuntime from the thread the runtime was created on"
)]
fn spawn_local_from_another_thread_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = LocalRuntime::new().unwrap();
        tx.send(rt.handle().clone()).unwrap();
    });
    let handle = rx.recv().unwrap();
    let _guard = handle.enter();
    ringline::task::spawn_local(async {});
}

#[test]
#[should_panic(expected = "multi_thread is not supported for LocalRuntime")]
fn build_local_refuses_multi_thread() {
    let _ = Builder::new_multi_thread().build_local(LocalOptions::default());
}

#[test]
fn dropping_the_runtime_cancels_its_local_tasks() {
    let rt = LocalRuntime::new().unwrap();
    let shared = Rc::new(());
    let held = shared.clone();
    let _task = rt.spawn_local(async move {
        let _held = held;
        std::future::pending::<()>().await
    });
    rt.block_on(ringline::task::yield_now());
    assert_eq!(Rc::strong_count(&shared), 2);
    drop(rt);
    assert_eq!(Rc::strong_count(&shared), 1, "the pending task was dropped with its runtime");
}

#[test]
fn worker_index_on_each_kind_of_thread() {
    assert_eq!(runtime::worker_index(), None);
    let current = Builder::new_current_thread().enable_all().build().unwrap();
    assert_eq!(current.block_on(async { runtime::worker_index() }), Some(0));
    assert_eq!(current.handle().block_on(async { runtime::worker_index() }), None);
    let local = LocalRuntime::new().unwrap();
    assert_eq!(local.block_on(async { runtime::worker_index() }), Some(0));

    let multi = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    assert_eq!(multi.block_on(async { runtime::worker_index() }), None, "block_on's thread is no worker");
    let mut seen: Vec<usize> = (0..8)
        .map(|_| multi.block_on(multi.spawn(async { runtime::worker_index() })).unwrap().expect("on a worker"))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert!(seen.iter().all(|&i| i < 2), "indices below num_workers: {seen:?}");
    let blocking = multi.block_on(multi.spawn_blocking(runtime::worker_index)).unwrap();
    assert_eq!(blocking, None);
}
