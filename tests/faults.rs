//! Injected completions through the real io_uring ring: every op the driver
//! issues, given each errno the kernel can return for it (and short, zero and
//! flagless results), must reach the application as tokio's error kind or be
//! retried transparently where tokio retries, with no panic, hang, spin,
//! leak (driver counters back to start) or lost byte.
//!
//! `ringline::fault_injection` replaces the next submission of an op kind by
//! a NOP carrying the chosen result (no `MORE` flag: for a multishot op, the
//! kernel ending it), or cuts a send short. The io_uring backend only: under
//! `RINGLINE_BACKEND=mio` each test returns at once (mio's error paths are
//! the application's own syscalls, covered by tests/tcp.rs).

use std::future::Future;
use std::io;
use std::time::Duration;

use ringline::fault_injection::{self as fi, Fault, OpKind};
use ringline::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use ringline::net::{TcpListener, TcpStream};
use ringline::runtime::{Backend, Builder, Handle};
use ringline::time::{sleep, timeout};

mod support;
use support::KERNEL_ERRNOS as ERRNOS;

const STEP: Duration = Duration::from_secs(5);

/// What the application saw.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// The bytes, intact.
    Data,
    /// A clean end of file.
    Eof,
    /// An error with this errno.
    Errno(i32),
}

fn seen(result: io::Result<()>) -> Seen {
    match result {
        Ok(()) => Seen::Data,
        Err(e) => Seen::Errno(e.raw_os_error().unwrap_or_else(|| panic!("an error without an errno: {e:?}"))),
    }
}

/// Runs `scenario` on a fresh current-thread io_uring runtime (the faults
/// are queued for the driver on this thread) and checks that every queued
/// fault was applied and that the driver's counters return to where they
/// started. Does nothing on the mio backend.
fn on_uring<F: Future<Output = ()>>(what: &str, faults: &[(OpKind, Fault)], scenario: impl FnOnce() -> F) {
    let rt = Builder::new_current_thread().enable_all().build().expect("runtime");
    if rt.handle().backend() != Backend::Uring {
        return;
    }
    rt.block_on(async {
        sleep(Duration::from_millis(1)).await;
        let start = Handle::current().driver_counters();
        let applied = fi::applied();
        for &(kind, fault) in faults {
            fi::inject(kind, fault);
        }
        timeout(STEP * 2, scenario()).await.unwrap_or_else(|_| panic!("{what}: hung"));
        assert_eq!(fi::clear(), 0, "{what}: a fault was never applied");
        assert!(fi::applied() - applied >= faults.len(), "{what}");
        let handle = Handle::current();
        for _ in 0..400 {
            if handle.driver_counters() == start {
                return;
            }
            sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(handle.driver_counters(), start, "{what}: driver resources leaked");
    });
}

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = ringline::join!(TcpStream::connect(addr), listener.accept());
    (client.unwrap(), accepted.unwrap().0)
}

/// The peer writes `hello`; the application's read gets it, EOF or an error.
async fn read_hello(reader: &mut TcpStream, writer: &mut TcpStream) -> Seen {
    writer.write_all(b"hello").await.unwrap();
    let mut got = [0; 5];
    match timeout(STEP, reader.read_exact(&mut got)).await.expect("read") {
        Ok(_) => {
            assert_eq!(&got, b"hello", "bytes lost or changed");
            Seen::Data
        }
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Seen::Eof,
        Err(e) => seen(Err(e)),
    }
}

/// A transient receive end (ENOBUFS: buffers ran out; ECANCELED; EAGAIN and
/// EINTR) is re-armed; any other error fails the connection for good.
fn recv_expectation(errno: i32) -> Seen {
    match errno {
        libc::ENOBUFS | libc::ECANCELED | libc::EAGAIN | libc::EINTR => Seen::Data,
        e => Seen::Errno(e),
    }
}

#[test]
fn multishot_recv_completions() {
    let mut cases: Vec<(Fault, Seen)> = ERRNOS.iter().map(|&e| (Fault::Result(-e), recv_expectation(e))).collect();
    cases.push((Fault::Result(0), Seen::Eof)); // the kernel's EOF, no MORE
                                               // A count with no buffer attached: impossible from the kernel, an error, not a panic.
    cases.push((Fault::Result(3), Seen::Errno(libc::EIO)));
    for (fault, want) in cases {
        let what = format!("recv {fault:?}");
        on_uring(&what, &[(OpKind::Recv, fault)], || async {
            let (mut client, mut server) = pair().await;
            let got = read_hello(&mut client, &mut server).await;
            assert_eq!(got, want, "{what}");
            if let Seen::Errno(e) = want {
                // Every later read reports the failure too, never EOF.
                let again = client.read(&mut [0; 8]).await.map(drop);
                assert_eq!(seen(again), Seen::Errno(e), "{what}: second read");
            }
        });
    }
}

/// Writes `bytes` so that (all but the first) wait in the stream's queue
/// for the driver's send op, which the faults target: the first small write
/// between two submissions goes straight to the socket.
async fn write_through_the_ring(writer: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> io::Result<()> {
    writer.write_all(&bytes[..1]).await?;
    writer.write_all(&bytes[1..]).await
}

#[test]
fn send_completions() {
    let mut cases: Vec<(Fault, Seen)> = ERRNOS
        .iter()
        .map(|&e| {
            // ECANCELED: nothing sent (only a shutting-down driver cancels a
            // send), so the bytes are sent again.
            let retried = matches!(e, libc::EAGAIN | libc::EINTR | libc::ECANCELED);
            (Fault::Result(-e), if retried { Seen::Data } else { Seen::Errno(e) })
        })
        .collect();
    cases.push((Fault::Result(0), Seen::Data)); // nothing sent: sent again
    cases.push((Fault::Truncate(3), Seen::Data)); // a real short send: the rest follows
    cases.push((Fault::Truncate(0), Seen::Data));
    for (fault, want) in cases {
        let what = format!("send {fault:?}");
        on_uring(&what, &[(OpKind::Send, fault)], || async {
            let (mut client, mut server) = pair().await;
            write_through_the_ring(&mut client, b"0123456789").await.unwrap();
            let flushed = timeout(STEP, client.flush()).await.expect("flush");
            assert_eq!(seen(flushed), want, "{what}: flush");
            if want == Seen::Data {
                let mut got = [0; 10];
                server.read_exact(&mut got).await.unwrap();
                assert_eq!(&got, b"0123456789", "{what}: bytes lost, reordered or doubled");
            } else {
                // The failed send fails the reads too.
                let read = client.read(&mut [0; 8]).await.map(drop);
                assert!(matches!(seen(read), Seen::Errno(_)), "{what}: read after a failed send");
            }
        });
    }
}

#[test]
fn shutdown_completions() {
    let mut cases: Vec<(Fault, Seen)> = ERRNOS.iter().map(|&e| (Fault::Result(-e), Seen::Errno(e))).collect();
    cases.push((Fault::Result(-libc::ENOTCONN), Seen::Data)); // the peer already went: done
    cases.push((Fault::Result(0), Seen::Data));
    for (fault, want) in cases {
        let what = format!("shutdown {fault:?}");
        on_uring(&what, &[(OpKind::Shutdown, fault)], || async {
            let (mut client, _server) = pair().await;
            let result = timeout(STEP, client.shutdown()).await.expect("shutdown");
            assert_eq!(seen(result), want, "{what}");
        });
    }
}

/// Skipped like a connection reset before accept (ECONNABORTED), retried
/// (EINTR), or waited out (EAGAIN, ECANCELED: nothing to accept until the
/// next arrival, as with tokio's edge-triggered readiness); every other error
/// is handed to one accept call and the next call retries for real.
#[test]
fn accept_completions() {
    let mut errnos = ERRNOS.to_vec();
    errnos.push(libc::ECONNABORTED);
    errnos.push(libc::EPROTO);
    for errno in errnos {
        let what = format!("accept -{errno}");
        on_uring(&what, &[(OpKind::Accept, Fault::Result(-errno))], || async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let first = ringline::spawn(TcpStream::connect(addr));
            match errno {
                libc::ECONNABORTED | libc::EPROTO | libc::EINTR => {
                    timeout(STEP, listener.accept()).await.expect("skipped, then accepted").unwrap();
                }
                libc::EAGAIN | libc::ECANCELED => {
                    let _second = ringline::spawn(async move {
                        sleep(Duration::from_millis(20)).await;
                        TcpStream::connect(addr).await
                    });
                    for _ in 0..2 {
                        timeout(STEP, listener.accept()).await.expect("accepted after the next arrival").unwrap();
                    }
                }
                _ => {
                    let accepted = timeout(STEP, listener.accept()).await.expect("the error");
                    let err = accepted.map(drop).expect_err(&what);
                    assert_eq!(err.raw_os_error(), Some(errno), "{what}");
                    timeout(STEP, listener.accept()).await.expect("a real retry").unwrap();
                }
            }
            drop(first.await.unwrap().unwrap());
        });
    }
}

/// The listener's epoll watch ending (any result, no MORE) is re-armed.
#[test]
fn accept_watch_completions() {
    let mut results: Vec<i32> = ERRNOS.iter().map(|e| -e).collect();
    results.extend([0, libc::POLLIN as i32]);
    for result in results {
        let what = format!("accept watch {result}");
        on_uring(&what, &[(OpKind::AcceptWatch, Fault::Result(result))], || async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (client, accepted) = ringline::join!(TcpStream::connect(addr), listener.accept());
            drop((client.unwrap(), accepted.unwrap()));
        });
    }
}

#[test]
fn connect_completions() {
    let mut errnos = ERRNOS.to_vec();
    errnos.extend([libc::ECONNREFUSED, libc::ETIMEDOUT, libc::ENETUNREACH]);
    for errno in errnos {
        let what = format!("connect -{errno}");
        on_uring(&what, &[(OpKind::Connect, Fault::Result(-errno))], || async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let err = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(errno), "{what}");
        });
    }
    // "Connected" when it never was: reads and writes fail, nothing hangs.
    on_uring("connect 0", &[(OpKind::Connect, Fault::Result(0))], || async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        assert!(stream.read(&mut [0; 8]).await.is_err());
        assert!(stream.write_all(b"x").await.is_err() || stream.flush().await.is_err());
    });
}

/// Switches a connection to on-demand reads (a streak of full buffers), so
/// its next wait is a readiness poll.
async fn on_demand_pair() -> (TcpStream, TcpStream) {
    let (mut client, mut server) = pair().await;
    let big = vec![9u8; 16 * 1024];
    for _ in 0..8 {
        server.write_all(&big).await.unwrap();
        let mut got = vec![0; big.len()];
        client.read_exact(&mut got).await.unwrap();
    }
    (client, server)
}

/// Whatever the readiness poll says, the reader asks the socket itself.
#[test]
fn readiness_poll_completions() {
    let mut results: Vec<i32> = ERRNOS.iter().map(|e| -e).collect();
    results.extend([0, libc::POLLIN as i32, (libc::POLLIN | libc::POLLRDHUP) as i32]);
    for result in results {
        let what = format!("poll {result}");
        let rt = Builder::new_current_thread().enable_all().build().expect("runtime");
        if rt.handle().backend() != Backend::Uring {
            return;
        }
        rt.block_on(async {
            // The first readiness poll (armed at the switch) gets the fault.
            let applied = fi::applied();
            fi::inject(OpKind::ReadinessPoll, Fault::Result(result));
            let (mut client, mut server) = on_demand_pair().await;
            let reader = ringline::spawn(async move {
                let mut got = [0; 5];
                client.read_exact(&mut got).await.map(|_| got)
            });
            sleep(Duration::from_millis(5)).await;
            server.write_all(b"hello").await.unwrap();
            let got = timeout(STEP, reader).await.unwrap_or_else(|_| panic!("{what}: hung")).unwrap();
            assert_eq!(&got.unwrap(), b"hello", "{what}");
            assert_eq!(fi::clear(), 0, "{what}: the connection never polled");
            assert_eq!(fi::applied(), applied + 1);
        });
    }
}

/// A cancel that the kernel answers without cancelling (EALREADY: the op
/// will complete by itself; ENOENT: it already has) leaves the op to its own
/// completion: resources come back once it arrives.
#[test]
fn cancel_completions() {
    for result in [-libc::EALREADY, -libc::ENOENT, 0, -libc::EINVAL] {
        let what = format!("cancel {result}");
        on_uring(&what, &[], || async {
            let (mut client, server) = pair().await;
            sleep(Duration::from_millis(10)).await; // the listener's cancel is done
            let applied = fi::applied();
            fi::inject(OpKind::Cancel, Fault::Result(result));
            // Arm the receive, then drop the stream: the driver cancels it.
            assert!(timeout(Duration::from_millis(10), client.read(&mut [0; 8])).await.is_err());
            drop(client);
            sleep(Duration::from_millis(10)).await;
            assert_eq!(fi::applied(), applied + 1, "{what}: the stream's cancel");
            // The peer closing completes the receive if the cancel left it armed.
            drop(server);
        });
    }
}

/// Two faults in one drain: the receive and the send of one connection fail
/// in the same batch of completions.
#[test]
fn recv_and_send_fail_in_one_drain() {
    let faults = [(OpKind::Recv, Fault::Result(-libc::ECONNRESET)), (OpKind::Send, Fault::Result(-libc::EPIPE))];
    on_uring("recv+send", &faults, || async {
        let (mut client, _server) = pair().await;
        let (mut rd, mut wr) = client.split();
        let mut buf = [0; 8];
        let (read, write) = ringline::join!(rd.read(&mut buf), async {
            write_through_the_ring(&mut wr, b"xy").await?;
            wr.flush().await
        });
        assert_eq!(seen(read.map(drop)), Seen::Errno(libc::ECONNRESET));
        assert_eq!(seen(write), Seen::Errno(libc::EPIPE));
        // The first failure stays the connection's answer.
        assert_eq!(seen(client.read(&mut [0; 8]).await.map(drop)), Seen::Errno(libc::ECONNRESET));
    });
}

/// A datagram socket's multishot `recvmsg`: transient ends re-arm (the
/// datagram arrives), other errors reach `recv_from`, a count with no buffer
/// is an error rather than a panic; the socket keeps working afterwards.
#[test]
fn datagram_recv_completions() {
    let mut cases: Vec<(i32, Seen)> = ERRNOS.iter().map(|&e| (-e, recv_expectation(e))).collect();
    cases.push((0, Seen::Errno(libc::EIO)));
    cases.push((-libc::ECONNREFUSED, Seen::Errno(libc::ECONNREFUSED)));
    for (result, want) in cases {
        let what = format!("recvmsg {result}");
        on_uring(&what, &[(OpKind::DatagramRecv, Fault::Result(result))], || async {
            let a = ringline::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = ringline::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let to = a.local_addr().unwrap();
            let mut buf = [0; 16];
            let receiving = a.recv_from(&mut buf);
            let sending = async {
                sleep(Duration::from_millis(5)).await;
                b.send_to(b"datagram", to).await.unwrap();
            };
            let (got, ()) = ringline::join!(timeout(STEP, receiving), sending);
            let got = got.expect("recv_from").map(|(n, from)| {
                assert_eq!((&buf[..n], from), (&b"datagram"[..], b.local_addr().unwrap()), "{what}");
            });
            assert_eq!(seen(got), want, "{what}");
            if want != Seen::Data {
                // Still usable: the datagram waits in the socket.
                let (n, _) = timeout(STEP, a.recv_from(&mut buf)).await.expect("recv after the error").unwrap();
                assert_eq!(&buf[..n], b"datagram", "{what}");
            }
        });
    }
}
