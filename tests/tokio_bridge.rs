//! The tokio-context bridge (feature `tokio-bridge`, on by default): inside a
//! ringline runtime, third-party code that calls `tokio::spawn`,
//! `tokio::time::sleep`, `tokio::net` or `tokio::task::spawn_blocking` itself
//! works; with `Builder::tokio_bridge(false)` the same calls fail as they do
//! outside tokio. Runs on both backends (RINGLINE_BACKEND).
#![cfg(feature = "tokio-bridge")]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::runtime::{Builder, Handle, Runtime};

/// Every tokio entry point a library might call, used from the current
/// thread: a task, a timer, a TCP round trip (to a ringline listener) and a
/// blocking job.
async fn use_tokio_like_a_library() {
    let task = tokio::spawn(async { 6 * 7 });
    assert_eq!(task.await.expect("tokio task ran"), 42);

    let start = Instant::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(start.elapsed() >= Duration::from_millis(20), "tokio sleep returned early");

    let listener = ringline::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let server = ringline::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 5];
        sock.read_exact(&mut buf).await.expect("server read");
        sock.write_all(&buf).await.expect("server write");
    });
    let mut client = tokio::net::TcpStream::connect(addr).await.expect("tokio connect");
    client.write_all(b"hello").await.expect("client write");
    let mut echoed = [0u8; 5];
    client.read_exact(&mut echoed).await.expect("client read");
    assert_eq!(&echoed, b"hello");
    server.await.expect("server task");

    let blocking = tokio::task::spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    assert!(blocking.await.expect("blocking job").is_some());
}

#[ringline::test]
async fn bridge_on_in_the_main_future() {
    assert!(Handle::current().tokio_bridge());
    use_tokio_like_a_library().await;
}

#[ringline::test]
async fn bridge_on_in_a_task_on_a_worker() {
    ringline::spawn(use_tokio_like_a_library()).await.expect("task");
}

#[test]
fn bridge_on_current_thread_runtime_and_blocking_pool() {
    let rt = Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        use_tokio_like_a_library().await;
        let seen = ringline::task::spawn_blocking(|| tokio::runtime::Handle::try_current().is_ok());
        assert!(seen.await.expect("blocking job"), "ringline's blocking pool enters the bridge too");
    });
}

#[test]
fn bridge_entered_by_handle_enter() {
    let rt = Runtime::new().expect("runtime");
    assert!(tokio::runtime::Handle::try_current().is_err());
    {
        let _guard = rt.enter();
        let task = tokio::spawn(async { 1 });
        drop(task);
        assert!(tokio::runtime::Handle::try_current().is_ok());
    }
    assert!(tokio::runtime::Handle::try_current().is_err(), "the guard leaves the tokio context");
}

/// What `f` panics with, or None when it returns.
fn panic_message(f: impl FnOnce()) -> Option<String> {
    let err = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    )
}

/// tokio's own message when no tokio runtime is entered.
const NO_TOKIO: &str = "must be called from the context of a Tokio 1.x runtime";

fn assert_tokio_calls_fail() {
    assert!(tokio::runtime::Handle::try_current().is_err());
    let spawn = panic_message(|| drop(tokio::spawn(async {})));
    assert!(spawn.is_some_and(|m| m.contains(NO_TOKIO)), "tokio::spawn");
    let sleep = panic_message(|| drop(tokio::time::sleep(Duration::from_millis(1))));
    assert!(sleep.is_some_and(|m| m.contains(NO_TOKIO)), "tokio::time::sleep");
    let blocking = panic_message(|| drop(tokio::task::spawn_blocking(|| ())));
    assert!(blocking.is_some_and(|m| m.contains(NO_TOKIO)), "tokio::task::spawn_blocking");
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let tokio_listener = panic_message(|| drop(tokio::net::TcpListener::from_std(std_listener)));
    assert!(tokio_listener.is_some_and(|m| m.contains(NO_TOKIO)), "tokio::net");
}

#[test]
fn bridge_off_calls_fail_like_outside_tokio() {
    assert_tokio_calls_fail();
    let rt = Builder::new_multi_thread().worker_threads(2).tokio_bridge(false).build().expect("runtime");
    assert!(!rt.handle().tokio_bridge());
    rt.block_on(async {
        assert_tokio_calls_fail();
        ringline::spawn(async { assert_tokio_calls_fail() }).await.expect("task on a worker");
        let blocking = ringline::task::spawn_blocking(assert_tokio_calls_fail);
        blocking.await.expect("blocking job");
    });
    let rt = Builder::new_current_thread().tokio_bridge(false).build().expect("runtime");
    rt.block_on(async { assert_tokio_calls_fail() });
}

#[test]
fn tokio_work_left_running_does_not_outlive_the_runtime() {
    let rt = Runtime::new().expect("runtime");
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    rt.block_on(async move {
        tokio::spawn(async move {
            let _tx = tx;
            std::future::pending::<()>().await;
        });
    });
    drop(rt);
    let dropped = rx.recv_timeout(Duration::from_secs(5));
    assert_eq!(dropped, Err(std::sync::mpsc::RecvTimeoutError::Disconnected), "the pending tokio task was dropped");
}

/// tokio's message when a blocking call is made from inside a runtime.
const BLOCKING_IN_RUNTIME: &str = "Cannot block the current thread from within a runtime";

/// With the bridge, tokio sees a runtime on ringline's threads, so its
/// blocking calls made from async code panic as they do in a tokio task
/// (they used to hang the worker), while `block_in_place` lifts that again.
#[test]
fn tokio_blocking_calls_in_async_code_panic_as_in_tokio() {
    let blocking_recv = || {
        let (_tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
        panic_message(|| {
            let _ = rx.blocking_recv();
        })
    };
    for rt in [Runtime::new().expect("runtime"), Builder::new_current_thread().build().expect("runtime")] {
        let in_main = rt.block_on(async { blocking_recv() });
        assert!(in_main.is_some_and(|m| m.contains(BLOCKING_IN_RUNTIME)), "block_on's future");
        let in_task = rt.block_on(async { ringline::spawn(async move { blocking_recv() }).await.expect("task") });
        assert!(in_task.is_some_and(|m| m.contains(BLOCKING_IN_RUNTIME)), "a spawned task");
        let in_pool = rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
            tx.send(7).await.expect("send");
            ringline::task::spawn_blocking(move || rx.blocking_recv()).await.expect("blocking job")
        });
        assert_eq!(in_pool, Some(7), "the blocking pool may block");
    }
    let rt = Runtime::new().expect("runtime");
    let in_place = rt.block_on(async {
        ringline::spawn(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<u8>(1);
            tx.send(9).await.expect("send");
            ringline::task::block_in_place(move || rx.blocking_recv())
        })
        .await
        .expect("task")
    });
    assert_eq!(in_place, Some(9), "block_in_place may block");
}

/// tokio's primitives keep working past tokio's budget of 128 operations in
/// one poll: ringline's workers leave tokio's own budget unconstrained.
#[ringline::test]
async fn tokio_primitives_in_a_long_poll_do_not_run_out_of_tokio_budget() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u32>();
    for i in 0..1000 {
        tx.send(i).expect("send");
    }
    let drained = ringline::spawn(async move {
        let mut got = 0;
        while got < 1000 {
            // `try_recv` never yields; a constrained tokio budget would make
            // `recv` below return Pending forever once spent.
            let value = std::future::poll_fn(|cx| match rx.poll_recv(cx) {
                std::task::Poll::Ready(v) => std::task::Poll::Ready(v),
                std::task::Poll::Pending => std::task::Poll::Ready(None),
            })
            .await;
            assert_eq!(value, Some(got), "every value, in one poll");
            got += 1;
        }
        got
    });
    assert_eq!(drained.await.expect("task"), 1000);
}
