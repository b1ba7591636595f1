//! [`ArmedOp`]: the bookkeeping of one op an I/O object keeps armed.

use std::num::NonZeroU64;

use io_uring::squeue;

use super::ring::{Completion, InFlight, Ring};

/// One op an object keeps in flight (a multishot receive, poll or accept, a
/// send): at most one armed at a time, cancelled at most once, and cleared
/// only by its final completion, so a cancelled op is never re-armed while
/// the kernel may still complete it.
#[derive(Debug, Default)]
pub(super) struct ArmedOp {
    /// The user_data of the armed op.
    user_data: Option<NonZeroU64>,
    /// A cancel for it was submitted.
    cancelling: bool,
}

impl ArmedOp {
    /// An op is in flight (cancelled or not).
    pub(super) fn is_armed(&self) -> bool {
        self.user_data.is_some()
    }

    /// An op is in flight and no cancel was asked for.
    pub(super) fn is_live(&self) -> bool {
        self.is_armed() && !self.cancelling
    }

    /// Submits `entry` for `owner` as this op. The previous one must be
    /// finished.
    pub(super) fn arm(&mut self, ring: &mut Ring, entry: squeue::Entry, owner: InFlight) {
        debug_assert!(!self.is_armed(), "one op armed at a time");
        self.user_data = NonZeroU64::new(ring.submit(entry, owner));
        self.cancelling = false;
    }

    /// Asks the kernel to cancel the op, once; nothing when none is armed.
    pub(super) fn cancel(&mut self, ring: &mut Ring) {
        if let Some(user_data) = self.user_data.filter(|_| !self.cancelling) {
            self.cancelling = true;
            ring.cancel(user_data.get());
        }
    }

    /// A completion of the op arrived: the final one clears it. Returns
    /// whether it was the final one.
    pub(super) fn completed(&mut self, done: &Completion) -> bool {
        if done.more() {
            return false;
        }
        *self = ArmedOp::default();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::uring::Driver;
    use crate::driver::DriverConfig;
    use io_uring::opcode;

    /// `IORING_CQE_F_MORE`: more completions follow for the same op.
    const F_MORE: u32 = 1 << 1;

    #[test]
    fn cancels_once_and_clears_only_on_the_final_completion() {
        let mut driver = Driver::new(&DriverConfig::default()).unwrap();
        let ring = &mut *driver.ring;
        let mut op = ArmedOp::default();
        op.arm(ring, opcode::Nop::new().build(), InFlight::nobody());
        assert!(op.is_live());
        let before = ring.in_flight();
        op.cancel(ring);
        op.cancel(ring);
        assert_eq!(ring.in_flight(), before + 1, "one cancel request, not two");
        assert!(op.is_armed() && !op.is_live());
        let more = Completion { result: 0, flags: F_MORE };
        assert!(!op.completed(&more));
        assert!(op.is_armed(), "a multishot op stays armed until its last completion");
        assert!(op.completed(&Completion { result: -libc::ECANCELED, flags: 0 }));
        assert!(!op.is_armed());
    }
}
