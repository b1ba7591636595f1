//! A TCP echo server, written as a tokio program with the paths changed.
//!
//! ```text
//! cargo run --example echo                    # listens on 127.0.0.1:8080
//! cargo run --example echo -- 0.0.0.0:9000    # or on the address given
//! ```
//!
//! Try it with `nc 127.0.0.1 8080`. Every connection gets its own task; the
//! runtime spreads them over one worker per core.

use std::time::Duration;

use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::net::{TcpListener, TcpStream};

#[ringline::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);

    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Usually out of fds (EMFILE): back off instead of spinning.
                eprintln!("accept failed: {e}");
                ringline::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        ringline::spawn(async move {
            if let Err(e) = echo(socket).await {
                eprintln!("{peer}: connection dropped: {e}");
            }
        });
    }
}

/// Writes back whatever `socket` sends until the peer closes it.
async fn echo(mut socket: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0; 4096];
    loop {
        let n = socket.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        socket.write_all(&buf[..n]).await?;
    }
}
