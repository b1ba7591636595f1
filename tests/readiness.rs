//! Readiness as tokio reports it: `readable()`/`writable()` and their
//! `poll_*_ready` forms stay ready until a read or write says `WouldBlock`,
//! every task awaiting `accept()` on a shared listener wakes, and an object
//! made under `Runtime::enter` and polled off every runtime belongs to the
//! runtime it was made in (tokio's `tcp_stream`, `uds_stream`, `tcp_accept`
//! and `io_driver_drop` tests).
//!
//! Runs on whichever backend the runtime picks; force one with
//! `RINGLINE_BACKEND=uring|mio`.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ringline::io::Interest;
use ringline::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use ringline::runtime::{Builder, Runtime};
use ringline::time::timeout;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Upper bound for any single step that should take milliseconds.
const STEP: Duration = Duration::from_secs(5);

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    timeout(STEP, f).await.unwrap_or_else(|_| panic!("{what}: timed out after {STEP:?}"))
}

/// A connected (client, server) pair; the server side is freshly accepted.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) =
        within("connect+accept", async { tokio::join!(TcpStream::connect(addr), listener.accept()) }).await;
    (client.unwrap(), accepted.unwrap().0)
}

/// Whether `poll` is ready on its first poll (the task is not woken later).
async fn ready_now(poll: impl FnMut(&mut Context<'_>) -> Poll<io::Result<()>>) -> bool {
    let mut poll = poll;
    poll_fn(|cx| Poll::Ready(poll(cx).is_ready())).await
}

/// `try_read` until `WouldBlock`; the bytes read.
fn read_until_would_block(try_read: impl Fn(&mut [u8]) -> io::Result<usize>) -> usize {
    let mut buf = vec![0; 64 * 1024];
    let mut total = 0;
    for _ in 0..1024 {
        match try_read(&mut buf) {
            Ok(0) => panic!("unexpected EOF"),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return total,
            Err(e) => panic!("{e:?}"),
        }
    }
    panic!("try_read never said WouldBlock");
}

/// The read-readiness sequence of tokio's `poll_read_ready` test, for any
/// stream with tokio's methods.
macro_rules! assert_read_readiness_like_tokio {
    ($client:expr, $server:expr) => {{
        let (mut client, mut server) = ($client, $server);
        assert!(ready_now(|cx| server.poll_read_ready(cx)).await, "a fresh stream counts as readable");
        assert_eq!(read_until_would_block(|buf| server.try_read(buf)), 0);
        assert!(!ready_now(|cx| server.poll_read_ready(cx)).await, "a read found nothing: not readable");

        client.write_all(b"ping").await.unwrap();
        within("readable", poll_fn(|cx| server.poll_read_ready(cx))).await.unwrap();
        let mut buf = [0; 4];
        within("read_exact", server.read_exact(&mut buf)).await.unwrap();
        assert_eq!(&buf, b"ping");
        assert!(
            ready_now(|cx| server.poll_read_ready(cx)).await,
            "no read has found nothing since the bytes came: still readable"
        );
        assert_eq!(read_until_would_block(|buf| server.try_read(buf)), 0);
        assert!(!ready_now(|cx| server.poll_read_ready(cx)).await);

        drop(client);
        within("readable at EOF", poll_fn(|cx| server.poll_read_ready(cx))).await.unwrap();
    }};
}

#[ringline::test]
async fn tcp_stays_readable_until_a_read_finds_nothing() {
    let (client, server) = tcp_pair().await;
    assert_read_readiness_like_tokio!(client, server);
}

#[ringline::test]
async fn unix_stays_readable_until_a_read_finds_nothing() {
    let path = std::env::temp_dir().join(format!("ringline-readiness-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let (client, accepted) =
        within("connect+accept", async { tokio::join!(UnixStream::connect(&path), listener.accept()) }).await;
    let _ = std::fs::remove_file(&path);
    assert_read_readiness_like_tokio!(client.unwrap(), accepted.unwrap().0);
}

/// tokio's `read_closed` and `pair_starts_writable`: only an accepted stream
/// starts out readable; a connected one, or one of a pair, waits for bytes
/// (and is writable at once).
#[ringline::test]
async fn connected_and_paired_streams_wait_for_bytes() {
    let (client, mut server) = tcp_pair().await;
    assert!(!ready_now(|cx| client.poll_read_ready(cx)).await, "a connected stream starts readable");
    server.write_all(b"ping").await.unwrap();
    let ready = within("readable", client.ready(Interest::READABLE)).await.unwrap();
    assert!(ready.is_readable() && !ready.is_read_closed());

    let (a, b) = UnixStream::pair().unwrap();
    assert!(ready_now(|cx| a.poll_write_ready(cx)).await, "a fresh pair is writable");
    assert!(!ready_now(|cx| a.poll_read_ready(cx)).await, "a fresh pair starts readable");
    assert_eq!(b.try_write(b"hi").unwrap(), 2);
    within("pair readable", a.readable()).await.unwrap();
    assert_eq!(a.try_read(&mut [0; 8]).unwrap(), 2);
}

/// tokio's `tcp_accept_ready`: the first read of an accepted stream takes
/// what the peer sent before the accept at once, without waiting for an
/// event (io_uring: a `recv` before any receive is armed); a read that fills
/// the buffer leaves the rest readable at once too.
#[ringline::test]
async fn an_accepted_streams_first_reads_take_queued_bytes_at_once() {
    use std::io::Write;
    use std::os::fd::AsFd;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.write_all(b"helloworld").unwrap();
    let (stream, _) = within("accept", listener.accept()).await.unwrap();
    // Wait until the bytes are queued, through a duplicate (blocking, as the
    // socket is; a peek changes nothing ringline sees).
    let dup = std::net::TcpStream::from(stream.as_fd().try_clone_to_owned().unwrap());
    while dup.peek(&mut [0; 16]).unwrap() < 10 {
        std::thread::yield_now();
    }
    let mut buf = [0; 5];
    assert_eq!(stream.try_read(&mut buf).expect("bytes were queued before the first read"), 5);
    assert_eq!(stream.try_read(&mut buf).expect("a full read leaves the rest readable"), 5);
    assert_eq!(&buf, b"world");
    assert_eq!(stream.try_read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    client.write_all(b"later").unwrap();
    within("readable", stream.readable()).await.unwrap();
    let mut tail = [0; 8];
    let n = within("read", async {
        loop {
            match stream.try_read(&mut tail) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => stream.readable().await.unwrap(),
                other => return other.unwrap(),
            }
        }
    })
    .await;
    assert_eq!(&tail[..n], b"later");
}

/// tokio's `try_read_write`: `writable()` is ready before every `try_write`
/// until one says `WouldBlock`, and only then goes Pending.
#[ringline::test]
async fn writable_stays_ready_until_a_write_would_block() {
    let (client, _server) = tcp_pair().await;
    // Not a divisor of any queue size: the last write that fits is partial.
    let chunk = [3u8; 4000];
    let mut written = 0usize;
    loop {
        assert!(
            ready_now(|cx| client.poll_write_ready(cx)).await,
            "writable before a write said WouldBlock ({written} bytes in)"
        );
        match client.try_write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e:?}"),
        }
        assert!(written < 256 * 1024 * 1024, "an unread connection never refused bytes");
    }
    assert!(!ready_now(|cx| client.poll_write_ready(cx)).await, "a write said WouldBlock: not writable");
}

/// tokio's `accept_many`: one connection wakes every task awaiting `accept()`
/// on a shared listener, not only the last one to poll.
#[ringline::test]
async fn a_connection_wakes_every_task_awaiting_accept() {
    const TASKS: usize = 8;
    let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
    let addr = listener.local_addr().unwrap();
    let (polled_tx, mut polled_rx) = tokio::sync::mpsc::unbounded_channel();
    let (woken_tx, mut woken_rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..TASKS {
        let (listener, polled_tx, woken_tx) = (listener.clone(), polled_tx.clone(), woken_tx.clone());
        ringline::spawn(async move {
            let mut accept = pin!(listener.accept());
            let mut first = true;
            poll_fn(|cx| {
                if first {
                    first = false;
                    assert!(accept.as_mut().poll(cx).is_pending());
                    polled_tx.send(()).unwrap();
                    return Poll::Pending;
                }
                Poll::Ready(())
            })
            .await;
            woken_tx.send(()).unwrap();
        });
    }
    for _ in 0..TASKS {
        within("every task polls accept", polled_rx.recv()).await.unwrap();
    }
    let _client = within("connect", TcpStream::connect(addr)).await.unwrap();
    for _ in 0..TASKS {
        within("every acceptor wakes", woken_rx.recv()).await.unwrap();
    }
}

fn runtime() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// A listener made under `rt.enter()` on a thread that is not a worker.
fn listener_made_under_enter(rt: &Runtime) -> Arc<TcpListener> {
    let _entered = rt.enter();
    let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std.set_nonblocking(true).unwrap();
    Arc::new(TcpListener::from_std(std).unwrap())
}

/// Counts its wake-ups.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// tokio's `tcp_doesnt_block`: accepting on a dead runtime's listener, off
/// every runtime, fails at once instead of panicking or hanging.
#[test]
fn accept_on_a_dropped_runtimes_listener_fails_at_once() {
    let rt = runtime();
    let listener = listener_made_under_enter(&rt);
    drop(rt);
    let waker = Waker::from(Arc::new(Wakes::default()));
    let mut accept = pin!(listener.accept());
    match accept.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(result) => assert!(result.is_err(), "accept on a dead runtime: {result:?}"),
        Poll::Pending => panic!("accept on a dead runtime waits"),
    }
}

/// tokio's `drop_wakes`: an accept polled by hand off every runtime waits on
/// the runtime the listener was made in, and wakes with an error when it
/// drops.
#[test]
fn dropping_the_runtime_wakes_an_accept_polled_off_every_runtime() {
    let rt = runtime();
    let listener = listener_made_under_enter(&rt);
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut accept = pin!(listener.accept());
    assert!(accept.as_mut().poll(&mut cx).is_pending());
    drop(rt);
    assert!(wakes.0.load(Ordering::SeqCst) > 0, "the waiting task was not woken");
    match accept.as_mut().poll(&mut cx) {
        Poll::Ready(result) => assert!(result.is_err(), "accept after shutdown: {result:?}"),
        Poll::Pending => panic!("accept after shutdown still waits"),
    }
}

/// A waker that keeps the listener alive (the cycle of tokio's
/// `shutdown_drops_waker_holding_registration`) and says when it is dropped.
struct HoldsListener {
    _listener: Arc<TcpListener>,
    dropped: Arc<AtomicBool>,
}

impl Wake for HoldsListener {
    fn wake(self: Arc<Self>) {}
}

impl Drop for HoldsListener {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn shutdown_drops_a_waker_that_holds_its_listener() {
    let rt = runtime();
    let listener = listener_made_under_enter(&rt);
    let dropped = Arc::new(AtomicBool::new(false));
    {
        let waker = Waker::from(Arc::new(HoldsListener { _listener: listener.clone(), dropped: dropped.clone() }));
        assert!(listener.poll_accept(&mut Context::from_waker(&waker)).is_pending());
    }
    drop(listener);
    assert!(!dropped.load(Ordering::SeqCst), "the listener still holds the waker");
    drop(rt);
    assert!(dropped.load(Ordering::SeqCst), "runtime shutdown left the waker (and its listener) alive");
}

/// tokio's `rt_shutdown_err`: a listener made on a runtime that has shut
/// down before its first accept fails there with the shutdown error, rather
/// than binding to the runtime that polls it and waiting.
#[test]
fn an_object_whose_runtime_dropped_before_first_use_fails_on_another() {
    let first = runtime();
    let listener = first.block_on(async { TcpListener::bind("127.0.0.1:0").await.unwrap() });
    drop(first);
    runtime().block_on(async {
        let err = within("accept", listener.accept()).await.unwrap_err();
        assert!(ringline::runtime::is_rt_shutdown_err(&err), "{err:?}");
    });
}

/// tokio's `rt_handle_block_on::*_after_shutdown`: making a socket on a
/// runtime that has shut down fails with the shutdown error.
#[test]
fn binding_on_a_shut_down_runtime_fails() {
    let rt = runtime();
    let _entered = rt.enter();
    rt.shutdown_timeout(Duration::from_secs(5));
    let std = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::from_std(std).unwrap_err();
    assert!(ringline::runtime::is_rt_shutdown_err(&err), "{err:?}");
}
