//! A runtime that has shut down, and no runtime at all, as tokio behaves
//! (tokio's `rt_handle_block_on`, `rt_shutdown_err`, `io_driver_drop` and
//! `no_rt`): with the runtime still entered after `shutdown_timeout`, new
//! sockets fail with the error `runtime::is_rt_shutdown_err` recognises, file
//! operations with tokio's "background task failed", stdio writes with the
//! shutdown error; an object made in a runtime that has gone fails on another
//! one, and its waiters are woken (and their wakers dropped) by the drop.
//! Outside any runtime, I/O, files, stdio and timers panic with tokio's
//! "there is no reactor running" message. (Spawning, sleeping and blocking
//! jobs around a shutdown: `tests/runtime_shutdown.rs`.)

use std::any::Any;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use ringline::io::AsyncWriteExt;
use ringline::net::{TcpListener, TcpStream, UdpSocket, UnixListener};
use ringline::runtime::{is_rt_shutdown_err, Builder, Handle, Runtime};

/// tokio's panic outside any runtime.
const NO_RUNTIME: &str = "there is no reactor running, must be called from the context of a Tokio 1.x runtime";
/// Generous bound for what must finish at once.
const WAIT: Duration = Duration::from_secs(10);

/// tokio's three test flavors: current-thread, one worker, several.
fn runtimes() -> Vec<(&'static str, Runtime)> {
    vec![
        ("current_thread", Builder::new_current_thread().enable_all().build().expect("runtime")),
        ("multi_thread(1)", Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime")),
        ("multi_thread(2)", Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")),
    ]
}

/// A fresh path in the temp directory (nothing created there yet).
fn temp_path(what: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("ringline-shutdown-{}-{what}-{n}", std::process::id()))
}

/// `Handle::current().block_on(future)` on another thread, failing the test
/// instead of hanging it if that never returns.
fn block_on_current<F: Future + Send + 'static>(handle: &Handle, future: F) -> F::Output
where
    F::Output: Send + 'static,
{
    let handle = handle.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _enter = handle.enter();
        let _ = tx.send(Handle::current().block_on(future));
    });
    rx.recv_timeout(WAIT).expect("Handle::block_on returned")
}

/// The panic message of `f`, if it panicked.
fn panic_message(f: impl FnOnce()) -> Option<String> {
    let payload: Box<dyn Any + Send> = catch_unwind(AssertUnwindSafe(f)).err()?;
    let text =
        payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()));
    Some(text.unwrap_or_default())
}

/// `io` with a bound: failing the test instead of hanging it.
async fn bounded<T>(flavor: &str, io: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    ringline::time::timeout(WAIT, io).await.unwrap_or_else(|_| panic!("{flavor}: waited forever"))
}

fn assert_shutdown_err<T: std::fmt::Debug>(what: &str, res: io::Result<T>) {
    let err = res.expect_err(what);
    assert!(is_rt_shutdown_err(&err), "{what}: not tokio's shutdown error: {err:?}");
}

#[test]
fn sockets_made_after_shutdown_fail_with_the_shutdown_error() {
    for (flavor, rt) in runtimes() {
        let _enter = rt.enter();
        let handle = Handle::current();
        // Made before the shutdown, first polled after it.
        let bind_before = TcpListener::bind("127.0.0.1:0");
        let udp_before = UdpSocket::bind("127.0.0.1:0");
        let peer = std::net::TcpListener::bind("127.0.0.1:0").expect("std listener");
        let peer_addr = peer.local_addr().expect("address");
        rt.shutdown_timeout(Duration::from_secs(100));

        assert_shutdown_err(flavor, handle.block_on(bind_before));
        assert_shutdown_err(flavor, handle.block_on(udp_before));
        assert_shutdown_err(flavor, handle.block_on(TcpListener::bind("127.0.0.1:0")));
        assert_shutdown_err(flavor, handle.block_on(UdpSocket::bind("127.0.0.1:0")));
        assert_shutdown_err(flavor, handle.block_on(TcpStream::connect(peer_addr)));
        assert_shutdown_err(flavor, UnixListener::bind(temp_path("sock")));
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("std listener");
        std_listener.set_nonblocking(true).expect("non-blocking");
        assert_shutdown_err(flavor, TcpListener::from_std(std_listener));
    }
}

#[test]
fn sockets_of_a_dropped_runtime_fail_on_another_one() {
    use ringline::io::AsyncReadExt;
    for (flavor, rt) in runtimes() {
        // Made in `rt`, never polled there: no driver has them yet.
        let (listener, udp, mut stream, _peer) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("std listener");
            let stream = TcpStream::connect(std_listener.local_addr().expect("address")).await.expect("connect");
            let peer = std_listener.accept().expect("accept");
            (listener, udp, stream, peer)
        });
        drop(rt);
        let other = Builder::new_current_thread().enable_all().build().expect("runtime");
        other.block_on(async {
            let accept = bounded(flavor, listener.accept()).await;
            assert_shutdown_err(flavor, accept.map(|(_, addr)| addr));
            let mut buf = [0; 8];
            assert_shutdown_err(flavor, bounded(flavor, udp.recv(&mut buf)).await);
            assert_shutdown_err(flavor, bounded(flavor, stream.read(&mut buf)).await);
        });
    }
}

#[test]
fn file_operations_after_shutdown_fail_as_a_background_task() {
    let path = temp_path("file");
    std::fs::write(&path, b"contents").expect("write the file");
    for (flavor, rt) in runtimes() {
        let _enter = rt.enter();
        let handle = Handle::current();
        rt.shutdown_timeout(Duration::from_secs(100));
        let err = handle.block_on(ringline::fs::read_to_string(path.clone())).expect_err(flavor);
        assert_eq!(err.kind(), io::ErrorKind::Other, "{flavor}: {err:?}");
        let inner = err.get_ref().expect("an inner error");
        assert_eq!(inner.to_string(), "background task failed", "{flavor}");
    }
    std::fs::remove_file(path).expect("remove the file");
}

#[test]
fn a_current_thread_runtime_reads_files_through_handle_block_on() {
    // Nobody drives the current-thread runtime's ring outside
    // `Runtime::block_on`: a file op submitted to it from here waited forever.
    let path = temp_path("read");
    std::fs::write(&path, b"through the pool").expect("write the file");
    for (flavor, rt) in runtimes() {
        let read = block_on_current(rt.handle(), ringline::fs::read_to_string(path.clone()));
        assert_eq!(read.expect(flavor), "through the pool", "{flavor}");
    }
    std::fs::remove_file(path).expect("remove the file");
}

#[test]
fn stdio_writes_after_shutdown_fail_with_the_shutdown_error() {
    for (flavor, rt) in runtimes() {
        let _enter = rt.enter();
        let handle = Handle::current();
        rt.shutdown_timeout(Duration::from_secs(100));
        assert_shutdown_err(flavor, handle.block_on(async { ringline::io::stdout().write_all(b"x").await }));
        assert_shutdown_err(flavor, handle.block_on(async { ringline::io::stderr().write_all(b"x").await }));
    }
}

/// A call that should panic, and what it is.
type NamedCall = (&'static str, Box<dyn FnOnce()>);

#[test]
fn no_runtime_panics_with_tokios_message() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("std listener");
    let addr = std_listener.local_addr().expect("address");
    let calls: [NamedCall; 5] = [
        ("from_std", Box::new(|| drop(TcpListener::from_std(std_listener)))),
        ("connect", Box::new(move || drop(poll_here(TcpStream::connect(addr))))),
        ("fs", Box::new(|| drop(poll_here(ringline::fs::read(temp_path("none")))))),
        ("stdout", Box::new(|| drop(poll_here(async { ringline::io::stdout().write_all(b"x").await })))),
        ("timeout", Box::new(|| poll_here(ringline::time::sleep(Duration::from_millis(1))))),
    ];
    for (what, call) in calls {
        let msg = panic_message(call);
        assert!(msg.as_deref().is_some_and(|m| m.contains(NO_RUNTIME)), "{what}: {msg:?}");
    }
}

/// Polls `future` on this thread, with no runtime, until it is ready.
fn poll_here<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    for _ in 0..1000 {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("not ready after a second");
}

/// A waker that records its wake-up and may own an I/O object (the cycle of
/// tokio's `io_driver_drop`: the object's driver holds the waker, the waker
/// holds the object); `dropped` is set when the waker itself is dropped.
struct OwningWaker<T> {
    woken: AtomicBool,
    _owned: T,
    dropped: Arc<AtomicBool>,
}

impl<T: Send + Sync> std::task::Wake for OwningWaker<T> {
    fn wake(self: Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
    }
}

impl<T> Drop for OwningWaker<T> {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// A waker owning `owned`, and the flag its drop sets.
fn owning_waker<T: Send + Sync + 'static>(owned: T) -> (Arc<OwningWaker<T>>, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    (Arc::new(OwningWaker { woken: AtomicBool::new(false), _owned: owned, dropped: dropped.clone() }), dropped)
}

/// Runs `f` on a thread of its own, failing instead of hanging.
fn bounded_thread(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(WAIT).unwrap_or_else(|_| panic!("{what}: did not finish (hung, or panicked)"));
}

#[test]
fn polled_in_no_runtime_an_object_is_woken_when_its_runtime_drops() {
    for (flavor, rt) in runtimes() {
        let listener = {
            let _enter = rt.enter();
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("std listener");
            std_listener.set_nonblocking(true).expect("non-blocking");
            TcpListener::from_std(std_listener).expect("from_std")
        };
        // This thread is in no runtime: the listener waits on its own runtime.
        let (waker, _) = owning_waker(());
        let std_waker = std::task::Waker::from(waker.clone());
        let mut cx = std::task::Context::from_waker(&std_waker);
        assert!(listener.poll_accept(&mut cx).is_pending(), "{flavor}: nothing to accept");
        drop(rt);
        assert!(waker.woken.load(Ordering::SeqCst), "{flavor}: the runtime's drop woke the listener's task");
        match listener.poll_accept(&mut cx) {
            std::task::Poll::Ready(res) => assert_shutdown_err(flavor, res.map(|(_, addr)| addr)),
            std::task::Poll::Pending => panic!("{flavor}: still pending after the runtime dropped"),
        }
    }
}

#[test]
fn a_waker_owning_its_listener_is_dropped_with_the_runtime() {
    for (flavor, rt) in runtimes() {
        bounded_thread(flavor, move || {
            let listener = rt.block_on(async { Arc::new(TcpListener::bind("127.0.0.1:0").await.expect("bind")) });
            let (waker, dropped) = owning_waker(listener.clone());
            rt.block_on(async {
                let waker = std::task::Waker::from(waker);
                assert!(listener.poll_accept(&mut std::task::Context::from_waker(&waker)).is_pending());
            });
            // The driver holds the waker, the waker the listener.
            drop(listener);
            assert!(!dropped.load(Ordering::SeqCst));
            drop(rt);
            assert!(dropped.load(Ordering::SeqCst), "the waker outlived the runtime");
        });
    }
}
