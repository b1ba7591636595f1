//! The io_uring load generator: one thread, one ring, a multishot receive per
//! connection into a provided-buffer ring and one send per request, straight
//! from the shared request bytes. Under load it enters the kernel far less
//! than once per round trip.

use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use io_uring::types::Fd;
use io_uring::{cqueue, opcode};

use super::{connect_target, thread_cpu_time, LoadResult, LoadSpec, Protocol, Socket, Tally, Window};
use crate::uring::{single_thread_ring, BufRing, Queue};

const RING_ENTRIES: u32 = 4096;
const GROUP: u16 = 0;
/// Few buffers, so the ones in use stay in cache: each goes back to the
/// kernel as soon as its completion is seen.
const BUF_COUNT: u16 = 128;
const BUF_SIZE: usize = 16 * 1024;
/// How long closing may wait for the last receives to end.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

const SEND: u64 = 1;
const RECV: u64 = 2;

fn user_data(kind: u64, conn: usize) -> u64 {
    kind << 32 | conn as u64
}

/// One connection's place in its round trip.
struct Conn {
    stream: Socket,
    /// Bytes of the current request sent so far.
    written: usize,
    /// A send is in flight.
    sending: bool,
    /// The multishot receive is armed.
    receiving: bool,
    /// Received bytes not yet consumed (only kept if responses vary in length).
    buf: Vec<u8>,
    /// Count of received bytes not yet consumed.
    received: usize,
    /// When the current request started.
    started: Instant,
    /// Stopped issuing requests (the run is over).
    done: bool,
}

struct Client<'a, 'p> {
    sq: Queue<'a>,
    bufs: BufRing,
    conns: Vec<Conn>,
    proto: &'p dyn Protocol,
    /// `proto.fixed_response_len()`: count bytes instead of keeping them.
    fixed_len: Option<usize>,
    /// Connections whose multishot receive ended and must be armed again.
    rearm: Vec<usize>,
    /// Ops whose final completion has not arrived yet.
    in_flight: usize,
    /// Closing: completions are only counted, never acted on.
    draining: bool,
}

/// Runs closed-loop load like [`super::run`], over io_uring.
pub fn run(spec: &LoadSpec, proto: &dyn Protocol) -> io::Result<LoadResult> {
    let streams = connect_target(&spec.addr, spec.conns)?;
    let mut ring = single_thread_ring(RING_ENTRIES)?;
    let (submitter, sq, mut cq) = ring.split();
    let bufs = BufRing::new(&submitter, GROUP, BUF_COUNT, BUF_SIZE)?;
    let conns = streams
        .into_iter()
        .map(|stream| Conn {
            stream,
            written: 0,
            sending: false,
            receiving: false,
            buf: Vec::new(),
            received: 0,
            started: Instant::now(),
            done: false,
        })
        .collect();
    let mut client = Client {
        sq: Queue { sq, submitter },
        bufs,
        conns,
        proto,
        fixed_len: proto.fixed_response_len(),
        rearm: Vec::new(),
        in_flight: 0,
        draining: false,
    };

    let cpu_before = thread_cpu_time();
    let start = Instant::now();
    let window = Window { measure_from: start + spec.warmup, deadline: start + spec.warmup + spec.duration };
    let mut tally = Tally::new();
    let outcome = (|| -> io::Result<()> {
        for i in 0..client.conns.len() {
            client.arm_recv(i)?;
            client.conns[i].started = Instant::now();
            client.send(i)?;
        }
        loop {
            let now = Instant::now();
            if now >= window.deadline {
                return Ok(());
            }
            client.sq.submit_and_wait(Some((window.deadline - now).min(Duration::from_millis(100))))?;
            cq.sync();
            for cqe in &mut cq {
                client.complete(cqe.user_data(), cqe.result(), cqe.flags(), &window, &mut tally)?;
            }
            client.after_batch()?;
        }
    })();
    let wall = start.elapsed();
    let cpu = thread_cpu_time().saturating_sub(cpu_before);

    // Close: end every receive, wait for all ops, and only then free the buffers.
    client.draining = true;
    for conn in &client.conns {
        // SAFETY: shutdown(2) on a socket we own; it ends the pending receive.
        unsafe { libc::shutdown(conn.stream.as_raw_fd(), libc::SHUT_RDWR) };
    }
    let drain_deadline = Instant::now() + DRAIN_TIMEOUT;
    while client.in_flight > 0 && Instant::now() < drain_deadline {
        client.sq.submit_and_wait(Some(Duration::from_millis(50)))?;
        cq.sync();
        for cqe in &mut cq {
            client.complete(cqe.user_data(), cqe.result(), cqe.flags(), &window, &mut tally)?;
        }
    }
    if client.in_flight == 0 {
        let _ = client.sq.submitter.unregister_buf_ring(GROUP);
    } else {
        // The kernel may still write into the buffers: never free them.
        std::mem::forget(client.bufs);
    }
    outcome?;
    Ok(LoadResult { round_trips: tally.round_trips, elapsed: spec.duration, latency_ns: tally.latency_ns, cpu, wall })
}

impl Client<'_, '_> {
    fn arm_recv(&mut self, i: usize) -> io::Result<()> {
        let fd = Fd(self.conns[i].stream.as_raw_fd());
        let entry = opcode::RecvMulti::new(fd, GROUP).build().user_data(user_data(RECV, i));
        // SAFETY: the socket lives in `conns` and the buffers in `bufs` until
        // every op has completed (see the drain in `run`).
        unsafe { self.sq.push(&entry)? };
        self.conns[i].receiving = true;
        self.in_flight += 1;
        Ok(())
    }

    /// Sends the unsent rest of the current request.
    fn send(&mut self, i: usize) -> io::Result<()> {
        let conn = &mut self.conns[i];
        let rest = &self.proto.request()[conn.written..];
        let entry = opcode::Send::new(Fd(conn.stream.as_raw_fd()), rest.as_ptr(), rest.len() as u32)
            .flags(libc::MSG_NOSIGNAL)
            .build()
            .user_data(user_data(SEND, i));
        conn.sending = true;
        // SAFETY: the request bytes outlive the run; the socket lives in
        // `conns` until every op has completed.
        unsafe { self.sq.push(&entry)? };
        self.in_flight += 1;
        Ok(())
    }

    fn complete(&mut self, ud: u64, res: i32, flags: u32, window: &Window, tally: &mut Tally) -> io::Result<()> {
        let i = ud as u32 as usize;
        match ud >> 32 {
            SEND => {
                self.in_flight -= 1;
                self.conns[i].sending = false;
                if self.draining {
                    return Ok(());
                }
                if res < 0 {
                    return Err(io::Error::from_raw_os_error(-res));
                }
                self.conns[i].written += res as usize;
                if self.conns[i].written < self.proto.request().len() {
                    self.send(i)?;
                }
                Ok(())
            }
            RECV => {
                if !cqueue::more(flags) {
                    self.in_flight -= 1;
                    self.conns[i].receiving = false;
                    if res > 0 || res == -libc::ENOBUFS {
                        self.rearm.push(i);
                    }
                }
                if res > 0 {
                    let bid = cqueue::buffer_select(flags).expect("multishot recv without a buffer");
                    let conn = &mut self.conns[i];
                    conn.received += res as usize;
                    if self.fixed_len.is_none() {
                        conn.buf.extend_from_slice(&self.bufs.buf(bid)[..res as usize]);
                    }
                    self.bufs.give_back(bid);
                }
                if self.draining {
                    return Ok(());
                }
                match res {
                    r if r > 0 => self.on_bytes(i, window, tally),
                    r if r == -libc::ENOBUFS => Ok(()),
                    0 => Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed")),
                    r => Err(io::Error::from_raw_os_error(-r)),
                }
            }
            _ => unreachable!("unknown user_data {ud:#x}"),
        }
    }

    /// Consumes a complete response, if there is one, and starts the next request.
    fn on_bytes(&mut self, i: usize, window: &Window, tally: &mut Tally) -> io::Result<()> {
        let conn = &mut self.conns[i];
        let complete = match self.fixed_len {
            Some(len) => (conn.received >= len).then_some(len),
            None => self.proto.response_len(&conn.buf),
        };
        let Some(len) = complete else { return Ok(()) };
        if conn.sending || conn.written < self.proto.request().len() {
            return Err(io::Error::other("response arrived before its request was sent"));
        }
        let now = Instant::now();
        tally.record(conn.started, now, window);
        conn.received -= len;
        if self.fixed_len.is_none() {
            conn.buf.drain(..len);
        }
        conn.done = now >= window.deadline;
        if !conn.done {
            conn.written = 0;
            conn.started = now;
            self.send(i)?;
        }
        Ok(())
    }

    /// After a batch of completions: hand back buffers, re-arm receives.
    fn after_batch(&mut self) -> io::Result<()> {
        self.bufs.publish();
        for i in std::mem::take(&mut self.rearm) {
            if !self.conns[i].receiving {
                self.arm_recv(i)?;
            }
        }
        Ok(())
    }
}
