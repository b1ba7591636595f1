//! SQEs that did not fit in the submission queue, in order, until it has room.
//!
//! A full queue is handed to the kernel (`io_uring_enter`) and filled again;
//! when the kernel takes nothing (EBUSY: completions must be reaped first;
//! EAGAIN, EINTR, ENOMEM) the entries wait here for the driver's next tick
//! rather than spin or panic. Entries keep their order: while any wait, new
//! ones queue behind them, so a cancel never overtakes the op it cancels.

use std::collections::VecDeque;

use io_uring::{squeue, IoUring};

/// Entries waiting for room in the submission queue.
#[derive(Default)]
pub(super) struct SqBacklog {
    entries: VecDeque<squeue::Entry>,
}

impl SqBacklog {
    /// Pushes `entry` to the submission queue, or queues it behind earlier
    /// waiting entries.
    ///
    /// # Safety
    ///
    /// As for `SubmissionQueue::push`: the memory the entry points to stays
    /// valid until its completion (the op slab owns it).
    pub(super) unsafe fn push(&mut self, uring: &mut IoUring, entry: squeue::Entry) {
        self.entries.push_back(entry);
        // SAFETY: the caller's guarantee covers every queued entry.
        unsafe { self.flush(uring) };
    }

    /// Moves waiting entries into the submission queue, entering the kernel
    /// when it is full. True when none is left waiting.
    ///
    /// # Safety
    ///
    /// As for [`SqBacklog::push`], for every queued entry.
    pub(super) unsafe fn flush(&mut self, uring: &mut IoUring) -> bool {
        while let Some(entry) = self.entries.front() {
            // SAFETY: the caller guarantees the entry's memory outlives its op.
            if unsafe { uring.submission().push(entry) }.is_ok() {
                self.entries.pop_front();
                continue;
            }
            // Full: hand the queue to the kernel. If it takes nothing, the
            // rest waits for the next tick (which reaps first).
            if !matches!(uring.submit(), Ok(n) if n > 0) {
                return false;
            }
        }
        true
    }

    /// Entries are waiting: the driver must not sleep before they go in.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
