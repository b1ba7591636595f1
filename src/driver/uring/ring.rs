//! The submission side of one io_uring: the op slab and SQE pushing.
//!
//! Every SQE carries `user_data = generation << 32 | slot`. The slot holds what
//! the kernel may still touch (an `Arc` of the I/O object, or a one-shot op's
//! resources) until the final completion for that user_data arrives, so a
//! dropped future never frees memory in flight, and a stale completion for a
//! reused slot is recognised by its generation and dropped.

use std::io;
use std::sync::Arc;

use io_uring::{cqueue, opcode, squeue, IoUring};
use slab::Slab;

use super::bufring::{BufRing, DGRAM_GROUP};
use super::sq_backlog::SqBacklog;

/// Which of its ops a completion is for, as its owner numbers them.
pub(super) type OpTag = u8;

/// Anything that submits ops to a ring: an I/O object, a one-shot op, the
/// driver's wake-up read. The ring and the completion path know owners only
/// through this trait, so a new kind of owner is one new file.
pub(super) trait Owner: Send + Sync + 'static {
    /// Driver thread: the owner kicked its driver; submit or cancel whatever
    /// its state now calls for.
    fn reconcile(self: Arc<Self>, ring: &mut Ring);

    /// Driver thread: a completion for the op the owner submitted as `tag`.
    /// `done.more()` says whether more completions follow for that op.
    fn on_completion(self: Arc<Self>, tag: OpTag, done: &Completion, ring: &mut Ring);

    /// The driver shut down while this owner had ops in flight or a kick
    /// queued: wake whoever waits on it, so they poll again and see the
    /// shut-down error instead of sleeping forever.
    fn driver_closed(&self) {}

    /// The driver shut down: bytes the owner accepted and never sent, to be
    /// sent off without it (see `send_off`).
    fn take_unsent(&self) -> Option<super::send_off::Unsent> {
        None
    }

    /// What kind of op `tag` is, for fault injection; None: not injectable.
    #[cfg(feature = "fault-injection")]
    fn op_kind(&self, _tag: OpTag) -> Option<super::faults::OpKind> {
        None
    }
}

/// Who an in-flight op is for, and what it keeps alive until the final
/// completion: its owner, or nobody for an `ASYNC_CANCEL` request.
pub(super) struct InFlight {
    /// None for a cancel request, whose completion carries nothing.
    owner: Option<Arc<dyn Owner>>,
    /// The owner's name for the op.
    tag: OpTag,
    /// For a cancel request, the user_data it cancels (0 otherwise): asked
    /// again when the kernel answers EALREADY (the target was running and
    /// would end by itself, which a multishot op may never do).
    target: u64,
}

impl InFlight {
    /// The op `tag` of `owner`.
    pub(super) fn of(owner: Arc<dyn Owner>, tag: OpTag) -> InFlight {
        InFlight { owner: Some(owner), tag, target: 0 }
    }

    /// An op nobody waits for (a test's NOP).
    #[cfg(test)]
    pub(super) fn nobody() -> InFlight {
        InFlight { owner: None, tag: 0, target: 0 }
    }

    /// A cancel request for the op with `target` user_data.
    fn cancel_of(target: u64) -> InFlight {
        InFlight { owner: None, tag: 0, target }
    }

    /// What kind of op this is, for fault injection.
    #[cfg(feature = "fault-injection")]
    pub(super) fn op_kind(&self) -> Option<super::faults::OpKind> {
        match &self.owner {
            Some(owner) => owner.op_kind(self.tag),
            None if self.target != 0 => Some(super::faults::OpKind::Cancel),
            None => None,
        }
    }

    /// Hands `done` to the owner, if there is one.
    pub(super) fn complete(self, done: &Completion, ring: &mut Ring) {
        if let Some(owner) = self.owner {
            owner.on_completion(self.tag, done, ring);
        } else if self.target != 0 && done.result == -libc::EALREADY {
            ring.cancel(self.target);
        }
    }
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
    /// The datagram buffer group, made when the first datagram socket
    /// receives (most programs never do).
    dgram_bufs: Option<BufRing>,
    ops: Slab<OpSlot>,
    /// Entries waiting for room in the submission queue.
    backlog: SqBacklog,
    next_generation: u32,
    /// The driver is shutting down: completions must not arm new ops.
    stopping: bool,
}

/// Buffers in the datagram group: a burst of more datagrams than this between
/// two driver ticks ends the multishot receive (ENOBUFS), which re-arms; the
/// datagrams wait in the socket meanwhile.
const DGRAM_BUFFERS: u16 = 64;
/// Room for the largest UDP payload (65,527 bytes over IPv6), the kernel's
/// 16-byte header and a `sockaddr_storage`, rounded to pages. The memory is
/// virtual until written: a small datagram touches one page.
const DGRAM_BUFFER_SIZE: u32 = 64 * 1024 + 4096;

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
            dgram_bufs: None,
            ops: Slab::with_capacity(256),
            backlog: SqBacklog::default(),
            next_generation: 1,
            stopping: false,
        }
    }

    /// The datagram buffer group, registered with the kernel on first use.
    pub(super) fn dgram_bufs(&mut self) -> io::Result<&mut BufRing> {
        if self.dgram_bufs.is_none() {
            self.dgram_bufs = Some(BufRing::new(&self.uring, DGRAM_GROUP, DGRAM_BUFFERS, DGRAM_BUFFER_SIZE)?);
        }
        Ok(self.dgram_bufs.as_mut().expect("made above"))
    }

    /// Publishes the buffers given back since the last call, in every group.
    pub(super) fn publish_bufs(&mut self) {
        self.bufs.publish();
        if let Some(dgram) = &mut self.dgram_bufs {
            dgram.publish();
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
            self.submit(opcode::AsyncCancel::new(user_data).build(), InFlight::cancel_of(user_data));
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
    /// The owners of every live op (for shutdown, to wake their waiters).
    pub(super) fn live_owners(&self) -> Vec<Arc<dyn Owner>> {
        self.ops.iter().filter_map(|(_, s)| s.op.owner.clone()).collect()
    }

    pub(super) fn live_user_data(&self) -> Vec<u64> {
        self.ops
            .iter()
            .filter(|(_, s)| s.op.owner.is_some())
            .map(|(slot, s)| (u64::from(s.generation) << 32) | slot as u64)
            .collect()
    }
}

impl InFlight {
    /// A second reference to the same owner, for multishot completions.
    fn share(&self) -> InFlight {
        InFlight { owner: self.owner.clone(), tag: self.tag, target: self.target }
    }
}

fn split(user_data: u64) -> (usize, u32) {
    ((user_data & 0xffff_ffff) as usize, (user_data >> 32) as u32)
}
