//! Dropping in-flight futures never leaks: the driver's op, buffer and object
//! counters return to where they started once the kernel has answered.

use std::time::Duration;

use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::net::{TcpListener, TcpStream};
use ringline::runtime::{Builder, Runtime};
use ringline::time::timeout;

mod support;
use support::{baseline, settles_to, write_until_blocked};

fn runtime() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

async fn connected_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = ringline::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

#[test]
fn dropped_accept_releases_everything() {
    runtime().block_on(async {
        let start = baseline().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert!(timeout(Duration::from_millis(20), listener.accept()).await.is_err());
        drop(listener);
        settles_to(start).await;
    });
}

#[test]
fn dropped_connect_releases_everything() {
    runtime().block_on(async {
        let start = baseline().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        for _ in 0..50 {
            // A zero timeout drops the connect right after its first poll.
            let _ = timeout(Duration::ZERO, TcpStream::connect(addr)).await;
        }
        drop(listener);
        settles_to(start).await;
    });
}

#[test]
fn dropped_read_loses_nothing_and_releases_everything() {
    runtime().block_on(async {
        let start = baseline().await;
        let (mut a, mut b) = connected_pair().await;
        let mut buf = [0u8; 16];
        assert!(timeout(Duration::from_millis(20), a.read(&mut buf)).await.is_err());
        b.write_all(b"after the timeout").await.unwrap();
        let mut got = vec![0u8; 17];
        a.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"after the timeout");
        drop((a, b));
        settles_to(start).await;
    });
}

#[test]
fn dropped_write_releases_everything_once_the_peer_goes() {
    runtime().block_on(async {
        let start = baseline().await;
        let (mut a, b) = connected_pair().await;
        // The peer never reads: writes fill the kernel and the stream's queue.
        write_until_blocked(&mut a).await;
        drop(a);
        drop(b);
        settles_to(start).await;
    });
}

#[test]
fn many_dropped_reads_on_many_streams_release_everything() {
    runtime().block_on(async {
        let start = baseline().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ringline::spawn(async move {
            let mut held = Vec::new();
            for _ in 0..32 {
                held.push(listener.accept().await.unwrap().0);
            }
            held
        });
        let mut clients = Vec::new();
        for _ in 0..32 {
            clients.push(TcpStream::connect(addr).await.unwrap());
        }
        let held = server.await.unwrap();
        for c in clients.iter_mut() {
            let mut buf = [0u8; 8];
            assert!(timeout(Duration::from_millis(1), c.read(&mut buf)).await.is_err());
        }
        drop(clients);
        drop(held);
        settles_to(start).await;
    });
}

#[test]
fn runtime_drop_with_io_in_flight_does_not_hang() {
    let rt = runtime();
    let (tx, rx) = std::sync::mpsc::channel();
    rt.block_on(async {
        let (a, b) = connected_pair().await;
        ringline::spawn(async move {
            let mut a = a;
            let mut buf = [0u8; 8];
            let _ = a.read(&mut buf).await; // never completes
        });
        tx.send(b).unwrap();
    });
    let started = std::time::Instant::now();
    drop(rt);
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(rx);
}

#[test]
fn io_after_its_runtime_dropped_fails_instead_of_hanging() {
    let first = runtime();
    let (mut a, b) = first.block_on(async {
        let (mut a, b) = connected_pair().await;
        let mut buf = [0u8; 8];
        assert!(timeout(Duration::from_millis(10), a.read(&mut buf)).await.is_err());
        (a, b)
    });
    drop(first);
    let second = Builder::new_current_thread().enable_all().build().unwrap();
    second.block_on(async move {
        let mut buf = [0u8; 8];
        let read = timeout(Duration::from_secs(2), a.read(&mut buf)).await;
        assert!(matches!(read, Ok(Err(_))), "read on a dead runtime's stream: {read:?}");
        // a write big enough to skip the send queue on io_uring
        let big = timeout(Duration::from_secs(2), a.write_all(&[7; 8 * 1024])).await;
        assert!(matches!(big, Ok(Err(_))), "large write on a dead runtime's stream: {big:?}");
        let write = timeout(Duration::from_secs(2), a.write_all(b"x")).await;
        assert!(matches!(write, Ok(Err(_))), "write on a dead runtime's stream: {write:?}");
        drop(b);
    });
}

/// A task on another runtime waiting on I/O homed on a runtime that then
/// shuts down is woken with an error (tokio's `io_driver_drop::drop_wakes`),
/// however the shutdown races with the waiter's re-polls.
#[test]
fn waiters_on_a_runtime_that_shuts_down_are_woken_with_an_error() {
    for _ in 0..20 {
        let first = runtime();
        let (mut a, b, listener) = first.block_on(async {
            let (mut a, b) = connected_pair().await;
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            // Home both on `first`'s drivers.
            let mut buf = [0u8; 8];
            let _ = timeout(Duration::from_millis(5), a.read(&mut buf)).await;
            let _ = timeout(Duration::from_millis(5), listener.accept()).await;
            (a, b, listener)
        });
        let second = Builder::new_current_thread().enable_all().build().unwrap();
        second.block_on(async move {
            let reader = ringline::spawn(async move {
                let mut buf = [0u8; 8];
                a.read(&mut buf).await
            });
            let acceptor = ringline::spawn(async move { listener.accept().await.map(drop) });
            ringline::time::sleep(Duration::from_millis(5)).await;
            // Off the async thread: dropping a runtime blocks, which tokio
            // (and so ringline's tokio bridge) forbids in async code.
            let dropped = ringline::task::spawn_blocking(move || drop(first));
            let read = timeout(Duration::from_secs(3), reader).await.expect("a reader stayed asleep").unwrap();
            assert!(read.is_err(), "read: {read:?}");
            let accept = timeout(Duration::from_secs(3), acceptor).await.expect("an acceptor stayed asleep").unwrap();
            assert!(accept.is_err(), "accept: {accept:?}");
            dropped.await.unwrap();
            drop(b);
        });
    }
}
