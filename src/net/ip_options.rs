//! The IP-level options tokio's `TcpSocket` and `UdpSocket` both have
//! (`IP_TOS`, `IPV6_TCLASS`, `SO_BINDTODEVICE`), with tokio's names and
//! platform gates, written once.

/// Expands the option methods into an `impl` block of a type with a
/// `fn sock(&self) -> socket2::SockRef<'_>`.
macro_rules! ip_options {
    () => {
        /// The `IPV6_TCLASS` option: the traffic class of packets sent from this
        /// (IPv6) socket.
        #[cfg(any(
            target_os = "android",
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "fuchsia",
            target_os = "linux",
            target_os = "macos",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "cygwin",
        ))]
        pub fn tclass_v6(&self) -> std::io::Result<u32> {
            self.sock().tclass_v6()
        }

        /// Sets `IPV6_TCLASS`, the traffic class of packets sent from this (IPv6)
        /// socket.
        #[cfg(any(
            target_os = "android",
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "fuchsia",
            target_os = "linux",
            target_os = "macos",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "cygwin",
        ))]
        pub fn set_tclass_v6(&self, tclass: u32) -> std::io::Result<()> {
            self.sock().set_tclass_v6(tclass)
        }

        /// The `IP_TOS` option: the type-of-service field of packets sent from
        /// this (IPv4) socket.
        #[cfg(not(any(
            target_os = "fuchsia",
            target_os = "redox",
            target_os = "solaris",
            target_os = "illumos",
            target_os = "haiku",
            target_os = "wasi",
        )))]
        pub fn tos_v4(&self) -> std::io::Result<u32> {
            self.sock().tos_v4()
        }

        /// Sets `IP_TOS`, the type-of-service field of packets sent from this
        /// (IPv4) socket.
        #[cfg(not(any(
            target_os = "fuchsia",
            target_os = "redox",
            target_os = "solaris",
            target_os = "illumos",
            target_os = "haiku",
            target_os = "wasi",
        )))]
        pub fn set_tos_v4(&self, tos: u32) -> std::io::Result<()> {
            self.sock().set_tos_v4(tos)
        }

        /// The old name of [`tos_v4`](Self::tos_v4), kept (deprecated) as tokio does.
        #[deprecated(note = "`tos` related methods have been renamed `tos_v4` since they are IPv4-specific.")]
        #[doc(hidden)]
        #[cfg(not(any(
            target_os = "fuchsia",
            target_os = "redox",
            target_os = "solaris",
            target_os = "illumos",
            target_os = "haiku",
            target_os = "wasi",
        )))]
        pub fn tos(&self) -> std::io::Result<u32> {
            self.tos_v4()
        }

        /// The old name of [`set_tos_v4`](Self::set_tos_v4), kept (deprecated)
        /// as tokio does.
        #[deprecated(note = "`tos` related methods have been renamed `tos_v4` since they are IPv4-specific.")]
        #[doc(hidden)]
        #[cfg(not(any(
            target_os = "fuchsia",
            target_os = "redox",
            target_os = "solaris",
            target_os = "illumos",
            target_os = "haiku",
            target_os = "wasi",
        )))]
        pub fn set_tos(&self, tos: u32) -> std::io::Result<()> {
            self.set_tos_v4(tos)
        }

        /// The interface this socket is bound to (`SO_BINDTODEVICE`), if any.
        #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
        pub fn device(&self) -> std::io::Result<Option<Vec<u8>>> {
            self.sock().device()
        }

        /// Binds this socket to the interface named `interface` (`SO_BINDTODEVICE`):
        /// only packets from that interface are processed. `None` (or an empty
        /// name) removes the binding. Usually needs `CAP_NET_RAW`
        /// (`PermissionDenied` otherwise).
        #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
        pub fn bind_device(&self, interface: Option<&[u8]>) -> std::io::Result<()> {
            self.sock().bind_device(interface)
        }
    };
}

pub(crate) use ip_options;
