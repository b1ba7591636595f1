//! An ordinary tokio test suite, written exactly as a tokio user writes one.
//! Cargo.toml renames the `ringline` package to `tokio`, so every `tokio::`
//! path below (and `#[tokio::test]`) resolves to ringline. Each test asserts
//! what the same code does under tokio.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::{interval, sleep, timeout, Instant};

/// Starts an echo server: an accept loop that spawns a task per connection.
/// It stops accepting when `shutdown` flips to true.
async fn start_echo_server(mut shutdown: watch::Receiver<bool>) -> (SocketAddr, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut accepted = 0;
        loop {
            tokio::select! {
                res = listener.accept() => {
                    let (mut socket, _peer) = res.unwrap();
                    accepted += 1;
                    tokio::spawn(async move {
                        let mut buf = vec![0; 4096];
                        loop {
                            let n = match socket.read(&mut buf).await {
                                Ok(0) => return,
                                Ok(n) => n,
                                Err(e) => panic!("server read failed: {e}"),
                            };
                            socket.write_all(&buf[..n]).await.unwrap();
                        }
                    });
                }
                _ = shutdown.changed() => return accepted,
            }
        }
    });
    (addr, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trips() {
    let (stop, stopped) = watch::channel(false);
    let (addr, server) = start_echo_server(stopped).await;

    let mut clients = JoinSet::new();
    for client in 0..16u32 {
        clients.spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            for round in 0..20u32 {
                let msg = format!("client {client} round {round} {}", "x".repeat((round * 37) as usize));
                stream.write_all(msg.as_bytes()).await.unwrap();
                let mut back = vec![0; msg.len()];
                stream.read_exact(&mut back).await.unwrap();
                assert_eq!(back, msg.as_bytes());
            }
            client
        });
    }
    let mut done = HashSet::new();
    while let Some(res) = clients.join_next().await {
        assert!(done.insert(res.unwrap()));
    }
    assert_eq!(done.len(), 16);

    stop.send(true).unwrap();
    assert_eq!(server.await.unwrap(), 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_echo_with_split_halves() {
    let (_stop, stopped) = watch::channel(false);
    let (addr, _server) = start_echo_server(stopped).await;

    let payload: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();

    // Write and read at once, or both sides' buffers fill and deadlock.
    let to_send = payload.clone();
    let write = tokio::spawn(async move {
        for chunk in to_send.chunks(65_536) {
            writer.write_all(chunk).await.unwrap();
        }
        writer.shutdown().await.unwrap();
    });
    let mut echoed = Vec::with_capacity(payload.len());
    reader.read_to_end(&mut echoed).await.unwrap();
    write.await.unwrap();
    assert_eq!(echoed.len(), payload.len());
    assert!(echoed == payload, "echoed bytes differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_protocol_with_a_reader_and_a_writer_task() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    // Server: one task reads lines, another writes replies; an mpsc joins them.
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read_half, mut write_half) = socket.into_split();
        let (tx, mut rx) = mpsc::channel::<String>(8);
        tokio::spawn(async move {
            let mut lines = BufReader::new(read_half).lines();
            while let Some(line) = lines.next_line().await.unwrap() {
                tx.send(line.to_uppercase()).await.unwrap();
            }
        });
        while let Some(reply) = rx.recv().await {
            write_half.write_all(reply.as_bytes()).await.unwrap();
            write_half.write_all(b"\n").await.unwrap();
        }
        write_half.shutdown().await.unwrap();
    });

    let stream = TcpStream::connect(addr).await.unwrap();
    let (read_half, mut write_half) = stream.into_split();
    let words = ["alpha", "beta", "gamma", "delta"];
    tokio::spawn(async move {
        for w in words {
            write_half.write_all(format!("{w}\n").as_bytes()).await.unwrap();
            sleep(Duration::from_millis(2)).await;
        }
        // Dropping the write half closes our side; the server then finishes.
    });
    let mut replies = Vec::new();
    let mut lines = BufReader::new(read_half).lines();
    while let Some(line) = timeout(Duration::from_secs(5), lines.next_line()).await.unwrap().unwrap() {
        replies.push(line);
    }
    assert_eq!(replies, ["ALPHA", "BETA", "GAMMA", "DELTA"]);
}

#[tokio::test]
async fn timeouts_fire() {
    let start = Instant::now();
    let res = timeout(Duration::from_millis(30), sleep(Duration::from_secs(10))).await;
    assert!(res.is_err(), "the timeout should have elapsed");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(30), "fired early: {took:?}");
    assert!(took < Duration::from_secs(2), "fired late: {took:?}");

    assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await.unwrap(), 5);

    // A read from a peer that never writes times out; the stream stays usable.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    let mut buf = [0u8; 16];
    let res = timeout(Duration::from_millis(20), client.read(&mut buf)).await;
    assert!(res.is_err());
    server.write_all(b"late").await.unwrap();
    let n = timeout(Duration::from_secs(5), client.read(&mut buf)).await.unwrap().unwrap();
    assert_eq!(&buf[..n], b"late");
}

#[tokio::test]
async fn interval_ticks() {
    let start = Instant::now();
    let mut ticker = interval(Duration::from_millis(10));
    ticker.tick().await; // the first tick completes immediately
    assert!(start.elapsed() < Duration::from_millis(10));
    for _ in 0..3 {
        ticker.tick().await;
    }
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(30), "three periods took only {took:?}");
    assert!(took < Duration::from_secs(2), "three periods took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_set_collects_all_results() {
    let mut set = JoinSet::new();
    for i in 0..50u64 {
        set.spawn(async move {
            sleep(Duration::from_millis(i % 7)).await;
            i * 2
        });
    }
    let mut results = Vec::new();
    while let Some(res) = set.join_next().await {
        results.push(res.unwrap());
    }
    results.sort_unstable();
    assert_eq!(results, (0..50).map(|i| i * 2).collect::<Vec<_>>());

    // A panic in one task is reported, not propagated.
    let mut set = JoinSet::new();
    set.spawn(async { panic!("task failed") });
    set.spawn(async {});
    let mut panics = 0;
    while let Some(res) = set.join_next().await {
        if let Err(e) = res {
            assert!(e.is_panic());
            panics += 1;
        }
    }
    assert_eq!(panics, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_blocking_returns_values() {
    let caller = std::thread::current().id();
    let (sum, thread) = tokio::task::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(10));
        ((1..=1000u64).sum::<u64>(), std::thread::current().id())
    })
    .await
    .unwrap();
    assert_eq!(sum, 500_500);
    assert_ne!(thread, caller);

    let err = tokio::task::spawn_blocking(|| panic!("blocking failed")).await.unwrap_err();
    assert!(err.is_panic());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mpsc_select_worker_loop() {
    let (jobs_tx, mut jobs_rx) = mpsc::channel::<u32>(16);
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let (results_tx, mut results_rx) = mpsc::unbounded_channel::<u32>();

    let worker = tokio::spawn(async move {
        let mut heartbeat = interval(Duration::from_millis(5));
        let mut beats = 0u32;
        loop {
            tokio::select! {
                Some(job) = jobs_rx.recv() => results_tx.send(job * job).unwrap(),
                _ = heartbeat.tick() => beats += 1,
                _ = &mut stop_rx => break,
            }
        }
        beats
    });

    for job in 1..=10 {
        jobs_tx.send(job).await.unwrap();
    }
    let mut squares = Vec::new();
    while squares.len() < 10 {
        squares.push(timeout(Duration::from_secs(5), results_rx.recv()).await.unwrap().unwrap());
    }
    sleep(Duration::from_millis(20)).await;
    stop_tx.send(()).unwrap();
    let beats = worker.await.unwrap();

    squares.sort_unstable();
    assert_eq!(squares, (1..=10).map(|j| j * j).collect::<Vec<_>>());
    assert!(beats >= 2, "heartbeat ticked {beats} times");
    assert!(results_rx.recv().await.is_none(), "the worker dropped its sender");
}

#[tokio::test]
async fn current_thread_spawn_and_yield() {
    let handle = tokio::spawn(async {
        tokio::task::yield_now().await;
        "done"
    });
    assert_eq!(handle.await.unwrap(), "done");

    let (tx, rx) = oneshot::channel();
    let task = tokio::runtime::Handle::current().spawn(async move {
        let _ = tx.send(std::thread::current().id());
        std::future::pending::<()>().await;
    });
    assert_eq!(rx.await.unwrap(), std::thread::current().id(), "current_thread runs tasks here");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
}

#[test]
fn tokio_main_binary_exits_zero() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tokio-rename-check")).output().unwrap();
    assert!(
        output.status.success(),
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("hello, ringline"));
}

#[tokio::test(start_paused = true)]
async fn paused_time_under_the_rename() {
    let start = Instant::now();
    let wall = std::time::Instant::now();
    sleep(Duration::from_secs(3600)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(3601));
    assert!(wall.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "local")]
async fn local_flavor_under_the_rename() {
    let rc = std::rc::Rc::new(41);
    let local = tokio::task::LocalSet::new();
    let out = local.run_until(async move { tokio::task::spawn_local(async move { *rc + 1 }).await.unwrap() }).await;
    assert_eq!(out, 42);
    assert!(tokio::task::try_id().is_none());
}

tokio::task_local! {
    static TRACE_ID: u64;
}

#[tokio::test]
async fn task_local_under_the_rename() {
    let got = TRACE_ID
        .scope(9, async {
            tokio::spawn(async {}).await.unwrap();
            TRACE_ID.get()
        })
        .await;
    assert_eq!(got, 9);
}
