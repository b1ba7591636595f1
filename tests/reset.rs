//! A connection reset by its peer is an error, never a clean end of file.
//!
//! On io_uring a background send of bytes `write_all` had already accepted
//! can be the call that takes the socket's ECONNRESET; the socket then reads
//! as shut (0 bytes). A protocol that ends a message at EOF would take the
//! truncated input as complete, so once a send or receive has failed, every
//! later read must report the failure. Runs on both backends.

use std::io;
use std::time::Duration;

use ringline::net::{TcpListener, TcpSocket};
use ringline::sync::oneshot;
use ringline::time::timeout;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes the client sends, all echoed back into its tiny receive buffer: most
/// of the echo waits in the server's send queue when the client resets.
const SENT: usize = 64 * 1024;
const STEP: Duration = Duration::from_secs(5);

/// How the server learned of the reset.
#[derive(Debug)]
enum Seen {
    /// A clean end of file, no error anywhere: the bug.
    Eof,
    /// A read failed.
    Error(io::ErrorKind),
    /// A write failed, then a read saw end of file (mio: the failed write was
    /// the application's own, as with tokio).
    EofAfterWriteError(io::ErrorKind),
}

/// One connection: the client sends [`SENT`] bytes without reading, waits
/// until the server has read them all, then resets.
async fn reset_while_the_echo_is_queued(listener: &TcpListener) -> Seen {
    let (all_read_tx, all_read) = oneshot::channel();
    let client = TcpSocket::new_v4().unwrap();
    client.set_recv_buffer_size(4096).unwrap();
    let connect = client.connect(listener.local_addr().unwrap());
    let (client, accepted) = tokio::join!(connect, listener.accept());
    let (mut client, (mut server, _)) = (client.unwrap(), accepted.unwrap());
    // A small kernel send buffer: the echo's send stays pending in the kernel.
    socket2::SockRef::from(&server).set_send_buffer_size(4096).unwrap();
    let server = ringline::spawn(async move {
        let mut buf = vec![0; 16 * 1024];
        let mut total = 0;
        let mut all_read_tx = Some(all_read_tx);
        let mut write_error = None;
        loop {
            match server.read(&mut buf).await {
                Ok(0) => return write_error.map_or(Seen::Eof, Seen::EofAfterWriteError),
                Err(e) => return Seen::Error(e.kind()),
                Ok(n) => {
                    total += n;
                    if let Err(e) = server.write_all(&buf[..n]).await {
                        write_error = Some(e.kind());
                    }
                }
            }
            if total == SENT {
                all_read_tx.take().map(|tx| tx.send(()));
            }
        }
    });
    client.write_all(&[7; SENT]).await.unwrap();
    // On mio the echo writes straight to the full socket and blocks, so the
    // server may never read everything: reset after a short wait regardless.
    let _ = timeout(Duration::from_millis(20), all_read).await;
    client.set_zero_linger().unwrap();
    drop(client);
    timeout(STEP, server).await.expect("the server's read returned").unwrap()
}

#[ringline::test]
async fn read_after_reset_with_queued_echo_errors_every_time() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    for round in 0..200 {
        match reset_while_the_echo_is_queued(&listener).await {
            Seen::Error(io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe)
            | Seen::EofAfterWriteError(io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe) => {}
            seen => panic!("round {round}: the server's read after a reset saw {seen:?}"),
        }
    }
}
