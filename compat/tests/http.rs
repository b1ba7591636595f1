//! hyper and axum on ringline through ringline-compat, driven by real clients
//! (curl, h2load, hyper's own client) on both backends (RINGLINE_BACKEND).
//!
//! Tools a test needs (curl, h2load) are installed by scripts/ci-deps.sh; a
//! test whose tool is missing fails under CI=true and is skipped (with a
//! message) elsewhere.

use std::collections::HashSet;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::runtime::{Builder, Runtime};
use ringline_compat::connect::HttpConnector;
use ringline_compat::rt::{RinglineExecutor, RinglineTimer};

/// A runtime with `workers` worker threads.
fn runtime(workers: usize) -> Runtime {
    Builder::new_multi_thread().worker_threads(workers).enable_all().build().expect("runtime")
}

/// Whether `tool` can run; under CI=true a missing tool fails the test.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{tool} is missing: scripts/ci-deps.sh installs it");
        eprintln!("skipping: {tool} is not installed (scripts/ci-deps.sh installs it)");
    }
    found
}

/// Runs a command, returning its stdout; panics with its stderr on failure.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// curl's body and HTTP version for `url`, over HTTP/1.1 or h2c.
fn curl(url: &str, h2: bool) -> (String, String) {
    let version = if h2 { "--http2-prior-knowledge" } else { "--http1.1" };
    let out = run(Command::new("curl").args(["-sS", "--max-time", "10", version, "-w", "\n%{http_version}", url]));
    let (body, version) = out.rsplit_once('\n').expect("curl wrote the version");
    (body.to_owned(), version.to_owned())
}

/// The axum app the tests serve: text, JSON, echo, peer address, a slow
/// route, and the thread that handled the request.
fn app(threads: Arc<Mutex<HashSet<ThreadId>>>) -> Router {
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/json", get(|| async { axum::Json(serde_json_like()) }))
        .route("/echo", post(|body: axum::body::Body| async move { body }))
        .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }))
        .route(
            "/slow",
            get(|| async {
                ringline::time::sleep(Duration::from_millis(300)).await;
                "slow done"
            }),
        )
        .route(
            "/thread",
            get(move || async move {
                threads.lock().unwrap().insert(std::thread::current().id());
                "ok"
            }),
        )
}

#[derive(serde::Serialize)]
struct Greeting {
    message: &'static str,
}

fn serde_json_like() -> Greeting {
    Greeting { message: "hello" }
}

/// Serves `app` (with ConnectInfo) on 127.0.0.1; returns its address and the
/// sender that shuts it down gracefully, and the server's join handle.
fn start_axum(
    rt: &Runtime,
    threads: Arc<Mutex<HashSet<ThreadId>>>,
) -> (SocketAddr, ringline::sync::oneshot::Sender<()>, ringline::task::JoinHandle<std::io::Result<()>>) {
    let listener = rt.block_on(ringline::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = ringline::sync::oneshot::channel::<()>();
    let make = app(threads).into_make_service_with_connect_info::<SocketAddr>();
    let server = ringline_compat::serve(listener, make).with_graceful_shutdown(async move {
        let _ = stop_rx.await;
    });
    (addr, stop_tx, rt.spawn(server.into_future()))
}

/// A plain hyper server: hyper-util's auto builder on ringline's executor
/// and timer, one task per connection, no compat `serve`.
fn start_hyper(rt: &Runtime) -> SocketAddr {
    let listener = rt.block_on(ringline::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            ringline::spawn(async move {
                let mut builder = hyper_util::server::conn::auto::Builder::new(RinglineExecutor::new());
                builder.http1().timer(RinglineTimer::new());
                builder.http2().timer(RinglineTimer::new());
                let service = hyper::service::service_fn(|_req: http::Request<Incoming>| async {
                    Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from_static(
                        b"hyper hello",
                    ))))
                });
                let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

#[test]
fn curl_h1_and_h2c_against_hyper_server() {
    if !have("curl") {
        return;
    }
    let rt = runtime(2);
    let addr = start_hyper(&rt);
    let url = format!("http://{addr}/");
    assert_eq!(curl(&url, false), ("hyper hello".into(), "1.1".into()));
    assert_eq!(curl(&url, true), ("hyper hello".into(), "2".into()));
}

#[test]
fn curl_h1_and_h2c_against_axum_server() {
    if !have("curl") {
        return;
    }
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    for h2 in [false, true] {
        let version = if h2 { "2" } else { "1.1" };
        assert_eq!(curl(&format!("http://{addr}/"), h2), ("hello".into(), version.into()));
        assert_eq!(curl(&format!("http://{addr}/json"), h2).0, r#"{"message":"hello"}"#);
        let (peer, _) = curl(&format!("http://{addr}/peer"), h2);
        let peer: SocketAddr = peer.parse().expect("ConnectInfo gave a socket address");
        assert_eq!(peer.ip(), addr.ip());
        assert_ne!(peer.port(), addr.port());
    }
}

#[test]
fn h2load_100_concurrent_streams_zero_failed() {
    if !have("h2load") {
        return;
    }
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    let out = run(Command::new("h2load").args(["-n", "4000", "-c", "8", "-m", "100", &format!("http://{addr}/")]));
    let line = out.lines().find(|l| l.starts_with("requests:")).expect("h2load summary");
    assert!(line.contains("4000 succeeded, 0 failed, 0 errored"), "h2load: {line}");
}

/// hyper's legacy client on ringline (compat connector, executor, timer).
fn client(h2: bool) -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(RinglineExecutor::new()).timer(RinglineTimer::new()).http2_only(h2).build(HttpConnector::new())
}

#[test]
fn bodies_of_10_mib_stream_both_ways_intact() {
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    let body: Bytes = (0..10 * 1024 * 1024).map(|i: u32| (i % 251) as u8).collect::<Vec<u8>>().into();
    rt.block_on(async {
        for h2 in [false, true] {
            let request = http::Request::post(format!("http://{addr}/echo")).body(Full::new(body.clone())).unwrap();
            let response = client(h2).request(request).await.expect("response");
            assert_eq!(response.status(), 200);
            let echoed = response.into_body().collect().await.expect("body").to_bytes();
            assert!(echoed == body, "h2={h2}: {} bytes back, content differs or is short", echoed.len());
        }
    });
}

#[test]
fn keep_alive_reuses_one_connection() {
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    rt.block_on(async {
        // The server keeps a connection open for request after request.
        let mut stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
        let mut buf = vec![0; 4096];
        for _ in 0..10 {
            stream.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
            let n = stream.read(&mut buf).await.expect("read");
            assert!(buf[..n].starts_with(b"HTTP/1.1 200") && buf[..n].ends_with(b"hello"));
        }
        // hyper's pooled client, on ringline, reuses its connection. (The
        // pool takes a connection back on a task of its own once the body
        // is read; the pause lets that task run first.)
        let client = client(false);
        let mut peers = HashSet::new();
        for _ in 0..10 {
            let response = client.get(format!("http://{addr}/peer").parse().unwrap()).await.expect("response");
            let peer = response.into_body().collect().await.expect("body").to_bytes();
            peers.insert(peer);
            ringline::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(peers.len(), 1, "ten requests, one connection: {peers:?}");
    });
}

/// Sends `request` on a fresh connection and returns all the server sends
/// before closing (or the first response, with keep-alive).
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut buf = vec![0; 4096];
    let n = stream.read(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn malformed_request_gets_400_and_the_server_keeps_serving() {
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    rt.block_on(async {
        let reply = raw_exchange(addr, b"THIS IS NOT HTTP\r\n\r\n").await;
        assert!(reply.starts_with("HTTP/1.1 400"), "got {reply:?}");
        let reply = raw_exchange(addr, b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await;
        assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("hello"), "got {reply:?}");
    });
}

/// Polls `done` every 10 ms for at most 5 s.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

#[test]
fn client_gone_mid_request_leaves_no_task_or_buffer_behind() {
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    let handle = rt.handle().clone();
    // One full exchange first, so every lazily made resource exists.
    rt.block_on(raw_exchange(addr, b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    assert!(eventually(|| handle.num_alive_tasks() == 1), "only the server task is left");
    std::thread::sleep(Duration::from_millis(100)); // the warm-up connection's close completes
    let (tasks, counters) = (handle.num_alive_tasks(), handle.driver_counters());
    rt.block_on(async {
        for _ in 0..20 {
            let mut stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
            let head = b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\npartial body";
            stream.write_all(head).await.expect("write");
            ringline::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let back = eventually(|| handle.num_alive_tasks() == tasks && handle.driver_counters() == counters);
    assert!(
        back,
        "tasks {} (was {tasks}), counters {:?} (were {counters:?})",
        handle.num_alive_tasks(),
        handle.driver_counters()
    );
}

#[test]
fn graceful_shutdown_waits_for_the_slow_request_in_flight() {
    let rt = runtime(2);
    let (addr, stop, server) = start_axum(&rt, Arc::default());
    rt.block_on(async move {
        // A client that never sends a byte does not hold up the shutdown.
        let _silent = ringline::net::TcpStream::connect(addr).await.expect("connect");
        let slow = ringline::spawn(async move { raw_exchange(addr, b"GET /slow HTTP/1.1\r\nhost: x\r\n\r\n").await });
        ringline::time::sleep(Duration::from_millis(100)).await;
        let _ = stop.send(());
        let reply = slow.await.expect("slow client");
        assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("slow done"), "got {reply:?}");
        let result = ringline::time::timeout(Duration::from_secs(5), server).await;
        result.expect("serve returned after the slow request").expect("server task").expect("serve result");
        let refused = ringline::net::TcpStream::connect(addr).await;
        assert!(refused.is_err(), "the listener is closed after shutdown");
    });
}

#[test]
fn header_read_timeout_closes_silent_and_slow_clients() {
    let rt = runtime(2);
    let listener = rt.block_on(ringline::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server =
        ringline_compat::serve(listener, app(Arc::default())).header_read_timeout(Some(Duration::from_millis(200)));
    let _server = rt.spawn(server.into_future());
    rt.block_on(async {
        // Silent (not one byte: the protocol is unknown yet), then a request
        // head that never ends.
        for sent in [&b""[..], b"GET / HTTP/1.1\r\nhost: x\r\n"] {
            let mut stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
            stream.write_all(sent).await.expect("write");
            let mut buf = vec![0; 1024];
            let closed = ringline::time::timeout(Duration::from_secs(5), async {
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {} // a 408 or the like, then the close
                    }
                }
            });
            closed.await.unwrap_or_else(|_| panic!("the server kept a connection that sent {sent:?}"));
        }
    });
}

#[test]
fn axum_serves_on_every_worker_thread() {
    let workers = 4;
    let rt = runtime(workers);
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let (addr, _stop, _server) = start_axum(&rt, threads.clone());
    rt.block_on(async {
        let clients: Vec<_> = (0..4 * workers)
            .map(|_| {
                ringline::spawn(async move {
                    let mut stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
                    let mut buf = vec![0; 4096];
                    for _ in 0..20 {
                        stream.write_all(b"GET /thread HTTP/1.1\r\nhost: x\r\n\r\n").await.expect("write");
                        let n = stream.read(&mut buf).await.expect("read");
                        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
                        ringline::time::sleep(Duration::from_millis(2)).await;
                    }
                })
            })
            .collect();
        for client in clients {
            client.await.expect("client");
        }
    });
    assert_eq!(threads.lock().unwrap().len(), workers, "requests were served on every worker");
}

#[test]
fn hyper_utils_own_tokio_connector_works_through_the_bridge() {
    let rt = runtime(2);
    let (addr, _stop, _server) = start_axum(&rt, Arc::default());
    rt.block_on(async {
        let client = Client::builder(hyper_util::rt::TokioExecutor::new())
            .build::<_, Full<Bytes>>(hyper_util::client::legacy::connect::HttpConnector::new());
        let response = client.get(format!("http://{addr}/").parse().unwrap()).await.expect("response");
        let body = response.into_body().collect().await.expect("body").to_bytes();
        assert_eq!(&body[..], b"hello");
    });
}

/// A plain tower service (no axum): answers every request with its path.
#[derive(Clone)]
struct PathEcho;

impl tower_service::Service<http::Request<Incoming>> for PathEcho {
    type Response = http::Response<Full<Bytes>>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<Incoming>) -> Self::Future {
        std::future::ready(Ok(http::Response::new(Full::new(Bytes::from(req.uri().path().to_owned())))))
    }
}

#[test]
fn serve_takes_every_service_shape() {
    let rt = runtime(2);
    let bind = || rt.block_on(ringline::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let (a, b, c, d) = (bind(), bind(), bind(), bind());
    let addrs = [&a, &b, &c, &d].map(|l| l.local_addr().expect("addr"));
    let router = || Router::new().route("/", get(|| async { "hello" }));
    rt.spawn(ringline_compat::serve(a, router()).into_future());
    rt.spawn(ringline_compat::serve(b, router().into_make_service()).into_future());
    rt.spawn(ringline_compat::serve(c, router().into_make_service_with_connect_info::<SocketAddr>()).into_future());
    rt.spawn(ringline_compat::serve(d, PathEcho).into_future());
    rt.block_on(async {
        for (addr, want) in addrs.iter().zip(["hello", "hello", "hello", "/"]) {
            let response = client(false).get(format!("http://{addr}/").parse().unwrap()).await.expect("response");
            let body = response.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(body, want);
        }
    });
}

#[test]
fn connector_errors_like_tokio() {
    let rt = runtime(1);
    rt.block_on(async {
        use tower_service::Service;
        let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let refused = HttpConnector::new().call(format!("http://{unused}/").parse().unwrap()).await;
        assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
        let https = HttpConnector::new().call("https://127.0.0.1/".parse().unwrap()).await;
        assert_eq!(https.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    });
}
