//! Helpers the integration test files share (`mod support;` in each).
#![allow(dead_code)] // each test file uses its own subset

use std::time::Duration;

use ringline::io::{AsyncWrite, AsyncWriteExt};
use ringline::runtime::{DriverCounters, Handle};
use ringline::time::{sleep, timeout};

/// The current runtime's driver counters, once the workers have published
/// them at least once.
pub async fn baseline() -> DriverCounters {
    sleep(Duration::from_millis(10)).await;
    Handle::current().driver_counters()
}

/// Waits (up to 2 s) until the driver counters are back at `baseline`, then
/// asserts it: whatever the test dropped has given back every op, buffer and
/// object.
pub async fn settles_to(baseline: DriverCounters) {
    let handle = Handle::current();
    for _ in 0..400 {
        if handle.driver_counters() == baseline {
            return;
        }
        sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(handle.driver_counters(), baseline, "driver resources leaked");
}

/// Writes 64 KiB chunks to `writer`, whose peer never reads, until one
/// waits (20 ms without finishing); asserts that one does within 1,000
/// chunks. The kernel's buffer and the stream's send queue are then full, and
/// a dropped write leaves work in flight.
pub async fn write_until_blocked(writer: &mut (impl AsyncWrite + Unpin)) {
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut blocked = false;
    for _ in 0..1000 {
        if timeout(Duration::from_millis(20), writer.write_all(&chunk)).await.is_err() {
            blocked = true;
            break;
        }
    }
    assert!(blocked, "writes to a peer that never reads must eventually wait");
}

/// The errnos every injected io_uring op is tried with (issue 13's list).
pub const KERNEL_ERRNOS: &[i32] = &[
    libc::ECONNRESET,
    libc::EPIPE,
    libc::ENOBUFS,
    libc::EMFILE,
    libc::ENFILE,
    libc::ECANCELED,
    libc::EAGAIN,
    libc::EINTR,
    libc::ETIME,
    libc::ENOMEM,
    libc::EBADF,
    libc::EINVAL,
];

/// A waker that owns a handle (a socket, typically the last handle to the
/// socket it waits on) and drops it when woken: a driver that wakes while
/// holding the socket's lock deadlocks on it.
#[derive(Default)]
pub struct DropsOnWake<T>(std::sync::Mutex<Option<T>>);

impl<T: Send + 'static> DropsOnWake<T> {
    /// The owner and a waker pointing at it.
    pub fn new() -> (std::sync::Arc<Self>, std::task::Waker) {
        let owner = std::sync::Arc::new(DropsOnWake(std::sync::Mutex::new(None)));
        (owner.clone(), std::task::Waker::from(owner))
    }

    /// Hands `handle` to the waker, to be dropped on its wake-up.
    pub fn hold(&self, handle: T) {
        *self.0.lock().expect("not poisoned") = Some(handle);
    }

    /// Whether the wake-up came (and dropped the handle).
    pub fn dropped(&self) -> bool {
        self.0.lock().expect("not poisoned").is_none()
    }
}

impl<T: Send + 'static> std::task::Wake for DropsOnWake<T> {
    fn wake(self: std::sync::Arc<Self>) {
        drop(self.0.lock().expect("not poisoned").take());
    }
}

/// Runs `body` on a thread of its own and fails (instead of hanging the
/// test binary) when it has not returned within 10 s: for bugs that would
/// hang a runtime's worker, which no in-runtime timeout can catch.
pub fn on_thread_within_10s(what: &str, body: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        body();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(Duration::from_secs(10)) {
        Ok(()) => thread.join().expect("the body panicked after finishing"),
        // The body panicked: re-raise its panic here.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(thread.join().expect_err("no result and no panic"))
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung for 10 s"),
    }
}
