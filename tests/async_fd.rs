//! `ringline::io::unix::AsyncFd` on a pipe and a socketpair: readiness,
//! clearing on `WouldBlock`, waking, and no leaks when waits are dropped.

use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use ringline::io::unix::AsyncFd;
use ringline::io::{Interest, Ready};

use ringline::time::{sleep, timeout};

mod support;
use support::{baseline, settles_to};

/// A non-blocking pipe: (read end, write end) as files.
fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds on success.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) }, 0);
    // SAFETY: both fds are fresh and owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    (r.into(), w.into())
}

fn socketpair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

#[ringline::test]
async fn pipe_readable_wakes_on_write_and_clears_on_would_block() {
    let (r, mut w) = pipe();
    let reader = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
    assert!(timeout(Duration::from_millis(50), reader.readable()).await.is_err(), "an empty pipe is not readable");
    w.write_all(b"hello").unwrap();
    let mut guard = timeout(Duration::from_secs(5), reader.readable()).await.unwrap().unwrap();
    assert!(guard.ready().is_readable());
    let mut buf = [0u8; 16];
    let n = guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap();
    assert_eq!(&buf[..n], b"hello");
    // Drained: the next call says WouldBlock, which clears the readiness.
    assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err());
    assert!(guard.ready().is_empty());
    assert!(timeout(Duration::from_millis(50), reader.readable()).await.is_err(), "cleared readiness must wait");
    w.write_all(b"again").unwrap();
    let n = reader.async_io(Interest::READABLE, |f| (&*f).read(&mut buf)).await.unwrap();
    assert_eq!(&buf[..n], b"again");
}

#[ringline::test]
async fn pipe_eof_is_reported_as_readable() {
    let (r, w) = pipe();
    let reader = AsyncFd::new(r).unwrap();
    let waiter = async { reader.readable().await.map(|g| g.ready()) };
    let ((), ready) = ringline::join!(
        async {
            sleep(Duration::from_millis(20)).await;
            drop(w);
        },
        timeout(Duration::from_secs(5), waiter)
    );
    assert!(ready.unwrap().unwrap().is_read_closed());
    let mut buf = [0u8; 4];
    assert_eq!(reader.try_io(Interest::READABLE, |f| (&*f).read(&mut buf)).unwrap(), 0);
    // A closed state is final (as in tokio): clearing does not forget it.
    reader.readable().await.unwrap().clear_ready();
    let again = timeout(Duration::from_secs(5), reader.readable()).await;
    assert!(again.expect("EOF must stay readable after clear_ready").unwrap().ready().is_read_closed());
}

#[ringline::test]
async fn socketpair_writable_until_full_then_again_after_the_peer_reads() {
    let (a, mut b) = socketpair();
    let mut a = AsyncFd::new(a).unwrap();
    let chunk = [7u8; 4096];
    let mut written = 0usize;
    // Fill the socket buffer through the mutable guard.
    loop {
        let mut guard = timeout(Duration::from_secs(5), a.writable_mut()).await.unwrap().unwrap();
        match guard.try_io(|fd| fd.get_mut().write(&chunk)) {
            Ok(n) => written += n.unwrap(),
            Err(_would_block) => break,
        }
        assert!(written < 64 << 20, "a socket buffer never filled");
    }
    assert!(timeout(Duration::from_millis(50), a.writable()).await.is_err(), "a full socket is not writable");
    let mut sink = vec![0u8; written];
    let mut drained = 0;
    while drained < written {
        match b.read(&mut sink[drained..]) {
            Ok(n) => drained += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => sleep(Duration::from_millis(1)).await,
            Err(e) => panic!("{e}"),
        }
    }
    let guard = timeout(Duration::from_secs(5), a.writable()).await.unwrap().unwrap();
    assert!(guard.ready().is_writable());
    assert_eq!(a.into_inner().write(b"x").unwrap(), 1, "into_inner gives the socket back, usable");
}

#[ringline::test]
async fn ready_with_both_interests_reports_what_is_ready() {
    let (a, mut b) = socketpair();
    let a = AsyncFd::new(a).unwrap();
    let both = Interest::READABLE | Interest::WRITABLE;
    let first = timeout(Duration::from_secs(5), a.ready(both)).await.unwrap().unwrap().ready();
    assert!(first.is_writable() && !first.is_readable());
    b.write_all(b"ping").unwrap();
    let mut guard = loop {
        let guard = a.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
        if guard.ready().is_readable() {
            break guard;
        }
        sleep(Duration::from_millis(1)).await;
    };
    guard.clear_ready_matching(Ready::READABLE);
    assert!(!guard.ready().is_readable() && guard.ready().is_writable());
}

#[ringline::test]
async fn try_io_without_readiness_is_would_block_and_skips_the_call() {
    let (r, _w) = pipe();
    let reader = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
    let mut called = false;
    let err = reader
        .try_io(Interest::READABLE, |_| {
            called = true;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert!(!called);
}

#[ringline::test]
async fn dropping_pending_waits_and_the_fd_leaks_nothing() {
    let start = baseline().await;
    for _ in 0..50 {
        let (r, _w) = pipe();
        let reader = AsyncFd::new(r).unwrap();
        assert!(timeout(Duration::from_millis(2), reader.readable()).await.is_err());
        let (a, _b) = socketpair();
        let a = AsyncFd::new(a).unwrap();
        assert!(a.writable().await.unwrap().ready().is_writable());
        drop((reader, a));
    }
    settles_to(start).await;
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_on_another_worker_is_woken() {
    let (r, mut w) = pipe();
    let reader = std::sync::Arc::new(AsyncFd::new(r).unwrap());
    let waiting = reader.clone();
    let task = ringline::spawn(async move { waiting.readable().await.map(|g| g.ready().is_readable()) });
    sleep(Duration::from_millis(20)).await;
    w.write_all(b"x").unwrap();
    assert!(timeout(Duration::from_secs(5), task).await.unwrap().unwrap().unwrap());
}

#[ringline::test]
async fn a_regular_file_is_refused_and_given_back() {
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let (file, err) = AsyncFd::try_new(file).unwrap_err().into_parts();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "as epoll (and so tokio) refuses it");
    assert!(file.metadata().unwrap().is_file());
}

#[ringline::test]
async fn try_io_alone_sees_readiness_that_comes_after_a_would_block() {
    let (r, mut w) = pipe();
    let reader = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
    let mut buf = [0u8; 8];
    w.write_all(b"a").unwrap();
    let mut guard = timeout(Duration::from_secs(5), reader.readable()).await.unwrap().unwrap();
    assert_eq!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap(), 1);
    assert!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).is_err(), "drained: cleared");
    // No task waits from here on: only try_io, as a poll-driven caller does.
    w.write_all(b"b").unwrap();
    for _ in 0..500 {
        match reader.try_io(Interest::READABLE, |f| (&*f).read(&mut buf)) {
            Ok(n) => return assert_eq!(&buf[..n], b"b"),
            Err(e) => assert_eq!(e.kind(), io::ErrorKind::WouldBlock),
        }
        sleep(Duration::from_millis(10)).await;
    }
    panic!("readiness after a WouldBlock never reached try_io");
}

#[ringline::test]
async fn dropping_the_async_fd_closes_the_fd_at_once() {
    let (a, mut b) = socketpair();
    let a = AsyncFd::new(a).unwrap();
    // Let the driver arm whatever it watches the fd with.
    assert!(timeout(Duration::from_millis(20), a.readable()).await.is_err());
    drop(a);
    // No await in between: the peer sees the close synchronously, as with tokio.
    assert_eq!(b.read(&mut [0u8; 1]).unwrap(), 0);
}

#[ringline::test]
async fn priority_readiness_on_out_of_band_tcp_data() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.set_nonblocking(true).unwrap();
    let client = AsyncFd::with_interest(client, Interest::PRIORITY).unwrap();
    let (server, _) = listener.accept().unwrap();
    assert!(timeout(Duration::from_millis(20), client.ready(Interest::PRIORITY)).await.is_err());
    // SAFETY: send(2) of a valid buffer on an open socket.
    let sent = unsafe { libc::send(std::os::fd::AsRawFd::as_raw_fd(&server), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(sent, 1);
    let guard = timeout(Duration::from_secs(5), client.ready(Interest::PRIORITY)).await.unwrap().unwrap();
    assert_eq!(guard.ready(), Ready::PRIORITY);
}

#[ringline::test]
async fn error_readiness_is_its_own_interest() {
    // A connected UDP socket whose peer port is closed: the ICMP error that
    // answers a send makes the socket report EPOLLERR.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer = closed.local_addr().unwrap();
    drop(closed);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(peer).unwrap();
    socket.set_nonblocking(true).unwrap();
    let socket = AsyncFd::new(socket).unwrap();
    assert!(socket.writable().await.unwrap().ready().is_writable());
    assert!(
        timeout(Duration::from_millis(20), socket.ready(Interest::ERROR)).await.is_err(),
        "a writable socket is not in error"
    );
    socket.get_ref().send(b"anyone?").unwrap();
    let guard = timeout(Duration::from_secs(5), socket.ready(Interest::ERROR)).await.unwrap().unwrap();
    assert_eq!(guard.ready(), Ready::ERROR);
    assert_eq!(socket.get_ref().take_error().unwrap().unwrap().kind(), io::ErrorKind::ConnectionRefused);
}

/// The `*_mut` waits hold `&mut AsyncFd` only, so their futures are `Send`
/// whenever the object is, without `Sync` (tokio's `async_send_sync`
/// asserts it). A compile-time check: it fails to build, not to run.
#[allow(dead_code)]
fn mut_waits_are_send_without_sync(fd: &mut AsyncFd<SendNotSync>) {
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&fd.readable_mut());
    assert_send(&fd.writable_mut());
    assert_send(&fd.async_io_mut(Interest::READABLE, |_| Ok(())));
}

/// An fd owner that is `Send` but not `Sync`.
struct SendNotSync(UnixStream, std::marker::PhantomData<std::cell::Cell<u8>>);

impl std::os::fd::AsRawFd for SendNotSync {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}
