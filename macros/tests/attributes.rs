//! `#[ringline::test]` expansions run as real tests on the runtime (trybuild
//! only compiles test functions away).

use std::sync::atomic::{AtomicUsize, Ordering};

#[ringline::test]
async fn current_thread_by_default() {
    assert_eq!(async { 1 + 1 }.await, 2);
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_with_workers() {
    static POLLED: AtomicUsize = AtomicUsize::new(0);
    async { POLLED.fetch_add(1, Ordering::Relaxed) }.await;
    assert_eq!(POLLED.load(Ordering::Relaxed), 1);
}

#[ringline::test]
async fn returns_result() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "42".parse()?;
    if n == 42 {
        return Ok(());
    }
    unreachable!()
}

#[ringline::test]
#[should_panic(expected = "boom")]
async fn keeps_should_panic() {
    panic!("boom");
}

#[ringline::test(crate = "ringline")]
async fn explicit_crate_path() {}
