//! What a runtime does once it shuts down, and where blocking on or dropping
//! one is refused, with tokio's behaviour and messages.

use std::time::Duration;

use futures_util::FutureExt;
use ringline::runtime::{Builder, Handle, Runtime};

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

fn multi_thread() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn spawn_after_drop_is_cancelled_at_once() {
    for rt in [current_thread(), multi_thread()] {
        let handle = rt.handle().clone();
        let before = handle.spawn(std::future::pending::<()>());
        drop(rt);
        let after = handle.spawn(std::future::pending::<()>());
        let before = before.now_or_never().expect("finished with its runtime").unwrap_err();
        let after = after.now_or_never().expect("cancelled when spawned").unwrap_err();
        assert!(before.is_cancelled() && after.is_cancelled());
    }
}

#[test]
#[should_panic(expected = "A Tokio 1.x context was found, but it is being shutdown.")]
fn sleep_after_shutdown_panics() {
    let rt = multi_thread();
    let _enter = rt.enter();
    let sleep = ringline::time::sleep(Duration::from_millis(100));
    rt.shutdown_timeout(Duration::from_secs(10));
    Handle::current().block_on(sleep);
}

#[test]
#[should_panic(expected = "there is no reactor running, must be called from the context of a Tokio 1.x runtime")]
fn sleep_outside_a_runtime_panics_when_created() {
    let _sleep = ringline::time::sleep(Duration::from_millis(1));
}

#[test]
fn dropping_a_runtime_inside_block_on_panics() {
    let outer = multi_thread();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        outer.block_on(async { drop(current_thread()) });
    }));
    let payload = result.expect_err("dropping a runtime in async code must panic");
    let message = payload.downcast_ref::<&'static str>().expect("a &'static str payload, as tokio's");
    assert!(message.contains("Cannot drop a runtime"), "{message}");
}

#[test]
fn shutting_down_without_waiting_inside_block_on_is_fine() {
    let outer = current_thread();
    outer.block_on(async {
        current_thread().shutdown_background();
        multi_thread().shutdown_timeout(Duration::ZERO);
    });
}

#[test]
#[should_panic(expected = "Cannot start a runtime from within a runtime")]
fn handle_block_on_inside_block_on_panics() {
    let rt = multi_thread();
    rt.block_on(async { Handle::current().block_on(async {}) });
}

#[test]
fn block_in_place_may_block_on_another_runtime() {
    let rt = multi_thread();
    let inner = current_thread();
    let out = rt.block_on(async { ringline::task::block_in_place(|| inner.block_on(async { 3 })) });
    assert_eq!(out, 3);
}

#[test]
fn a_blocking_job_spawned_before_shutdown_still_runs() {
    for rt in [current_thread(), multi_thread()] {
        let _enter = rt.enter();
        let job = ringline::task::spawn_blocking(|| {
            std::thread::sleep(Duration::from_millis(50));
            42
        });
        rt.shutdown_timeout(Duration::from_secs(10));
        assert_eq!(Handle::current().block_on(job).unwrap(), 42);
    }
}

#[test]
fn block_in_place_inside_handle_block_on_may_block_on_again() {
    for rt in [current_thread(), multi_thread()] {
        let _enter = rt.enter();
        Handle::current().block_on(async {
            ringline::task::block_in_place(|| Handle::current().block_on(ringline::task::yield_now()));
        });
    }
}

/// A program whose `main` writes and returns: the bytes a `write` accepted
/// reach the peer when the runtime is dropped right after (with tokio they
/// are in the kernel when `write` returns), then the peer sees EOF; so do a
/// pending task's, whose stream the shutdown drops.
#[test]
fn bytes_written_before_the_runtime_drops_reach_the_peer() {
    for (flavor, rt) in [("current_thread", current_thread()), ("multi_thread", multi_thread())] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let read_one = |listener: &std::net::TcpListener| {
                use std::io::Read;
                let (mut conn, _) = listener.accept().unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                let mut got = Vec::new();
                conn.read_to_end(&mut got).map(|_| got)
            };
            (read_one(&listener), read_one(&listener))
        });
        rt.block_on(async {
            use ringline::io::AsyncWriteExt;
            let mut stream = ringline::net::TcpStream::connect(addr).await.unwrap();
            // Two writes: on io_uring the second waits in the stream's queue
            // (only the first small write of a tick goes straight out).
            stream.write_all(b"last ").await.unwrap();
            stream.write_all(b"words").await.unwrap();
            drop(stream);
            let mut other = ringline::net::TcpStream::connect(addr).await.unwrap();
            let (wrote, written) = ringline::sync::oneshot::channel();
            ringline::spawn(async move {
                other.write_all(b"from a ").await.unwrap();
                other.write_all(b"task").await.unwrap();
                wrote.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            written.await.unwrap();
        });
        drop(rt);
        let (first, second) = peer.join().unwrap();
        assert_eq!(first.expect("EOF within 10 s"), b"last words", "{flavor}");
        assert_eq!(second.expect("EOF within 10 s"), b"from a task", "{flavor}");
    }
}

/// Every byte a `write` accepted reaches the peer after the runtime drops,
/// however many wait in the stream's queue: the peer starts reading only
/// once the runtime is gone (with tokio, accepted bytes are in the kernel).
#[test]
fn a_full_send_queue_reaches_the_peer_after_the_runtime_drops() {
    for (flavor, rt) in [("current_thread", current_thread()), ("multi_thread", multi_thread())] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (accepted_tx, accepted_rx) = std::sync::mpsc::channel();
        let (start_tx, start_rx) = std::sync::mpsc::channel::<()>();
        let peer = std::thread::spawn(move || {
            use std::io::Read;
            let (mut conn, _) = listener.accept().unwrap();
            accepted_tx.send(()).unwrap();
            start_rx.recv().unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut got = Vec::new();
            conn.read_to_end(&mut got).map(|_| got.len())
        });
        let accepted = rt.block_on(async {
            use ringline::io::AsyncWriteExt;
            let mut stream = ringline::net::TcpStream::connect(addr).await.unwrap();
            accepted_rx.recv().unwrap();
            let chunk = vec![0x5Au8; 16 * 1024];
            let mut accepted = 0;
            // Until writes stop being accepted: the kernel's buffers and the
            // stream's queue are full.
            while let Ok(written) = ringline::time::timeout(Duration::from_millis(50), stream.write(&chunk)).await {
                accepted += written.unwrap();
            }
            accepted
        });
        drop(rt);
        start_tx.send(()).unwrap();
        let got = peer.join().unwrap().expect("EOF within 10 s");
        assert_eq!(got, accepted, "{flavor}: bytes accepted by writes, then lost");
    }
}
