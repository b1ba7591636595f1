//! A tonic gRPC greeter on ringline, server and client in one binary.
//!
//! `cargo run -p ringline-compat --example tonic_greeter -- server` in one
//! terminal, `cargo run -p ringline-compat --example tonic_greeter -- client`
//! in another. The service code in greeter/proto.rs is what
//! tonic-prost-build generates, checked in so no `protoc` is needed.

mod greeter {
    pub mod proto;
}

use std::net::SocketAddr;
use std::time::Duration;

use greeter::proto::{GreeterClient, GreeterServer, HelloGreeter, HelloRequest};
use tokio_stream::StreamExt;
use tonic::transport::Endpoint;

const ADDR: &str = "127.0.0.1:50051";

fn sleep(d: Duration) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(ringline::time::sleep(d))
}

async fn server(addr: SocketAddr) -> std::io::Result<()> {
    let routes = tonic::service::Routes::new(GreeterServer::new(HelloGreeter { sleep }));
    let listener = ringline::net::TcpListener::bind(addr).await?;
    println!("greeter listening on {addr}");
    ringline_compat::serve(listener, routes)
        .with_graceful_shutdown(async {
            let _ = ringline::signal::ctrl_c().await;
        })
        .await
}

async fn client(addr: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .executor(ringline_compat::rt::RinglineExecutor::new())
        .timeout(Duration::from_secs(5))
        .connect_with_connector(ringline_compat::connect::HttpConnector::new())
        .await?;
    let mut client = GreeterClient::new(channel);
    let reply = client.say_hello(HelloRequest { name: "ringline".into(), count: 0, delay_ms: 0 }).await?;
    println!("unary: {}", reply.into_inner().message);
    let request = HelloRequest { name: "ringline".into(), count: 3, delay_ms: 100 };
    let mut stream = client.say_hello_stream(request).await?.into_inner();
    while let Some(reply) = stream.next().await {
        println!("stream: {}", reply?.message);
    }
    Ok(())
}

#[ringline::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let role = args.next().unwrap_or_default();
    let addr: SocketAddr = args.next().as_deref().unwrap_or(ADDR).parse()?;
    match role.as_str() {
        "server" => server(addr).await?,
        "client" => client(addr).await?,
        _ => eprintln!("usage: tonic_greeter server|client [ADDR]"),
    }
    Ok(())
}
