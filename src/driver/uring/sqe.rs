//! SQE fields io-uring 0.7's builders do not expose: an accept's
//! `IORING_ACCEPT_*` flags and a NOP's injected result.
//!
//! `squeue::Entry` is `#[repr(C)]` around `struct io_uring_sqe`; the offsets
//! are the kernel's ABI (`include/uapi/linux/io_uring.h`), checked below
//! against fields the builders do set.

use io_uring::squeue;

/// `__u8 opcode`.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
const OPCODE: usize = 0;
/// `__u16 ioprio` (accept flags, recv/send flags).
const IOPRIO: usize = 2;
/// `__u32 len` (a NOP's injected result).
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
const LEN: usize = 24;
/// `__u32 rw_flags` and its aliases (`nop_flags`, `msg_flags`, ...).
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
const OP_FLAGS: usize = 28;

/// The field of type `T` at byte `offset` of the SQE.
///
/// # Safety
///
/// `offset` must be one of the constants above, with `T` the field's type.
unsafe fn field<T>(entry: &mut squeue::Entry, offset: usize) -> &mut T {
    // SAFETY: the entry is a 64-byte, 8-aligned io_uring_sqe; the caller
    // names a field's offset and type, so the pointer is in bounds, aligned
    // and of the field's type.
    unsafe { &mut *(entry as *mut squeue::Entry).cast::<u8>().add(offset).cast::<T>() }
}

/// The SQE's opcode.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(super) fn opcode(entry: &mut squeue::Entry) -> u8 {
    // SAFETY: OPCODE is the u8 opcode field.
    unsafe { *field(entry, OPCODE) }
}

/// The SQE's `ioprio` field: for IORING_OP_ACCEPT, the `IORING_ACCEPT_*` flags.
pub(super) fn ioprio(entry: &mut squeue::Entry) -> &mut u16 {
    // SAFETY: IOPRIO is the u16 ioprio field.
    unsafe { field(entry, IOPRIO) }
}

/// The SQE's `len` field.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(super) fn len(entry: &mut squeue::Entry) -> &mut u32 {
    // SAFETY: LEN is the u32 len field.
    unsafe { field(entry, LEN) }
}

/// The SQE's op-specific flags word (`nop_flags` for a NOP).
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
pub(super) fn op_flags(entry: &mut squeue::Entry) -> &mut u32 {
    // SAFETY: OP_FLAGS is the u32 op-flags union.
    unsafe { field(entry, OP_FLAGS) }
}

#[cfg(test)]
mod tests {
    use io_uring::{opcode, types};

    use super::*;

    #[test]
    fn offsets_match_what_the_builders_write() {
        let mut accept = opcode::AcceptMulti::new(types::Fd(0)).build();
        assert_eq!(*ioprio(&mut accept), 1, "IORING_ACCEPT_MULTISHOT");
        assert_eq!(opcode(&mut accept), opcode::AcceptMulti::CODE);
        let mut send = opcode::Send::new(types::Fd(0), std::ptr::null(), 1234).flags(0x4000).build();
        assert_eq!(*len(&mut send), 1234);
        assert_eq!(*op_flags(&mut send), 0x4000);
    }
}
