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
