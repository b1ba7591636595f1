//! The submission side of one io_uring: the op slab and SQE pushing.
//!
//! Every SQE carries `user_data = generation << 32 | slot`. The slot holds what
//! the kernel may still touch (an `Arc` of the I/O object, or a one-shot op's
//! resources) until the final completion for that user_data arrives, so a
//! dropped future never frees memory in flight, and a stale completion for a
//! reused slot is recognised by its generation and dropped.

use std::sync::Arc;

use io_uring::{cqueue, opcode, squeue, IoUring};
use slab::Slab;

use super::bufring::BufRing;
use super::conn::ConnShared;
use super::listener::ListenerShared;
use super::oneshot::OneshotCompletion;
use super::sq_backlog::SqBacklog;

/// What an in-flight operation is for, and what it keeps alive.
pub(super) enum InFlight {
    /// The read of the driver's wake-up eventfd.
    Wake,
    /// A multishot receive on a stream.
    Recv(Arc<ConnShared>),
    /// A multishot readiness poll on an on-demand stream.
    Poll(Arc<ConnShared>),
    /// A send of a stream's queued bytes.
    Send(Arc<ConnShared>),
    /// A `shutdown(SHUT_WR)` of a stream.
    Shutdown(Arc<ConnShared>),
    /// A one-shot accept on a listener.
    Accept(Arc<ListenerShared>),
    /// A multishot poll of a listener's epoll fd.
    AcceptReady(Arc<ListenerShared>),
    /// Any single-completion op (connect, ...): its resources live in the Arc.
    Oneshot(Arc<dyn OneshotCompletion>),
    /// An `ASYNC_CANCEL` request for the op with this user_data.
    Cancel(u64),
}

struct OpSlot {
    generation: u32,
    op: InFlight,
}

/// The ring plus everything needed to submit to it.
pub(super) struct Ring {
    /// Declared first so it is dropped (closed) before the buffers it used.
    pub(super) uring: IoUring,
    pub(super) bufs: BufRing,
    ops: Slab<OpSlot>,
    /// Entries waiting for room in the submission queue.
    backlog: SqBacklog,
    next_generation: u32,
    /// The driver is shutting down: completions must not arm new ops.
    stopping: bool,
}

/// A completion, decoded.
pub(super) struct Completion {
    pub(super) result: i32,
    pub(super) flags: u32,
}

impl Completion {
    /// More completions will follow for the same user_data (multishot).
    pub(super) fn more(&self) -> bool {
        cqueue::more(self.flags)
    }
}

impl Ring {
    pub(super) fn new(uring: IoUring, bufs: BufRing) -> Ring {
        Ring {
            uring,
            bufs,
            ops: Slab::with_capacity(256),
            backlog: SqBacklog::default(),
            next_generation: 1,
            stopping: false,
        }
    }

    /// From now on I/O objects arm no new ops (shutdown).
    pub(super) fn stop(&mut self) {
        self.stopping = true;
    }

    /// Whether I/O objects may arm new ops.
    pub(super) fn accepting_ops(&self) -> bool {
        !self.stopping
    }

    /// Pushes `entry`, recording `op` as its owner until its final completion.
    /// Returns the user_data (never 0: generations start at 1), which
    /// `cancel` takes.
    pub(super) fn submit(&mut self, entry: squeue::Entry, op: InFlight) -> u64 {
        #[cfg(feature = "fault-injection")]
        let entry = super::faults::intercept(&op, entry);
        let generation = self.next_generation;
        self.next_generation = self.next_generation.wrapping_add(1).max(1);
        let slot = self.ops.insert(OpSlot { generation, op });
        let user_data = (u64::from(generation) << 32) | slot as u64;
        let entry = entry.user_data(user_data);
        // SAFETY: the entry's pointers reference memory owned by `op`, which
        // the slab keeps alive until the final completion for user_data.
        unsafe { self.backlog.push(&mut self.uring, entry) };
        user_data
    }

    /// Moves SQEs that did not fit earlier into the submission queue; false
    /// while some still wait (the driver must then not sleep).
    pub(super) fn flush_backlog(&mut self) -> bool {
        // SAFETY: every waiting entry's memory is owned by its op in the slab.
        self.backlog.is_empty() || unsafe { self.backlog.flush(&mut self.uring) }
    }

    /// Asks the kernel to cancel the op with `user_data`. Its own completion
    /// (ECANCELED or the result it already had) still arrives and frees it.
    pub(super) fn cancel(&mut self, user_data: u64) {
        if self.is_live(user_data) {
            self.submit(opcode::AsyncCancel::new(user_data).build(), InFlight::Cancel(user_data));
        }
    }

    fn is_live(&self, user_data: u64) -> bool {
        let (slot, generation) = split(user_data);
        self.ops.get(slot).is_some_and(|s| s.generation == generation)
    }

    /// Looks up the owner of a completion. The slot is released when this is
    /// the final completion (`!more`); a stale user_data yields `None`.
    pub(super) fn take_owner(&mut self, user_data: u64, more: bool) -> Option<InFlight> {
        let (slot, generation) = split(user_data);
        let live = self.ops.get(slot).is_some_and(|s| s.generation == generation);
        if !live {
            return None;
        }
        if more {
            Some(self.ops[slot].op.share())
        } else {
            Some(self.ops.remove(slot).op)
        }
    }

    /// Number of operations whose final completion has not arrived.
    pub(super) fn in_flight(&self) -> usize {
        self.ops.len()
    }

    /// The user_data of every live op (for shutdown).
    pub(super) fn live_user_data(&self) -> Vec<u64> {
        self.ops
            .iter()
            .filter(|(_, s)| !matches!(s.op, InFlight::Cancel(_)))
            .map(|(slot, s)| (u64::from(s.generation) << 32) | slot as u64)
            .collect()
    }
}

impl InFlight {
    /// A second reference to the same owner, for multishot completions.
    fn share(&self) -> InFlight {
        match self {
            InFlight::Wake => InFlight::Wake,
            InFlight::Recv(c) => InFlight::Recv(c.clone()),
            InFlight::Poll(c) => InFlight::Poll(c.clone()),
            InFlight::Send(c) => InFlight::Send(c.clone()),
            InFlight::Shutdown(c) => InFlight::Shutdown(c.clone()),
            InFlight::Accept(l) => InFlight::Accept(l.clone()),
            InFlight::AcceptReady(l) => InFlight::AcceptReady(l.clone()),
            InFlight::Oneshot(o) => InFlight::Oneshot(o.clone()),
            InFlight::Cancel(target) => InFlight::Cancel(*target),
        }
    }
}

fn split(user_data: u64) -> (usize, u32) {
    ((user_data & 0xffff_ffff) as usize, (user_data >> 32) as u32)
}
