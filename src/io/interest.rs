//! [`Interest`]: which readiness a task waits for.

use std::fmt;
use std::ops;

use super::Ready;

/// The readiness a task waits for in [`TcpStream::ready`], as tokio's
/// `tokio::io::Interest`.
///
/// Combine interests with `|` (or [`add`](Interest::add)).
///
/// [`TcpStream::ready`]: crate::net::TcpStream::ready
///
/// # Examples
///
/// ```
/// use ringline::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

const READABLE: u8 = 0b01;
const WRITABLE: u8 = 0b10;

impl Interest {
    /// Interest in reading: bytes to read, end-of-file or an error (the
    /// read-closed state is included).
    pub const READABLE: Interest = Interest(READABLE);

    /// Interest in writing: room for bytes or an error (the write-closed
    /// state is included).
    pub const WRITABLE: Interest = Interest(WRITABLE);

    /// Whether the set includes readable interest.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether the set includes writable interest.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Both sets together; the `const` spelling of `self | other`.
    ///
    /// ```
    /// use ringline::io::Interest;
    ///
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert!(BOTH.is_readable() && BOTH.is_writable());
    /// ```
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// The readiness bits that satisfy this interest: each half's state and
    /// its closed state.
    pub(crate) fn mask(self) -> Ready {
        let mut mask = Ready::EMPTY;
        if self.is_readable() {
            mask |= Ready::READABLE | Ready::READ_CLOSED;
        }
        if self.is_writable() {
            mask |= Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        mask
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    /// `READABLE`, `WRITABLE` or `READABLE | WRITABLE`, as tokio prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(empty)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_interest_masks_both_halves_and_prints_like_tokio() {
        let mut both = Interest::READABLE;
        both |= Interest::WRITABLE;
        assert_eq!(both, Interest::READABLE | Interest::WRITABLE);
        assert_eq!(both.mask(), Ready::READABLE | Ready::READ_CLOSED | Ready::WRITABLE | Ready::WRITE_CLOSED);
        assert_eq!(Interest::WRITABLE.mask(), Ready::WRITABLE | Ready::WRITE_CLOSED);
        assert_eq!(format!("{both:?}"), "READABLE | WRITABLE");
        assert_eq!(format!("{:?}", Interest::WRITABLE), "WRITABLE");
    }
}
