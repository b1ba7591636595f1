//! Adversarial TCP stress: hunts lost, reordered or corrupted bytes, hangs and
//! panics in the stream data path, on whichever backend the runtime picks
//! (`RINGLINE_BACKEND=uring|mio`).
//!
//! Every byte on the wire is a function of its position in the stream
//! (`byte_at`), so each reader checks everything it gets and a mismatch says
//! where the bytes came from. On io_uring the schedules below cross the
//! receive-mode switches (multishot receive ↔ on-demand reads), the 256 KiB
//! receive pause and the 128 KiB write limit; small socket buffers and tiny
//! ring-provided buffer pools make those limits bite early. Every wait is
//! bounded, so a hang fails in seconds; every server binds `127.0.0.1:0`.

use std::future::Future;
use std::io;
use std::task::Poll;
use std::time::Duration;

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use ringline::io::{AsyncReadExt, AsyncWriteExt, Interest};
use ringline::net::{TcpSocket, TcpStream};
use ringline::runtime::Builder;
use ringline::time::{sleep, timeout};

/// Upper bound for one step that should take milliseconds.
const STEP: Duration = Duration::from_secs(5);
/// Upper bound for a whole transfer.
const WHOLE: Duration = Duration::from_secs(15);

async fn within<F: std::future::IntoFuture>(what: &str, limit: Duration, f: F) -> F::Output {
    match timeout(limit, f).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: timed out after {limit:?}"),
    }
}

/// A connected (client, server) pair; with `buffers`, both sockets' kernel
/// send and receive buffers are that small (the accepted socket inherits the
/// listener's), so the runtime's own queue limits are reached early.
async fn pair_with(buffers: Option<u32>) -> (TcpStream, TcpStream) {
    let socket = || {
        let s = TcpSocket::new_v4().unwrap();
        if let Some(n) = buffers {
            s.set_send_buffer_size(n).unwrap();
            s.set_recv_buffer_size(n).unwrap();
        }
        s
    };
    let listening = socket();
    listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listening.local_addr().unwrap();
    let listener = listening.listen(16).unwrap();
    let (client, accepted) =
        within("connect+accept", STEP, async { tokio::join!(socket().connect(addr), listener.accept()) }).await;
    (client.unwrap(), accepted.unwrap().0)
}

async fn pair() -> (TcpStream, TcpStream) {
    pair_with(None).await
}

/// The byte at position `pos` of every stream here: no short period, so lost,
/// repeated or swapped bytes show.
fn byte_at(pos: u64) -> u8 {
    let x = pos.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((x >> 56) ^ (x >> 29) ^ pos) as u8
}

/// Fills `buf` with the `len` bytes starting at `pos`.
fn pattern(pos: u64, len: usize, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend((pos..pos + len as u64).map(byte_at));
}

/// Asserts that `got` are the bytes at `pos`.
#[track_caller]
fn check(what: &str, pos: u64, got: &[u8]) {
    let Some(i) = got.iter().zip(pos..).position(|(&b, p)| b != byte_at(p)) else { return };
    let at = pos + i as u64;
    panic!(
        "{what}: byte {at} is {:#04x}, expected {:#04x} ({} bytes read at {pos}){}",
        got[i],
        byte_at(at),
        got.len(),
        whence(&got[i..], at)
    );
}

/// Where the bytes at a mismatch really come from, if nearby: tells lost
/// bytes from repeated ones.
fn whence(got: &[u8], at: u64) -> String {
    let probe = &got[..got.len().min(32)];
    if probe.len() < 8 {
        return String::new();
    }
    let matches = |from: u64| probe.iter().zip(from..).all(|(&b, p)| b == byte_at(p));
    for delta in 1..=4 * 1024 * 1024u64 {
        if matches(at + delta) {
            return format!("; they are the bytes at {}: {delta} bytes skipped", at + delta);
        }
        if delta <= at && matches(at - delta) {
            return format!("; they are the bytes at {}: {delta} bytes repeated", at - delta);
        }
    }
    "; not from anywhere nearby (corrupted)".into()
}

/// `slices` + 1 sorted offsets from 0 to `len` cutting it into pieces, some
/// empty (derived from `seed`, so a schedule replays).
fn cut_points(seed: u64, len: usize, slices: usize) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut cuts: Vec<usize> = (1..slices).map(|_| rng.random_range(0..=len)).collect();
    cuts.extend([0, len]);
    cuts.sort_unstable();
    cuts
}

/// The pieces of `buf` between `cuts`, from byte `from` on.
fn slices_from<'a>(buf: &'a [u8], cuts: &[usize], from: usize) -> Vec<io::IoSlice<'a>> {
    cuts.windows(2).filter(|w| w[1] > from).map(|w| io::IoSlice::new(&buf[w[0].max(from)..w[1]])).collect()
}

/// Polls `fut` once and drops it: its output if it was ready at once.
async fn poll_once<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        Poll::Ready(match fut.as_mut().poll(cx) {
            Poll::Ready(out) => Some(out),
            Poll::Pending => None,
        })
    })
    .await
}

fn is_reset(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted)
}

// ---------------------------------------------------------------------------
// Random schedules, one direction.

/// One step of the writer's schedule (cycled until `total` bytes went).
#[derive(Clone, Copy, Debug)]
enum WriteStep {
    /// `write_all` of `len` bytes, `repeat` times (streaks switch modes).
    All {
        len: usize,
        repeat: u8,
    },
    /// `writable()` + `try_write` until `len` bytes went.
    Try {
        len: usize,
    },
    /// A `write` polled once and dropped if Pending, then `write_all`.
    Dropped {
        len: usize,
    },
    /// `len` bytes cut into `slices` pieces (some empty), sent with
    /// `write_vectored` (or `writable()` + `try_write_vectored`) until all went.
    Vectored {
        len: usize,
        slices: u16,
        try_: bool,
    },
    Flush,
    Pause {
        millis: u8,
    },
}

/// One step of the reader's schedule (cycled until `total` bytes came).
#[derive(Clone, Copy, Debug)]
enum ReadStep {
    Read {
        len: usize,
        repeat: u8,
    },
    Exact {
        len: usize,
    },
    PeekThenRead {
        len: usize,
    },
    ReadyThenTry {
        len: usize,
    },
    Buf {
        len: usize,
    },
    /// A `read` dropped after `micros` (or after one poll when 0).
    DroppedRead {
        len: usize,
        micros: u16,
    },
    /// `readable()` polled once and dropped, then a `try_read`.
    DroppedReadable {
        len: usize,
    },
    /// `ready(READABLE)` + `try_read_vectored` into `slices` buffers.
    ReadyThenTryVectored {
        len: usize,
        slices: u8,
    },
    /// `readable()` + `try_read_buf` into a `Vec` with `len` spare capacity.
    ReadyThenTryBuf {
        len: usize,
    },
    Pause {
        millis: u8,
    },
}

/// The largest single read or write of a schedule.
const MAX_LEN: usize = 200 * 1024;
/// Pauses each side takes at most (they stop mattering once taken).
const PAUSES: u32 = 4;

#[derive(Clone, Debug)]
struct Plan {
    total: u64,
    writes: Vec<WriteStep>,
    reads: Vec<ReadStep>,
    multi_thread: bool,
    /// Kernel socket buffer size (None: the system's, autotuned).
    socket_buffers: Option<u32>,
    /// io_uring provided buffers (count, size) (None: the default 512 × 4 KiB).
    recv_buffers: Option<(u16, u32)>,
}

/// Sizes from 1 B to 200 KiB, each order of magnitude about equally likely.
fn len() -> impl Strategy<Value = usize> {
    prop_oneof![1..64usize, 64..2048usize, 2048..16 * 1024usize, 16 * 1024..=MAX_LEN]
}

fn write_step() -> impl Strategy<Value = WriteStep> {
    prop_oneof![
        6 => (len(), 1..=6u8).prop_map(|(len, repeat)| WriteStep::All { len, repeat }),
        2 => len().prop_map(|len| WriteStep::Try { len }),
        2 => len().prop_map(|len| WriteStep::Dropped { len }),
        2 => (len(), prop_oneof![4 => 1..16u16, 1 => 1000..1100u16], any::<bool>())
            .prop_map(|(len, slices, try_)| WriteStep::Vectored { len, slices, try_ }),
        1 => Just(WriteStep::Flush),
        1 => (1..=20u8).prop_map(|millis| WriteStep::Pause { millis }),
    ]
}

fn read_step() -> impl Strategy<Value = ReadStep> {
    prop_oneof![
        4 => (len(), 1..=6u8).prop_map(|(len, repeat)| ReadStep::Read { len, repeat }),
        2 => len().prop_map(|len| ReadStep::Exact { len }),
        2 => len().prop_map(|len| ReadStep::PeekThenRead { len }),
        2 => len().prop_map(|len| ReadStep::ReadyThenTry { len }),
        2 => len().prop_map(|len| ReadStep::Buf { len }),
        2 => (len(), 0..300u16).prop_map(|(len, micros)| ReadStep::DroppedRead { len, micros }),
        1 => len().prop_map(|len| ReadStep::DroppedReadable { len }),
        1 => (len(), 1..8u8).prop_map(|(len, slices)| ReadStep::ReadyThenTryVectored { len, slices }),
        1 => len().prop_map(|len| ReadStep::ReadyThenTryBuf { len }),
        1 => (1..=20u8).prop_map(|millis| ReadStep::Pause { millis }),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        64 * 1024..2 * 1024 * 1024u64,
        // A data step first, so a cycle always moves bytes.
        ((len(), 1..=6u8), prop::collection::vec(write_step(), 0..10)),
        (len(), prop::collection::vec(read_step(), 0..10)),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(8 * 1024u32), Just(64 * 1024)]),
        prop::option::of(prop_oneof![Just((4u16, 512u32)), Just((64, 4096))]),
    )
        .prop_map(
            |(total, ((wlen, repeat), mut writes), (rlen, mut reads), multi_thread, socket_buffers, recv_buffers)| {
                writes.insert(0, WriteStep::All { len: wlen, repeat });
                reads.insert(0, ReadStep::Read { len: rlen, repeat: 1 });
                Plan { total, writes, reads, multi_thread, socket_buffers, recv_buffers }
            },
        )
}

/// Writes `total` bytes by cycling through `steps`, then shuts down.
async fn write_schedule(mut stream: TcpStream, steps: Vec<WriteStep>, total: u64) -> TcpStream {
    let mut pos = 0u64;
    let mut pauses = PAUSES;
    let mut buf = Vec::new();
    for step in steps.iter().cycle() {
        if pos == total {
            break;
        }
        match *step {
            WriteStep::All { len, repeat } => {
                for _ in 0..repeat {
                    if pos == total {
                        break;
                    }
                    let n = len.min((total - pos) as usize);
                    pattern(pos, n, &mut buf);
                    within("write_all", STEP, stream.write_all(&buf)).await.unwrap();
                    pos += n as u64;
                }
            }
            WriteStep::Try { len } => {
                pattern(pos, len.min((total - pos) as usize), &mut buf);
                let mut sent = 0;
                while sent < buf.len() {
                    within("writable", STEP, stream.writable()).await.unwrap();
                    match stream.try_write(&buf[sent..]) {
                        Ok(n) => sent += n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(e) => panic!("try_write at {pos}: {e:?}"),
                    }
                }
                pos += sent as u64;
            }
            WriteStep::Dropped { len } => {
                pattern(pos, len.min((total - pos) as usize), &mut buf);
                // A write that returned Pending wrote nothing (tokio's rule).
                let sent = match poll_once(stream.write(&buf)).await {
                    Some(n) => n.unwrap(),
                    None => 0,
                };
                within("write_all after a dropped write", STEP, stream.write_all(&buf[sent..])).await.unwrap();
                pos += buf.len() as u64;
            }
            WriteStep::Vectored { len, slices, try_ } => {
                let n = len.min((total - pos) as usize);
                pattern(pos, n, &mut buf);
                let cuts = cut_points(pos, n, slices.into());
                let mut sent = 0;
                while sent < n {
                    let io_slices = slices_from(&buf, &cuts, sent);
                    let wrote = if try_ {
                        within("writable", STEP, stream.writable()).await.unwrap();
                        match stream.try_write_vectored(&io_slices) {
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                            wrote => wrote.unwrap(),
                        }
                    } else {
                        within("write_vectored", STEP, stream.write_vectored(&io_slices)).await.unwrap()
                    };
                    assert!(wrote > 0, "a vectored write of {} bytes took none", n - sent);
                    sent += wrote;
                }
                pos += n as u64;
            }
            WriteStep::Flush => within("flush", STEP, stream.flush()).await.unwrap(),
            WriteStep::Pause { millis } if pauses > 0 => {
                pauses -= 1;
                sleep(Duration::from_millis(millis.into())).await;
            }
            WriteStep::Pause { .. } => {}
        }
    }
    within("shutdown", STEP, stream.shutdown()).await.unwrap();
    stream
}

/// Reads and checks `total` bytes by cycling through `steps`, then the EOF.
async fn read_schedule(mut stream: TcpStream, steps: Vec<ReadStep>, total: u64) -> TcpStream {
    let mut pos = 0u64;
    let mut pauses = PAUSES;
    let mut buf = vec![0; MAX_LEN];
    let mut peeked = vec![0; MAX_LEN];
    let eof = |n: usize, pos: u64| assert!(n > 0, "EOF after {pos} of {total} bytes");
    for step in steps.iter().cycle() {
        if pos == total {
            break;
        }
        match *step {
            ReadStep::Read { len, repeat } => {
                for _ in 0..repeat {
                    let n = within("read", STEP, stream.read(&mut buf[..len])).await.unwrap();
                    eof(n, pos);
                    check("read", pos, &buf[..n]);
                    pos += n as u64;
                    if pos == total {
                        break;
                    }
                }
            }
            ReadStep::Exact { len } => {
                let len = len.min((total - pos) as usize);
                within("read_exact", STEP, stream.read_exact(&mut buf[..len])).await.unwrap();
                check("read_exact", pos, &buf[..len]);
                pos += len as u64;
            }
            ReadStep::PeekThenRead { len } => {
                let k = within("peek", STEP, stream.peek(&mut peeked[..len])).await.unwrap();
                eof(k, pos);
                check("peek", pos, &peeked[..k]);
                let n = within("read after peek", STEP, stream.read(&mut buf[..len])).await.unwrap();
                assert!(n >= k, "a read after a peek of {k} bytes got {n} at {pos}");
                check("read after peek", pos, &buf[..n]);
                pos += n as u64;
            }
            ReadStep::ReadyThenTry { len } => {
                let n = within("readable + try_read", STEP, async {
                    loop {
                        stream.readable().await.unwrap();
                        match stream.try_read(&mut buf[..len]) {
                            Ok(n) => return n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => panic!("try_read at {pos}: {e:?}"),
                        }
                    }
                })
                .await;
                eof(n, pos);
                check("try_read", pos, &buf[..n]);
                pos += n as u64;
            }
            ReadStep::Buf { len } => {
                let mut vec = Vec::with_capacity(len);
                let n = within("read_buf", STEP, stream.read_buf(&mut vec)).await.unwrap();
                eof(n, pos);
                check("read_buf", pos, &vec);
                pos += n as u64;
            }
            ReadStep::DroppedRead { len, micros } => {
                let got = if micros == 0 {
                    poll_once(stream.read(&mut buf[..len])).await
                } else {
                    timeout(Duration::from_micros(micros.into()), stream.read(&mut buf[..len])).await.ok()
                };
                if let Some(n) = got {
                    let n = n.unwrap();
                    eof(n, pos);
                    check("read raced with its drop", pos, &buf[..n]);
                    pos += n as u64;
                }
            }
            ReadStep::DroppedReadable { len } => {
                let _ = poll_once(stream.readable()).await;
                match stream.try_read(&mut buf[..len]) {
                    Ok(n) => {
                        eof(n, pos);
                        check("try_read after a dropped readable()", pos, &buf[..n]);
                        pos += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("try_read at {pos}: {e:?}"),
                }
            }
            ReadStep::ReadyThenTryVectored { len, slices } => {
                let cuts = cut_points(pos, len, slices.into());
                let n = within("ready + try_read_vectored", STEP, async {
                    loop {
                        let ready = stream.ready(Interest::READABLE).await.unwrap();
                        assert!(ready.is_readable(), "ready(READABLE) gave {ready:?}");
                        let mut rest = &mut buf[..len];
                        let mut io_slices = Vec::new();
                        for w in cuts.windows(2) {
                            let (piece, tail) = rest.split_at_mut(w[1] - w[0]);
                            io_slices.push(io::IoSliceMut::new(piece));
                            rest = tail;
                        }
                        match stream.try_read_vectored(&mut io_slices) {
                            Ok(n) => return n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => panic!("try_read_vectored at {pos}: {e:?}"),
                        }
                    }
                })
                .await;
                eof(n, pos);
                check("try_read_vectored", pos, &buf[..n]);
                pos += n as u64;
            }
            ReadStep::ReadyThenTryBuf { len } => {
                let mut vec = Vec::with_capacity(len);
                let n = within("readable + try_read_buf", STEP, async {
                    loop {
                        stream.readable().await.unwrap();
                        match stream.try_read_buf(&mut vec) {
                            Ok(n) => return n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => panic!("try_read_buf at {pos}: {e:?}"),
                        }
                    }
                })
                .await;
                eof(n, pos);
                assert_eq!(n, vec.len());
                check("try_read_buf", pos, &vec);
                pos += n as u64;
            }
            ReadStep::Pause { millis } if pauses > 0 => {
                pauses -= 1;
                sleep(Duration::from_millis(millis.into())).await;
            }
            ReadStep::Pause { .. } => {}
        }
    }
    assert_eq!(within("EOF", STEP, stream.read(&mut buf[..4096])).await.unwrap(), 0, "bytes past the end");
    assert_eq!(within("EOF again", STEP, stream.read(&mut buf[..1])).await.unwrap(), 0, "EOF is sticky");
    stream
}

fn run_plan(plan: Plan) {
    let mut builder = if plan.multi_thread {
        let mut b = Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        Builder::new_current_thread()
    };
    if let Some((count, size)) = plan.recv_buffers {
        builder.recv_buffers(count, size);
    }
    let rt = builder.enable_all().build().unwrap();
    // Printed if the transfer times out: proptest names the failing input
    // only after shrinking, which a hung case may not live to see.
    let described = format!("{plan:?}");
    rt.block_on(async move {
        let (client, server) = pair_with(plan.socket_buffers).await;
        let writer = ringline::spawn(write_schedule(client, plan.writes, plan.total));
        let reader = ringline::spawn(read_schedule(server, plan.reads, plan.total));
        let Ok((writer, reader)) = timeout(WHOLE, async { tokio::join!(writer, reader) }).await else {
            panic!("transfer: timed out after {WHOLE:?}; plan: {described}");
        };
        writer.expect("writer task");
        reader.expect("reader task");
    });
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("STRESS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32),
        max_shrink_iters: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random writer and reader schedules over one connection: every byte
    /// arrives once, in order, then the EOF. `STRESS_CASES=n` runs more cases.
    #[test]
    fn random_schedules_keep_every_byte(plan in plan()) {
        run_plan(plan);
    }
}

/// A length from 1 to `max`, each power of two about equally likely.
fn random_len(rng: &mut StdRng, max: usize) -> usize {
    let bits = rng.random_range(0..=max.ilog2());
    rng.random_range(1usize << bits..=(2usize << bits) - 1).min(max)
}

/// Writes `total` bytes of the stream at `base` in random chunks up to
/// 512 KiB, then shuts down.
async fn write_random<W: tokio::io::AsyncWrite + Unpin>(wr: &mut W, seed: u64, base: u64, total: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut buf = Vec::new();
    let mut pos = 0;
    while pos < total {
        let n = random_len(&mut rng, 512 * 1024).min((total - pos) as usize);
        pattern(base + pos, n, &mut buf);
        within("write_all", STEP, wr.write_all(&buf)).await.unwrap();
        pos += n as u64;
    }
    within("shutdown", STEP, wr.shutdown()).await.unwrap();
}

/// Reads and checks the stream at `base` with random buffer sizes up to
/// 256 KiB until EOF, which must come after exactly `total` bytes.
async fn read_random<R: tokio::io::AsyncRead + Unpin>(rd: &mut R, seed: u64, base: u64, total: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut buf = vec![0; 256 * 1024];
    let mut pos = 0;
    loop {
        let len = random_len(&mut rng, buf.len());
        let n = within("read", STEP, rd.read(&mut buf[..len])).await.unwrap();
        if n == 0 {
            break;
        }
        check("read", base + pos, &buf[..n]);
        pos += n as u64;
    }
    assert_eq!(pos, total, "EOF after {pos} of {total} bytes");
}

// ---------------------------------------------------------------------------
// Both directions at once: each side writes far more than all the buffers on
// the way hold while it also reads, so both sides' send queues fill. tokio
// runs these programs to the end; so must ringline.

const DUPLEX: u64 = 4 * 1024 * 1024;

/// Drives both directions of `stream` from one task the way tokio's docs
/// show: `ready(READABLE | WRITABLE)`, then `try_read` / `try_write`; writes
/// `total` bytes at `out_base` (then shuts down) and reads the peer's `total`
/// bytes at `in_base` and its EOF.
async fn duplex_by_readiness(stream: &mut TcpStream, seed: u64, out_base: u64, in_base: u64, total: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut out, mut out_at, mut sent) = (Vec::new(), 0, 0u64);
    let (mut buf, mut got, mut eof) = (vec![0; 256 * 1024], 0u64, false);
    while !eof || sent < total {
        let interest = match (eof, sent < total) {
            (false, true) => Interest::READABLE | Interest::WRITABLE,
            (false, false) => Interest::READABLE,
            (true, _) => Interest::WRITABLE,
        };
        let ready = within("ready", STEP, stream.ready(interest)).await.unwrap();
        if ready.is_readable() && !eof {
            let len = random_len(&mut rng, buf.len());
            match stream.try_read(&mut buf[..len]) {
                Ok(0) => eof = true,
                Ok(n) => {
                    check("try_read", in_base + got, &buf[..n]);
                    got += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_read after {got} bytes: {e:?}"),
            }
        }
        if ready.is_writable() && sent < total {
            if out_at == out.len() {
                let n = random_len(&mut rng, 512 * 1024).min((total - sent) as usize);
                pattern(out_base + sent, n, &mut out);
                out_at = 0;
            }
            match stream.try_write(&out[out_at..]) {
                Ok(n) => {
                    out_at += n;
                    sent += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_write after {sent} bytes: {e:?}"),
            }
            if sent == total {
                within("shutdown", STEP, stream.shutdown()).await.unwrap();
            }
        }
    }
    assert_eq!(got, total, "EOF after {got} of {total} bytes");
}

/// Each side drives both its directions from one task: one with `join!` over
/// its borrowed halves, the other with `ready()` + `try_*`.
#[ringline::test]
async fn full_duplex_from_one_task_each() {
    let (mut a, mut b) = pair_with(Some(16 * 1024)).await;
    let joined = async {
        let (mut rd, mut wr) = a.split();
        tokio::join!(write_random(&mut wr, 2, 2 << 40, DUPLEX), read_random(&mut rd, 12, 3 << 40, DUPLEX));
    };
    let by_readiness = duplex_by_readiness(&mut b, 13, 3 << 40, 2 << 40, DUPLEX);
    within("full duplex", WHOLE, async { tokio::join!(joined, by_readiness) }).await;
}

/// Each half in its own task, the two sides' tasks spread over two workers.
#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_duplex_halves_in_own_tasks() {
    let (a, b) = pair().await;
    let side = |stream: TcpStream, seed: u64| {
        let (mut rd, mut wr) = stream.into_split();
        let writer = ringline::spawn(async move {
            write_random(&mut wr, seed, seed << 40, DUPLEX).await;
            wr
        });
        let reader = ringline::spawn(async move {
            read_random(&mut rd, seed + 10, (seed ^ 1) << 40, DUPLEX).await;
            rd
        });
        (writer, reader)
    };
    let (wa, ra) = side(a, 4);
    let (wb, rb) = side(b, 5);
    let (wa, ra, wb, rb) = within("full duplex", WHOLE, async { tokio::join!(wa, ra, wb, rb) }).await;
    ra.unwrap().reunite(wa.unwrap()).expect("halves of one stream");
    rb.unwrap().reunite(wb.unwrap()).expect("halves of one stream");
}

// ---------------------------------------------------------------------------
// Futures dropped mid-flight.

/// Reads and writes dropped at the moments that race hardest, across large
/// and small messages (both receive modes on io_uring): a read polled once
/// (arming the receive or registering for the poll) and dropped, a
/// `readable()` dropped before its `try_read`, a read that loses a `select!`
/// to the writer's "sent" signal, a `read_buf` timed out, and writes polled
/// once and dropped while the send queue is full. Nothing may be lost.
#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_dropped_mid_flight_lose_nothing() {
    let (mut client, mut server) = pair_with(Some(16 * 1024)).await;
    let phases = [(16 * 1024, 12), (100, 40), (200 * 1024, 4), (1, 40), (64 * 1024, 8), (3000, 20), (9000, 12)];
    let total: u64 = phases.iter().map(|&(len, count)| (len * count) as u64).sum();
    let (sent_tx, mut sent_rx) = tokio::sync::mpsc::unbounded_channel();
    let writer = ringline::spawn(async move {
        let mut pos = 0;
        let mut buf = Vec::new();
        for (len, count) in phases {
            for i in 0..count {
                pattern(pos, len, &mut buf);
                let mut sent = 0;
                if i % 2 == 0 {
                    // Pending wrote nothing (tokio's rule); Ready wrote `n`.
                    if let Some(n) = poll_once(client.write(&buf)).await {
                        sent = n.unwrap();
                    }
                }
                within("write_all", STEP, client.write_all(&buf[sent..])).await.unwrap();
                pos += len as u64;
                let _ = sent_tx.send(());
                if i % 5 == 0 {
                    sleep(Duration::from_millis(1)).await; // some messages arrive alone
                }
            }
        }
        within("shutdown", STEP, client.shutdown()).await.unwrap();
        client
    });

    let mut rng = StdRng::seed_from_u64(11);
    let mut buf = vec![0; 256 * 1024];
    let mut pos = 0u64;
    let mut dropped = 0;
    within("reader", WHOLE, async {
        while pos < total {
            let len = random_len(&mut rng, buf.len());
            let got = match rng.random_range(0..4) {
                0 => poll_once(server.read(&mut buf[..len])).await.map(Result::unwrap),
                1 => {
                    let _ = poll_once(server.readable()).await;
                    match server.try_read(&mut buf[..len]) {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
                        other => Some(other.unwrap()),
                    }
                }
                2 => ringline::select! {
                    biased;
                    n = server.read(&mut buf[..len]) => Some(n.unwrap()),
                    _ = sent_rx.recv() => None,
                },
                _ => {
                    let mut vec = Vec::with_capacity(len);
                    let micros = rng.random_range(0..200);
                    match timeout(Duration::from_micros(micros), server.read_buf(&mut vec)).await {
                        Ok(n) => {
                            let n = n.unwrap();
                            buf[..n].copy_from_slice(&vec);
                            Some(n)
                        }
                        Err(_) => None,
                    }
                }
            };
            // A dropped read took nothing; a real one (which also yields)
            // keeps the transfer moving.
            let n = match got {
                Some(n) => n,
                None => {
                    dropped += 1;
                    server.read(&mut buf[..len]).await.unwrap()
                }
            };
            assert!(n > 0, "EOF after {pos} of {total} bytes");
            check("read after dropped futures", pos, &buf[..n]);
            pos += n as u64;
        }
        assert_eq!(server.read(&mut buf).await.unwrap(), 0, "bytes past the end");
    })
    .await;
    within("writer", STEP, writer).await.unwrap();
    assert!(dropped > 0, "no future was dropped");
}

// ---------------------------------------------------------------------------
// A stream that changes workers mid-conversation.

/// A stream, how far its conversation got, and how often it changed hosts.
type Job = (TcpStream, u64, u32);

/// A task on some worker that takes streams, echoes a random stretch of
/// each (leaving a read pending now and then) and hands it to the next host.
struct Host {
    /// The worker thread the task runs on.
    thread: std::thread::ThreadId,
    /// Streams for this host.
    jobs: tokio::sync::mpsc::UnboundedSender<Job>,
    /// Starts the task with (the next host's jobs, where to report the end);
    /// dropping it ends the task.
    start: tokio::sync::oneshot::Sender<(
        tokio::sync::mpsc::UnboundedSender<Job>,
        tokio::sync::mpsc::UnboundedSender<Job>,
    )>,
}

async fn spawn_host() -> Host {
    let (thread_tx, thread_rx) = tokio::sync::oneshot::channel();
    let (jobs, jobs_rx) = tokio::sync::mpsc::unbounded_channel();
    let (start, start_rx) = tokio::sync::oneshot::channel();
    ringline::spawn(async move {
        let _ = thread_tx.send(std::thread::current().id());
        if let Ok((next, done)) = start_rx.await {
            echo_host(jobs_rx, next, done).await;
        }
    });
    Host { thread: within("host starts", STEP, thread_rx).await.unwrap(), jobs, start }
}

/// The host's loop: echo, check, hand on; reports the stream at its EOF.
async fn echo_host(
    mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>,
    next: tokio::sync::mpsc::UnboundedSender<Job>,
    done: tokio::sync::mpsc::UnboundedSender<Job>,
) {
    let mut buf = vec![0; 64 * 1024];
    while let Some((mut stream, mut pos, hops)) = jobs.recv().await {
        let mut rng = StdRng::seed_from_u64(pos ^ u64::from(hops) << 32);
        let quota = random_len(&mut rng, 256 * 1024) as u64;
        let stop = pos + quota;
        let mut pending_read = rng.random_bool(0.5);
        loop {
            let len = random_len(&mut rng, buf.len());
            let n = if pos >= stop && pending_read {
                // Leave a read registered on this worker, then move on.
                pending_read = false;
                match poll_once(stream.read(&mut buf[..len])).await {
                    Some(n) => n.unwrap(),
                    None => break,
                }
            } else if pos >= stop {
                break;
            } else {
                within("host read", STEP, stream.read(&mut buf[..len])).await.unwrap()
            };
            if n == 0 {
                within("host shutdown", STEP, stream.shutdown()).await.unwrap();
                let _ = done.send((stream, pos, hops));
                return;
            }
            check("host read", pos, &buf[..n]);
            within("host write", STEP, stream.write_all(&buf[..n])).await.unwrap();
            pos += n as u64;
        }
        next.send((stream, pos, hops + 1)).expect("the other host is gone");
    }
}

/// The server side of a conversation (echo) changes workers every few
/// hundred KiB, sometimes with a read still registered on the old one, while
/// the client streams 3 MiB at it and checks what comes back.
#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_hops_between_workers_mid_conversation() {
    const TOTAL: u64 = 3 * 1024 * 1024;
    let (client, server) = pair().await;
    let first = spawn_host().await;
    let mut second = spawn_host().await;
    let mut spares = Vec::new();
    while second.thread == first.thread {
        assert!(spares.len() < 16, "every host landed on one worker");
        spares.push(second);
        second = spawn_host().await;
    }
    drop(spares);
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = first.start.send((second.jobs.clone(), done_tx.clone()));
    let _ = second.start.send((first.jobs.clone(), done_tx));

    // The stream's first read happens here, then it moves.
    let mut warmup = [0; 1];
    let (mut rd, mut wr) = client.into_split();
    let talk = ringline::spawn(async move {
        tokio::join!(write_random(&mut wr, 21, 0, TOTAL), read_random(&mut rd, 22, 0, TOTAL));
    });
    within("first byte", STEP, server.peek(&mut warmup)).await.unwrap();
    first.jobs.send((server, 0, 0)).unwrap();
    within("conversation", WHOLE, talk).await.unwrap();
    let (_server, pos, hops) = within("last host", STEP, done_rx.recv()).await.unwrap();
    assert_eq!(pos, TOTAL);
    assert!(hops >= 4, "the stream changed hosts only {hops} times");
}

// ---------------------------------------------------------------------------
// A peer that goes away in the middle of a large transfer.

/// The writer resets (zero linger, drop) after a random number of bytes,
/// some of them maybe still queued, while the reader reads with random
/// buffers and pauses (so unread bytes pile up past the receive pause): the
/// reader gets a correct prefix, then EOF or `ConnectionReset`, never a hang.
#[ringline::test]
async fn reset_mid_transfer_ends_reads() {
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut client, mut server) = pair_with([None, Some(16 * 1024)][seed as usize % 2]).await;
        let cut = rng.random_range(0..3 * 1024 * 1024u64);
        let writer = ringline::spawn(async move {
            let mut rng = StdRng::seed_from_u64(seed + 100);
            let mut buf = Vec::new();
            let mut pos = 0;
            while pos < cut {
                let n = random_len(&mut rng, 256 * 1024).min((cut - pos) as usize);
                pattern(pos, n, &mut buf);
                within("write before the reset", STEP, client.write_all(&buf)).await.unwrap();
                pos += n as u64;
            }
            client.set_zero_linger().unwrap();
        });
        let mut buf = vec![0; 256 * 1024];
        let mut pos = 0u64;
        let end = within("read until the reset", WHOLE, async {
            loop {
                if rng.random_ratio(1, 16) {
                    sleep(Duration::from_millis(rng.random_range(1..=10))).await;
                }
                let len = random_len(&mut rng, buf.len());
                match server.read(&mut buf[..len]).await {
                    Ok(0) => return None,
                    Ok(n) => {
                        check("read before the reset", pos, &buf[..n]);
                        pos += n as u64;
                        assert!(pos <= cut, "read {pos} bytes of {cut} written");
                    }
                    Err(e) => return Some(e),
                }
            }
        })
        .await;
        if let Some(e) = end {
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "seed {seed}: {e:?}");
        }
        within("writer", STEP, writer).await.unwrap();
    }
}

/// The reader reads a random stretch of a large transfer and then goes away
/// (closing with unread bytes sends a reset; sometimes with zero linger):
/// the writer, often waiting for room in a full send queue, gets an error.
#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_gone_mid_transfer_fails_writes() {
    for seed in 0..12u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut client, mut server) = pair_with([None, Some(16 * 1024)][seed as usize % 2]).await;
        let stop = rng.random_range(0..1024 * 1024u64);
        let linger = rng.random_bool(0.5);
        let reader = ringline::spawn(async move {
            let mut buf = vec![0; 64 * 1024];
            let mut pos = 0;
            while pos < stop {
                let len = buf.len().min((stop - pos) as usize);
                let n = within("read before going away", STEP, server.read(&mut buf[..len])).await.unwrap();
                assert!(n > 0, "EOF");
                check("read before going away", pos, &buf[..n]);
                pos += n as u64;
            }
            if linger {
                server.set_zero_linger().unwrap();
            }
        });
        let mut buf = Vec::new();
        let mut pos = 0;
        let err = within("write until an error", WHOLE, async {
            loop {
                let n = random_len(&mut rng, 256 * 1024);
                pattern(pos, n, &mut buf);
                if let Err(e) = client.write_all(&buf).await {
                    return e;
                }
                pos += n as u64;
                if rng.random_ratio(1, 8) {
                    if let Err(e) = client.flush().await {
                        return e;
                    }
                }
            }
        })
        .await;
        assert!(is_reset(&err), "seed {seed}: {err:?} after {pos} bytes");
        within("reader", STEP, reader).await.unwrap();
    }
}

/// The peer's whole runtime shuts down in the middle of a transfer (its
/// tasks dropped mid-write and mid-read, its driver cancelling sends and
/// receives in flight): this side's reads end with a correct prefix and then
/// EOF or a reset, its writes with an error.
#[ringline::test]
async fn peer_runtime_shut_down_mid_transfer() {
    for seed in 0..6u64 {
        let listener = ringline::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let peer = std::thread::spawn(move || {
            let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let stream = within("peer connect", STEP, TcpStream::connect(addr)).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut rd, mut wr) = stream.into_split();
                // Writes until the runtime goes: soon blocked on a full queue.
                ringline::spawn(async move {
                    let mut buf = Vec::new();
                    let mut pos = 0;
                    loop {
                        pattern(pos, 64 * 1024, &mut buf);
                        if wr.write_all(&buf).await.is_err() {
                            return;
                        }
                        pos += buf.len() as u64;
                    }
                });
                // Reads (and drops) until the runtime goes.
                ringline::spawn(async move {
                    let mut buf = vec![0; 1024];
                    while let Ok(1..) = rd.read(&mut buf).await {}
                });
                sleep(Duration::from_millis(5 + 10 * seed)).await;
            });
            rt.shutdown_timeout(STEP);
        });
        let (mut stream, _) = within("accept", STEP, listener.accept()).await.unwrap();
        let (mut rd, mut wr) = stream.split();
        let reading = async {
            let mut buf = vec![0; 16 * 1024];
            let mut pos = 0;
            loop {
                if pos < 256 * 1024 {
                    sleep(Duration::from_millis(1)).await; // slow at first: the peer's queue fills
                }
                match rd.read(&mut buf).await {
                    Ok(0) => return,
                    Ok(n) => {
                        check("read from a peer that went away", pos, &buf[..n]);
                        pos += n as u64;
                    }
                    Err(e) => return assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e:?}"),
                }
            }
        };
        let writing = async {
            let chunk = vec![0; 32 * 1024];
            loop {
                if let Err(e) = wr.write_all(&chunk).await {
                    return assert!(is_reset(&e), "{e:?}");
                }
            }
        };
        within("talk to a peer that goes away", WHOLE, async { tokio::join!(reading, writing) }).await;
        peer.join().expect("the peer's runtime shut down cleanly");
    }
}

// ---------------------------------------------------------------------------
// Many connections at once.

/// Echoes every connection from its own task with random read sizes until
/// EOF, then half-closes.
async fn echo_server() -> std::net::SocketAddr {
    let listener = ringline::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    ringline::spawn(async move {
        while let Ok((mut sock, peer)) = listener.accept().await {
            ringline::spawn(async move {
                let mut rng = StdRng::seed_from_u64(peer.port().into());
                let mut buf = vec![0; 64 * 1024];
                loop {
                    let len = random_len(&mut rng, buf.len());
                    match sock.read(&mut buf[..len]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if sock.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

/// 64 connections, each a few hundred round trips of random sizes (mostly
/// small, some up to 256 KiB) through an echo server, read back with random
/// read styles; every byte is checked.
#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_random_round_trips() {
    const CONNS: u64 = 64;
    const TRIPS: usize = 150;
    let addr = echo_server().await;
    let clients: Vec<_> = (0..CONNS)
        .map(|id| {
            ringline::spawn(async move {
                let mut rng = StdRng::seed_from_u64(id + 1000);
                let mut stream = within("connect", STEP, TcpStream::connect(addr)).await.unwrap();
                let base = id << 40;
                let mut pos = 0u64;
                let (mut out, mut back) = (Vec::new(), vec![0; 256 * 1024]);
                for _ in 0..TRIPS {
                    let len = match rng.random_range(0..100) {
                        0..70 => rng.random_range(1..=512),
                        70..97 => rng.random_range(512..=16 * 1024),
                        _ => rng.random_range(16 * 1024..=256 * 1024),
                    };
                    pattern(base + pos, len, &mut out);
                    let style = rng.random_range(0..3);
                    let (mut rd, mut wr) = stream.split();
                    let read_back = async {
                        let mut got = 0;
                        while got < len {
                            let n = match style {
                                0 => rd.read(&mut back[got..len]).await.unwrap(),
                                1 => {
                                    let k = rd.peek(&mut back[got..len]).await.unwrap();
                                    assert!(k > 0, "client {id}: EOF");
                                    let n = rd.read(&mut back[got..got + k]).await.unwrap();
                                    assert_eq!(n, k, "client {id}: a read of what was just peeked");
                                    n
                                }
                                _ => {
                                    rd.readable().await.unwrap();
                                    match rd.try_read(&mut back[got..len]) {
                                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                                        n => n.unwrap(),
                                    }
                                }
                            };
                            assert!(n > 0, "client {id}: EOF");
                            got += n;
                        }
                    };
                    within("round trip", STEP, async { tokio::join!(wr.write_all(&out), read_back) }).await.0.unwrap();
                    check(&format!("client {id}"), base + pos, &back[..len]);
                    pos += len as u64;
                }
                within("shutdown", STEP, stream.shutdown()).await.unwrap();
                assert_eq!(within("EOF", STEP, stream.read(&mut back)).await.unwrap(), 0);
            })
        })
        .collect();
    within("clients", WHOLE, async {
        for client in clients {
            client.await.unwrap();
        }
    })
    .await;
}

// ---------------------------------------------------------------------------
// Memory bounds.

/// A reader that stops reading must stop the receive: ringline promises to
/// pause it past 256 KiB unread, so a writer trickling small messages (each
/// received alone, so io_uring stays on the multishot receive) is held back
/// after that plus the 128 KiB send queue and the small kernel buffers.
/// tokio (and ringline on mio) stop it at the kernel buffers.
#[ringline::test]
async fn unread_bytes_stay_bounded() {
    const LIMIT: usize = 768 * 1024;
    let (mut client, mut server) = pair_with(Some(8 * 1024)).await;
    client.set_nodelay(true).unwrap();
    client.write_all(b"x").await.unwrap();
    within("first byte", STEP, server.read_exact(&mut [0])).await.unwrap(); // the receive is armed
    let mut written = 0;
    let chunk = vec![7; 1000];
    let _ = timeout(Duration::from_millis(1500), async {
        while written < 4 * LIMIT {
            client.write_all(&chunk).await.unwrap();
            written += chunk.len();
            if written % 2000 == 0 {
                sleep(Duration::from_millis(1)).await; // ~2 KB a millisecond: receives stay small
            }
        }
    })
    .await;
    assert!(written < LIMIT, "a peer that never reads took {written} bytes");
    drop(server);
}
