//! tokio's `try_io` and `async_io` on `TcpStream`, `UdpSocket`,
//! `UnixStream` and `UnixDatagram`: a closure making its own system call on
//! the fd runs when the socket is ready, a `WouldBlock` from it clears the
//! readiness, and `async_io` waits for the next event. Also the socket
//! options that came with them (`TCP_QUICKACK`, `IP_TOS` on UDP, ...).
//!
//! On io_uring the sockets are in blocking mode: these tests call plain
//! `recv`/`send` in the closures, as tokio's users do, so a closure run on a
//! socket that is not ready would hang the test instead of failing it.

use std::cell::Cell;
use std::io::{self, Write};
use std::mem::MaybeUninit;
use std::time::Duration;

use ringline::io::Interest;
use ringline::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixStream};
use ringline::time::{sleep, timeout};
use socket2::SockRef;

mod support;
use support::{baseline, settles_to};

const STEP: Duration = Duration::from_secs(5);

/// A raw `recv` on `sock`'s fd, as a tokio user's closure makes it.
fn raw_recv(sock: &impl std::os::fd::AsFd, buf: &mut [u8]) -> io::Result<usize> {
    let mut raw = [MaybeUninit::<u8>::uninit(); 64];
    let n = SockRef::from(sock).recv(&mut raw)?;
    for (dst, src) in buf.iter_mut().zip(&raw[..n]) {
        // SAFETY: `recv` initialised the first `n` bytes.
        *dst = unsafe { src.assume_init() };
    }
    Ok(n.min(buf.len()))
}

/// An accepted TCP stream and the std client connected to it.
async fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = timeout(STEP, listener.accept()).await.expect("accept timed out").unwrap();
    (server, client)
}

#[ringline::test]
async fn tcp_async_io_waits_for_the_peer_and_reads_raw() {
    let (server, mut client) = tcp_pair().await;
    let calls = Cell::new(0);
    let mut buf = [0; 8];
    let read = server.async_io(Interest::READABLE, || {
        calls.set(calls.get() + 1);
        raw_recv(&server, &mut buf)
    });
    let writer = async {
        sleep(Duration::from_millis(20)).await;
        client.write_all(b"xyz").unwrap();
    };
    let (n, ()) = timeout(STEP, async { tokio::join!(read, writer) }).await.expect("async_io never woke");
    assert_eq!(n.unwrap(), 3);
    assert_eq!(&buf[..3], b"xyz");
    assert!(calls.get() >= 1);
}

#[ringline::test]
async fn tcp_try_io_clears_readiness_on_would_block() {
    let (server, mut client) = tcp_pair().await;
    client.write_all(b"abc").unwrap();
    // The bytes arrive; a try succeeds once the runtime has seen them.
    let mut buf = [0; 8];
    let mut got = None;
    for _ in 0..500 {
        match server.try_io(Interest::READABLE, || raw_recv(&server, &mut buf)) {
            Ok(n) => {
                got = Some(n);
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => sleep(Duration::from_millis(2)).await,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(got, Some(3), "queued bytes never became readable to try_io");
    assert_eq!(&buf[..3], b"abc");

    // Drained: a try either finds the socket not ready or its recv says
    // WouldBlock, which clears the readiness; after that the closure is not
    // called again until an event.
    let err = server.try_io(Interest::READABLE, || raw_recv(&server, &mut buf)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    let called = Cell::new(false);
    let err = server
        .try_io(Interest::READABLE, || {
            called.set(true);
            raw_recv(&server, &mut buf)
        })
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(!called.get(), "try_io ran its closure on a socket known not to be ready");
}

#[ringline::test]
async fn tcp_try_io_writes_raw() {
    let (server, client) = tcp_pair().await;
    let sent = timeout(STEP, server.async_io(Interest::WRITABLE, || SockRef::from(&server).send(b"raw"))).await;
    assert_eq!(sent.expect("a fresh socket never became writable").unwrap(), 3);
    let mut buf = [0; 3];
    client.set_read_timeout(Some(STEP)).unwrap();
    std::io::Read::read_exact(&mut &client, &mut buf).unwrap();
    assert_eq!(&buf, b"raw");
    // Writable now: try_io runs the closure.
    assert_eq!(server.try_io(Interest::WRITABLE, || Ok(7)).unwrap(), 7);
}

#[ringline::test]
async fn tcp_quickack_reads_back() {
    let (server, _client) = tcp_pair().await;
    server.set_quickack(true).unwrap();
    assert!(server.quickack().unwrap());
    server.set_quickack(false).unwrap();
    assert!(!server.quickack().unwrap());
}

#[ringline::test]
async fn udp_async_io_and_try_io_receive_raw() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    b.connect(a.local_addr().unwrap()).await.unwrap();
    let mut buf = [0; 16];
    let recv = a.async_io(Interest::READABLE, || raw_recv(&a, &mut buf));
    let send = async {
        sleep(Duration::from_millis(20)).await;
        b.send(b"dgram").await.unwrap();
    };
    let (n, ()) = timeout(STEP, async { tokio::join!(recv, send) }).await.expect("async_io never woke");
    assert_eq!(n.unwrap(), 5);
    assert_eq!(&buf[..5], b"dgram");
    let called = Cell::new(false);
    let none = a.try_io(Interest::READABLE, || {
        called.set(true);
        raw_recv(&a, &mut buf)
    });
    assert_eq!(none.unwrap_err().kind(), io::ErrorKind::WouldBlock);
    called.set(false);
    let again = a.try_io(Interest::READABLE, || {
        called.set(true);
        raw_recv(&a, &mut buf)
    });
    assert_eq!(again.unwrap_err().kind(), io::ErrorKind::WouldBlock);
    assert!(!called.get(), "try_io ran its closure on a socket known not to be ready");
}

#[ringline::test]
async fn udp_options_and_try_peek() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    a.set_tos_v4(0x10).unwrap();
    assert_eq!(a.tos_v4().unwrap(), 0x10);
    assert_eq!(a.device().unwrap(), None);
    a.bind_device(None).unwrap();
    if let Ok(v6) = UdpSocket::bind("[::1]:0").await {
        v6.set_tclass_v6(0x20).unwrap();
        assert_eq!(v6.tclass_v6().unwrap(), 0x20);
    }
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    a.connect(b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0; 8];
    assert_eq!(a.try_peek(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    b.send_to(b"peek", a.local_addr().unwrap()).await.unwrap();
    timeout(STEP, a.readable()).await.expect("never readable").unwrap();
    let mut n = Err(io::ErrorKind::WouldBlock.into());
    for _ in 0..500 {
        n = a.try_peek(&mut buf);
        if n.is_ok() {
            break;
        }
        sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(n.unwrap(), 4);
    assert_eq!(a.recv(&mut buf).await.unwrap(), 4, "a peeked datagram is still there");
    assert_eq!(&buf[..4], b"peek");
}

#[ringline::test]
async fn unix_stream_and_datagram_async_io() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut buf = [0; 8];
    let read = a.async_io(Interest::READABLE, || raw_recv(&a, &mut buf));
    let write = async {
        sleep(Duration::from_millis(20)).await;
        timeout(STEP, b.async_io(Interest::WRITABLE, || SockRef::from(&b).send(b"unix"))).await.unwrap().unwrap()
    };
    let (n, sent) = timeout(STEP, async { tokio::join!(read, write) }).await.expect("async_io never woke");
    assert_eq!((n.unwrap(), sent), (4, 4));
    assert_eq!(&buf[..4], b"unix");

    let (x, y) = UnixDatagram::pair().unwrap();
    let mut buf = [0; 8];
    let read = x.async_io(Interest::READABLE, || raw_recv(&x, &mut buf));
    let write = async {
        sleep(Duration::from_millis(20)).await;
        y.send(b"dg").await.unwrap();
    };
    let (n, ()) = timeout(STEP, async { tokio::join!(read, write) }).await.expect("async_io never woke");
    assert_eq!(n.unwrap(), 2);
    assert_eq!(y.try_io(Interest::WRITABLE, || SockRef::from(&y).send(b"ok")).unwrap(), 2);
}

#[ringline::test]
async fn dropped_async_io_waits_leak_nothing() {
    let start = baseline().await;
    for _ in 0..20 {
        let (server, _client) = tcp_pair().await;
        let mut buf = [0; 8];
        let wait = server.async_io(Interest::READABLE, || raw_recv(&server, &mut buf));
        assert!(timeout(Duration::from_millis(2), wait).await.is_err());
        drop(server);
    }
    settles_to(start).await;
}
