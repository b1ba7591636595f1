//! Task ids (`task::{Id, id, try_id}`, `JoinHandle::id`, `AbortHandle::id`,
//! `JoinError::id`) and task-local storage (`task_local!`).

use std::collections::HashSet;

use ringline::task::{self, JoinSet};

#[ringline::test]
async fn ids_match_inside_and_outside() {
    let handle = ringline::spawn(async { task::id() });
    let id = handle.id();
    assert_eq!(handle.abort_handle().id(), id);
    assert_eq!(handle.await.unwrap(), id);
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_are_unique() {
    let mut set = JoinSet::new();
    for _ in 0..100 {
        set.spawn(async { task::id() });
    }
    let mut seen = HashSet::new();
    while let Some(id) = set.join_next().await {
        assert!(seen.insert(id.unwrap()));
    }
    assert_eq!(seen.len(), 100);
}

#[ringline::test]
async fn no_id_outside_a_task() {
    // The future `block_on` runs is not a task, as in tokio.
    assert_eq!(task::try_id(), None);
    let local = task::spawn_local(async { task::try_id() });
    let id = local.id();
    assert_eq!(local.await.unwrap(), Some(id));
    let blocking = task::spawn_blocking(task::try_id);
    let id = blocking.id();
    assert_eq!(blocking.await.unwrap(), Some(id));
}

#[test]
#[should_panic(expected = "Can't get a task id when not inside a task")]
fn id_outside_a_task_panics() {
    task::id();
}

#[ringline::test]
async fn join_errors_carry_the_id() {
    let panicked = ringline::spawn(async { panic!("boom") });
    let id = panicked.id();
    let err = panicked.await.unwrap_err();
    assert_eq!(err.id(), id);
    assert_eq!(err.to_string(), format!("task {id} panicked with message \"boom\""));

    let aborted = ringline::spawn(std::future::pending::<()>());
    let id = aborted.id();
    aborted.abort();
    let err = aborted.await.unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(err.id(), id);
    assert_eq!(format!("{err:?}"), format!("JoinError::Cancelled({id:?})"));
}

ringline::task_local! {
    static REQUEST: u32;
    static NAME: String;
}

#[ringline::test]
async fn task_local_scope_survives_awaits() {
    let got = REQUEST
        .scope(7, async {
            ringline::task::yield_now().await;
            ringline::time::sleep(std::time::Duration::from_millis(1)).await;
            REQUEST.get()
        })
        .await;
    assert_eq!(got, 7);
    assert!(REQUEST.try_with(|v| *v).is_err(), "not set outside the scope");
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_local_in_spawned_tasks() {
    let handle = ringline::spawn(NAME.scope("inner".to_string(), async {
        ringline::task::yield_now().await;
        NAME.with(|n| n.clone())
    }));
    assert_eq!(handle.await.unwrap(), "inner");
    // A task spawned inside a scope does not inherit it (tokio's behaviour).
    let outer =
        REQUEST.scope(1, async { ringline::spawn(async { REQUEST.try_with(|v| *v).is_err() }).await.unwrap() }).await;
    assert!(outer);
}

#[test]
fn task_local_sync_scope() {
    let v = REQUEST.sync_scope(3, || REQUEST.get() + 1);
    assert_eq!(v, 4);
    assert!(REQUEST.try_get().is_err());
}

/// Sends `task::try_id()` from its `Drop`.
struct ReportIdOnDrop(Option<ringline::sync::oneshot::Sender<Option<task::Id>>>);

impl Drop for ReportIdOnDrop {
    fn drop(&mut self) {
        let _ = self.0.take().unwrap().send(task::try_id());
    }
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_drops_with_its_id_current() {
    // Completed.
    let (tx, rx) = ringline::sync::oneshot::channel();
    let report = ReportIdOnDrop(Some(tx));
    let handle = ringline::spawn(async move {
        let _report = report;
    });
    let id = handle.id();
    handle.await.unwrap();
    assert_eq!(rx.await.unwrap(), Some(id));
    // Aborted.
    let (tx, rx) = ringline::sync::oneshot::channel();
    let report = ReportIdOnDrop(Some(tx));
    let handle = ringline::spawn(async move {
        let _report = report;
        std::future::pending::<()>().await;
    });
    let id = handle.id();
    handle.abort();
    assert!(handle.await.unwrap_err().is_cancelled());
    assert_eq!(rx.await.unwrap(), Some(id));
}

#[ringline::test]
async fn unclaimed_output_drops_with_its_id_current() {
    let (tx, rx) = ringline::sync::oneshot::channel();
    let handle = ringline::spawn(async move { ReportIdOnDrop(Some(tx)) });
    let id = handle.id();
    drop(handle); // before the task ran: its output is dropped when it finishes
    assert_eq!(rx.await.unwrap(), Some(id));
}

#[ringline::test]
async fn panicking_output_drop_is_swallowed() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("output drop");
        }
    }
    let handle = ringline::spawn(async { PanicOnDrop });
    while !handle.is_finished() {
        task::yield_now().await;
    }
    drop(handle); // tokio swallows the panic
    assert_eq!(ringline::spawn(async { 1 }).await.unwrap(), 1, "the worker goes on");
}

mod auto_traits {
    //! tokio's auto traits (its `async_send_sync` and `unwindsafe` checks).
    use std::panic::{RefUnwindSafe, UnwindSafe};
    use std::rc::Rc;

    use ringline::runtime::EnterGuard;
    use ringline::task::JoinHandle;
    use ringline::time::Sleep;

    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

    /// Ambiguous (a compile error) exactly when `T: Send`.
    trait AmbiguousIfSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfSend<()> for T {}
    impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

    /// Ambiguous exactly when `T: Sync`.
    trait AmbiguousIfSync<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfSync<()> for T {}
    impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

    /// Ambiguous exactly when `T: Unpin`.
    trait AmbiguousIfUnpin<A> {
        fn check() {}
    }
    impl<T: ?Sized> AmbiguousIfUnpin<()> for T {}
    impl<T: ?Sized + Unpin> AmbiguousIfUnpin<u8> for T {}

    #[test]
    fn as_tokio() {
        send::<JoinHandle<u32>>();
        sync::<JoinHandle<std::cell::Cell<u32>>>();
        <JoinHandle<Rc<u32>> as AmbiguousIfSend<_>>::check();
        <JoinHandle<Rc<u32>> as AmbiguousIfSync<_>>::check();
        unwind_safe::<JoinHandle<u32>>();
        sync::<EnterGuard<'static>>();
        <EnterGuard<'static> as AmbiguousIfSend<_>>::check();
        <Sleep as AmbiguousIfUnpin<_>>::check();
        send::<Sleep>();
        sync::<Sleep>();
    }
}
