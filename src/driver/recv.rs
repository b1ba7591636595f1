//! Reading a socket straight into the caller's buffer, for both backends.
//!
//! A read that fills the caller's buffer cannot tell whether the socket has
//! more, so the next read would be a `recv` that says `WouldBlock` (tokio pays
//! that system call for every large message). A TCP socket with `TCP_INQ` on
//! answers with each `recvmsg` how many bytes it still holds: when that is
//! none, the reader waits for the next event instead.

use std::io;
use std::mem::{self, MaybeUninit};
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU8, Ordering};

use bytes::BufMut;
use tokio::io::ReadBuf;

/// What one non-blocking read got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    /// Bytes read (or peeked) into the caller's buffer; 0 at EOF.
    pub(crate) n: usize,
    /// The socket had no more bytes right after the read, so the next read
    /// would block. Never set by a peek (it consumes nothing) or at EOF.
    pub(crate) drained: bool,
}

/// How a read treats the socket's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadKind {
    /// `recv`: the bytes are consumed.
    Consume,
    /// `recv` with `TCP_INQ` on the socket: `recvmsg`, which also says how
    /// many bytes are left.
    ConsumeWithInq,
    /// `MSG_PEEK`: the bytes stay for the next read.
    Peek,
}

/// The socket option level and name of `TCP_INQ`, which is also the
/// (level, type) of the control message carrying the count (`TCP_CM_INQ`
/// equals `TCP_INQ`); None where the OS has no such option.
#[cfg(any(target_os = "linux", target_os = "android"))]
const INQ: Option<(libc::c_int, libc::c_int)> = Some((libc::SOL_TCP, libc::TCP_INQ));
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const INQ: Option<(libc::c_int, libc::c_int)> = None;

/// Turns `TCP_INQ` on, so [`ReadKind::ConsumeWithInq`] reads learn what is
/// left; false where the socket does not support it (not TCP, old kernel,
/// not Linux).
fn enable_inq(fd: RawFd) -> bool {
    let Some((level, name)) = INQ else { return false };
    let on: libc::c_int = 1;
    // SAFETY: setsockopt(2) reads one c_int we own for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&on as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    rc == 0
}

/// `TCP_INQ` for a socket read from any thread: off until a read first
/// fills the caller's buffer (only then does it save anything), then on,
/// or unsupported for good.
#[derive(Debug, Default)]
pub(crate) struct LazyInq(AtomicU8);

const INQ_OFF: u8 = 0;
const INQ_ON: u8 = 1;
const INQ_UNSUPPORTED: u8 = 2;

impl LazyInq {
    /// One non-blocking read (or, without `consume`, a peek) into the
    /// unfilled part of `buf`, with `TCP_INQ` once it is on; a consuming read
    /// that fills `buf` turns it on for the reads after it.
    pub(crate) fn recv(&self, fd: RawFd, buf: &mut ReadBuf<'_>, consume: bool) -> io::Result<Received> {
        if !consume {
            return recv_into(fd, buf, ReadKind::Peek);
        }
        let asked = buf.remaining();
        let got = recv_into(fd, buf, self.consume_kind())?;
        self.observe(fd, got, asked);
        Ok(got)
    }

    /// How to consume the socket's bytes now.
    fn consume_kind(&self) -> ReadKind {
        match self.0.load(Ordering::Relaxed) {
            INQ_ON => ReadKind::ConsumeWithInq,
            _ => ReadKind::Consume,
        }
    }

    /// After a consuming read of `got.n` of `asked` bytes: a full read that
    /// could not tell whether it drained the socket turns `TCP_INQ` on.
    fn observe(&self, fd: RawFd, got: Received, asked: usize) {
        if got.n > 0 && got.n == asked && self.0.load(Ordering::Relaxed) == INQ_OFF {
            let state = if enable_inq(fd) { INQ_ON } else { INQ_UNSUPPORTED };
            self.0.store(state, Ordering::Relaxed);
        }
    }
}

/// One non-blocking read into the unfilled part of `buf`.
///
/// A stream socket returns fewer bytes than asked only when it has no more,
/// so a short read drains it; with [`ReadKind::ConsumeWithInq`] a full read
/// does too when the socket reports nothing left.
pub(crate) fn recv_into(fd: RawFd, buf: &mut ReadBuf<'_>, kind: ReadKind) -> io::Result<Received> {
    // SAFETY: the kernel only writes bytes into the slice; nothing in it is
    // de-initialised, and `assume_init` + `advance` below cover exactly the
    // `n` bytes it wrote.
    let unfilled = unsafe { buf.unfilled_mut() };
    let asked = unfilled.len();
    let (n, left) = match kind {
        ReadKind::Consume | ReadKind::Peek => {
            let flags = libc::MSG_DONTWAIT | if kind == ReadKind::Peek { libc::MSG_PEEK } else { 0 };
            // SAFETY: `unfilled` is valid writable memory of `asked` bytes.
            let n = unsafe { libc::recv(fd, unfilled.as_mut_ptr().cast(), asked, flags) };
            (check(n)?, None)
        }
        ReadKind::ConsumeWithInq => recvmsg_inq(fd, unfilled)?,
    };
    // SAFETY: the kernel initialised the first `n` bytes of the unfilled part.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    let drained = n > 0 && kind != ReadKind::Peek && (n < asked || left == Some(0));
    Ok(Received { n, drained })
}

/// Runs `read` on the spare capacity of `buf`, seen as a `ReadBuf`, then
/// advances `buf` past the bytes it filled.
pub(crate) fn read_into_buf_mut<B: BufMut + ?Sized>(
    buf: &mut B,
    read: impl FnOnce(&mut ReadBuf<'_>) -> io::Result<usize>,
) -> io::Result<usize> {
    // SAFETY: a `ReadBuf` never reads unfilled bytes and never writes
    // uninitialised ones, which is all `as_uninit_slice_mut` asks.
    let mut dst = ReadBuf::uninit(unsafe { buf.chunk_mut().as_uninit_slice_mut() });
    read(&mut dst)?;
    let n = dst.filled().len();
    // SAFETY: `ReadBuf` keeps its filled part initialised, so the first `n`
    // bytes of the chunk now are.
    unsafe { buf.advance_mut(n) };
    Ok(n)
}

/// `recvmsg` into `into`: the bytes read and, if the socket sent it, the
/// `TCP_CM_INQ` count of bytes still queued.
fn recvmsg_inq(fd: RawFd, into: &mut [MaybeUninit<u8>]) -> io::Result<(usize, Option<usize>)> {
    let mut iov = libc::iovec { iov_base: into.as_mut_ptr().cast(), iov_len: into.len() };
    // Room for one cmsg carrying a c_int, aligned for `cmsghdr`.
    let mut control = [0u64; 4];
    // SAFETY: an all-zero msghdr is valid (no name, no iovecs, no control).
    let mut msg: libc::msghdr = unsafe { mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at `iov` (valid for `into.len()` writable bytes)
    // and `control` (valid for its size), all alive for the call.
    let n = check(unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT) })?;
    let mut left = None;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel filled,
    // bounded by the `msg_controllen` it set; CMSG_DATA of a TCP_CM_INQ
    // message holds one (possibly unaligned) c_int.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if INQ == Some(((*cmsg).cmsg_level, (*cmsg).cmsg_type)) {
                let inq = libc::CMSG_DATA(cmsg).cast::<libc::c_int>().read_unaligned();
                left = Some(inq.max(0) as usize);
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n, left))
}

/// A `recv`-style return value as bytes or the OS error.
fn check(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    use super::*;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    fn read(fd: RawFd, len: usize, kind: ReadKind) -> io::Result<(Vec<u8>, Received)> {
        let mut storage = vec![0u8; len];
        let mut buf = ReadBuf::new(&mut storage);
        let got = recv_into(fd, &mut buf, kind)?;
        let filled = buf.filled().to_vec();
        Ok((filled, got))
    }

    /// Waits until the receiving socket holds `len` bytes (loopback is fast
    /// but not synchronous).
    fn wait_for(fd: RawFd, len: usize) {
        for _ in 0..1000 {
            if read(fd, len, ReadKind::Peek).map(|(b, _)| b.len()).unwrap_or(0) == len {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        panic!("{len} bytes never arrived");
    }

    #[test]
    fn a_full_read_knows_whether_bytes_are_left() {
        let (mut client, server) = pair();
        let fd = server.as_raw_fd();
        assert!(enable_inq(fd));
        client.write_all(b"abcdefgh").unwrap();
        wait_for(fd, 8);

        let (bytes, got) = read(fd, 4, ReadKind::ConsumeWithInq).unwrap();
        assert_eq!((bytes.as_slice(), got.drained), (&b"abcd"[..], false), "four bytes are left");
        let (bytes, got) = read(fd, 4, ReadKind::ConsumeWithInq).unwrap();
        assert_eq!((bytes.as_slice(), got.drained), (&b"efgh"[..], true), "a full read that emptied the socket");

        client.write_all(b"ij").unwrap();
        wait_for(fd, 2);
        let (bytes, got) = read(fd, 2, ReadKind::Consume).unwrap();
        assert_eq!((bytes.as_slice(), got.drained), (&b"ij"[..], false), "without TCP_INQ a full read can't tell");
        let err = read(fd, 2, ReadKind::ConsumeWithInq).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn eof_is_never_drained_and_peeks_consume_nothing() {
        let (mut client, server) = pair();
        let fd = server.as_raw_fd();
        assert!(enable_inq(fd));
        client.write_all(b"xy").unwrap();
        wait_for(fd, 2);
        let (bytes, got) = read(fd, 2, ReadKind::Peek).unwrap();
        assert_eq!((bytes.as_slice(), got.drained), (&b"xy"[..], false));
        drop(client);
        // The FIN is behind the bytes: the full read must not say "drained",
        // or the reader would wait for an event that never comes. (Loopback
        // delivers the FIN within the sleep.)
        std::thread::sleep(std::time::Duration::from_millis(50));
        let (bytes, got) = read(fd, 2, ReadKind::ConsumeWithInq).unwrap();
        assert_eq!((bytes.as_slice(), got.drained), (&b"xy"[..], false));
        let (_, got) = read(fd, 2, ReadKind::ConsumeWithInq).unwrap();
        assert_eq!(got, Received { n: 0, drained: false });
    }

    #[test]
    fn inq_is_refused_on_a_socket_that_is_not_tcp() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(!enable_inq(a.as_raw_fd()));
    }
}
