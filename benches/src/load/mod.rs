//! The load generator: one thread, each connection doing request → response
//! round trips in a closed loop. Two engines: io_uring ([`uring`], the
//! default: it enters the kernel far less than once per round trip) and
//! edge-triggered epoll ([`epoll`]: one write and usually one read per round
//! trip plus a shared `epoll_wait`), for machines where io_uring is blocked.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

pub mod epoll;
pub mod protocol;
pub mod udp;
pub mod uring;

pub use protocol::Protocol;

/// How the load generator talks to the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// io_uring: multishot receives into provided buffers, batched submissions.
    Uring,
    /// Edge-triggered epoll with non-blocking reads and writes.
    Epoll,
}

impl Engine {
    /// io_uring where a ring with a provided-buffer ring can be set up, else epoll.
    pub fn detect() -> Engine {
        match crate::uring::probe() {
            Ok(()) => Engine::Uring,
            Err(_) => Engine::Epoll,
        }
    }

    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Uring => "io_uring",
            Engine::Epoll => "epoll",
        }
    }
}

/// Where a server listens: a TCP address or a Unix socket path.
#[derive(Clone, Debug)]
pub enum Target {
    /// An IP address (TCP or UDP), on loopback.
    Ip(SocketAddr),
    /// A Unix stream socket.
    Unix(PathBuf),
}

impl Target {
    /// The IP address, for loads that only speak IP (UDP).
    pub fn ip_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Target::Ip(addr) => Ok(*addr),
            Target::Unix(path) => {
                Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not an IP address", path.display())))
            }
        }
    }
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Target {
        Target::Ip(addr)
    }
}

/// One load-generator connection, TCP or Unix; the engines need only its fd,
/// `read` and `write`.
pub enum Socket {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A Unix stream connection.
    Unix(UnixStream),
}

impl Socket {
    /// Switches the socket's blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        match self {
            Socket::Tcp(s) => s.set_nonblocking(nonblocking),
            Socket::Unix(s) => s.set_nonblocking(nonblocking),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.read(buf),
            Socket::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Tcp(s) => s.write(buf),
            Socket::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Socket::Tcp(s) => s.as_raw_fd(),
            Socket::Unix(s) => s.as_raw_fd(),
        }
    }
}

/// One load run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// The server.
    pub addr: Target,
    /// Concurrent connections, each with one request in flight.
    pub conns: usize,
    /// Round trips during this first period are not counted.
    pub warmup: Duration,
    /// The measured period after the warm-up.
    pub duration: Duration,
    /// How the load generator talks to the kernel.
    pub engine: Engine,
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

/// Opens `n` connections to `target`: [`connect_many`] for TCP, plain
/// blocking connects for a Unix socket.
pub fn connect_target(target: &Target, n: usize) -> io::Result<Vec<Socket>> {
    match target {
        Target::Ip(addr) => Ok(connect_many(*addr, n)?.into_iter().map(Socket::Tcp).collect()),
        Target::Unix(path) => (0..n).map(|_| UnixStream::connect(path).map(Socket::Unix)).collect(),
    }
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
    cpu_time(libc::RUSAGE_THREAD)
}

/// CPU time (user + system) used by this process's children that have been
/// waited for.
pub fn children_cpu_time() -> Duration {
    cpu_time(libc::RUSAGE_CHILDREN)
}

fn cpu_time(who: libc::c_int) -> Duration {
    // SAFETY: rusage is plain data; all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage(2) fills in the rusage we own.
    unsafe { libc::getrusage(who, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
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

impl Tally {
    fn new() -> Tally {
        Tally {
            round_trips: 0,
            latency_ns: Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds"),
        }
    }

    /// Counts a round trip that began at `started` and ended at `now`, if it
    /// ended inside the measured period.
    fn record(&mut self, started: Instant, now: Instant, window: &Window) {
        if now >= window.measure_from && now < window.deadline {
            self.round_trips += 1;
            self.latency_ns.saturating_record(((now - started).as_nanos() as u64).max(1));
        }
    }
}

/// Runs closed-loop load against `spec.addr` until the warm-up and the
/// measured period have passed, then closes every connection.
pub fn run(spec: &LoadSpec, proto: &dyn Protocol) -> io::Result<LoadResult> {
    match spec.engine {
        Engine::Uring => uring::run(spec, proto),
        Engine::Epoll => epoll::run(spec, proto),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::thread;

    use super::*;
    use crate::load::protocol::Echo;

    /// A blocking echo server, one thread per connection, for `conns` connections.
    fn echo_server(conns: usize) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        thread::spawn(move || {
            for stream in listener.incoming().take(conns) {
                let mut stream = stream.expect("accept");
                thread::spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = stream.read(&mut buf) {
                        if stream.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    fn check(engine: Engine, size: usize) {
        let spec = LoadSpec {
            addr: echo_server(4).into(),
            conns: 4,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(150),
            engine,
        };
        let result = run(&spec, &Echo::new(size)).expect("load run");
        assert!(result.round_trips > 10, "{engine:?}: only {} round trips", result.round_trips);
        assert!(result.latency_us(0.5) > 0.0);
    }

    #[test]
    fn epoll_engine_round_trips() {
        check(Engine::Epoll, 64);
        check(Engine::Epoll, 16 * 1024);
    }

    #[test]
    fn udp_round_trips() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let addr = server.local_addr().expect("addr");
        thread::spawn(move || {
            let mut buf = [0u8; 2048];
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                let _ = server.send_to(&buf[..n], from);
            }
        });
        let spec = LoadSpec {
            addr: addr.into(),
            conns: 4,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(150),
            engine: Engine::Epoll,
        };
        let result = udp::run(&spec, 1400).expect("load run");
        assert!(result.round_trips > 10, "only {} round trips", result.round_trips);
    }

    #[test]
    fn uring_engine_round_trips() {
        if Engine::detect() != Engine::Uring {
            eprintln!("io_uring unavailable here; skipped");
            return;
        }
        check(Engine::Uring, 64);
        check(Engine::Uring, 16 * 1024);
    }
}
