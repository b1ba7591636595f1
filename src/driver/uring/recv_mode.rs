//! How a connection receives: through the multishot receive, or on demand.
//!
//! The multishot receive costs no system call per read but copies every byte
//! twice in user space (provided buffer → connection queue → reader). For small
//! messages that is nothing; for large ones the copies, made after a whole
//! batch of receives has gone through the cache, cost more than a system call.
//! So a connection that keeps receiving large chunks switches to reading *on
//! demand*: a multishot poll says when the socket is readable and `poll_read`
//! calls `recv` straight into the reader's buffer (no copy in user space). When
//! its reads turn small again it switches back.

/// A receive this big counts towards switching to on-demand reads.
const LARGE: usize = 8 * 1024;
/// An on-demand read this small counts towards switching back.
const SMALL: usize = 2 * 1024;
/// Consecutive large (or small) transfers before the mode changes.
const STREAK: u8 = 4;

/// The receive mode of one connection and the evidence for changing it.
#[derive(Default)]
pub(super) struct RecvMode {
    on_demand: bool,
    streak: u8,
}

impl RecvMode {
    /// Reads go straight to the socket (else through the multishot receive).
    pub(super) fn on_demand(&self) -> bool {
        self.on_demand
    }

    /// Notes a completed receive of `n` bytes in either mode; says whether the
    /// mode changed.
    pub(super) fn observe(&mut self, n: usize) -> bool {
        let towards_switch = if self.on_demand { n < SMALL } else { n >= LARGE };
        if !towards_switch {
            self.streak = 0;
            return false;
        }
        self.streak += 1;
        if self.streak < STREAK {
            return false;
        }
        self.streak = 0;
        self.on_demand = !self.on_demand;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_after_a_streak_and_back() {
        let mut mode = RecvMode::default();
        for _ in 0..STREAK - 1 {
            assert!(!mode.observe(16 * 1024));
        }
        assert!(!mode.observe(100), "a small receive breaks the streak");
        for _ in 0..STREAK - 1 {
            assert!(!mode.observe(LARGE));
        }
        assert!(mode.observe(LARGE));
        assert!(mode.on_demand());
        assert!(!mode.observe(4 * 1024), "medium reads keep the mode");
        for _ in 0..STREAK - 1 {
            assert!(!mode.observe(10));
        }
        assert!(mode.observe(10));
        assert!(!mode.on_demand());
    }
}
