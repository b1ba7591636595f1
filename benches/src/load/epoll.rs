//! The epoll load generator: non-blocking sockets under one edge-triggered
//! epoll instance. Per round trip: one write, usually one read, and a share
//! of an `epoll_wait`.

use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use super::{connect_target, thread_cpu_time, LoadResult, LoadSpec, Protocol, Socket, Tally, Window};

/// An epoll instance.
pub(super) struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// Creates the instance.
    pub(super) fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1(2) takes no pointers.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: epoll_create1(2) ensures the fd is valid, and nothing else owns it.
        Ok(Epoll { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Watches `fd` for reads and writes, edge-triggered, reporting `token`.
    pub(super) fn add(&self, fd: RawFd, token: u64) -> io::Result<()> {
        self.add_events(fd, token, libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLET)
    }

    /// Watches `fd` for reads only, level-triggered, reporting `token`: a
    /// reader may stop before `WouldBlock`, and sends wake nothing.
    pub(super) fn add_readable(&self, fd: RawFd, token: u64) -> io::Result<()> {
        self.add_events(fd, token, libc::EPOLLIN)
    }

    fn add_events(&self, fd: RawFd, token: u64, events: libc::c_int) -> io::Result<()> {
        let mut event = libc::epoll_event { events: events as u32, u64: token };
        // SAFETY: `event` is a valid epoll_event for the duration of the call.
        let rc = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits up to `timeout_ms` and returns the tokens of the ready fds.
    pub(super) fn wait<'a>(
        &self,
        events: &'a mut [libc::epoll_event],
        timeout_ms: i32,
    ) -> io::Result<impl Iterator<Item = u64> + 'a> {
        // SAFETY: the kernel writes at most events.len() entries into `events`.
        let n = unsafe { libc::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), events.len() as i32, timeout_ms) };
        let n = match n {
            n if n >= 0 => n as usize,
            _ => match io::Error::last_os_error() {
                e if e.kind() == io::ErrorKind::Interrupted => 0,
                e => return Err(e),
            },
        };
        Ok(events[..n].iter().map(|event| event.u64))
    }
}

/// One connection's place in its round trip.
struct Conn {
    stream: Socket,
    /// Bytes of the current request written so far.
    written: usize,
    /// Received bytes not yet consumed.
    buf: Vec<u8>,
    filled: usize,
    /// When the current request started.
    started: Instant,
    /// Stopped issuing requests (the run is over).
    done: bool,
}

/// Runs closed-loop load like [`super::run`], over epoll.
pub fn run(spec: &LoadSpec, proto: &dyn Protocol) -> io::Result<LoadResult> {
    let epoll = Epoll::new()?;
    let mut conns = Vec::with_capacity(spec.conns);
    for (token, stream) in connect_target(&spec.addr, spec.conns)?.into_iter().enumerate() {
        stream.set_nonblocking(true)?;
        epoll.add(stream.as_raw_fd(), token as u64)?;
        conns.push(Conn {
            stream,
            written: 0,
            buf: vec![0; proto.request().len().max(4096) * 2],
            filled: 0,
            started: Instant::now(),
            done: false,
        });
    }
    let cpu_before = thread_cpu_time();
    let start = Instant::now();
    let window = Window { measure_from: start + spec.warmup, deadline: start + spec.warmup + spec.duration };
    let mut tally = Tally::new();
    for conn in &mut conns {
        conn.started = Instant::now();
        conn.drive(proto, &window, &mut tally)?;
    }
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 1024];
    loop {
        let now = Instant::now();
        if now >= window.deadline {
            break;
        }
        let timeout_ms = (window.deadline - now).as_millis().clamp(1, 100) as i32;
        for token in epoll.wait(&mut events, timeout_ms)? {
            conns[token as usize].drive(proto, &window, &mut tally)?;
        }
    }
    let wall = start.elapsed();
    let cpu = thread_cpu_time().saturating_sub(cpu_before);
    drop(conns);
    Ok(LoadResult { round_trips: tally.round_trips, elapsed: spec.duration, latency_ns: tally.latency_ns, cpu, wall })
}

impl Conn {
    /// Makes all the progress possible without blocking.
    fn drive(&mut self, proto: &dyn Protocol, window: &Window, tally: &mut Tally) -> io::Result<()> {
        let request = proto.request();
        while !self.done {
            if self.written < request.len() {
                match self.stream.write(&request[self.written..]) {
                    Ok(n) => self.written += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                    Err(e) => return Err(e),
                }
                // Whole request out: the response's arrival will wake us.
                if self.written == request.len() {
                    return Ok(());
                }
                continue;
            }
            if self.filled == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            match self.stream.read(&mut self.buf[self.filled..]) {
                Ok(0) => return Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed")),
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(e),
            }
            if let Some(len) = proto.response_len(&self.buf[..self.filled]) {
                let now = Instant::now();
                tally.record(self.started, now, window);
                self.buf.copy_within(len..self.filled, 0);
                self.filled -= len;
                self.done = now >= window.deadline;
                self.written = 0;
                self.started = now;
            }
        }
        Ok(())
    }
}
