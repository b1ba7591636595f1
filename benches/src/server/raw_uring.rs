//! The ceiling: an io_uring echo server with no runtime at all. One thread,
//! one ring, multishot accept, multishot receive into a provided buffer ring,
//! and sends straight out of the received buffer (one send in flight per
//! connection, so bytes never reorder). A buffer goes back to the ring when
//! its bytes have been sent.
//!
//! [`Variant`]s add one optimisation each (registered files, zero-copy
//! sends), to measure what it buys where nothing else costs anything.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use io_uring::squeue::Entry;
use io_uring::types::{Fd, Fixed};
use io_uring::{cqueue, opcode};

use crate::uring::{single_thread_ring, BufRing, Queue};

const RING_ENTRIES: u32 = 4096;
const BUF_GROUP: u16 = 0;
/// Provided buffers (a power of two); a connection holds at most one message.
const BUF_COUNT: u16 = 1024;
const BUF_SIZE: usize = 16 * 1024;

/// Slots in the registered file table (variant `fixed_files`), at most: a
/// connection's slot is its fd number. The kernel caps the table at
/// RLIMIT_NOFILE.
const MAX_FILE_SLOTS: u32 = 1 << 16;
/// Sends at least this big go out with SEND_ZC (variant `send_zc`).
const ZC_MIN: usize = 4096;

const ACCEPT: u64 = 0;
const RECV: u64 = 1;
const SEND: u64 = 2;

fn user_data(kind: u64, fd: i32) -> u64 {
    kind << 32 | fd as u32 as u64
}

/// What the loop adds to its plain form.
#[derive(Clone, Copy, Debug, Default)]
pub struct Variant {
    /// Receives and sends name the socket by its slot in a registered file
    /// table instead of by fd (no `fget`/`fput` per op).
    pub fixed_files: bool,
    /// Sends of at least `ZC_MIN` bytes use SEND_ZC; their buffer goes back
    /// to the ring only after the kernel's notification.
    pub send_zc: bool,
}

/// Serves echo on `addr` until an unrecoverable ring error.
pub fn echo(addr: SocketAddr, variant: Variant) -> io::Result<()> {
    let listener = std::net::TcpListener::bind(addr)?;
    // SAFETY: listen(2) on a socket we own; re-listening only raises the backlog.
    if unsafe { libc::listen(listener.as_raw_fd(), 4096) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut ring = single_thread_ring(RING_ENTRIES)?;
    let (submitter, sq, mut cq) = ring.split();
    let bufs = BufRing::new(&submitter, BUF_GROUP, BUF_COUNT, BUF_SIZE)?;
    let file_slots = if variant.fixed_files { nofile_limit().min(MAX_FILE_SLOTS) } else { 0 };
    if variant.fixed_files {
        submitter.register_files_sparse(file_slots)?;
    }
    let mut server =
        Server { sq: Queue { sq, submitter }, bufs, conns: Vec::new(), starved: Vec::new(), variant, file_slots };
    let lfd = listener.as_raw_fd();
    server.push(opcode::AcceptMulti::new(Fd(lfd)).build().user_data(user_data(ACCEPT, lfd)))?;
    loop {
        server.sq.submit_and_wait(None)?;
        cq.sync();
        for cqe in &mut cq {
            server.complete(cqe.user_data(), cqe.result(), cqe.flags(), lfd)?;
        }
        server.bufs.publish();
        if !server.starved.is_empty() {
            for fd in std::mem::take(&mut server.starved) {
                server.arm_recv(fd)?;
            }
        }
    }
}

/// The soft RLIMIT_NOFILE.
fn nofile_limit() -> u32 {
    // SAFETY: rlimit is plain data; all-zero is valid.
    let mut limit: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: getrlimit(2) fills in the rlimit we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    limit.rlim_cur.min(u32::MAX as libc::rlim_t) as u32
}

/// One part-sent received buffer.
struct Chunk {
    bid: u16,
    sent: u32,
    len: u32,
}

#[derive(Default)]
struct Conn {
    /// Received buffers not yet fully sent back, oldest first.
    pending: VecDeque<Chunk>,
    /// A send for `pending[0]` is in flight.
    sending: bool,
    /// The multishot receive has ended for good (EOF or error).
    recv_done: bool,
    /// A send failed: drop what arrives, close once the receive ends.
    failed: bool,
    /// Zero-copy sends whose notification has not arrived yet.
    notifs_pending: u32,
    /// Fully sent buffers waiting for those notifications.
    retired: Vec<u16>,
}

struct Server<'a> {
    sq: Queue<'a>,
    bufs: BufRing,
    /// Connections indexed by fd.
    conns: Vec<Option<Conn>>,
    /// Connections whose receive ended with ENOBUFS, re-armed after buffers return.
    starved: Vec<i32>,
    variant: Variant,
    /// Size of the registered file table (0 without `fixed_files`).
    file_slots: u32,
}

impl Server<'_> {
    fn push(&mut self, entry: Entry) -> io::Result<()> {
        // SAFETY: every entry points only at the listener, a connection fd
        // (closed only once its ops are done) or a provided buffer (alive for
        // the process).
        unsafe { self.sq.push(&entry) }
    }

    fn complete(&mut self, ud: u64, res: i32, flags: u32, lfd: i32) -> io::Result<()> {
        let fd = ud as u32 as i32;
        match ud >> 32 {
            ACCEPT => {
                if res >= 0 {
                    self.open(res)?;
                }
                if !cqueue::more(flags) {
                    let accept = opcode::AcceptMulti::new(Fd(lfd)).build();
                    self.push(accept.user_data(user_data(ACCEPT, lfd)))?;
                }
                Ok(())
            }
            RECV => self.on_recv(fd, res, flags),
            SEND if cqueue::notif(flags) => {
                self.on_notif(fd);
                Ok(())
            }
            SEND => self.on_send(fd, res, cqueue::more(flags)),
            _ => unreachable!("unknown user_data {ud:#x}"),
        }
    }

    fn open(&mut self, fd: i32) -> io::Result<()> {
        let one: libc::c_int = 1;
        // SAFETY: setsockopt(2) on a socket we own, reading one c_int we own.
        unsafe {
            libc::setsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        let at = fd as usize;
        if self.conns.len() <= at {
            self.conns.resize_with(at + 1, || None);
        }
        self.conns[at] = Some(Conn::default());
        if self.variant.fixed_files {
            if fd as u32 >= self.file_slots {
                return Err(io::Error::other("fd beyond the registered file table"));
            }
            self.sq.submitter.register_files_update(fd as u32, &[fd])?;
        }
        self.arm_recv(fd)
    }

    fn conn(&mut self, fd: i32) -> &mut Conn {
        self.conns[fd as usize].as_mut().expect("op completed on a closed connection")
    }

    fn arm_recv(&mut self, fd: i32) -> io::Result<()> {
        let recv = if self.variant.fixed_files {
            opcode::RecvMulti::new(Fixed(fd as u32), BUF_GROUP).build()
        } else {
            opcode::RecvMulti::new(Fd(fd), BUF_GROUP).build()
        };
        self.push(recv.user_data(user_data(RECV, fd)))
    }

    fn on_recv(&mut self, fd: i32, res: i32, flags: u32) -> io::Result<()> {
        if res > 0 {
            let bid = cqueue::buffer_select(flags).expect("multishot recv without a buffer");
            let conn = self.conn(fd);
            if conn.failed {
                self.bufs.give_back(bid);
            } else {
                conn.pending.push_back(Chunk { bid, sent: 0, len: res as u32 });
                if !conn.sending {
                    self.send_front(fd)?;
                }
            }
            if !cqueue::more(flags) {
                self.arm_recv(fd)?;
            }
        } else if res == -libc::ENOBUFS {
            self.starved.push(fd);
        } else {
            self.conn(fd).recv_done = true;
            self.close_if_done(fd);
        }
        Ok(())
    }

    /// A send's result; `notif_follows` for a zero-copy send whose buffer
    /// the kernel still holds.
    fn on_send(&mut self, fd: i32, res: i32, notif_follows: bool) -> io::Result<()> {
        let conn = self.conn(fd);
        conn.sending = false;
        conn.notifs_pending += notif_follows as u32;
        if res < 0 {
            conn.failed = true;
            let bids: Vec<u16> = conn.pending.drain(..).map(|c| c.bid).collect();
            conn.retired.extend(bids);
            let recv_done = conn.recv_done;
            self.release_retired(fd);
            if recv_done {
                self.close_if_done(fd);
            } else {
                // SAFETY: shutdown(2) on a socket we own; it ends the receive.
                unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
            }
            return Ok(());
        }
        let front = conn.pending.front_mut().expect("send completed with nothing pending");
        front.sent += res as u32;
        if front.sent == front.len {
            let bid = front.bid;
            conn.pending.pop_front();
            conn.retired.push(bid);
            self.release_retired(fd);
        }
        if !self.conn(fd).pending.is_empty() {
            self.send_front(fd)
        } else {
            self.close_if_done(fd);
            Ok(())
        }
    }

    /// A zero-copy send's buffer is the application's again.
    fn on_notif(&mut self, fd: i32) {
        self.conn(fd).notifs_pending -= 1;
        self.release_retired(fd);
        self.close_if_done(fd);
    }

    /// Gives back the fully sent buffers once no zero-copy send may still
    /// read them.
    fn release_retired(&mut self, fd: i32) {
        let conn = self.conns[fd as usize].as_mut().expect("op completed on a closed connection");
        if conn.notifs_pending == 0 {
            for bid in conn.retired.drain(..) {
                self.bufs.give_back(bid);
            }
        }
    }

    fn send_front(&mut self, fd: i32) -> io::Result<()> {
        let conn = self.conns[fd as usize].as_mut().expect("send on a closed connection");
        let chunk = conn.pending.front().expect("send with nothing pending");
        conn.sending = true;
        let data = &self.bufs.buf(chunk.bid)[chunk.sent as usize..chunk.len as usize];
        let (ptr, len) = (data.as_ptr(), data.len() as u32);
        let send = match (self.variant.send_zc && data.len() >= ZC_MIN, self.variant.fixed_files) {
            (true, true) => opcode::SendZc::new(Fixed(fd as u32), ptr, len).flags(libc::MSG_NOSIGNAL).build(),
            (true, false) => opcode::SendZc::new(Fd(fd), ptr, len).flags(libc::MSG_NOSIGNAL).build(),
            (false, true) => opcode::Send::new(Fixed(fd as u32), ptr, len).flags(libc::MSG_NOSIGNAL).build(),
            (false, false) => opcode::Send::new(Fd(fd), ptr, len).flags(libc::MSG_NOSIGNAL).build(),
        };
        self.push(send.user_data(user_data(SEND, fd)))
    }

    /// Closes the connection once its receive has ended and no send or
    /// zero-copy notification is outstanding.
    fn close_if_done(&mut self, fd: i32) {
        let conn = self.conn(fd);
        if !conn.recv_done || conn.sending || conn.notifs_pending > 0 {
            return;
        }
        self.conns[fd as usize] = None;
        if self.variant.fixed_files {
            let _ = self.sq.submitter.register_files_update(fd as u32, &[-1]);
        }
        // SAFETY: no op is in flight on fd (receive ended, no send pending).
        unsafe { libc::close(fd) };
    }
}
