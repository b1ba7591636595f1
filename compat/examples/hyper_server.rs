//! A hyper server on ringline: hyper-util's auto (HTTP/1.1 + h2c) builder
//! with ringline's executor and timer, one task per connection.
//!
//! `cargo run -p ringline-compat --example hyper_server`, then
//! `curl http://127.0.0.1:3000/` or `curl --http2-prior-knowledge http://127.0.0.1:3000/`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use ringline_compat::rt::{RinglineExecutor, RinglineTimer};

async fn hello(req: http::Request<Incoming>) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let body = format!("hello from ringline over {:?}\n", req.version());
    Ok(http::Response::new(Full::new(Bytes::from(body))))
}

#[ringline::main]
async fn main() -> std::io::Result<()> {
    let listener = ringline::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        ringline::spawn(async move {
            let mut builder = auto::Builder::new(RinglineExecutor::new());
            builder.http1().timer(RinglineTimer::new());
            builder.http2().timer(RinglineTimer::new());
            let service = hyper::service::service_fn(hello);
            if let Err(e) = builder.serve_connection(TokioIo::new(stream), service).await {
                eprintln!("connection error: {e}");
            }
        });
    }
}
