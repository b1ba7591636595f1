//! An axum app on ringline's workers: routes, JSON, the peer's address
//! through `ConnectInfo`, graceful shutdown on Ctrl-C.
//!
//! `cargo run -p ringline-compat --example axum_app`, then
//! `curl http://127.0.0.1:3000/json` or `curl http://127.0.0.1:3000/whoami`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path};
use axum::routing::get;
use axum::{Json, Router};

#[derive(serde::Serialize)]
struct Hello {
    message: String,
    worker: String,
}

async fn json(Path(name): Path<String>) -> Json<Hello> {
    let worker = std::thread::current().name().unwrap_or("?").to_owned();
    Json(Hello { message: format!("hello {name}"), worker })
}

async fn whoami(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    format!("you are {peer}\n")
}

#[ringline::main]
async fn main() -> std::io::Result<()> {
    let app = Router::new()
        .route("/", get(|| async { "hello from axum on ringline\n" }))
        .route("/json", get(|| json(Path("world".to_owned()))))
        .route("/json/{name}", get(json))
        .route("/whoami", get(whoami));
    let listener = ringline::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    ringline_compat::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = ringline::signal::ctrl_c().await;
            println!("shutting down: finishing requests in flight");
        })
        .await
}
