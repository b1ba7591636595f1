//! `ringline::signal`: delivery to every listener, coalescing, tokio's errors.
//! Each test uses its own signal; nextest runs every test in its own process.

use std::time::Duration;

use ringline::signal::unix::{signal, SignalKind};
use ringline::time::timeout;

fn raise(kind: SignalKind) {
    // SAFETY: kill(2) to our own pid with a signal this test listens for.
    assert_eq!(unsafe { libc::kill(libc::getpid(), kind.as_raw_value()) }, 0);
}

async fn delivered(sig: &mut ringline::signal::unix::Signal) -> bool {
    timeout(Duration::from_secs(5), sig.recv()).await == Ok(Some(()))
}

async fn quiet(sig: &mut ringline::signal::unix::Signal) -> bool {
    timeout(Duration::from_millis(150), sig.recv()).await.is_err()
}

#[ringline::test]
async fn every_listener_sees_a_delivery() {
    let mut first = signal(SignalKind::user_defined1()).unwrap();
    let mut second = signal(SignalKind::user_defined1()).unwrap();
    raise(SignalKind::user_defined1());
    assert!(delivered(&mut first).await);
    assert!(delivered(&mut second).await);
    assert!(quiet(&mut first).await, "one delivery was seen twice");
}

#[ringline::test]
async fn deliveries_before_a_recv_coalesce() {
    let mut sig = signal(SignalKind::user_defined2()).unwrap();
    raise(SignalKind::user_defined2());
    raise(SignalKind::user_defined2());
    ringline::time::sleep(Duration::from_millis(50)).await;
    assert!(delivered(&mut sig).await);
    assert!(quiet(&mut sig).await, "two deliveries before a recv must count once");
    raise(SignalKind::user_defined2());
    assert!(delivered(&mut sig).await, "a later delivery is seen again");
}

#[ringline::test]
async fn a_listener_made_after_a_delivery_does_not_see_it() {
    let mut early = signal(SignalKind::window_change()).unwrap();
    raise(SignalKind::window_change());
    assert!(delivered(&mut early).await);
    let mut late = signal(SignalKind::window_change()).unwrap();
    assert!(quiet(&mut late).await);
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn listeners_on_other_workers_are_woken() {
    let mut sig = signal(SignalKind::hangup()).unwrap();
    let waiter = ringline::spawn(async move { delivered(&mut sig).await });
    ringline::time::sleep(Duration::from_millis(20)).await;
    raise(SignalKind::hangup());
    assert!(waiter.await.unwrap());
}

const CTRL_C_CHILD: &str = "RINGLINE_CTRL_C_CHILD";

/// In a child process (this test binary again), so the SIGINT handler that
/// `ctrl_c` installs never touches the test runner's own process.
#[test]
fn ctrl_c_completes_on_sigint() {
    if std::env::var_os(CTRL_C_CHILD).is_some() {
        let rt = ringline::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        return rt.block_on(async {
            let waiter = ringline::spawn(ringline::signal::ctrl_c());
            ringline::time::sleep(Duration::from_millis(20)).await;
            raise(SignalKind::interrupt());
            timeout(Duration::from_secs(5), waiter).await.expect("ctrl_c never completed").unwrap().unwrap();
            println!("ctrl_c completed");
        });
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["ctrl_c_completes_on_sigint", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CTRL_C_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ctrl_c completed"), "child: {stdout}");
}

#[ringline::test]
async fn forbidden_and_invalid_signals_are_errors() {
    for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGILL, libc::SIGFPE, libc::SIGSEGV, 0, -1, 1000] {
        let err = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::Other, "signal {signum}");
    }
}

#[test]
#[should_panic(expected = "there is no reactor running")]
fn signal_outside_a_runtime_panics() {
    let _ = signal(SignalKind::quit());
}

/// tokio has no signal driver on a runtime built without `enable_io`: the
/// call panics, naming the caller's line.
#[test]
fn signal_without_enable_io_panics_at_the_caller() {
    let rt = ringline::runtime::Builder::new_current_thread().build().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let _ = signal(SignalKind::from_raw(-1));
        })
    }));
    let payload = caught.expect_err("signal() without enable_io panics");
    let message =
        payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()));
    assert!(message.is_some_and(|m| m.contains("there is no signal driver running")));
}

#[test]
fn kinds_convert_like_tokio() {
    assert_eq!(SignalKind::from(libc::SIGINT), SignalKind::interrupt());
    let raw: std::os::raw::c_int = SignalKind::terminate().into();
    assert_eq!(raw, libc::SIGTERM);
    assert_eq!(SignalKind::from_raw(libc::SIGUSR1).as_raw_value(), libc::SIGUSR1);
}
