//! Op lifecycle through the real ring: resources live until the kernel's
//! completion, are freed exactly once, and stale completions are ignored.

use std::future::Future;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use io_uring::{opcode, types};

use super::oneshot::Oneshot;
use super::ring::InFlight;
use super::Driver;
use crate::driver::op::OpAble;
use crate::driver::poll::Direction;
use crate::driver::DriverConfig;

/// A pipe read whose buffer's drop is counted.
struct Counted {
    buf: [u8; 8],
    drops: Arc<AtomicUsize>,
}

impl OpAble for Counted {
    const DIRECTION: Direction = Direction::Read;

    fn uring_sqe(&mut self, fd: RawFd) -> io_uring::squeue::Entry {
        opcode::Read::new(types::Fd(fd), self.buf.as_mut_ptr(), 8).build()
    }

    fn poll_call(&mut self, _fd: BorrowedFd<'_>) -> std::io::Result<u32> {
        unreachable!("these tests drive the io_uring path")
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array we pass.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 succeeded: both fds are new and ours.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn read_op(driver: &Driver, drops: &Arc<AtomicUsize>) -> (Oneshot<Counted>, OwnedFd) {
    let (rx, tx) = pipe();
    let target = Counted { buf: [0; 8], drops: drops.clone() };
    (Oneshot::on(driver.handle(), Arc::new(rx), target), tx)
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let waker = futures_util::task::noop_waker();
    Pin::new(f).poll(&mut Context::from_waker(&waker))
}

fn turn(driver: &mut Driver) {
    driver.park(Some(Duration::from_millis(5)), &|| false);
}

fn ops_in_flight(driver: &Driver) -> usize {
    driver.ring.in_flight() - 1 // the driver's own wake-up read
}

#[test]
fn dropped_op_keeps_its_buffer_until_the_completion_then_frees_it_once() {
    let mut driver = Driver::new(&DriverConfig::default()).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut op, _writer) = read_op(&driver, &drops);
    assert!(poll_once(&mut op).is_pending());
    turn(&mut driver); // submitted: the kernel now holds the buffer
    assert_eq!(ops_in_flight(&driver), 1);
    drop(op);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "freed while the kernel may still write it");
    for _ in 0..10 {
        turn(&mut driver); // cancel goes out, ECANCELED comes back
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(ops_in_flight(&driver), 0);
}

#[test]
fn completed_op_returns_its_resources_with_the_result() {
    let mut driver = Driver::new(&DriverConfig::default()).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (mut op, writer) = read_op(&driver, &drops);
    assert!(poll_once(&mut op).is_pending());
    turn(&mut driver);
    // SAFETY: writes 3 bytes from a valid buffer to our pipe.
    assert_eq!(unsafe { libc::write(writer.as_raw_fd(), b"abc".as_ptr().cast(), 3) }, 3);
    let (result, target) = loop {
        turn(&mut driver);
        if let Poll::Ready(done) = poll_once(&mut op) {
            break done;
        }
    };
    assert_eq!(result, 3);
    assert_eq!(&target.buf[..3], b"abc");
    drop(target);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(ops_in_flight(&driver), 0);
}

#[test]
fn op_dropped_before_submission_is_never_submitted() {
    let mut driver = Driver::new(&DriverConfig::default()).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let (op, _writer) = read_op(&driver, &drops);
    drop(op);
    turn(&mut driver);
    assert_eq!(ops_in_flight(&driver), 0);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn stale_completion_for_a_reused_slot_is_ignored() {
    let mut driver = Driver::new(&DriverConfig::default()).unwrap();
    let first = driver.ring.submit(opcode::Nop::new().build(), InFlight::nobody());
    turn(&mut driver);
    let second = driver.ring.submit(opcode::Nop::new().build(), InFlight::nobody());
    assert_eq!(first & 0xffff_ffff, second & 0xffff_ffff, "slot reused");
    assert_ne!(first, second, "generation differs");
    assert!(driver.ring.take_owner(first, false).is_none(), "stale user_data matched");
    assert!(driver.ring.take_owner(second, false).is_some());
}

#[test]
fn shutdown_cancels_everything_in_flight_and_frees_it() {
    let mut driver = Driver::new(&DriverConfig::default()).unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let mut ops = Vec::new();
    for _ in 0..32 {
        let (mut op, writer) = read_op(&driver, &drops);
        assert!(poll_once(&mut op).is_pending());
        ops.push((op, writer));
    }
    turn(&mut driver);
    assert_eq!(ops_in_flight(&driver), 32);
    drop(ops);
    driver.shutdown();
    assert_eq!(driver.ring.in_flight(), 0);
    assert_eq!(drops.load(Ordering::SeqCst), 32);
}

#[test]
fn send_to_op_sends_its_own_copy_of_the_datagram() {
    use crate::driver::op::send_to::SendTo;
    let mut driver = Driver::new(&DriverConfig::default()).unwrap();
    let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = socket2::SockAddr::from(rx.local_addr().unwrap());
    let mut payload = b"datagram".to_vec();
    let mut op = Oneshot::on(driver.handle(), Arc::new(OwnedFd::from(tx)), SendTo::new(&payload, Some(&to)));
    payload.fill(0); // the op sends its copy, not the caller's memory
    let (result, _op) = loop {
        turn(&mut driver);
        if let Poll::Ready(done) = poll_once(&mut op) {
            break done;
        }
    };
    assert_eq!(result, 8);
    let mut buf = [0u8; 16];
    let n = rx.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"datagram");
    assert_eq!(ops_in_flight(&driver), 0);
}
