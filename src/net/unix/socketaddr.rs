//! [`SocketAddr`]: the address of a Unix socket, and its conversions to and
//! from the driver's `socket2::SockAddr`.

use std::fmt;
use std::io;
use std::os::unix::net::SocketAddr as StdSocketAddr;
use std::path::Path;

use socket2::SockAddr;

/// The address of a Unix socket: a path in the file system, a name in
/// Linux's abstract namespace, or unnamed (an unbound socket, such as the
/// client end of most connections or either end of a `pair()`).
///
/// Converts to and from [`std::os::unix::net::SocketAddr`], so on Linux
/// `std::os::linux::net::SocketAddrExt::from_abstract_name` builds an
/// abstract address to pass to `bind_addr` or `connect_addr`.
#[derive(Clone)]
pub struct SocketAddr(pub(super) StdSocketAddr);

impl SocketAddr {
    /// True if the address is unnamed.
    pub fn is_unnamed(&self) -> bool {
        self.0.is_unnamed()
    }

    /// The path, if the address is a path in the file system.
    pub fn as_pathname(&self) -> Option<&Path> {
        self.0.as_pathname()
    }

    /// The name (without the leading NUL byte), if the address is in
    /// Linux's abstract namespace.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;

        self.0.as_abstract_name()
    }
}

impl fmt::Debug for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<StdSocketAddr> for SocketAddr {
    fn from(addr: StdSocketAddr) -> SocketAddr {
        SocketAddr(addr)
    }
}

impl From<SocketAddr> for StdSocketAddr {
    fn from(addr: SocketAddr) -> StdSocketAddr {
        addr.0
    }
}

/// The address a path names, as tokio reads it: on Linux a path starting
/// with a NUL byte names the rest in the abstract namespace.
pub(super) fn from_path(path: &Path) -> io::Result<SocketAddr> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(name) = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).strip_prefix(b"\0") {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;

        return StdSocketAddr::from_abstract_name(name).map(SocketAddr);
    }
    StdSocketAddr::from_pathname(path).map(SocketAddr)
}

/// The driver's form of `addr`, to bind or connect to. An unnamed address
/// names nothing to reach: `InvalidInput`.
pub(super) fn to_sock_addr(addr: &SocketAddr) -> io::Result<SockAddr> {
    if let Some(path) = addr.as_pathname() {
        return SockAddr::unix(path);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(name) = addr.as_abstract_name() {
        let mut bytes = Vec::with_capacity(name.len() + 1);
        bytes.push(0);
        bytes.extend_from_slice(name);
        return SockAddr::unix(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(&bytes));
    }
    Err(io::Error::new(io::ErrorKind::InvalidInput, "an unnamed Unix socket address cannot be bound or connected to"))
}

/// The Unix address the driver (or `getsockname`/`getpeername`) gave.
pub(super) fn from_sock_addr(addr: &SockAddr) -> io::Result<SocketAddr> {
    // A datagram from an unnamed socket (a `pair()` peer, say) comes with an
    // empty address: no family at all.
    let unnamed = addr.family() == libc::AF_UNSPEC as libc::sa_family_t;
    if !addr.is_unix() && !unnamed {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a Unix socket address"));
    }
    if let Some(path) = addr.as_pathname() {
        return StdSocketAddr::from_pathname(path).map(SocketAddr);
    }
    if let Some(name) = addr.as_abstract_namespace() {
        return abstract_name(name);
    }
    // std builds an address from a path only; the empty path is its unnamed
    // address (a `sockaddr_un` holding no path bytes).
    StdSocketAddr::from_pathname("").map(SocketAddr)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_name(name: &[u8]) -> io::Result<SocketAddr> {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;

    StdSocketAddr::from_abstract_name(name).map(SocketAddr)
}

/// Abstract names exist on Linux and Android only; socket2 reports none
/// elsewhere, so this is never reached there.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_name(_name: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "abstract Unix socket addresses are Linux-only"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pathname_round_trips() {
        let addr = from_path(Path::new("/tmp/ringline.sock")).unwrap();
        let back = from_sock_addr(&to_sock_addr(&addr).unwrap()).unwrap();
        assert_eq!(back.as_pathname(), Some(Path::new("/tmp/ringline.sock")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn abstract_name_round_trips() {
        let addr = from_path(Path::new("\0ringline-name")).unwrap();
        assert_eq!(addr.as_abstract_name(), Some(&b"ringline-name"[..]));
        let back = from_sock_addr(&to_sock_addr(&addr).unwrap()).unwrap();
        assert_eq!((back.as_abstract_name(), back.as_pathname()), (Some(&b"ringline-name"[..]), None));
    }

    #[test]
    fn unnamed_is_unnamed_and_cannot_be_a_target() {
        let unnamed = SockAddr::unix("").unwrap();
        assert!(from_sock_addr(&unnamed).unwrap().is_unnamed());
        let addr = from_sock_addr(&unnamed).unwrap();
        assert_eq!(to_sock_addr(&addr).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
}
