//! [`ToSocketAddrs`]: everything `bind` and `connect` accept as an address.
//!
//! Literal addresses (`SocketAddr`, `(IpAddr, u16)`, `"127.0.0.1:80"`, ...)
//! resolve at once, without leaving the calling task. Host names are looked up
//! with the system resolver on the blocking pool, so a slow DNS server never
//! stalls a worker.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Converts or resolves, without blocking the worker, to one or more
/// [`SocketAddr`] values.
///
/// This trait is sealed: it is implemented for the same types as tokio's
/// `ToSocketAddrs` and only serves as the argument type of ringline functions
/// that take an address ([`TcpListener::bind`], [`TcpStream::connect`],
/// [`lookup_host`]).
///
/// Strings are parsed as socket addresses first; only when that fails is the
/// host part looked up with the system resolver on the blocking pool. A string
/// without a port, or with a port that is not a number in `0..=65535`, is an
/// [`io::ErrorKind::InvalidInput`] error.
///
/// [`TcpListener::bind`]: crate::net::TcpListener::bind
/// [`TcpStream::connect`]: crate::net::TcpStream::connect
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

/// Resolves `addr` to the list of addresses to try, in order.
pub(crate) async fn to_socket_addrs<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    match addr.to_socket_addrs(sealed::Internal) {
        sealed::Resolve::Ready(addrs) => addrs,
        sealed::Resolve::Lookup { host, port } => lookup(host, port).await,
    }
}

/// Performs a DNS resolution, like `tokio::net::lookup_host`.
///
/// The returned iterator may not yield any values if `host` resolves to no
/// address. Literal addresses resolve without a lookup.
///
/// # Examples
///
/// ```no_run
/// # async fn dox() -> std::io::Result<()> {
/// for addr in ringline::net::lookup_host("localhost:3000").await? {
///     println!("socket address is {addr}");
/// }
/// # Ok(())
/// # }
/// ```
pub async fn lookup_host<A: ToSocketAddrs>(host: A) -> io::Result<impl Iterator<Item = SocketAddr>> {
    to_socket_addrs(host).await.map(Vec::into_iter)
}

/// Runs the system resolver for `host` on the blocking pool.
async fn lookup(host: String, port: u16) -> io::Result<Vec<SocketAddr>> {
    let job = crate::task::spawn_blocking(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).map(Iterator::collect)
    });
    job.await?
}

fn ready(addr: SocketAddr) -> sealed::Resolve {
    sealed::Resolve::Ready(Ok(vec![addr]))
}

/// Splits `"host:port"` the way the standard library does; a literal IP host
/// resolves at once, anything else becomes a lookup.
fn parse_str(s: &str) -> sealed::Resolve {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return ready(addr);
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return invalid("invalid socket address");
    };
    match port.parse::<u16>() {
        Ok(port) => parse_host(host, port),
        Err(_) => invalid("invalid port value"),
    }
}

/// `(host, port)`: a literal IP resolves at once, a name becomes a lookup.
fn parse_host(host: &str, port: u16) -> sealed::Resolve {
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return ready(SocketAddrV4::new(ip, port).into());
    }
    if let Ok(ip) = host.parse::<Ipv6Addr>() {
        return ready(SocketAddrV6::new(ip, port, 0, 0).into());
    }
    sealed::Resolve::Lookup { host: host.to_owned(), port }
}

fn invalid(msg: &'static str) -> sealed::Resolve {
    sealed::Resolve::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, msg)))
}

/// Implements the sealed trait for a type with a conversion to `Resolve`.
macro_rules! impl_to_socket_addrs {
    ($($ty:ty => |$this:ident| $body:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}

        impl sealed::ToSocketAddrsPriv for $ty {
            fn to_socket_addrs(&self, _: sealed::Internal) -> sealed::Resolve {
                let $this = self;
                $body
            }
        }
    )*};
}

impl_to_socket_addrs! {
    SocketAddr => |a| ready(*a);
    SocketAddrV4 => |a| ready((*a).into());
    SocketAddrV6 => |a| ready((*a).into());
    (IpAddr, u16) => |a| ready((*a).into());
    (Ipv4Addr, u16) => |a| ready((*a).into());
    (Ipv6Addr, u16) => |a| ready((*a).into());
    (&str, u16) => |a| parse_host(a.0, a.1);
    (String, u16) => |a| parse_host(&a.0, a.1);
    str => |s| parse_str(s);
    String => |s| parse_str(s);
    &[SocketAddr] => |a| sealed::Resolve::Ready(Ok(a.to_vec()));
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}

impl<T: sealed::ToSocketAddrsPriv + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn to_socket_addrs(&self, internal: sealed::Internal) -> sealed::Resolve {
        (**self).to_socket_addrs(internal)
    }
}

pub(crate) mod sealed {
    //! The private half of [`ToSocketAddrs`](super::ToSocketAddrs): not part of
    //! the public API and free to change.

    use std::io;
    use std::net::SocketAddr;

    #[doc(hidden)]
    pub trait ToSocketAddrsPriv {
        /// Resolves what can be resolved without blocking.
        fn to_socket_addrs(&self, internal: Internal) -> Resolve;
    }

    /// Keeps `ToSocketAddrsPriv::to_socket_addrs` uncallable from outside.
    #[doc(hidden)]
    #[allow(missing_debug_implementations)]
    pub struct Internal;

    /// The first step of resolving an address.
    #[doc(hidden)]
    #[allow(missing_debug_implementations)]
    pub enum Resolve {
        /// Already known (or already known to be invalid).
        Ready(io::Result<Vec<SocketAddr>>),
        /// Needs the system resolver.
        Lookup { host: String, port: u16 },
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::{Internal, Resolve, ToSocketAddrsPriv};
    use super::*;

    fn resolve_now(addr: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
        match addr.to_socket_addrs(Internal) {
            Resolve::Ready(r) => r,
            Resolve::Lookup { host, .. } => panic!("unexpected lookup of {host}"),
        }
    }

    #[test]
    fn literals_resolve_without_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(resolve_now("127.0.0.1:80").unwrap(), [v4]);
        assert_eq!(resolve_now(String::from("[::1]:80")).unwrap(), [v6]);
        assert_eq!(resolve_now(("127.0.0.1", 80)).unwrap(), [v4]);
        assert_eq!(resolve_now(("::1".to_string(), 80)).unwrap(), [v6]);
        assert_eq!(resolve_now((Ipv4Addr::LOCALHOST, 80)).unwrap(), [v4]);
        assert_eq!(resolve_now((IpAddr::V6(Ipv6Addr::LOCALHOST), 80)).unwrap(), [v6]);
        assert_eq!(resolve_now(&[v4, v6][..]).unwrap(), [v4, v6]);
        let by_ref = &v4; // the `&T` impl
        assert_eq!(resolve_now(by_ref).unwrap(), [v4]);
    }

    #[test]
    fn malformed_strings_are_invalid_input() {
        for bad in ["", "no-port", "127.0.0.1", "host:notaport", "host:70000", "[::1]"] {
            let err = resolve_now(bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn host_names_are_looked_up() {
        match "localhost:8080".to_socket_addrs(Internal) {
            Resolve::Lookup { host, port } => assert_eq!((host.as_str(), port), ("localhost", 8080)),
            Resolve::Ready(r) => panic!("expected a lookup, got {r:?}"),
        }
    }
}
