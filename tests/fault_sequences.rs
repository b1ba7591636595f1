//! Random sequences of application calls (open, read, write, dropped reads,
//! shutdown, close) interleaved with injected io_uring completions: whatever
//! the order, nothing panics, nothing hangs, and once everything is closed
//! the driver's op slab, buffer ring and object count are back where they
//! started. The io_uring backend only (under mio each case returns at once).

use std::time::Duration;

use proptest::prelude::*;
use ringline::fault_injection::{self as fi, Fault, OpKind};
use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::net::{TcpListener, TcpStream};
use ringline::runtime::{Backend, Builder, Handle};
use ringline::time::{sleep, timeout};

mod support;

/// How long one application call may wait before it is dropped.
const CALL: Duration = Duration::from_millis(5);

#[derive(Clone, Debug)]
enum Step {
    /// Connect and accept a new pair.
    Open,
    /// Write this many bytes on one end of a pair.
    Write { conn: usize, end: bool, len: usize },
    /// Read (dropped after [`CALL`] if nothing comes).
    Read { conn: usize, end: bool },
    /// Half-close one end.
    Shutdown { conn: usize, end: bool },
    /// Drop one end (its slot may be reused by a later `Open`).
    Close { conn: usize, end: bool },
    /// Queue a fault for the next op of a kind.
    Inject(OpKind, Fault),
}

fn errno() -> impl Strategy<Value = i32> {
    // Cancels may also answer EALREADY or ENOENT.
    prop::sample::select([support::KERNEL_ERRNOS, &[libc::EALREADY, libc::ENOENT]].concat())
}

/// A fault the kernel could plausibly deliver for `kind`. (An accept never
/// gets a fabricated fd number: that would close some other file.)
fn fault() -> impl Strategy<Value = (OpKind, Fault)> {
    let kind = prop::sample::select(vec![
        OpKind::Recv,
        OpKind::ReadinessPoll,
        OpKind::Send,
        OpKind::Shutdown,
        OpKind::Accept,
        OpKind::AcceptWatch,
        OpKind::Connect,
        OpKind::Cancel,
    ]);
    (kind, errno(), 0..4u8, 0..64u32).prop_map(|(kind, errno, shape, n)| {
        let fault = match (kind, shape) {
            // A NOP cannot fake a cancel that found nothing while its target
            // lives on; EALREADY (the target will end by itself) it can.
            (OpKind::Cancel, _) => Fault::Result(-libc::EALREADY),
            (OpKind::Send, 0) => Fault::Truncate(n),
            (OpKind::Accept, _) | (_, 1..) => Fault::Result(-errno),
            (_, 0) => Fault::Result(0),
        };
        (kind, fault)
    })
}

fn step() -> impl Strategy<Value = Step> {
    let conn = 0..4usize;
    prop_oneof![
        2 => Just(Step::Open),
        3 => (conn.clone(), any::<bool>(), 1..40_000usize).prop_map(|(conn, end, len)| Step::Write { conn, end, len }),
        3 => (conn.clone(), any::<bool>()).prop_map(|(conn, end)| Step::Read { conn, end }),
        1 => (conn.clone(), any::<bool>()).prop_map(|(conn, end)| Step::Shutdown { conn, end }),
        1 => (conn, any::<bool>()).prop_map(|(conn, end)| Step::Close { conn, end }),
        3 => fault().prop_map(|(kind, fault)| Step::Inject(kind, fault)),
    ]
}

/// The two ends of a connection; `None` once closed.
type Pair = [Option<TcpStream>; 2];

async fn open(listener: &TcpListener) -> Option<Pair> {
    let addr = listener.local_addr().unwrap();
    let both = timeout(CALL * 4, async { ringline::join!(TcpStream::connect(addr), listener.accept()) }).await;
    match both {
        Ok((Ok(client), Ok((server, _)))) => Some([Some(client), Some(server)]),
        _ => None, // a fault failed one side: whatever was made is dropped
    }
}

async fn run(steps: Vec<Step>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut pairs: Vec<Pair> = Vec::new();
    for step in steps {
        match step {
            Step::Open => {
                if let Some(pair) = open(&listener).await {
                    match pairs.iter_mut().find(|p| p.iter().all(Option::is_none)) {
                        Some(free) => *free = pair,
                        None => pairs.push(pair),
                    }
                }
            }
            Step::Inject(kind, fault) => fi::inject(kind, fault),
            Step::Write { conn, end, len } => {
                if let Some(s) = end_of(&mut pairs, conn, end) {
                    let _ = timeout(CALL, s.write_all(&vec![1; len])).await;
                }
            }
            Step::Read { conn, end } => {
                if let Some(s) = end_of(&mut pairs, conn, end) {
                    let _ = timeout(CALL, s.read(&mut [0; 8192])).await;
                }
            }
            Step::Shutdown { conn, end } => {
                if let Some(s) = end_of(&mut pairs, conn, end) {
                    let _ = timeout(CALL, s.shutdown()).await;
                }
            }
            Step::Close { conn, end } => {
                if let Some(pair) = pairs.get_mut(conn) {
                    pair[usize::from(end)] = None;
                }
            }
        }
    }
}

fn end_of(pairs: &mut [Pair], conn: usize, end: bool) -> Option<&mut TcpStream> {
    pairs.get_mut(conn)?[usize::from(end)].as_mut()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_calls_and_completions_leak_nothing(steps in prop::collection::vec(step(), 1..40)) {
        let rt = Builder::new_current_thread().enable_all().build().expect("runtime");
        if rt.handle().backend() != Backend::Uring {
            return Ok(());
        }
        rt.block_on(async {
            sleep(Duration::from_millis(1)).await;
            let start = Handle::current().driver_counters();
            timeout(Duration::from_secs(10), run(steps)).await.expect("the sequence hung");
            fi::clear();
            let handle = Handle::current();
            for _ in 0..100 {
                if handle.driver_counters() == start {
                    break;
                }
                sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(handle.driver_counters(), start, "driver resources leaked");
        });
    }
}
