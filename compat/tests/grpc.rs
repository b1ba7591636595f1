//! tonic on ringline: the ringline server (compat `serve` of tonic `Routes`)
//! against a tonic client on real tokio in its own process, and the ringline
//! client (`Endpoint::connect_with_connector` with compat's connector and
//! executor) against a tonic server on real tokio in its own process: unary,
//! server streaming, and a deadline that fires. Runs on both backends.
//!
//! The tokio side is this same test binary, run again with
//! `RINGLINE_GRPC_PEER` set: `peer_process_entry` then plays the peer.

#[path = "../examples/greeter/proto.rs"]
mod proto;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use proto::{GreeterClient, GreeterServer, HelloGreeter, HelloRequest};
use tokio_stream::StreamExt;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

const PEER_ENV: &str = "RINGLINE_GRPC_PEER";

/// How long the client waits for an answer in the deadline check; the server
/// is told to take far longer.
const DEADLINE: Duration = Duration::from_millis(200);

fn tokio_sleep(d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(tokio::time::sleep(d))
}

fn ringline_sleep(d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(ringline::time::sleep(d))
}

/// Unary, server streaming and a deadline against `channel`, from whichever
/// runtime runs this.
async fn exercise(channel: Channel, deadline_channel: Channel) {
    let mut client = GreeterClient::new(channel);
    let request = HelloRequest { name: "ringline".into(), count: 0, delay_ms: 0 };
    let reply = client.say_hello(request).await.expect("unary call");
    assert_eq!(reply.into_inner().message, "hello ringline");

    let request = HelloRequest { name: "stream".into(), count: 5, delay_ms: 10 };
    let mut stream = client.say_hello_stream(request).await.expect("streaming call").into_inner();
    let mut got = Vec::new();
    while let Some(reply) = stream.next().await {
        got.push(reply.expect("stream item").message);
    }
    let want: Vec<String> = (0..5).map(|i| format!("hello stream #{i}")).collect();
    assert_eq!(got, want);

    let mut slow = GreeterClient::new(deadline_channel);
    let start = Instant::now();
    let mut request = tonic::Request::new(HelloRequest { name: "late".into(), count: 0, delay_ms: 10_000 });
    request.set_timeout(DEADLINE);
    let status = slow.say_hello(request).await.expect_err("the deadline fires");
    assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled), "status {status:?}");
    assert!(start.elapsed() < Duration::from_secs(5), "the deadline fired long before the server answered");
}

/// An endpoint for `addr`; with `deadline`, every request on it times out then.
fn endpoint(addr: SocketAddr, deadline: Option<Duration>) -> Endpoint {
    let endpoint = Endpoint::from_shared(format!("http://{addr}")).expect("endpoint");
    match deadline {
        Some(deadline) => endpoint.timeout(deadline),
        None => endpoint,
    }
}

/// The tokio side, when this binary runs as the peer process; otherwise it
/// does nothing.
#[test]
fn peer_process_entry() {
    let Ok(role) = std::env::var(PEER_ENV) else { return };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match role.split_once('=') {
        None if role == "server" => rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            println!("LISTENING {}", listener.local_addr().expect("addr"));
            let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
            tonic::transport::Server::builder()
                .add_service(GreeterServer::new(HelloGreeter { sleep: tokio_sleep }))
                .serve_with_incoming(incoming)
                .await
                .expect("tonic server");
        }),
        Some(("client", addr)) => rt.block_on(async {
            let addr: SocketAddr = addr.parse().expect("address");
            let channel = endpoint(addr, None).connect().await.expect("connect");
            let deadline_channel = endpoint(addr, Some(DEADLINE)).connect().await.expect("connect");
            exercise(channel, deadline_channel).await;
            println!("PEER CLIENT OK");
        }),
        _ => panic!("unknown {PEER_ENV} role {role:?}"),
    }
}

/// A peer process, killed when dropped.
struct Peer(Child);

impl Peer {
    fn start(role: &str) -> Peer {
        let child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["peer_process_entry", "--exact", "--nocapture", "--test-threads=1"])
            .env(PEER_ENV, role)
            .stdout(Stdio::piped())
            .spawn()
            .expect("peer process");
        Peer(child)
    }

    /// What follows `prefix` on the first stdout line holding it (libtest
    /// may have printed the test's name before it on the same line).
    fn line(&mut self, prefix: &str) -> String {
        let stdout = self.0.stdout.as_mut().expect("piped stdout");
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("peer output");
            if let Some((_, rest)) = line.split_once(prefix) {
                return rest.trim().to_owned();
            }
        }
        panic!("the peer process ended without printing {prefix:?}");
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tokio_tonic_client_against_ringline_tonic_server() {
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let listener = rt.block_on(ringline::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let routes = tonic::service::Routes::new(GreeterServer::new(HelloGreeter { sleep: ringline_sleep }));
    let _server = rt.spawn(std::future::IntoFuture::into_future(ringline_compat::serve(listener, routes)));
    let mut peer = Peer::start(&format!("client={addr}"));
    peer.line("PEER CLIENT OK");
    let status = peer.0.wait().expect("peer exit");
    assert!(status.success(), "the tokio client's checks failed: {status}");
}

#[test]
fn ringline_tonic_client_against_tokio_tonic_server() {
    let mut peer = Peer::start("server");
    let addr: SocketAddr = peer.line("LISTENING ").parse().expect("peer address");
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let connect = |deadline| async move {
            let endpoint = endpoint(addr, deadline).executor(ringline_compat::rt::RinglineExecutor::new());
            endpoint.connect_with_connector(ringline_compat::connect::HttpConnector::new()).await.expect("connect")
        };
        let channel = connect(None).await;
        let deadline_channel = connect(Some(DEADLINE)).await;
        exercise(channel, deadline_channel).await;
    });
}
