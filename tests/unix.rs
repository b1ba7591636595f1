//! `ringline::net` Unix sockets: what programs moving over from tokio's
//! `UnixStream`, `UnixListener` and `UnixDatagram` rely on.
//!
//! Runs on whichever backend the runtime picks; force one with
//! `RINGLINE_BACKEND=uring|mio`. Every wait that could hang on a bug is bounded
//! by a timeout; socket files live in a fresh directory per test.

#![cfg(unix)]

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use ringline::io::Interest;
use ringline::net::unix::{ReuniteError, SocketAddr, UCred};
use ringline::net::{UnixDatagram, UnixListener, UnixSocket, UnixStream};
use ringline::runtime::{Builder, Handle};
use ringline::time::{sleep, timeout};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::{settles_to, write_until_blocked};

/// Upper bound for any single step that should take milliseconds.
const STEP: Duration = Duration::from_secs(5);

async fn within<F: std::future::IntoFuture>(what: &str, f: F) -> F::Output {
    match timeout(STEP, f).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: timed out after {STEP:?}"),
    }
}

/// A directory of its own for one test's socket files, removed on drop.
struct SockDir(PathBuf);

impl SockDir {
    fn new() -> SockDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ringline-unix-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        SockDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for SockDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A unique name in Linux's abstract namespace (with tokio's leading NUL).
fn abstract_path(tag: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    PathBuf::from(format!("\0ringline-{tag}-{}-{n}", std::process::id()))
}

/// Accepts forever, echoing every connection from its own task until EOF,
/// then half-closing.
fn echo_server(listener: UnixListener) {
    ringline::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            ringline::spawn(async move {
                let (mut rd, mut wr) = sock.split();
                tokio::io::copy(&mut rd, &mut wr).await.unwrap();
                wr.shutdown().await.unwrap();
            });
        }
    });
}

/// A connected (client, server) pair through a listener at `path`.
async fn connected(path: &Path) -> (UnixStream, UnixStream) {
    let listener = UnixListener::bind(path).unwrap();
    let (client, accepted) =
        within("connect+accept", async { tokio::join!(UnixStream::connect(path), listener.accept()) }).await;
    let (server, peer) = accepted.unwrap();
    assert!(peer.is_unnamed(), "a connecting socket that did not bind is unnamed");
    (client.unwrap(), server)
}

#[test]
fn types_are_send_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<UnixStream>();
    assert_send_sync::<UnixListener>();
    assert_send_sync::<SocketAddr>();
    assert_send_sync::<UCred>();
    assert_send_sync::<ringline::net::unix::OwnedReadHalf>();
    assert_send_sync::<ringline::net::unix::OwnedWriteHalf>();
    assert_send_sync::<ReuniteError>();
    assert_send_sync::<UnixDatagram>();
    assert_send_sync::<UnixSocket>();
}

#[ringline::test]
async fn stream_echo_with_half_close() {
    let dir = SockDir::new();
    let path = dir.path("echo.sock");
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    echo_server(listener);

    let mut client = within("connect", UnixStream::connect(&path)).await.unwrap();
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
    assert!(client.local_addr().unwrap().is_unnamed());
    within("write", client.write_all(b"hello over unix")).await.unwrap();
    // Half-close: the server sees end-of-file, echoes and closes its side,
    // while this side can still read everything it sent back.
    within("shutdown", client.shutdown()).await.unwrap();
    let mut got = Vec::new();
    within("read_to_end", client.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"hello over unix");
    assert!(client.write_all(b"more").await.is_err(), "writing after shutdown must fail");
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_through_owned_halves_byte_identical() {
    const CLIENTS: u64 = 64;
    const BYTES: usize = 256 * 1024;
    let dir = SockDir::new();
    let path = dir.path("many.sock");
    echo_server(UnixListener::bind(&path).unwrap());
    let mut clients = Vec::new();
    for id in 0..CLIENTS {
        let path = path.clone();
        clients.push(ringline::spawn(async move {
            let mut rng = StdRng::seed_from_u64(id);
            let mut data = vec![0; BYTES];
            rng.fill_bytes(&mut data);
            let (mut rd, mut wr) = UnixStream::connect(&path).await.unwrap().into_split();
            let expected = data.clone();
            let writer = ringline::spawn(async move {
                let mut at = 0;
                while at < data.len() {
                    let n = rng.random_range(1..=16 * 1024).min(data.len() - at);
                    wr.write_all(&data[at..at + n]).await.unwrap();
                    at += n;
                }
                wr.shutdown().await.unwrap();
            });
            let reader = ringline::spawn(async move {
                let mut got = Vec::with_capacity(BYTES);
                rd.read_to_end(&mut got).await.unwrap();
                got
            });
            writer.await.unwrap();
            let got = reader.await.unwrap();
            assert_eq!(got.len(), expected.len(), "client {id}: length");
            assert!(got == expected, "client {id}: bytes differ");
        }));
    }
    let all = timeout(Duration::from_secs(30), async {
        let mut out = Vec::new();
        for c in clients {
            out.push(c.await);
        }
        out
    })
    .await
    .expect("clients timed out");
    for r in all {
        r.unwrap();
    }
}

#[ringline::test]
async fn pair_is_connected_and_unnamed() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());
    within("write", a.write_all(b"ping")).await.unwrap();
    let mut buf = [0; 4];
    within("read", b.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"ping");
    drop(a);
    assert_eq!(within("eof", b.read(&mut buf)).await.unwrap(), 0, "the peer's drop is end-of-file");
}

#[ringline::test]
async fn peer_cred_is_this_process() {
    // SAFETY: getuid(2) and getgid(2) cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let (a, _b) = UnixStream::pair().unwrap();
    let cred = a.peer_cred().unwrap();
    assert_eq!((cred.uid(), cred.gid()), (uid, gid));
    #[cfg(any(target_os = "linux", target_os = "android"))]
    assert_eq!(cred.pid(), Some(std::process::id() as i32));

    let dir = SockDir::new();
    let (client, server) = connected(&dir.path("cred.sock")).await;
    for cred in [client.peer_cred().unwrap(), server.peer_cred().unwrap()] {
        assert_eq!((cred.uid(), cred.gid()), (uid, gid));
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(cred.pid(), Some(std::process::id() as i32));
    }
}

#[ringline::test]
async fn binding_an_existing_path_is_addr_in_use() {
    let dir = SockDir::new();
    let path = dir.path("taken.sock");
    let _first = UnixListener::bind(&path).unwrap();
    assert_eq!(UnixListener::bind(&path).unwrap_err().kind(), io::ErrorKind::AddrInUse);
    // A plain file is in the way just the same.
    let file = dir.path("file");
    std::fs::write(&file, b"not a socket").unwrap();
    assert_eq!(UnixListener::bind(&file).unwrap_err().kind(), io::ErrorKind::AddrInUse);
}

#[ringline::test]
async fn connecting_to_a_missing_path_is_not_found() {
    let dir = SockDir::new();
    let err = within("connect", UnixStream::connect(dir.path("nobody-here.sock"))).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

/// tokio's `uds_stream::epollhup`: a connect already polled once fails when
/// the listener closes before accepting it, though connect(2) itself
/// succeeded (the listener had room).
#[ringline::test]
async fn connect_fails_when_the_listener_closes_before_accepting() {
    let dir = SockDir::new();
    let path = dir.path("gone.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let mut connect = std::pin::pin!(UnixStream::connect(&path));
    let first =
        std::future::poll_fn(|cx| std::task::Poll::Ready(std::future::Future::poll(connect.as_mut(), cx).is_pending()))
            .await;
    assert!(first, "connect resolved before the poller (or the ring) reported its outcome");
    drop(listener);
    let err = within("connect", connect).await.unwrap_err();
    assert!(
        matches!(err.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionReset),
        "unexpected error: {err:?}"
    );
}

#[ringline::test]
async fn connecting_to_a_socket_nobody_listens_on_is_refused() {
    let dir = SockDir::new();
    let path = dir.path("stale.sock");
    drop(UnixListener::bind(&path).unwrap()); // leaves the file behind
    let err = within("connect", UnixStream::connect(&path)).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[cfg(target_os = "linux")]
#[ringline::test]
async fn abstract_namespace_round_trip() {
    use std::os::linux::net::SocketAddrExt;

    let path = abstract_path("stream");
    let name = path.to_str().unwrap().as_bytes()[1..].to_vec();
    let listener = UnixListener::bind(&path).unwrap();
    let local = listener.local_addr().unwrap();
    assert_eq!((local.as_abstract_name(), local.as_pathname()), (Some(&name[..]), None));
    echo_server(listener);

    // Through tokio's leading-NUL path and through std's address type.
    let by_path = within("connect", UnixStream::connect(&path)).await.unwrap();
    let addr: SocketAddr = std::os::unix::net::SocketAddr::from_abstract_name(&name).unwrap().into();
    let by_addr = within("connect_addr", UnixStream::connect_addr(&addr)).await.unwrap();
    for mut stream in [by_path, by_addr] {
        assert_eq!(stream.peer_addr().unwrap().as_abstract_name(), Some(&name[..]));
        within("write", stream.write_all(b"abstract")).await.unwrap();
        within("shutdown", stream.shutdown()).await.unwrap();
        let mut got = Vec::new();
        within("read", stream.read_to_end(&mut got)).await.unwrap();
        assert_eq!(got, b"abstract");
    }
}

#[ringline::test]
async fn ready_and_try_io_on_a_pair() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut buf = [0; 16];
    assert_eq!(a.try_read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    within("writable", b.writable()).await.unwrap();
    assert_eq!(b.try_write(b"abc").unwrap(), 3);
    let ready = within("ready", a.ready(Interest::READABLE)).await.unwrap();
    assert!(ready.is_readable());
    let n = loop {
        within("readable", a.readable()).await.unwrap();
        match a.try_read(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            other => break other.unwrap(),
        }
    };
    assert_eq!(&buf[..n], b"abc");
}

#[ringline::test]
async fn owned_halves_reunite_only_with_their_own() {
    let (a, b) = UnixStream::pair().unwrap();
    let (a_rd, a_wr) = a.into_split();
    let (b_rd, b_wr) = b.into_split();
    let ReuniteError(a_rd, b_wr) = a_rd.reunite(b_wr).unwrap_err();
    let ReuniteError(b_rd, a_wr) = b_rd.reunite(a_wr).unwrap_err();
    let mut a = a_rd.reunite(a_wr).unwrap();
    let mut b = b_wr.reunite(b_rd).unwrap();
    // Reuniting did not half-close anything.
    within("write", a.write_all(b"x")).await.unwrap();
    let mut buf = [0; 1];
    within("read", b.read_exact(&mut buf)).await.unwrap();
}

#[ringline::test]
async fn std_round_trip_keeps_the_connection() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut a = UnixStream::from_std(a).unwrap();
    let mut b = UnixStream::try_from(b).unwrap();
    within("write", a.write_all(b"one")).await.unwrap();
    let mut buf = [0; 3];
    within("read", b.read_exact(&mut buf)).await.unwrap();
    let mut a = a.into_std().unwrap();
    std::io::Write::write_all(&mut a, b"two").unwrap();
    within("read", b.read_exact(&mut buf)).await.unwrap();
    assert_eq!(&buf, b"two");

    let dir = SockDir::new();
    let std_listener = std::os::unix::net::UnixListener::bind(dir.path("std.sock")).unwrap();
    let listener = UnixListener::from_std(std_listener).unwrap();
    let back = listener.into_std().unwrap();
    assert_eq!(back.local_addr().unwrap().as_pathname(), Some(dir.path("std.sock").as_path()));
}

// --- datagrams ---

#[ringline::test]
async fn datagram_pair_keeps_message_boundaries() {
    let (a, b) = UnixDatagram::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed() && a.peer_addr().unwrap().is_unnamed());
    for msg in [&b"one"[..], b"second message", b"3"] {
        assert_eq!(within("send", a.send(msg)).await.unwrap(), msg.len());
    }
    let mut buf = [0; 64];
    for msg in [&b"one"[..], b"second message", b"3"] {
        let n = within("recv", b.recv(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], msg);
    }
    assert_eq!(b.try_recv(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
}

#[ringline::test]
async fn datagram_send_to_and_recv_from_carry_addresses() {
    let dir = SockDir::new();
    let (server_path, client_path) = (dir.path("server.sock"), dir.path("client.sock"));
    let server = UnixDatagram::bind(&server_path).unwrap();
    let client = UnixDatagram::bind(&client_path).unwrap();
    assert_eq!(server.local_addr().unwrap().as_pathname(), Some(server_path.as_path()));

    within("send_to", client.send_to(b"ping", &server_path)).await.unwrap();
    let mut buf = [0; 16];
    let (n, from) = within("recv_from", server.recv_from(&mut buf)).await.unwrap();
    assert_eq!((&buf[..n], from.as_pathname()), (&b"ping"[..], Some(client_path.as_path())));

    within("reply", server.send_to(b"pong", from.as_pathname().unwrap())).await.unwrap();
    let (n, from) = within("recv_from", client.recv_from(&mut buf)).await.unwrap();
    assert_eq!((&buf[..n], from.as_pathname()), (&b"pong"[..], Some(server_path.as_path())));

    // An unbound sender is unnamed; a missing target is NotFound.
    let unbound = UnixDatagram::unbound().unwrap();
    assert_eq!(unbound.try_send_to(b"anon", &server_path).unwrap(), 4);
    let (_, from) = within("recv_from", server.recv_from(&mut buf)).await.unwrap();
    assert!(from.is_unnamed());
    let err = within("send_to", unbound.send_to(b"x", dir.path("nobody.sock"))).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(UnixDatagram::bind(&server_path).unwrap_err().kind(), io::ErrorKind::AddrInUse);
}

#[ringline::test]
async fn datagram_connect_send_recv_and_truncation() {
    let dir = SockDir::new();
    let path = dir.path("conn.sock");
    let server = UnixDatagram::bind(&path).unwrap();
    let client = UnixDatagram::unbound().unwrap();
    assert_eq!(client.peer_addr().unwrap_err().kind(), io::ErrorKind::NotConnected);
    client.connect(&path).unwrap();
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
    within("send", client.send(&[7u8; 100])).await.unwrap();
    within("send", client.send(b"next")).await.unwrap();
    // A buffer smaller than the message gets its first bytes; the rest is
    // dropped, and the next receive gets the next message.
    let mut small = [0; 10];
    assert_eq!(within("recv", server.recv(&mut small)).await.unwrap(), 10);
    assert_eq!(small, [7u8; 10]);
    let mut buf = Vec::with_capacity(16);
    let (n, _) = within("recv_buf_from", server.recv_buf_from(&mut buf)).await.unwrap();
    assert_eq!((n, &buf[..]), (4, &b"next"[..]));
}

#[ringline::test]
async fn datagram_readiness_and_poll_api() {
    let (a, b) = UnixDatagram::pair().unwrap();
    within("writable", a.writable()).await.unwrap();
    let n = std::future::poll_fn(|cx| a.poll_send(cx, b"polled")).await.unwrap();
    assert_eq!(n, 6);
    let ready = within("ready", b.ready(Interest::READABLE | Interest::WRITABLE)).await.unwrap();
    assert!(ready.is_readable() || ready.is_writable());
    within("readable", b.readable()).await.unwrap();
    let mut storage = [0; 16];
    let mut buf = tokio::io::ReadBuf::new(&mut storage);
    within("poll_recv", std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf))).await.unwrap();
    assert_eq!(buf.filled(), b"polled");
}

#[cfg(target_os = "linux")]
/// tokio's readiness is edge-triggered: `writable()` stays ready until a
/// send says `WouldBlock`, even where `poll(2)` calls a Unix datagram socket
/// full long before its sends fail. A loop of `writable` + `try_send` must
/// reach `WouldBlock`, never hang in `writable`.
#[ringline::test]
async fn datagram_writable_stays_ready_until_a_send_would_block() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let filled = timeout(Duration::from_secs(5), async {
        let mut sent = 0usize;
        loop {
            a.writable().await.unwrap();
            match a.try_send(b"0123456789") {
                Ok(_) => sent += 1,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return sent,
                Err(e) => panic!("send failed: {e}"),
            }
        }
    })
    .await
    .expect("writable() hung before a send would block");
    assert!(filled > 0);
    // Reading makes room: the blocked sender's writable() wakes.
    let mut buf = [0u8; 16];
    for _ in 0..filled {
        b.recv(&mut buf).await.unwrap();
    }
    timeout(Duration::from_secs(5), a.writable()).await.expect("writable() after the peer read").unwrap();
    a.try_send(b"again").unwrap();
}

#[ringline::test]
async fn datagram_abstract_namespace_round_trip() {
    let (server_path, client_path) = (abstract_path("dgram-server"), abstract_path("dgram-client"));
    let server = UnixDatagram::bind(&server_path).unwrap();
    let client = UnixDatagram::bind(&client_path).unwrap();
    within("send_to", client.send_to(b"abs", &server_path)).await.unwrap();
    let mut buf = [0; 8];
    let (n, from) = within("recv_from", server.recv_from(&mut buf)).await.unwrap();
    let client_name = &client_path.to_str().unwrap().as_bytes()[1..];
    assert_eq!((&buf[..n], from.as_abstract_name()), (&b"abs"[..], Some(client_name)));
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn datagram_shared_by_many_receivers_and_senders_loses_nothing() {
    const TASKS: usize = 4;
    const EACH: usize = 200;
    const STOP: &[u8] = b"stop";
    let (rx, tx) = UnixDatagram::pair().unwrap();
    let (rx, tx) = (Arc::new(rx), Arc::new(tx));
    // Every receiver waits in `recv` with no timeout of its own, so a missed
    // wake-up hangs the test (and the bound below fails it).
    let mut receivers = Vec::new();
    for _ in 0..TASKS {
        let rx = rx.clone();
        receivers.push(ringline::spawn(async move {
            let mut got = 0;
            let mut buf = [0; 8];
            loop {
                let n = rx.recv(&mut buf).await.unwrap();
                if &buf[..n] == STOP {
                    return got;
                }
                assert_eq!(n, 8);
                got += 1;
            }
        }));
    }
    let mut senders = Vec::new();
    for t in 0..TASKS {
        let tx = tx.clone();
        senders.push(ringline::spawn(async move {
            for i in 0..EACH {
                tx.send(&((t * EACH + i) as u64).to_le_bytes()).await.unwrap();
            }
        }));
    }
    let total = timeout(Duration::from_secs(20), async {
        for s in senders {
            s.await.unwrap();
        }
        // A Unix datagram socket keeps order: every data message is
        // received before the first stop; each receiver takes one stop.
        for _ in 0..TASKS {
            tx.send(STOP).await.unwrap();
        }
        let mut total = 0;
        for r in receivers {
            total += r.await.unwrap();
        }
        total
    })
    .await
    .expect("a receiver missed a wake-up");
    assert_eq!(total, TASKS * EACH, "a Unix datagram pair drops nothing");
}

#[ringline::test]
async fn datagram_std_round_trip() {
    let (a, b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let a = UnixDatagram::from_std(a).unwrap();
    let b = UnixDatagram::try_from(b).unwrap();
    within("send", a.send(b"std")).await.unwrap();
    let b = b.into_std().unwrap();
    let mut buf = [0; 8];
    // Non-blocking, as tokio hands it back; the message waited in the socket.
    assert_eq!(b.recv(&mut buf).unwrap(), 3);
}

// --- UnixSocket ---

#[ringline::test]
async fn unix_socket_becomes_listener_stream_and_datagram() {
    let dir = SockDir::new();
    let path = dir.path("socket.sock");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(&path).unwrap();
    let listener = socket.listen(16).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    echo_server(listener);

    // A client bound to a path of its own before connecting.
    let client_path = dir.path("client.sock");
    let client = UnixSocket::new_stream().unwrap();
    client.bind(&client_path).unwrap();
    let mut stream = within("connect", client.connect(&path)).await.unwrap();
    assert_eq!(stream.local_addr().unwrap().as_pathname(), Some(client_path.as_path()));
    within("write", stream.write_all(b"configured")).await.unwrap();
    within("shutdown", stream.shutdown()).await.unwrap();
    let mut got = Vec::new();
    within("read", stream.read_to_end(&mut got)).await.unwrap();
    assert_eq!(got, b"configured");

    let dgram_path = dir.path("dgram.sock");
    let socket = UnixSocket::new_datagram().unwrap();
    socket.bind(&dgram_path).unwrap();
    let dgram = socket.datagram().unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    within("send_to", sender.send_to(b"d", &dgram_path)).await.unwrap();
    let mut buf = [0; 4];
    assert_eq!(within("recv", dgram.recv(&mut buf)).await.unwrap(), 1);
}

#[ringline::test]
async fn unix_socket_of_the_wrong_type_says_so() {
    let dir = SockDir::new();
    let err = UnixSocket::new_datagram().unwrap().listen(16).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    let err = within("connect", UnixSocket::new_datagram().unwrap().connect(dir.path("x.sock"))).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other);
    assert_eq!(UnixSocket::new_stream().unwrap().datagram().unwrap_err().kind(), io::ErrorKind::Other);
    // A stream socket connecting to nothing: NotFound, as with connect().
    let err = within("connect", UnixSocket::new_stream().unwrap().connect(dir.path("x.sock"))).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[ringline::test]
async fn unix_socket_from_raw_fd_keeps_its_socket() {
    use std::os::fd::{FromRawFd, IntoRawFd};
    let dir = SockDir::new();
    let path = dir.path("raw.sock");
    let socket = UnixSocket::new_stream().unwrap();
    socket.bind(&path).unwrap();
    // SAFETY: the fd was just given up by `into_raw_fd`; nothing else owns it.
    let socket = unsafe { UnixSocket::from_raw_fd(socket.into_raw_fd()) };
    let listener = socket.listen(4).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path()),
        "the bound address travels with the fd"
    );
}

// --- dropping in-flight futures leaks nothing ---

/// Runs `f` on a fresh two-worker runtime and checks that the driver's
/// counters are back where they started once `f` has dropped everything.
fn leaves_no_trace<F: std::future::Future<Output = ()>>(f: impl FnOnce() -> F) {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        sleep(Duration::from_millis(10)).await; // let the workers publish once
        let start = Handle::current().driver_counters();
        f().await;
        settles_to(start).await;
    });
}

#[test]
fn dropped_unix_accept_connect_and_read_leak_nothing() {
    leaves_no_trace(|| async {
        let dir = SockDir::new();
        let path = dir.path("drop.sock");
        let listener = UnixListener::bind(&path).unwrap();
        assert!(timeout(Duration::from_millis(20), listener.accept()).await.is_err());
        for _ in 0..50 {
            // A zero timeout drops the connect right after its first poll.
            let _ = timeout(Duration::ZERO, UnixStream::connect(&path)).await;
        }
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let mut buf = [0; 16];
        assert!(timeout(Duration::from_millis(20), a.read(&mut buf)).await.is_err());
        b.write_all(b"after the timeout").await.unwrap();
        let mut got = [0; 17];
        a.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"after the timeout");
        let (mut rd, _wr) = b.into_split();
        assert!(timeout(Duration::from_millis(20), rd.read(&mut buf)).await.is_err());
    });
}

#[test]
fn dropped_unix_write_to_a_peer_that_never_reads_leaks_nothing() {
    leaves_no_trace(|| async {
        let (mut a, b) = UnixStream::pair().unwrap();
        write_until_blocked(&mut a).await;
        drop((a, b));
    });
}

#[test]
fn dropped_datagram_receives_and_waits_leak_nothing() {
    leaves_no_trace(|| async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let mut buf = [0; 16];
        for _ in 0..20 {
            assert!(timeout(Duration::from_millis(2), a.recv(&mut buf)).await.is_err());
            assert!(timeout(Duration::ZERO, a.readable()).await.is_err());
            assert!(timeout(Duration::ZERO, a.ready(Interest::READABLE)).await.is_err());
        }
        // A poll_* wait left pending when the socket is dropped.
        let mut storage = [0; 16];
        let mut rb = tokio::io::ReadBuf::new(&mut storage);
        let waker = futures_util::task::noop_waker();
        assert!(a.poll_recv(&mut std::task::Context::from_waker(&waker), &mut rb).is_pending());
        // Nothing was lost to the dropped receives.
        b.send(b"still here").await.unwrap();
        let n = within("recv", a.recv(&mut buf)).await.unwrap();
        assert_eq!(&buf[..n], b"still here");
        assert!(a.poll_recv(&mut std::task::Context::from_waker(&waker), &mut rb).is_pending());
        drop((a, b));
    });
}
