//! hyper's pooled client on ringline: hyper-util's legacy `Client` with
//! ringline-compat's connector, executor and timer.
//!
//! `cargo run -p ringline-compat --example hyper_client -- http://127.0.0.1:3000/`
//! (start `hyper_server` first).

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use ringline_compat::connect::HttpConnector;
use ringline_compat::rt::{RinglineExecutor, RinglineTimer};

#[ringline::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:3000/".into());
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(std::time::Duration::from_secs(5)));
    let client =
        Client::builder(RinglineExecutor::new()).timer(RinglineTimer::new()).build::<_, Empty<Bytes>>(connector);
    let response = client.get(url.parse()?).await?;
    println!("{} {:?}", response.status(), response.version());
    let body = response.into_body().collect().await?.to_bytes();
    print!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
