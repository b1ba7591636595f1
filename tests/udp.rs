//! `UdpSocket` on whichever backend `RINGLINE_BACKEND` picks: datagram
//! boundaries, senders, peek, truncation, sharing through `Arc`, bounded
//! memory with a slow reader, tokio's errors, and no leaks when futures drop.

use std::collections::HashSet;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ringline::net::UdpSocket;
use ringline::runtime::{Builder, DriverCounters, Handle, Runtime};
use ringline::time::{sleep, timeout};

mod support;
use support::{on_thread_within_10s, settles_to, DropsOnWake};

fn runtime() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

const STEP: Duration = Duration::from_secs(5);

async fn bound() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

async fn settled_counters() -> DriverCounters {
    sleep(Duration::from_millis(10)).await;
    Handle::current().driver_counters()
}

#[test]
fn hundred_datagrams_arrive_as_hundred_messages_with_their_sender() {
    runtime().block_on(async {
        let (rx, tx) = (bound().await, bound().await);
        let to = rx.local_addr().unwrap();
        for i in 0..100u32 {
            let msg = format!("datagram {i}");
            assert_eq!(tx.send_to(msg.as_bytes(), to).await.unwrap(), msg.len());
        }
        let mut seen = HashSet::new();
        let mut buf = [0u8; 64];
        for _ in 0..100 {
            let (n, from) = timeout(STEP, rx.recv_from(&mut buf)).await.expect("a datagram").unwrap();
            assert_eq!(from, tx.local_addr().unwrap());
            let text = std::str::from_utf8(&buf[..n]).unwrap();
            let i: u32 = text.strip_prefix("datagram ").expect("one whole datagram").parse().unwrap();
            assert!(seen.insert(i), "datagram {i} twice");
        }
        assert_eq!(seen.len(), 100);
        assert_eq!(rx.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    });
}

#[test]
fn connected_sockets_send_and_recv() {
    runtime().block_on(async {
        let (a, b) = (bound().await, bound().await);
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
        assert_eq!(a.send(b"ping").await.unwrap(), 4);
        let mut buf = [0u8; 16];
        let n = timeout(STEP, b.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"ping");
        b.send(b"pong").await.unwrap();
        let n = timeout(STEP, a.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], b"pong");
        // The poll and try forms talk to the same peer.
        a.writable().await.unwrap();
        assert_eq!(a.try_send(b"again").unwrap(), 5);
        b.readable().await.unwrap();
        let n = b.try_recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"again");
    });
}

#[test]
fn peek_from_then_recv_from_return_the_same_datagram() {
    runtime().block_on(async {
        let (rx, tx) = (bound().await, bound().await);
        tx.send_to(b"first", rx.local_addr().unwrap()).await.unwrap();
        tx.send_to(b"second", rx.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = timeout(STEP, rx.peek_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!((&buf[..n], from), (&b"first"[..], tx.local_addr().unwrap()));
        assert_eq!(rx.peek_sender().await.unwrap(), tx.local_addr().unwrap());
        assert_eq!(rx.try_peek_sender().unwrap(), tx.local_addr().unwrap());
        let (n, from) = rx.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"first"[..], tx.local_addr().unwrap()));
        let mut grown = Vec::with_capacity(16);
        let (n, _) = timeout(STEP, rx.recv_buf_from(&mut grown)).await.unwrap().unwrap();
        assert_eq!((n, &grown[..]), (6, &b"second"[..]));
    });
}

#[test]
fn a_datagram_larger_than_the_buffer_is_truncated_and_the_rest_dropped() {
    runtime().block_on(async {
        let (rx, tx) = (bound().await, bound().await);
        let to = rx.local_addr().unwrap();
        let big: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        tx.send_to(&big, to).await.unwrap();
        tx.send_to(b"next", to).await.unwrap();
        let mut small = [0u8; 10];
        let n = timeout(STEP, rx.recv(&mut small)).await.unwrap().unwrap();
        assert_eq!((n, &small[..]), (10, &big[..10]), "the first bytes, as tokio");
        let n = timeout(STEP, rx.recv(&mut small)).await.unwrap().unwrap();
        assert_eq!(&small[..n], b"next", "the rest of the big datagram was dropped");
        // A 60 KB datagram arrives whole into a buffer that fits it.
        let huge = vec![7u8; 60_000];
        tx.send_to(&huge, to).await.unwrap();
        let mut buf = vec![0u8; 65_536];
        let n = timeout(STEP, rx.recv(&mut buf)).await.unwrap().unwrap();
        assert_eq!(&buf[..n], &huge[..]);
    });
}

#[test]
fn a_waker_may_drop_the_last_handle_to_the_socket_it_waits_on() {
    on_thread_within_10s("the runtime", || {
        Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            let (receiver, sender) = (bound().await, bound().await);
            let to = receiver.local_addr().unwrap();
            let (owner, waker) = DropsOnWake::new();
            let mut buf = [0u8; 8];
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(receiver.poll_recv_from(&mut cx, &mut tokio::io::ReadBuf::new(&mut buf)).is_pending());
            owner.hold(receiver);
            drop(waker);
            // The datagram wakes the waker, which drops the socket: the
            // driver must not be holding the socket's lock then.
            sender.send_to(b"wake up", to).await.unwrap();
            timeout(STEP, async {
                while !owner.dropped() {
                    sleep(Duration::from_millis(1)).await;
                }
            })
            .await
            .expect("the datagram wakes the receiver");
            // The driver goes on serving.
            let receiver = bound().await;
            sender.send_to(b"still here", receiver.local_addr().unwrap()).await.unwrap();
            let n = timeout(STEP, receiver.recv(&mut buf)).await.expect("a datagram").unwrap();
            assert_eq!(&buf[..n], b"still he");
        });
    });
}

#[test]
fn try_recv_on_an_empty_socket_would_block() {
    runtime().block_on(async {
        let start = settled_counters().await;
        let sock = bound().await;
        let mut buf = [0u8; 8];
        assert_eq!(sock.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert_eq!(sock.try_recv_from(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert_eq!(sock.try_peek_from(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        drop(sock);
        settles_to(start).await;
    });
}

#[test]
fn sending_to_a_closed_port_surfaces_connection_refused_later() {
    runtime().block_on(async {
        let closed = {
            let gone = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            gone.local_addr().unwrap()
        };
        let sock = bound().await;
        sock.connect(closed).await.unwrap();
        sock.send(b"anyone?").await.unwrap();
        let mut buf = [0u8; 8];
        let err = timeout(STEP, sock.recv(&mut buf)).await.expect("the ICMP error arrives").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    });
}

/// Sends `count` numbered datagrams from `from` to `to` in small paced
/// batches, so the kernel has no reason to drop any.
async fn send_numbered(from: &UdpSocket, to: SocketAddr, first: u32, count: u32) {
    for i in first..first + count {
        from.send_to(&i.to_be_bytes(), to).await.unwrap();
        if i % 16 == 15 {
            sleep(Duration::from_millis(1)).await;
        }
    }
}

#[test]
fn one_socket_in_an_arc_serves_four_receivers_and_four_senders() {
    runtime().block_on(async {
        let shared = Arc::new(bound().await);
        let server = shared.local_addr().unwrap();
        let collector = bound().await;
        let collected = collector.local_addr().unwrap();
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        // No timeouts: a receiver that is not woken hangs the test.
        let mut receivers = Vec::new();
        for _ in 0..4 {
            let (sock, received, count) = (shared.clone(), received.clone(), count.clone());
            receivers.push(ringline::spawn(async move {
                let mut buf = [0u8; 8];
                loop {
                    match sock.recv_from(&mut buf).await.unwrap() {
                        (0, _) => return, // the stop marker: one per receiver
                        (4, _) => {
                            received.lock().unwrap().push(u32::from_be_bytes(buf[..4].try_into().unwrap()));
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        other => panic!("unexpected receive: {other:?}"),
                    }
                }
            }));
        }
        for t in 0..4u32 {
            let sock = shared.clone();
            tasks.push(ringline::spawn(async move { send_numbered(&sock, collected, t * 100, 100).await }));
        }
        let clients: Vec<UdpSocket> = vec![bound().await, bound().await, bound().await, bound().await];
        let clients = Arc::new(clients);
        for t in 0..4u32 {
            let clients = clients.clone();
            tasks.push(ringline::spawn(async move { send_numbered(&clients[t as usize], server, t * 100, 100).await }));
        }
        let mut from_server = HashSet::new();
        let mut buf = [0u8; 8];
        while from_server.len() < 400 {
            let (n, from) = timeout(STEP, collector.recv_from(&mut buf)).await.expect("all 400 arrive").unwrap();
            assert_eq!((n, from), (4, server));
            assert!(from_server.insert(u32::from_be_bytes(buf[..4].try_into().unwrap())), "a duplicate");
        }
        for task in tasks {
            timeout(STEP, task).await.expect("senders finish").unwrap();
        }
        for _ in 0..1000 {
            if count.load(Ordering::SeqCst) == 400 {
                break;
            }
            sleep(Duration::from_millis(5)).await;
        }
        // All 400 are in: one stop marker per receiver, each still waiting.
        for _ in 0..4 {
            clients[0].send_to(&[], server).await.unwrap();
        }
        for receiver in receivers {
            timeout(STEP, receiver).await.expect("every receiver is woken").unwrap();
        }
        let mut got = received.lock().unwrap().clone();
        got.sort_unstable();
        assert_eq!(got, (0..400).collect::<Vec<_>>(), "each datagram exactly once");
    });
}

#[test]
fn a_slow_reader_holds_a_bounded_number_of_datagrams() {
    runtime().block_on(async {
        let start = settled_counters().await;
        let (rx, tx) = (bound().await, bound().await);
        let to = rx.local_addr().unwrap();
        let mut buf = [0u8; 2048];
        // The receive is armed, then the reader stops reading.
        assert!(timeout(Duration::from_millis(10), rx.recv(&mut buf)).await.is_err());
        let payload = [1u8; 1024];
        for _ in 0..4000 {
            tx.send_to(&payload, to).await.unwrap();
        }
        sleep(Duration::from_millis(50)).await;
        let mut held = 0;
        while rx.try_recv(&mut buf).is_ok() {
            held += 1;
        }
        eprintln!("held {held} of 4000");
        assert!(held > 0, "the reader gets what was held");
        assert!(held < 1500, "{held} of 4000 datagrams held: the queue must be bounded");
        drop((rx, tx));
        settles_to(start).await;
    });
}

#[test]
fn dropped_receives_and_sends_release_everything() {
    runtime().block_on(async {
        let start = settled_counters().await;
        let (rx, tx) = (bound().await, bound().await);
        let to = rx.local_addr().unwrap();
        let mut buf = [0u8; 64];
        for _ in 0..20 {
            let _ = timeout(Duration::from_millis(1), rx.recv_from(&mut buf)).await;
            let _ = timeout(Duration::ZERO, tx.send_to(b"dropped", to)).await;
            let _ = timeout(Duration::ZERO, rx.peek_from(&mut buf)).await;
        }
        drop((rx, tx));
        settles_to(start).await;
    });
}

#[test]
fn std_round_trip_and_options() {
    runtime().block_on(async {
        let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = std.local_addr().unwrap();
        let sock = UdpSocket::from_std(std).unwrap();
        assert_eq!(sock.local_addr().unwrap(), addr);
        sock.set_broadcast(true).unwrap();
        assert!(sock.broadcast().unwrap());
        sock.set_ttl(42).unwrap();
        assert_eq!(sock.ttl().unwrap(), 42);
        sock.set_multicast_ttl_v4(3).unwrap();
        assert_eq!(sock.multicast_ttl_v4().unwrap(), 3);
        assert!(sock.take_error().unwrap().is_none());
        assert_eq!(sock.peer_addr().unwrap_err().kind(), io::ErrorKind::NotConnected);
        let std = sock.into_std().unwrap();
        assert_eq!(std.local_addr().unwrap(), addr);
    });
}

#[test]
fn udp_socket_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<UdpSocket>();
}

#[test]
fn ipv6_senders_come_back_whole() {
    runtime().block_on(async {
        let rx = UdpSocket::bind("[::1]:0").await.unwrap();
        let tx = UdpSocket::bind("[::1]:0").await.unwrap();
        tx.send_to(b"six", rx.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = timeout(STEP, rx.recv_from(&mut buf)).await.unwrap().unwrap();
        assert_eq!((&buf[..n], from), (&b"six"[..], tx.local_addr().unwrap()));
        assert!(from.is_ipv6());
    });
}

#[ringline::test]
async fn try_from_std_socket() {
    let std = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = std.local_addr().unwrap();
    let socket = UdpSocket::try_from(std).unwrap();
    assert_eq!(socket.local_addr().unwrap(), addr);
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    peer.send_to(b"std", addr).await.unwrap();
    let mut buf = [0; 3];
    let (n, from) = timeout(Duration::from_secs(5), socket.recv_from(&mut buf)).await.expect("recv timed out").unwrap();
    assert_eq!((n, from, &buf), (3, peer.local_addr().unwrap(), b"std"));
}
