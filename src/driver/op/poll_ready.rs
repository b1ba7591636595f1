//! `POLL_ADD` (one shot): wait until a socket is readable or writable.
//!
//! For objects driven by readiness on io_uring too (the datagram socket):
//! each waiter arms its own poll, so any number of tasks may wait at once.
//! On the readiness backend the registration already knows, so the call
//! only reports that the half is ready.

use std::io;
use std::os::fd::BorrowedFd;

use super::OpAble;
use crate::driver::poll::Direction;

/// Waits for the read half (`WRITE == false`) or the write half of a socket;
/// resolves to the `poll(2)` event mask on io_uring.
pub(crate) struct PollReady<const WRITE: bool>;

impl<const WRITE: bool> OpAble for PollReady<WRITE> {
    const DIRECTION: Direction = if WRITE { Direction::Write } else { Direction::Read };

    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: std::os::fd::RawFd) -> io_uring::squeue::Entry {
        let events = if WRITE { libc::POLLOUT } else { libc::POLLIN | libc::POLLRDHUP };
        io_uring::opcode::PollAdd::new(io_uring::types::Fd(fd), events as u32).build()
    }

    /// The half is ready (the registration checked before calling).
    fn poll_call(&mut self, _fd: BorrowedFd<'_>) -> io::Result<u32> {
        Ok(0)
    }
}
