//! A ring far smaller than the work in flight: submissions that do not fit
//! in the submission queue wait their turn; none is dropped and nothing
//! panics. (The mio backend ignores `ring_entries`; the test runs there too.)

use std::time::Duration;

use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::net::{TcpListener, TcpStream};
use ringline::runtime::{Builder, Handle};
use ringline::time::{sleep, timeout};

const CONNECTIONS: usize = 256;
const ROUNDS: usize = 4;
const MESSAGE: usize = 1024;

fn message(conn: usize, round: usize) -> Vec<u8> {
    (0..MESSAGE).map(|i| (conn * 31 + round * 7 + i) as u8).collect()
}

#[test]
fn eight_entry_ring_serves_256_echoing_connections() {
    for flavor in ["current_thread", "multi_thread"] {
        let rt = match flavor {
            "current_thread" => Builder::new_current_thread().ring_entries(8).enable_all().build(),
            _ => Builder::new_multi_thread().worker_threads(2).ring_entries(8).enable_all().build(),
        }
        .expect("build a runtime with an 8-entry ring");
        rt.block_on(async {
            sleep(Duration::from_millis(10)).await;
            let start = Handle::current().driver_counters();
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = ringline::spawn(async move {
                for _ in 0..CONNECTIONS {
                    let (mut sock, _) = listener.accept().await.unwrap();
                    ringline::spawn(async move {
                        let mut buf = [0; 4096];
                        loop {
                            match sock.read(&mut buf).await.unwrap() {
                                0 => break,
                                n => sock.write_all(&buf[..n]).await.unwrap(),
                            }
                        }
                    });
                }
            });
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|conn| {
                    ringline::spawn(async move {
                        let mut stream = TcpStream::connect(addr).await.unwrap();
                        for round in 0..ROUNDS {
                            let sent = message(conn, round);
                            stream.write_all(&sent).await.unwrap();
                            let mut got = vec![0; MESSAGE];
                            stream.read_exact(&mut got).await.unwrap();
                            assert!(got == sent, "connection {conn} round {round}: bytes differ");
                        }
                    })
                })
                .collect();
            for (conn, client) in clients.into_iter().enumerate() {
                timeout(Duration::from_secs(20), client)
                    .await
                    .unwrap_or_else(|_| panic!("{flavor}: connection {conn} never finished"))
                    .unwrap();
            }
            timeout(Duration::from_secs(5), server).await.expect("server accepted all").unwrap();
            // Every op completed and every buffer came back.
            let handle = Handle::current();
            for _ in 0..400 {
                if handle.driver_counters() == start {
                    break;
                }
                sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(handle.driver_counters(), start, "{flavor}: driver resources leaked");
        });
    }
}
