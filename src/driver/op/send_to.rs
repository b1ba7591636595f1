//! `sendto(2)`: one datagram to an address, or to the connected peer.

use std::io;
use std::os::fd::BorrowedFd;

use socket2::{SockAddr, SockRef};

use super::OpAble;
use crate::driver::poll::Direction;

/// The datagram (copied: the kernel reads it until the completion) and
/// where it goes (None: the connected peer).
pub(crate) struct SendTo {
    buf: Vec<u8>,
    target: Option<SockAddr>,
}

impl SendTo {
    /// A send of a copy of `buf` to `target`.
    pub(crate) fn new(buf: &[u8], target: Option<&SockAddr>) -> SendTo {
        SendTo { buf: buf.to_vec(), target: target.cloned() }
    }
}

impl OpAble for SendTo {
    const DIRECTION: Direction = Direction::Write;

    #[cfg(all(target_os = "linux", feature = "uring"))]
    fn uring_sqe(&mut self, fd: std::os::fd::RawFd) -> io_uring::squeue::Entry {
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        let send = io_uring::opcode::Send::new(io_uring::types::Fd(fd), self.buf.as_ptr(), len);
        match &self.target {
            Some(addr) => send.dest_addr(addr.as_ptr().cast()).dest_addr_len(addr.len()).build(),
            None => send.build(),
        }
    }

    fn poll_call(&mut self, fd: BorrowedFd<'_>) -> io::Result<u32> {
        let sock = SockRef::from(&fd);
        let sent = match &self.target {
            Some(addr) => sock.send_to(&self.buf, addr)?,
            None => sock.send(&self.buf)?,
        };
        Ok(u32::try_from(sent).unwrap_or(u32::MAX))
    }
}
