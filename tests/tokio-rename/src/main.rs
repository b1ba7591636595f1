//! An ordinary tokio program, unchanged, run on ringline: `Cargo.toml` renames
//! the `ringline` package to `tokio`. It echoes one message over loopback TCP
//! and exits 0 when the echo comes back intact.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
    let addr = listener.local_addr().expect("listener address");

    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 1024];
        loop {
            let n = socket.read(&mut buf).await.expect("server read");
            if n == 0 {
                return;
            }
            socket.write_all(&buf[..n]).await.expect("server write");
        }
    });

    let mut client = TcpStream::connect(addr).await.expect("connect");
    client.write_all(b"hello, ringline").await.expect("client write");
    let mut reply = [0u8; 15];
    client.read_exact(&mut reply).await.expect("client read");
    assert_eq!(&reply, b"hello, ringline");
    println!("echoed {:?} via {addr}", String::from_utf8_lossy(&reply));
}
