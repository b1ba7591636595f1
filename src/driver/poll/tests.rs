//! Driver-level tests: real sockets, a real poller, no runtime.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::scheduled_io::Direction;
use super::{Driver, DriverConfig};
use crate::driver::waiters::{CountingWaker, WaitFor};
use crate::driver::Ready;

fn driver() -> Driver {
    Driver::new(&DriverConfig::default()).expect("mio driver")
}

#[test]
fn events_set_readiness_and_wake_the_reader() {
    let mut driver = driver();
    let handle = driver.handle();
    let (a, mut b) = UnixStream::pair().expect("socketpair");
    a.set_nonblocking(true).expect("non-blocking");
    let io = handle.register(a.as_raw_fd(), Ready::EMPTY).expect("register");
    assert_eq!(handle.counters().ops_in_flight, 1);
    assert_eq!(handle.counters().io_objects, 1);

    let (count, waker) = CountingWaker::new();
    assert!(io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Read, WaitFor::Io).is_pending());
    b.write_all(b"x").expect("write");
    driver.park(Some(Duration::from_secs(5)), &|| false);
    assert_eq!(count.count(), 1);
    assert!(matches!(io.poll_ready(None, Direction::Read, WaitFor::Io), Poll::Ready(Ok(_))));

    handle.deregister(a.as_raw_fd(), &io);
    assert_eq!(handle.counters().ops_in_flight, 0);
    assert_eq!(handle.counters().io_objects, 0);
}

#[test]
fn bytes_and_eof_in_one_event_survive_a_short_read() {
    let mut driver = driver();
    let handle = driver.handle();
    let (a, mut b) = UnixStream::pair().expect("socketpair");
    a.set_nonblocking(true).expect("non-blocking");
    let io = handle.register(a.as_raw_fd(), Ready::EMPTY).expect("register");
    b.write_all(b"last words").expect("write");
    b.shutdown(std::net::Shutdown::Write).expect("shutdown");
    driver.park(Some(Duration::from_secs(5)), &|| false);
    let Poll::Ready(Ok(seen)) = io.poll_ready(None, Direction::Read, WaitFor::Io) else { panic!("readable") };
    // The read of the bytes comes back short...
    io.clear_drained(seen);
    // ...and the EOF the same event reported must still be there to read.
    assert!(matches!(io.poll_ready(None, Direction::Read, WaitFor::Io), Poll::Ready(Ok(_))), "the EOF was forgotten");
    handle.deregister(a.as_raw_fd(), &io);
}

#[test]
fn a_stale_token_is_not_delivered_to_the_slot_reuser() {
    let mut driver = driver();
    let handle = driver.handle();
    let (a, _b) = UnixStream::pair().expect("socketpair");
    let (c, _d) = UnixStream::pair().expect("socketpair");
    let first = handle.register(a.as_raw_fd(), Ready::EMPTY).expect("register");
    handle.deregister(a.as_raw_fd(), &first);
    let second = handle.register(c.as_raw_fd(), Ready::EMPTY).expect("register");
    assert_eq!(first.token & super::SLOT_MASK, second.token & super::SLOT_MASK, "the slot is reused");
    assert_ne!(first.token, second.token, "under a new generation");
    // Deregistering the old owner again must not evict the new one.
    handle.deregister(a.as_raw_fd(), &first);
    assert_eq!(handle.counters().io_objects, 1);
    handle.deregister(c.as_raw_fd(), &second);
    driver.park(Some(Duration::ZERO), &|| false);
}

#[test]
fn unpark_wakes_a_parked_driver_from_another_thread() {
    let mut driver = driver();
    let handle = driver.handle();
    let waking = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !handle.parked.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::yield_now();
        }
        handle.unpark();
    });
    let start = Instant::now();
    driver.park(Some(Duration::from_secs(10)), &|| false);
    assert!(start.elapsed() < Duration::from_secs(8), "unpark did not wake the driver");
    waking.join().expect("waking thread");
    assert!(!driver.handle.parked.load(Ordering::SeqCst));
}

#[test]
fn pending_work_keeps_park_from_blocking() {
    let mut driver = driver();
    let start = Instant::now();
    driver.park(None, &|| true);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(!driver.handle.parked.load(Ordering::SeqCst));
}

#[test]
fn shutdown_fails_waiters_and_refuses_registrations() {
    let mut driver = driver();
    let handle = driver.handle();
    let (a, _b) = UnixStream::pair().expect("socketpair");
    let io = handle.register(a.as_raw_fd(), Ready::EMPTY).expect("register");
    let (count, waker) = CountingWaker::new();
    assert!(io.poll_ready(Some(&mut Context::from_waker(&waker)), Direction::Write, WaitFor::Io).is_pending());
    driver.shutdown();
    assert_eq!(count.count(), 1);
    assert!(matches!(io.poll_ready(None, Direction::Read, WaitFor::Io), Poll::Ready(Err(_))));
    assert!(handle.register(a.as_raw_fd(), Ready::EMPTY).is_err());
    handle.deregister(a.as_raw_fd(), &io);
    assert_eq!(handle.counters().io_objects, 0);
}
