//! `JoinSet` polled by hand: which waker a finishing task wakes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use ringline::runtime::{Builder, Runtime};
use ringline::task::JoinSet;

/// A waker whose drop drives the runtime (finishing the set's task).
struct DriveOnDrop(Option<Runtime>);

impl Wake for DriveOnDrop {
    fn wake(self: Arc<Self>) {}
}

impl Drop for DriveOnDrop {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.block_on(ringline::task::yield_now());
        }
    }
}

/// Records that it was woken.
struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_task_finished_by_the_replaced_waker_wakes_the_new_one() {
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let mut set = JoinSet::new();
    set.spawn_on(async { 42 }, rt.handle());
    let old = Waker::from(Arc::new(DriveOnDrop(Some(rt))));
    assert!(set.poll_join_next(&mut Context::from_waker(&old)).is_pending());
    drop(old);
    // Replacing the waker drops the old one, which runs the task: the poll
    // doing so still says Pending (as tokio's), and the new waker is woken.
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let new = Waker::from(flag.clone());
    assert!(set.poll_join_next(&mut Context::from_waker(&new)).is_pending());
    assert!(flag.0.load(Ordering::SeqCst), "the new waker was not woken");
    assert_eq!(set.try_join_next().unwrap().unwrap(), 42);
}

#[test]
fn join_next_still_wakes_across_threads() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let total = rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..64u64 {
            set.spawn(async move {
                ringline::time::sleep(std::time::Duration::from_millis(i % 5)).await;
                i
            });
        }
        let mut total = 0;
        while let Some(v) = set.join_next().await {
            total += v.unwrap();
        }
        total
    });
    assert_eq!(total, (0..64).sum::<u64>());
}
