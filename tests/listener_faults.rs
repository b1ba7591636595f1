//! A listener under faults a supervisor or a hostile client causes: running
//! out of file descriptors, and being killed and restarted on the same port.
//!
//! Each server runs in a child process (this test binary re-run with
//! `CHILD_SERVER` set, so only [`child_server`] does anything there): the fd
//! limit and the kill must not touch the test runner. The child's runtime
//! picks its backend from `RINGLINE_BACKEND`, which it inherits.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ringline::net::TcpListener;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Names the child's job: `emfile` or `port=<n>`.
const CHILD_ENV: &str = "CHILD_SERVER";
/// How long the child's accept loop backs off after an error (as the echo
/// example does).
const BACKOFF: Duration = Duration::from_millis(100);
/// Free fds the `emfile` child keeps beyond those open at start.
const EMFILE_HEADROOM: u64 = 16;

/// Not a test of its own: the server the other tests run in a child process.
#[test]
fn child_server() {
    let Ok(job) = std::env::var(CHILD_ENV) else { return };
    let rt = ringline::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let port = job.strip_prefix("port=").map_or(0, |p| p.parse().expect("a port number"));
        let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => listener,
            Err(e) => {
                println!("bind-error {e}");
                std::process::exit(1);
            }
        };
        if job == "emfile" {
            limit_fds(open_fds() + EMFILE_HEADROOM);
        }
        println!("listening {}", listener.local_addr().expect("local addr").port());
        loop {
            match listener.accept().await {
                Ok((mut sock, _)) => {
                    ringline::spawn(async move {
                        let mut buf = [0; 64];
                        while let Ok(n @ 1..) = sock.read(&mut buf).await {
                            if sock.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    });
                }
                Err(e) => {
                    println!("accept-error {e}");
                    ringline::time::sleep(BACKOFF).await;
                }
            }
        }
    });
}

fn open_fds() -> u64 {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd").count() as u64
}

fn limit_fds(n: u64) {
    let limit = libc::rlimit { rlim_cur: n, rlim_max: n };
    // SAFETY: setrlimit reads a valid rlimit struct.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// A child server and the lines it prints.
struct Server {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts the child and waits for it to listen; `Err` carries what it
    /// printed instead (a bind error).
    fn start(job: &str) -> Result<Server, String> {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "child_server", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, job)
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the child server");
        let lines = forward_lines(child.stdout.take().expect("piped stdout"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err("the child server never listened".to_owned());
            };
            // libtest may print its "test child_server ... " on the same line.
            if let Some((_, port)) = line.split_once("listening ") {
                let port = port.trim().parse().expect("a port");
                return Ok(Server { child, port, lines });
            }
            if line.contains("bind-error") {
                let _ = child.wait();
                return Err(line);
            }
        }
    }

    fn addr(&self) -> SocketAddr {
        (Ipv4Addr::LOCALHOST, self.port).into()
    }

    /// Accept errors the child reported so far.
    fn accept_errors(&self) -> usize {
        self.lines.try_iter().filter(|l| l.contains("accept-error")).count()
    }

    /// SIGTERM with the default disposition, then reap.
    fn terminate(mut self) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        self.child.wait().expect("reap the child");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// One echo round trip on a new connection, within `limit`.
fn echo_within(addr: SocketAddr, limit: Duration) -> Result<(), String> {
    let mut conn = TcpStream::connect_timeout(&addr, limit).map_err(|e| format!("connect: {e}"))?;
    conn.set_read_timeout(Some(limit)).expect("read timeout");
    conn.write_all(b"ping").map_err(|e| format!("write: {e}"))?;
    let mut got = [0; 4];
    conn.read_exact(&mut got).map_err(|e| format!("no echo within {limit:?}: {e}"))?;
    assert_eq!(&got, b"ping");
    Ok(())
}

#[test]
fn listener_recovers_once_file_descriptors_free_up() {
    let server = Server::start("emfile").expect("start the server");
    // Far more clients than free fds: the server accepts some, then fails
    // with EMFILE while the rest wait in the kernel's queue.
    let clients: Vec<TcpStream> =
        (0..4 * EMFILE_HEADROOM).map(|_| TcpStream::connect(server.addr()).expect("connect")).collect();
    thread::sleep(Duration::from_millis(500));
    drop(clients);
    // Everyone has gone: a new connection is served within a second.
    let started = Instant::now();
    let mut served = Err(String::new());
    while served.is_err() && started.elapsed() < Duration::from_secs(1) {
        served = echo_within(server.addr(), Duration::from_secs(1).saturating_sub(started.elapsed()));
    }
    served.unwrap_or_else(|e| panic!("not served within 1 s after the clients left: {e}"));
    // One error per accept call, each a real retry: with a 100 ms back-off
    // the run leaves room for a few dozen at most, not a queue of stale ones.
    let errors = server.accept_errors();
    assert!(errors <= 30, "{errors} accept errors for one short spell of EMFILE");
}

#[test]
fn killed_server_restarts_on_the_same_port() {
    let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("pick a port").local_addr().unwrap().port();
    for round in 0..20 {
        let server = Server::start(&format!("port={port}")).unwrap_or_else(|e| panic!("restart {round}: {e}"));
        echo_within(server.addr(), Duration::from_secs(5)).unwrap_or_else(|e| panic!("restart {round}: {e}"));
        server.terminate();
    }
}
