//! The UDP load generator: `conns` connected sockets, each with one datagram
//! in flight, under one level-triggered epoll instance watching reads only.
//! Each datagram carries a sequence number, so a reply is counted only for
//! the datagram in flight; one lost (never seen on loopback) is sent again
//! after `RESEND`.
//!
//! Kept lean so the server, not the generator, is what runs out of CPU: two
//! system calls per round trip (the reply's `recv`, the next `send`) plus a
//! share of `epoll_wait`. It reads until it has the reply it waits for, not
//! until `WouldBlock` (level-triggered epoll reports anything left), and a
//! send's freed buffer space wakes nothing (no `EPOLLOUT`).

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::epoll::Epoll;
use super::{thread_cpu_time, LoadResult, LoadSpec, Tally, Window};

/// A datagram with no reply after this long is sent again.
const RESEND: Duration = Duration::from_millis(50);

/// One socket's place in its round trip.
struct Flow {
    socket: UdpSocket,
    /// The sequence number of the datagram in flight.
    seq: u64,
    /// When it was (first) sent.
    started: Instant,
    /// When it was last sent.
    sent: Instant,
}

/// Runs closed-loop UDP echo load of `size`-byte datagrams (at least 8).
pub fn run(spec: &LoadSpec, size: usize) -> io::Result<LoadResult> {
    let epoll = Epoll::new()?;
    let mut message = vec![b'u'; size.max(8)];
    let mut flows = Vec::with_capacity(spec.conns);
    for token in 0..spec.conns {
        let socket = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        socket.connect(spec.addr.ip_addr()?)?;
        socket.set_nonblocking(true)?;
        epoll.add_readable(socket.as_raw_fd(), token as u64)?;
        let now = Instant::now();
        flows.push(Flow { socket, seq: 0, started: now, sent: now });
    }
    let cpu_before = thread_cpu_time();
    let start = Instant::now();
    let window = Window { measure_from: start + spec.warmup, deadline: start + spec.warmup + spec.duration };
    let mut tally = Tally::new();
    for flow in &mut flows {
        flow.send(&mut message, Instant::now())?;
    }
    let mut reply = vec![0u8; message.len() + 64];
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    let mut last_check = Instant::now();
    loop {
        let now = Instant::now();
        if now >= window.deadline {
            break;
        }
        let timeout_ms = (window.deadline - now).as_millis().clamp(1, 10) as i32;
        for token in epoll.wait(&mut events, timeout_ms)? {
            flows[token as usize].receive(&mut message, &mut reply, &window, &mut tally)?;
        }
        let now = Instant::now();
        if now - last_check >= RESEND {
            last_check = now;
            for flow in flows.iter_mut().filter(|f| now - f.sent >= RESEND) {
                flow.resend(&mut message, now)?;
            }
        }
    }
    let wall = start.elapsed();
    let cpu = thread_cpu_time().saturating_sub(cpu_before);
    Ok(LoadResult { round_trips: tally.round_trips, elapsed: spec.duration, latency_ns: tally.latency_ns, cpu, wall })
}

impl Flow {
    /// Sends the next datagram.
    fn send(&mut self, message: &mut [u8], now: Instant) -> io::Result<()> {
        self.seq += 1;
        self.started = now;
        self.resend(message, now)
    }

    /// Sends the datagram in flight (again).
    fn resend(&mut self, message: &mut [u8], now: Instant) -> io::Result<()> {
        message[..8].copy_from_slice(&self.seq.to_be_bytes());
        self.sent = now;
        match self.socket.send(message) {
            Ok(_) => Ok(()),
            // No room: the resend timer tries again.
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reads replies until the one for the datagram in flight (which ends
    /// its round trip and sends the next) or until none is left.
    fn receive(&mut self, message: &mut [u8], reply: &mut [u8], window: &Window, tally: &mut Tally) -> io::Result<()> {
        loop {
            let n = match self.socket.recv(reply) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            };
            if n != message.len() || reply[..8] != self.seq.to_be_bytes() {
                continue; // a late reply to a datagram sent twice
            }
            let now = Instant::now();
            tally.record(self.started, now, window);
            if now < window.deadline {
                self.send(message, now)?;
            }
            return Ok(());
        }
    }
}
