//! [`Ready`]: the readiness a socket was found in.

use std::fmt;
use std::ops;

/// The readiness a socket was found in, returned by
/// [`TcpStream::ready`], as tokio's `tokio::io::Ready`.
///
/// A closed state counts as ready for its half: [`is_readable`] is true for
/// [`READ_CLOSED`](Ready::READ_CLOSED) too, [`is_writable`] for
/// [`WRITE_CLOSED`](Ready::WRITE_CLOSED).
///
/// [`TcpStream::ready`]: crate::net::TcpStream::ready
/// [`is_readable`]: Ready::is_readable
/// [`is_writable`]: Ready::is_writable
///
/// # Examples
///
/// ```
/// use ringline::io::Ready;
///
/// let ready = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(ready.is_readable() && ready.is_read_closed());
/// assert!(!ready.is_writable());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ready(usize);

const READABLE: usize = 0b0001;
const WRITABLE: usize = 0b0010;
const READ_CLOSED: usize = 0b0100;
const WRITE_CLOSED: usize = 0b1000;
// 0b1_0000 is taken by the drivers' shutdown flag in the same word.
const PRIORITY: usize = 0b10_0000;
const ERROR: usize = 0b100_0000;

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);

    /// Bytes to read (or, for a listener, a connection to accept).
    pub const READABLE: Ready = Ready(READABLE);

    /// Room to write.
    pub const WRITABLE: Ready = Ready(WRITABLE);

    /// The read half is closed: the peer shut down its writing (reads end
    /// in end-of-file) or the connection failed.
    pub const READ_CLOSED: Ready = Ready(READ_CLOSED);

    /// The write half is closed: the connection failed (writes fail).
    pub const WRITE_CLOSED: Ready = Ready(WRITE_CLOSED);

    /// A priority event (`EPOLLPRI`).
    pub const PRIORITY: Ready = Ready(PRIORITY);

    /// An error (`EPOLLERR`), e.g. an entry in a socket's error queue.
    pub const ERROR: Ready = Ready(ERROR);

    /// Every readiness.
    pub const ALL: Ready = Ready(READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED | PRIORITY | ERROR);

    /// Whether no readiness is set.
    pub fn is_empty(self) -> bool {
        self == Ready::EMPTY
    }

    /// Whether the set includes readable or read-closed readiness.
    pub fn is_readable(self) -> bool {
        self.0 & (READABLE | READ_CLOSED) != 0
    }

    /// Whether the set includes writable or write-closed readiness.
    pub fn is_writable(self) -> bool {
        self.0 & (WRITABLE | WRITE_CLOSED) != 0
    }

    /// Whether the set includes read-closed readiness.
    pub fn is_read_closed(self) -> bool {
        self.0 & READ_CLOSED != 0
    }

    /// Whether the set includes write-closed readiness.
    pub fn is_write_closed(self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }

    /// Whether the set includes priority readiness.
    pub fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// Whether the set includes error readiness.
    pub fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// The set stored as a word, to keep it in an atomic.
    pub(crate) const fn as_usize(self) -> usize {
        self.0
    }

    /// The set stored by `as_usize` (other bits of the word are ignored).
    pub(crate) const fn from_usize(bits: usize) -> Ready {
        Ready(bits & Ready::ALL.0)
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;

    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;

    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;

    /// The readiness of `self` that is not in `other`.
    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .field("is_priority", &self.is_priority())
            .field("is_error", &self.is_error())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_states_count_as_ready_for_their_half() {
        assert!(Ready::READ_CLOSED.is_readable() && !Ready::READ_CLOSED.is_writable());
        assert!(Ready::WRITE_CLOSED.is_writable() && !Ready::WRITE_CLOSED.is_readable());
        let all = Ready::READABLE | Ready::WRITABLE | Ready::READ_CLOSED | Ready::WRITE_CLOSED;
        assert_eq!(all - Ready::READ_CLOSED - Ready::WRITE_CLOSED, Ready::READABLE | Ready::WRITABLE);
        assert_eq!(Ready::from_usize(all.as_usize() | 0b1_0000), all, "bits beyond the set are ignored");
    }
}
