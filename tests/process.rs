//! `ringline::process` on both backends: output, pipes, exits, kills,
//! reaping, and no leaks from dropped waits and reads.

use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::process::Command;
use ringline::runtime::Handle;
use ringline::time::{sleep, timeout};

mod support;
use support::settles_to;

const LONG: Duration = Duration::from_secs(20);

/// Whether `pid` is gone entirely: exited *and* reaped (a zombie still
/// answers `kill(pid, 0)`).
fn gone(pid: u32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    !alive && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

async fn becomes_gone(pid: u32) -> bool {
    for _ in 0..500 {
        if gone(pid) {
            return true;
        }
        sleep(Duration::from_millis(10)).await;
    }
    false
}

#[ringline::test]
async fn output_collects_stdout_stderr_and_the_exit_code() {
    let out = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 7"]).output().await.unwrap();
    assert_eq!(out.stdout, b"out\n");
    assert_eq!(out.stderr, b"err\n");
    assert_eq!(out.status.code(), Some(7));
    let status = Command::new("sh").args(["-c", "exit 3"]).status().await.unwrap();
    assert_eq!(status.code(), Some(3));
}

#[ringline::test]
async fn one_megabyte_through_cat_both_ways_concurrently() {
    let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let sent: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let writer = async {
        // Odd-sized writes, far more than a pipe holds: the reader must run too.
        for chunk in sent.chunks(7919) {
            stdin.write_all(chunk).await?;
        }
        stdin.flush().await?;
        drop(stdin);
        io::Result::Ok(())
    };
    let reader = async {
        let mut got = Vec::new();
        stdout.read_to_end(&mut got).await?;
        io::Result::Ok(got)
    };
    let (written, got) = timeout(LONG, async { ringline::join!(writer, reader) }).await.unwrap();
    written.unwrap();
    assert!(got.unwrap() == sent, "bytes came back changed");
    assert!(child.wait().await.unwrap().success());
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_on_a_hundred_concurrent_short_lived_children() {
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            ringline::spawn(async move {
                let mut child = Command::new("sh").args(["-c", &format!("exit {}", i % 7)]).spawn()?;
                let status = child.wait().await?;
                assert_eq!(child.id(), None, "a reaped child has no id");
                io::Result::Ok((i, status.code()))
            })
        })
        .collect();
    for task in tasks {
        let (i, code) = timeout(LONG, task).await.unwrap().unwrap().unwrap();
        assert_eq!(code, Some(i % 7));
    }
}

#[ringline::test]
async fn kill_then_wait_reports_the_signal() {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    assert!(child.id().is_some());
    assert_eq!(child.try_wait().unwrap(), None, "still running");
    timeout(LONG, child.kill()).await.unwrap().unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert_eq!(child.try_wait().unwrap(), Some(status));
    // As tokio 1.54: killing a reaped child is fine, and does nothing.
    child.start_kill().unwrap();
    child.kill().await.unwrap();
}

#[test]
fn a_child_spawned_on_one_runtime_is_awaited_on_another() {
    let mut child = ringline::runtime::Runtime::new()
        .unwrap()
        .block_on(async { Command::new("sleep").arg("0.05").stdin(Stdio::piped()).spawn().unwrap() });
    let status = ringline::runtime::Runtime::new().unwrap().block_on(async { timeout(LONG, child.wait()).await });
    assert!(status.unwrap().unwrap().success());
}

#[test]
#[should_panic(expected = "there is no reactor running")]
fn spawn_outside_a_runtime_panics() {
    let _ = Command::new("true").spawn();
}

#[ringline::test]
async fn kill_on_drop_kills_and_the_process_is_reaped() {
    let child = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
    let pid = child.id().unwrap();
    drop(child);
    assert!(becomes_gone(pid).await, "a kill_on_drop child must be killed and reaped");
}

#[ringline::test]
async fn a_child_dropped_while_running_is_reaped_when_it_exits() {
    let child = Command::new("sleep").arg("0.05").spawn().unwrap();
    let pid = child.id().unwrap();
    drop(child);
    assert!(becomes_gone(pid).await, "the exited child stayed a zombie");
}

#[ringline::test]
async fn a_missing_binary_is_not_found() {
    let err = Command::new("/nonexistent/ringline-no-such-binary").spawn().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let err = Command::new("ringline-no-such-binary-on-path").output().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[ringline::test]
async fn wait_closes_stdin_so_a_reading_child_finishes() {
    let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let status = timeout(LONG, child.wait()).await.expect("wait must close the child's stdin").unwrap();
    assert!(status.success());
    assert!(child.stdin.is_none());
}

#[ringline::test]
async fn a_child_pipe_becomes_another_childs_stdio() {
    let mut first = Command::new("echo").arg("piped along").stdout(Stdio::piped()).spawn().unwrap();
    let stdout: Stdio = first.stdout.take().unwrap().try_into().unwrap();
    let out = Command::new("cat").stdin(stdout).output().await.unwrap();
    assert_eq!(out.stdout, b"piped along\n");
    assert!(first.wait().await.unwrap().success());
}

#[ringline::test]
async fn dropping_an_in_flight_wait_and_read_leaks_nothing() {
    sleep(Duration::from_millis(10)).await;
    let start = Handle::current().driver_counters();
    for _ in 0..10 {
        let mut child = Command::new("sleep").arg("30").stdout(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
        assert!(timeout(Duration::from_millis(5), child.wait()).await.is_err());
        let mut stdout = child.stdout.take().unwrap();
        let mut buf = [0u8; 64];
        assert!(timeout(Duration::from_millis(5), stdout.read(&mut buf)).await.is_err());
        let pid = child.id().unwrap();
        drop((stdout, child));
        assert!(becomes_gone(pid).await);
    }
    settles_to(start).await;
}

#[test]
fn a_child_dropped_outside_a_runtime_is_reaped_by_a_later_spawn() {
    let rt = ringline::runtime::Runtime::new().unwrap();
    let child = rt.block_on(async { Command::new("sleep").arg("0.05").spawn().unwrap() });
    let pid = child.id().unwrap();
    drop(child); // no runtime here: queued
    std::thread::sleep(Duration::from_millis(300));
    assert!(!gone(pid), "nothing has reaped the exited child yet");
    rt.block_on(async {
        assert!(Command::new("true").status().await.unwrap().success());
    });
    assert!(gone(pid), "the next spawn sweeps the queue");
}

/// `waitpid(-1, WNOHANG)`: whether this process has no children at all
/// (running or zombie).
fn no_children() -> bool {
    // SAFETY: waitpid with WNOHANG and a null status pointer only queries.
    let rc = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
    rc == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD)
}

#[ringline::test]
async fn a_spawn_that_runs_out_of_fds_leaves_no_child_behind() {
    // nextest runs each test in a process of its own: the limit stays here.
    let open = std::fs::read_dir("/proc/self/fd").unwrap().count() as u64;
    let mut initial = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit fills a valid rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut initial) }, 0);
    let mut failures = 0;
    for headroom in 0..24 {
        let limit = libc::rlimit { rlim_cur: open + headroom, rlim_max: initial.rlim_max };
        // SAFETY: setrlimit with a valid rlimit; only the soft limit is lowered.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
        let spawned =
            Command::new("sleep").arg("5").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
        // SAFETY: as above, back to the limit the test started with.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &initial) }, 0);
        match spawned {
            Err(_) => {
                failures += 1;
                assert!(no_children(), "a failed spawn left a child behind (headroom {headroom})");
            }
            Ok(mut child) => {
                child.kill().await.unwrap();
                break;
            }
        }
    }
    assert!(failures > 0, "the limit never made a spawn fail");
}

#[ringline::test]
async fn a_pipe_that_went_quiet_wakes_for_the_next_line() {
    let script = "echo one; read _; echo two; read _; exit 0";
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut line = [0u8; 4];
    timeout(LONG, stdout.read_exact(&mut line)).await.unwrap().unwrap();
    assert_eq!(&line, b"one\n");
    // The child now waits for us: the pipe is empty, a read must wait.
    assert!(timeout(Duration::from_millis(30), stdout.read(&mut line)).await.is_err());
    stdin.write_all(b"go\n").await.unwrap();
    timeout(LONG, stdout.read_exact(&mut line)).await.expect("the second line never woke the reader").unwrap();
    assert_eq!(&line, b"two\n");
    drop(stdin);
    assert_eq!(timeout(LONG, stdout.read(&mut line)).await.unwrap().unwrap(), 0, "EOF once the child exits");
    assert!(child.wait().await.unwrap().success());
}
