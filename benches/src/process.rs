//! The one place that spawns, pins and kills processes: the server under test,
//! `perf` and `wrk`, plus the two per-process settings (CPU affinity and the
//! open-file limit) that both the orchestrator and the server apply to themselves.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::load::Target;
use crate::runtime::Runtime;

/// How long a server may take to start listening.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a run-to-completion child (spawn, timers) may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Pins the calling thread, and so every thread it starts afterwards, to `cpu`.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "cpu out of range"));
    }
    // SAFETY: cpu_set_t is a plain bit set; all-zero is the valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, exclusively borrowed cpu_set_t and cpu < CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 means the calling thread; the pointer and size describe `set`.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Raises the soft open-file limit to the hard limit; returns the new limit.
pub fn raise_nofile_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    lim.rlim_cur = lim.rlim_max;
    // SAFETY: `lim` is a valid rlimit with cur <= max.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(lim.rlim_cur)
}

/// What to start: `bench server --runtime R --workers W --cpu C <args>`.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The runtime (and, for ringline, the backend) to serve with.
    pub runtime: Runtime,
    /// Runtime worker threads.
    pub workers: usize,
    /// The CPU the server pins itself to, if any.
    pub cpu: Option<usize>,
    /// Workload arguments, e.g. `["--workload", "echo", "--buf", "16384"]`.
    pub args: Vec<String>,
}

impl ServerSpec {
    fn command(&self, port: u16) -> io::Result<Command> {
        // /proc/self/exe still runs this binary when cargo has since replaced
        // the file (others may build into the same target directory mid-run).
        let exe = Path::new("/proc/self/exe");
        let mut cmd = Command::new(if exe.exists() { exe.to_path_buf() } else { std::env::current_exe()? });
        cmd.arg("server")
            .args(["--runtime", self.runtime.server_flag()])
            .args(["--workers", &self.workers.to_string()])
            .args(["--port", &port.to_string()])
            .args(&self.args)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(cpu) = self.cpu {
            cmd.args(["--cpu", &cpu.to_string()]);
        }
        match self.runtime.backend_env() {
            Some(backend) => cmd.env("RINGLINE_BACKEND", backend),
            None => cmd.env_remove("RINGLINE_BACKEND"),
        };
        Ok(cmd)
    }
}

/// A running server child process, killed when dropped.
pub struct Server {
    child: Child,
    target: Target,
}

impl Server {
    /// Starts the server on a free loopback port and waits until it accepts.
    pub fn start(spec: &ServerSpec) -> io::Result<Server> {
        let port = free_port()?;
        Server::start_at(spec, port, Target::Ip(SocketAddr::from(([127, 0, 0, 1], port))))
    }

    /// Starts a server that listens on the Unix socket `path` (its workload
    /// arguments must say so) and waits until it accepts. The socket file
    /// is removed when the server is dropped.
    pub fn start_unix(spec: &ServerSpec, path: PathBuf) -> io::Result<Server> {
        let _ = std::fs::remove_file(&path);
        Server::start_at(spec, 0, Target::Unix(path))
    }

    fn start_at(spec: &ServerSpec, port: u16, target: Target) -> io::Result<Server> {
        let child = spec.command(port)?.stdout(Stdio::null()).spawn()?;
        let mut server = Server { child, target };
        server.wait_ready()?;
        Ok(server)
    }

    /// Whether a connection to the server goes through now.
    fn accepts(&self) -> bool {
        match &self.target {
            Target::Ip(addr) => TcpStream::connect_timeout(addr, Duration::from_millis(200)).is_ok(),
            Target::Unix(path) => UnixStream::connect(path).is_ok(),
        }
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("server exited early: {status}")));
            }
            if self.accepts() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "server not ready"));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The TCP address the server listens on.
    ///
    /// # Panics
    ///
    /// For a server started with [`start_unix`](Server::start_unix).
    pub fn addr(&self) -> SocketAddr {
        match &self.target {
            Target::Ip(addr) => *addr,
            Target::Unix(path) => panic!("the server at {} listens on a Unix socket", path.display()),
        }
    }

    /// Where the server listens.
    pub fn target(&self) -> Target {
        self.target.clone()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident set size (`VmRSS`), in bytes.
    pub fn rss_bytes(&self) -> io::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .ok_or_else(|| io::Error::other("no VmRSS in /proc/PID/status"))
    }

    /// CPU time (user + system, all threads) the server has used so far.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the parenthesised command name; utime and stime are
        // the 14th and 15th fields of the whole line.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        let (Some(utime), Some(stime)) = (ticks(11), ticks(12)) else {
            return Err(io::Error::other("malformed /proc/PID/stat"));
        };
        // SAFETY: sysconf(3) takes no pointers.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Ok(Duration::from_secs_f64((utime + stime) as f64 / hz))
    }

    /// Fails if the server has died (a crash mid-run must not look like a result).
    pub fn check_alive(&mut self) -> io::Result<()> {
        match self.child.try_wait()? {
            Some(status) => Err(io::Error::other(format!("server died: {status}"))),
            None => Ok(()),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Target::Unix(path) = &self.target {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs a server-side benchmark that exits by itself; returns its stdout.
pub fn run_to_end(spec: &ServerSpec) -> io::Result<String> {
    let child = spec.command(0)?.stdout(Stdio::piped()).spawn()?;
    let out = wait_with_timeout(child, RUN_TIMEOUT)?;
    if !out.status.success() {
        return Err(io::Error::other(format!("server failed: {}", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `perf stat -e raw_syscalls:sys_enter` works here (installed, and
/// the tracepoint readable with our privileges).
pub fn perf_works() -> bool {
    Command::new("perf")
        .args(["stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"])
        .stdout(Stdio::null())
        .output()
        .map(|out| out.status.success() && parse_perf_count(&out.stderr).is_some())
        .unwrap_or(false)
}

/// `perf stat` counting the system calls a process makes, until finished.
pub struct PerfStat {
    child: Child,
}

impl PerfStat {
    /// Attaches to every thread of `pid`.
    pub fn attach(pid: u32) -> io::Result<PerfStat> {
        let child = Command::new("perf")
            .args(["stat", "-x,", "-e", "raw_syscalls:sys_enter", "-p"])
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        // perf prints nothing when attached; give it time to open the counters.
        thread::sleep(Duration::from_millis(300));
        Ok(PerfStat { child })
    }

    /// Stops counting (SIGINT, as perf expects) and returns the count.
    pub fn finish(mut self) -> io::Result<u64> {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own, not yet reaped child; no memory involved.
        unsafe { libc::kill(pid, libc::SIGINT) };
        let mut stderr = Vec::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_end(&mut stderr)?;
        }
        self.child.wait()?;
        parse_perf_count(&stderr).ok_or_else(|| io::Error::other("no count in perf output"))
    }
}

/// perf's `-x,` output: `12345,,raw_syscalls:sys_enter,...`.
fn parse_perf_count(stderr: &[u8]) -> Option<u64> {
    String::from_utf8_lossy(stderr)
        .lines()
        .find(|line| line.contains("raw_syscalls:sys_enter"))
        .and_then(|line| line.split(',').next())
        .and_then(|count| count.trim().parse().ok())
}

/// Whether `wrk` is installed.
pub fn wrk_available() -> bool {
    Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// Runs `wrk` with `args` (it inherits our CPU pinning); returns its stdout.
pub fn run_wrk(args: &[String], timeout: Duration) -> io::Result<String> {
    run_tool("wrk", args, timeout)
}

/// Whether `h2load` (Debian's nghttp2-client) is installed.
pub fn h2load_available() -> bool {
    Command::new("h2load").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs a load generator (`wrk`, `h2load`) to the end (killed past
/// `timeout`) and returns its stdout.
pub fn run_tool(program: &str, args: &[String], timeout: Duration) -> io::Result<String> {
    let child = Command::new(program).args(args).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn()?;
    let out = wait_with_timeout(child, timeout)?;
    if !out.status.success() {
        return Err(io::Error::other(format!("{program} failed: {}", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Waits for `child`, killing it past `timeout`. Its stdout must be small
/// (a result line or a report), so the pipe never fills while we poll.
fn wait_with_timeout(mut child: Child, timeout: Duration) -> io::Result<Output> {
    let deadline = Instant::now() + timeout;
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(io::ErrorKind::TimedOut, "child timed out"));
        }
        thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output()
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::parse_perf_count;

    #[test]
    fn parses_perf_csv() {
        let out = b"\n12345,,raw_syscalls:sys_enter,1000,100.00,,\n";
        assert_eq!(parse_perf_count(out), Some(12345));
        assert_eq!(parse_perf_count(b"<not counted>,,raw_syscalls:sys_enter"), None);
    }
}
