//! Creating an I/O object outside a ringline runtime panics, as tokio's
//! does, and the panic names the caller's line (tokio's `net_panic` and
//! `io_panic` tests check the same): every function from the public
//! constructor down to the runtime lookup is `#[track_caller]`. The
//! in-memory pipes (`io::duplex`, `io::simplex`) check their capacity the
//! same way.

use std::panic::{self, Location};
use std::sync::{Arc, Mutex};

use ringline::io::unix::AsyncFd;
use ringline::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

/// Runs `f`, which must panic, and returns the file its panic names. The
/// panic hook is process-wide: one caller at a time.
fn panic_file(f: impl FnOnce() + panic::UnwindSafe) -> String {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let hook_seen = seen.clone();
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        *hook_seen.lock().unwrap() = info.location().map(|l: &Location<'_>| l.file().to_owned());
    }));
    let result = panic::catch_unwind(f);
    panic::set_hook(previous);
    assert!(result.is_err(), "no panic outside a runtime");
    let file = seen.lock().unwrap().take();
    file.expect("the panic had no location")
}

#[test]
fn constructors_outside_a_runtime_panic_at_the_callers_line() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    let std_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let (std_unix, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
    let (std_dgram, _dpeer) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let path = std::env::temp_dir().join(format!("ringline-panic-{}.sock", std::process::id()));

    assert_eq!(panic_file(move || drop(TcpStream::from_std(std_stream))), file!());
    assert_eq!(panic_file(move || drop(TcpListener::from_std(std_listener))), file!());
    assert_eq!(panic_file(move || drop(UdpSocket::from_std(std_udp))), file!());
    assert_eq!(panic_file(move || drop(UnixStream::from_std(std_unix))), file!());
    assert_eq!(panic_file(move || drop(UnixDatagram::from_std(std_dgram))), file!());
    assert_eq!(panic_file(|| drop(UnixListener::bind(&path))), file!());
    let _ = std::fs::remove_file(&path);
    assert_eq!(panic_file(|| drop(UnixStream::pair())), file!());
    assert_eq!(panic_file(|| drop(ringline::net::unix::pipe::pipe())), file!());
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    assert_eq!(panic_file(move || drop(AsyncFd::new(a))), file!());
}

#[test]
fn in_memory_pipes_with_no_capacity_panic_at_the_callers_line() {
    assert_eq!(panic_file(|| drop(ringline::io::duplex(0))), file!());
    assert_eq!(panic_file(|| drop(ringline::io::simplex(0))), file!());
    assert_eq!(panic_file(|| drop(ringline::io::SimplexStream::new_unsplit(0))), file!());
}
