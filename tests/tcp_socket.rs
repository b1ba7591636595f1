//! `ringline::net::TcpSocket` options with tokio 1.54's names: each set
//! value reads back, on a socket that then still connects.
//!
//! Runs on whichever backend the runtime picks (`RINGLINE_BACKEND=uring|mio`).

use std::io;
use std::os::fd::{FromRawFd, IntoRawFd};
use std::time::Duration;

use ringline::net::{TcpListener, TcpSocket};
use ringline::time::timeout;

const STEP: Duration = Duration::from_secs(5);

#[test]
fn tos_v4_reads_back() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_tos_v4(0x10).unwrap();
    assert_eq!(socket.tos_v4().unwrap(), 0x10);
    #[allow(deprecated)]
    {
        socket.set_tos(0x08).unwrap();
        assert_eq!(socket.tos().unwrap(), 0x08);
    }
}

#[test]
fn tclass_v6_reads_back() {
    let Ok(socket) = TcpSocket::new_v6() else { return }; // no IPv6 in this sandbox
    socket.set_tclass_v6(0x20).unwrap();
    assert_eq!(socket.tclass_v6().unwrap(), 0x20);
}

#[test]
fn bind_device_and_device() {
    let socket = TcpSocket::new_v4().unwrap();
    assert_eq!(socket.device().unwrap(), None);
    match socket.bind_device(Some(b"lo")) {
        Ok(()) => assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..])),
        // SO_BINDTODEVICE needs CAP_NET_RAW.
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::PermissionDenied, "{e}"),
    }
    socket.bind_device(None).unwrap();
    assert_eq!(socket.device().unwrap(), None);
}

#[test]
fn linger_keepalive_nodelay_read_back() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_zero_linger().unwrap();
    assert_eq!(socket.linger().unwrap(), Some(Duration::ZERO));
    socket.set_keepalive(true).unwrap();
    assert!(socket.keepalive().unwrap());
    socket.set_nodelay(true).unwrap();
    assert!(socket.nodelay().unwrap());
}

#[ringline::test]
async fn raw_fd_round_trip_still_connects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_tos_v4(0x10).unwrap();
    // SAFETY: the fd was just given up by `into_raw_fd`; nothing else owns it.
    let socket = unsafe { TcpSocket::from_raw_fd(socket.into_raw_fd()) };
    assert_eq!(socket.tos_v4().unwrap(), 0x10, "the option travels with the fd");
    let (client, accepted) = timeout(STEP, async { tokio::join!(socket.connect(addr), listener.accept()) })
        .await
        .expect("connect+accept timed out");
    let (_server, peer) = accepted.unwrap();
    assert_eq!(peer, client.unwrap().local_addr().unwrap());
}
