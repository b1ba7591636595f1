//! Sending from the caller's memory with one system call, for both backends.

use std::io::{self, IoSlice};
use std::mem;
use std::os::fd::RawFd;

/// The most slices one `sendmsg` or `recvmsg` takes (Linux's `UIO_MAXIOV`;
/// more fail with `EMSGSIZE`): later slices wait for the next call, as with
/// std's `write_vectored`.
pub(crate) const MAX_SLICES: usize = 1024;

/// Sends `bufs` in order with one non-blocking call: `send` for one slice,
/// `sendmsg` for several. Returns the bytes the kernel took, counted from the
/// start of the first slice.
pub(crate) fn send_slices(fd: RawFd, bufs: &[IoSlice<'_>], flags: libc::c_int) -> io::Result<usize> {
    let n = match bufs {
        [] => 0,
        // SAFETY: `buf` is valid for `buf.len()` bytes for the duration of the call.
        [buf] => unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), flags) },
        _ => {
            let bufs = &bufs[..bufs.len().min(MAX_SLICES)];
            // SAFETY: an all-zero msghdr is valid (no name, no iovecs, no control).
            let mut msg: libc::msghdr = unsafe { mem::zeroed() };
            // `IoSlice` is ABI-compatible with `iovec` on Unix (std guarantees
            // it); the kernel only reads through the pointer.
            msg.msg_iov = bufs.as_ptr().cast_mut().cast();
            msg.msg_iovlen = bufs.len() as _;
            // SAFETY: `msg` points at `bufs.len()` iovecs, each valid for its
            // length, all alive for the call.
            unsafe { libc::sendmsg(fd, &msg, flags) }
        }
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    #[test]
    fn slices_arrive_in_order_and_past_the_slice_limit_wait() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let one = [1u8];
        let bufs: Vec<IoSlice<'_>> = (0..MAX_SLICES + 5).map(|_| IoSlice::new(&one)).collect();
        let n = send_slices(a.as_raw_fd(), &bufs, 0).unwrap();
        assert_eq!(n, MAX_SLICES, "one call sends at most MAX_SLICES slices");
        let n = send_slices(a.as_raw_fd(), &[IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")], 0).unwrap();
        assert_eq!(n, 4);
        let n = send_slices(a.as_raw_fd(), &[IoSlice::new(b"e")], 0).unwrap();
        assert_eq!(n, 1);
        drop(a);
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got.len(), MAX_SLICES + 5);
        assert_eq!(&got[MAX_SLICES..], b"abcde");
    }
}
