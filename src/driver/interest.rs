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

const READABLE: u8 = 0b0001;
const WRITABLE: u8 = 0b0010;
const PRIORITY: u8 = 0b0100;
const ERROR: u8 = 0b1000;

impl Interest {
    /// Interest in reading: bytes to read, end-of-file or an error (the
    /// read-closed state is included).
    pub const READABLE: Interest = Interest(READABLE);

    /// Interest in writing: room for bytes or an error (the write-closed
    /// state is included).
    pub const WRITABLE: Interest = Interest(WRITABLE);

    /// Interest in priority events (`EPOLLPRI`: out-of-band TCP data, some
    /// device and pseudo-file events). Waited for through
    /// `AsyncFd`; a TCP stream's `ready` does not watch it.
    pub const PRIORITY: Interest = Interest(PRIORITY);

    /// Interest in error readiness (`EPOLLERR`, e.g. an entry in a socket's
    /// error queue), which is always watched. Waited for through `AsyncFd`.
    pub const ERROR: Interest = Interest(ERROR);

    /// Whether the set includes readable interest.
    pub const fn is_readable(self) -> bool {
        self.0 & READABLE != 0
    }

    /// Whether the set includes writable interest.
    pub const fn is_writable(self) -> bool {
        self.0 & WRITABLE != 0
    }

    /// Whether the set includes priority interest.
    pub const fn is_priority(self) -> bool {
        self.0 & PRIORITY != 0
    }

    /// Whether the set includes error interest.
    pub const fn is_error(self) -> bool {
        self.0 & ERROR != 0
    }

    /// This set without `other`'s interests; `None` if none is left.
    #[must_use = "this returns the result of the operation, without modifying the original"]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
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
        if self.is_priority() {
            mask |= Ready::PRIORITY;
        }
        if self.is_error() {
            mask |= Ready::ERROR;
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
    /// The names of the interests, joined by ` | `, as tokio prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [(READABLE, "READABLE"), (WRITABLE, "WRITABLE"), (PRIORITY, "PRIORITY"), (ERROR, "ERROR")];
        let mut set = names.iter().filter(|(bit, _)| self.0 & bit != 0).map(|(_, name)| *name);
        match set.next() {
            None => f.write_str("(empty)"),
            Some(first) => {
                f.write_str(first)?;
                set.try_for_each(|name| write!(f, " | {name}"))
            }
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
        assert_eq!(format!("{:?}", Interest::READABLE | Interest::ERROR), "READABLE | ERROR");
    }

    #[test]
    fn priority_and_error_mask_their_own_bits_and_remove_works() {
        assert_eq!(Interest::PRIORITY.mask(), Ready::PRIORITY);
        assert_eq!(Interest::ERROR.mask(), Ready::ERROR);
        let all = Interest::READABLE | Interest::PRIORITY;
        assert_eq!(all.remove(Interest::PRIORITY), Some(Interest::READABLE));
        assert_eq!(Interest::ERROR.remove(Interest::ERROR), None);
    }
}
