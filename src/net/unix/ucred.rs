//! [`UCred`]: the credentials of the process at the other end of a Unix
//! stream, as the kernel recorded them at `connect` or `pair`.

use std::io;
use std::os::fd::AsRawFd;

/// A user id (`uid_t`), as tokio names it.
#[allow(non_camel_case_types)]
pub type uid_t = u32;
/// A group id (`gid_t`), as tokio names it.
#[allow(non_camel_case_types)]
pub type gid_t = u32;
/// A process id (`pid_t`), as tokio names it.
#[allow(non_camel_case_types)]
pub type pid_t = i32;

/// Credentials of the peer process of a Unix stream; see
/// [`UnixStream::peer_cred`](crate::net::UnixStream::peer_cred).
#[derive(Copy, Clone, Eq, PartialEq, Hash, Debug)]
pub struct UCred {
    /// The peer's process id, where the OS reports it.
    pid: Option<pid_t>,
    /// The peer's effective user id.
    uid: uid_t,
    /// The peer's effective group id.
    gid: gid_t,
}

impl UCred {
    /// The effective user id of the peer process.
    pub fn uid(&self) -> uid_t {
        self.uid
    }

    /// The effective group id of the peer process.
    pub fn gid(&self) -> gid_t {
        self.gid
    }

    /// The process id of the peer process; `None` where the OS does not
    /// report it (the BSDs and macOS through `getpeereid`).
    pub fn pid(&self) -> Option<pid_t> {
        self.pid
    }
}

/// `SO_PEERCRED` of a connected Unix socket.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn peer_cred(sock: &impl AsRawFd) -> io::Result<UCred> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt(2) writes at most `len` bytes into `cred`, which we
    // own for the call and whose size `len` holds.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred { pid: Some(cred.pid), uid: cred.uid, gid: cred.gid })
}

/// `getpeereid` of a connected Unix socket (no process id there).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn peer_cred(sock: &impl AsRawFd) -> io::Result<UCred> {
    let mut uid: libc::uid_t = 0;
    let mut gid: libc::gid_t = 0;
    // SAFETY: getpeereid(3) writes one uid_t and one gid_t we own.
    let rc = unsafe { libc::getpeereid(sock.as_raw_fd(), &mut uid, &mut gid) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred { pid: None, uid, gid })
}
