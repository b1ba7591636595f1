//! Fault injection through the real ring, for tests (cargo feature
//! `fault-injection`; without it none of this is compiled).
//!
//! A test queues faults for the driver on its own thread (a current-thread
//! runtime's `block_on` thread): the next submission of the named op kind is
//! replaced by a NOP carrying the chosen result (`IORING_NOP_INJECT_RESULT`,
//! Linux 6.12), so the op's owner gets a completion the kernel really posted
//! with that result and no `MORE` flag, while the op itself is never issued
//! (no memory is touched, no bytes are sent or taken), or a send is issued
//! for fewer bytes than queued (a real short send).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use io_uring::{opcode, squeue};

use super::ring::InFlight;
use super::sqe;

/// `IORING_NOP_INJECT_RESULT`: the NOP completes with the SQE's `len` as result.
const NOP_INJECT_RESULT: u32 = 1 << 0;

/// The kinds of op the io_uring driver submits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// A stream's multishot receive (provided buffers).
    Recv,
    /// An on-demand stream's multishot readiness poll.
    ReadinessPoll,
    /// A send of a stream's queued bytes.
    Send,
    /// A stream's `shutdown(SHUT_WR)`.
    Shutdown,
    /// A listener's one-shot accept.
    Accept,
    /// The multishot poll of a listener's epoll fd.
    AcceptWatch,
    /// A connect.
    Connect,
    /// A datagram socket's multishot `recvmsg`.
    DatagramRecv,
    /// An `ASYNC_CANCEL`.
    Cancel,
}

/// What the next op of a kind gets instead of its own result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A completion with this result (a negative errno, zero or a count) and
    /// no `MORE` flag, instead of issuing the op.
    Result(i32),
    /// The op is issued with its length cut to at most this many bytes.
    Truncate(u32),
}

thread_local! {
    /// Faults not yet applied, in the order queued.
    static PLAN: RefCell<VecDeque<(OpKind, Fault)>> = const { RefCell::new(VecDeque::new()) };
    /// Faults applied so far.
    static APPLIED: Cell<usize> = const { Cell::new(0) };
}

/// Queues `fault` for the next op of `kind` this thread's driver submits.
pub fn inject(kind: OpKind, fault: Fault) {
    PLAN.with(|plan| plan.borrow_mut().push_back((kind, fault)));
}

/// How many queued faults this thread's driver has applied.
pub fn applied() -> usize {
    APPLIED.with(Cell::get)
}

/// Drops faults not yet applied; returns how many there were.
pub fn clear() -> usize {
    PLAN.with(|plan| std::mem::take(&mut *plan.borrow_mut()).len())
}

/// Ring::submit: the entry to push for `op`, after any queued fault for its kind.
pub(super) fn intercept(op: &InFlight, mut entry: squeue::Entry) -> squeue::Entry {
    // One-shot ops (connect, send_to) are told apart by their opcode.
    let connect = || (sqe::opcode(&mut entry) == opcode::Connect::CODE).then_some(OpKind::Connect);
    let Some(kind) = op.op_kind().or_else(connect) else { return entry };
    let fault = PLAN.with(|plan| {
        let mut plan = plan.borrow_mut();
        let at = plan.iter().position(|(k, _)| *k == kind)?;
        plan.remove(at).map(|(_, fault)| fault)
    });
    match fault {
        None => return entry,
        Some(Fault::Result(result)) => {
            entry = opcode::Nop::new().build();
            *sqe::op_flags(&mut entry) = NOP_INJECT_RESULT;
            *sqe::len(&mut entry) = result as u32;
        }
        Some(Fault::Truncate(max)) => {
            let len = sqe::len(&mut entry);
            *len = (*len).min(max);
        }
    }
    APPLIED.with(|n| n.set(n.get() + 1));
    entry
}
