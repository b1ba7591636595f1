//! Servers for the compat workloads (axum JSON, hyper h2, tonic unary), once
//! on tokio as their docs show (`axum::serve`, hyper-util's auto builder with
//! `TokioExecutor`, `tonic::transport::Server`) and once on ringline through
//! ringline-compat. Each listens on 127.0.0.1 until killed.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

#[path = "../../../compat/examples/greeter/proto.rs"]
mod proto;

use proto::{GreeterServer, HelloGreeter};

/// Which compat server to run.
#[derive(Clone, Copy, Debug)]
pub enum App {
    /// axum: `GET /json` answers `{"message":"Hello, World!"}` (HTTP/1.1 and h2c).
    Axum,
    /// hyper-util's auto builder: "Hello, World!" (h2c, for h2load).
    HyperH2,
    /// tonic: helloworld.Greeter/SayHello.
    Tonic,
}

#[derive(serde::Serialize)]
struct Message {
    message: &'static str,
}

fn router() -> Router {
    Router::new().route("/json", get(|| async { Json(Message { message: "Hello, World!" }) }))
}

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(b"Hello, World!"))))
}

fn greeter(sleep: proto::SleepFn) -> GreeterServer<HelloGreeter> {
    GreeterServer::new(HelloGreeter { sleep })
}

/// Serves `app` on tokio with `workers` worker threads.
pub fn run_tokio(app: App, workers: usize, addr: SocketAddr) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        match app {
            App::Axum => {
                use axum::serve::ListenerExt;
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true); // as ringline_compat::serve does
                });
                axum::serve(listener, router()).await
            }
            App::HyperH2 => loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = builder.serve_connection(io, hyper::service::service_fn(hello)).await;
                });
            },
            App::Tonic => {
                fn sleep(d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
                    Box::pin(tokio::time::sleep(d))
                }
                // TCP_NODELAY, as ringline_compat::serve sets it (tonic's
                // builder option applies only to listeners it binds).
                let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
                tonic::transport::Server::builder()
                    .add_service(greeter(sleep))
                    .serve_with_incoming(incoming)
                    .await
                    .map_err(io::Error::other)
            }
        }
    })
}

/// Serves `app` on ringline (ringline-compat) with `workers` worker threads.
#[cfg(feature = "ringline")]
pub fn run_ringline(app: App, workers: usize, addr: SocketAddr) -> io::Result<()> {
    use ringline_compat::rt::{RinglineExecutor, RinglineTimer};

    let runtime = ringline::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
    runtime.block_on(async move {
        let listener = ringline::net::TcpListener::bind(addr).await?;
        match app {
            App::Axum => ringline_compat::serve(listener, router()).await,
            App::HyperH2 => loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                ringline::spawn(async move {
                    let mut builder = hyper_util::server::conn::auto::Builder::new(RinglineExecutor::new());
                    builder.http2().timer(RinglineTimer::new());
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = builder.serve_connection(io, hyper::service::service_fn(hello)).await;
                });
            },
            App::Tonic => {
                fn sleep(d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
                    Box::pin(ringline::time::sleep(d))
                }
                let routes = tonic::service::Routes::new(greeter(sleep));
                ringline_compat::serve(listener, routes).await
            }
        }
    })
}
