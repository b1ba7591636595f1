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

/// A receive this big (or one that fills a whole provided buffer) counts
/// towards switching to on-demand reads.
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

    /// Notes a multishot receive of `n` bytes into a provided buffer of
    /// `buffer` bytes (a full buffer counts as large: more was waiting);
    /// says whether the connection switched to on-demand reads.
    pub(super) fn observe_received(&mut self, n: usize, buffer: usize) -> bool {
        !self.on_demand && self.count(n >= LARGE.min(buffer))
    }

    /// Notes an on-demand read of `n` bytes; says whether the connection
    /// switched back to the multishot receive.
    pub(super) fn observe_read(&mut self, n: usize) -> bool {
        self.on_demand && self.count(n < SMALL)
    }

    /// Extends or breaks the streak; flips the mode when it is long enough.
    fn count(&mut self, towards_switch: bool) -> bool {
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

    const BUF: usize = 16 * 1024;

    #[test]
    fn switches_after_a_streak_and_back() {
        let mut mode = RecvMode::default();
        for _ in 0..STREAK - 1 {
            assert!(!mode.observe_received(16 * 1024, BUF));
        }
        assert!(!mode.observe_received(100, BUF), "a small receive breaks the streak");
        for _ in 0..STREAK - 1 {
            assert!(!mode.observe_received(LARGE, BUF));
        }
        assert!(mode.observe_received(LARGE, BUF));
        assert!(mode.on_demand());
        assert!(!mode.observe_received(10, BUF), "late multishot completions don't count");
        assert!(!mode.observe_read(4 * 1024), "medium reads keep the mode");
        for _ in 0..STREAK - 1 {
            assert!(!mode.observe_read(10));
        }
        assert!(mode.observe_read(10));
        assert!(!mode.on_demand());
        assert!(!mode.observe_read(10), "reads in multishot mode don't count");
    }

    #[test]
    fn full_small_buffers_count_as_large() {
        let mut mode = RecvMode::default();
        for _ in 0..STREAK {
            mode.observe_received(4096, 4096);
        }
        assert!(mode.on_demand());
    }
}
