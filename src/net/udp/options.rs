//! Socket options of a [`UdpSocket`], as tokio names them.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use socket2::SockRef;

use super::UdpSocket;

impl UdpSocket {
    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        SockRef::from(self).broadcast()
    }

    /// Sets `SO_BROADCAST`: the socket may send to a broadcast address.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        SockRef::from(self).set_broadcast(on)
    }

    /// The `IP_TTL` of packets sent from this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        SockRef::from(self).ttl_v4()
    }

    /// Sets `IP_TTL`.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(self).set_ttl_v4(ttl)
    }

    /// Whether multicast packets sent from this (IPv4) socket loop back.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        SockRef::from(self).multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        SockRef::from(self).set_multicast_loop_v4(on)
    }

    /// Whether multicast packets sent from this (IPv6) socket loop back.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        SockRef::from(self).multicast_loop_v6()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        SockRef::from(self).set_multicast_loop_v6(on)
    }

    /// The `IP_MULTICAST_TTL` of multicast packets sent from this socket.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        SockRef::from(self).multicast_ttl_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        SockRef::from(self).set_multicast_ttl_v4(ttl)
    }

    /// Joins the IPv4 multicast group `multiaddr` on `interface`
    /// (`UNSPECIFIED`: the system's choice).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        SockRef::from(self).join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on interface index
    /// `interface` (0: the system's choice).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        SockRef::from(self).join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with `join_multicast_v4`.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        SockRef::from(self).leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group joined with `join_multicast_v6`.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        SockRef::from(self).leave_multicast_v6(multiaddr, interface)
    }
}
