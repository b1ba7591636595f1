//! The load generator: one thread, edge-triggered epoll, non-blocking sockets,
//! each connection doing request → response round trips in a closed loop.
//! It makes one write and (usually) one read per round trip plus a shared
//! `epoll_wait`, so it stays leaner than the servers it measures.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

mod epoll;
pub mod protocol;

use epoll::Epoll;
pub use protocol::Protocol;

/// One load run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// The server.
    pub addr: SocketAddr,
    /// Concurrent connections, each with one request in flight.
    pub conns: usize,
    /// Round trips during this first period are not counted.
    pub warmup: Duration,
    /// The measured period after the warm-up.
    pub duration: Duration,
}

/// What a load run measured.
pub struct LoadResult {
    /// Round trips completed in the measured period.
    pub round_trips: u64,
    /// Length of the measured period.
    pub elapsed: Duration,
    /// Round-trip latency in nanoseconds.
    pub latency_ns: Histogram<u64>,
    /// CPU time this thread used over the whole run (user + system).
    pub cpu: Duration,
    /// Wall time of the whole run, warm-up included.
    pub wall: Duration,
}

impl LoadResult {
    /// Round trips per second.
    pub fn rate(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64()
    }

    /// Latency quantile `q` in microseconds.
    pub fn latency_us(&self, q: f64) -> f64 {
        self.latency_ns.value_at_quantile(q) as f64 / 1000.0
    }

    /// Share of one core the load generator used (near 1.0: it may be the bottleneck).
    pub fn cpu_share(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64()
    }
}

/// Opens `n` connections to `addr` (blocking connect), with TCP_NODELAY and
/// SO_LINGER 0 so that closing them leaves no TIME_WAIT behind.
pub fn connect_many(addr: SocketAddr, n: usize) -> io::Result<Vec<TcpStream>> {
    (0..n)
        .map(|_| {
            let stream = TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            set_linger_zero(&stream)?;
            Ok(stream)
        })
        .collect()
}

fn set_linger_zero(stream: &TcpStream) -> io::Result<()> {
    let linger = libc::linger { l_onoff: 1, l_linger: 0 };
    // SAFETY: setsockopt(2) on a socket we own, reading a linger struct we own.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// CPU time (user + system) used so far by the calling thread.
pub fn thread_cpu_time() -> Duration {
    // SAFETY: rusage is plain data; all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage(2) fills in the rusage we own.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One connection's place in its round trip.
struct Conn {
    stream: TcpStream,
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

/// The clock of one run: when counting starts and when the run ends.
struct Window {
    measure_from: Instant,
    deadline: Instant,
}

/// Counters shared by all connections of one run.
struct Tally {
    round_trips: u64,
    latency_ns: Histogram<u64>,
}

/// Runs closed-loop load against `spec.addr` until the warm-up and the
/// measured period have passed, then closes every connection.
pub fn run(spec: &LoadSpec, proto: &dyn Protocol) -> io::Result<LoadResult> {
    let epoll = Epoll::new()?;
    let mut conns = Vec::with_capacity(spec.conns);
    for (token, stream) in connect_many(spec.addr, spec.conns)?.into_iter().enumerate() {
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
    let mut tally = Tally {
        round_trips: 0,
        latency_ns: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds"),
    };
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
                if now >= window.measure_from && now < window.deadline {
                    tally.round_trips += 1;
                    let ns = (now - self.started).as_nanos() as u64;
                    tally.latency_ns.saturating_record(ns.max(1));
                }
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
