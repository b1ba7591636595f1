// The servers and in-process benchmarks, written once. `server/mod.rs`
// includes this file once per runtime, inside a module that first does
// `use tokio as rt;` or `use ringline as rt;`, so both runtimes run the very
// same source. Only `rt::` paths may differ between them.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Builds a multi-thread runtime with `workers` workers and runs `fut` as a
/// spawned task on it (so it runs on a worker, as server code does).
pub fn block_on<F>(workers: usize, fut: F) -> io::Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = rt::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
    runtime
        .block_on(async move { rt::spawn(fut).await })
        .map_err(|e| io::Error::other(format!("benchmark task failed: {e}")))
}

/// Echo server: each connection reads into a `buf_len` buffer and writes back
/// what it read, until the peer closes.
pub async fn echo(addr: SocketAddr, buf_len: usize) -> io::Result<()> {
    let listener = rt::net::TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        rt::spawn(echo_conn(stream, buf_len));
    }
}

/// The echo server on a Unix stream socket at `path`.
pub async fn unix_echo(path: std::path::PathBuf, buf_len: usize) -> io::Result<()> {
    let listener = rt::net::UnixListener::bind(path)?;
    loop {
        let (stream, _) = listener.accept().await?;
        rt::spawn(echo_conn(stream, buf_len));
    }
}

/// One echo connection: read into a `buf_len` buffer, write back what was
/// read, until the peer closes.
async fn echo_conn<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut stream: S, buf_len: usize) {
    let mut buf = vec![0u8; buf_len];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if stream.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// UDP echo server: one socket, one task receiving each datagram and sending
/// it back to its sender. A TCP listener on the same port only tells the
/// harness that the server is up.
pub async fn udp_echo(addr: SocketAddr, buf_len: usize) -> io::Result<()> {
    let socket = rt::net::UdpSocket::bind(addr).await?;
    let _ready = rt::net::TcpListener::bind(addr).await?;
    let mut buf = vec![0u8; buf_len];
    loop {
        let (n, from) = socket.recv_from(&mut buf).await?;
        socket.send_to(&buf[..n], from).await?;
    }
}

/// hyper HTTP/1.1 "Hello, World!" server (keep-alive, no executor, no timer).
pub async fn http(addr: SocketAddr) -> io::Result<()> {
    let listener = rt::net::TcpListener::bind(addr).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        rt::spawn(async move {
            let service = service_fn(|_req: Request<hyper::body::Incoming>| async {
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Spawns `n` tasks, then joins them all; returns the time taken.
pub async fn spawn_join(n: usize) -> Duration {
    let start = Instant::now();
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        handles.push(rt::spawn(async move { i }));
    }
    let mut sum = 0usize;
    for handle in handles {
        sum += handle.await.expect("spawned task panicked");
    }
    assert_eq!(sum, n * n.saturating_sub(1) / 2, "a task result went missing");
    start.elapsed()
}

/// Runs `n` concurrent sleeps of 1..=100 ms (chosen by `super::mix(seed, i)`);
/// returns the time until all are joined and each one's lateness in µs.
pub async fn timers(n: usize, seed: u64) -> (Duration, Vec<u64>) {
    let start = Instant::now();
    let handles: Vec<_> = (0..n as u64)
        .map(|i| {
            let want = Duration::from_millis(1 + super::mix(seed, i) % 100);
            rt::spawn(async move {
                let t0 = Instant::now();
                rt::time::sleep(want).await;
                t0.elapsed().saturating_sub(want).as_micros() as u64
            })
        })
        .collect();
    let mut lateness = Vec::with_capacity(n);
    for handle in handles {
        lateness.push(handle.await.expect("timer task panicked"));
    }
    (start.elapsed(), lateness)
}
