//! Helpers the integration test files share (`mod support;` in each).
#![allow(dead_code)] // each test file uses its own subset

use std::time::Duration;

use ringline::runtime::{DriverCounters, Handle};
use ringline::time::sleep;

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
