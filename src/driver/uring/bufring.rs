//! A ring of kernel-provided receive buffers (`IORING_REGISTER_PBUF_RING`).
//!
//! The kernel picks a buffer for each multishot receive completion; the driver
//! copies the bytes out at completion time and gives the buffer straight back,
//! so a slow reader never pins pool memory (its bytes wait in its connection).

use std::alloc::{self, Layout};
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::IoUring;

/// The buffer group id every stream receive on this ring selects from.
pub(super) const RECV_GROUP: u16 = 0;
/// The buffer group of datagram receives: buffers big enough for any UDP
/// datagram plus the kernel's header and the sender's address.
pub(super) const DGRAM_GROUP: u16 = 1;

pub(super) struct BufRing {
    /// Page-aligned array of `entries` ring entries shared with the kernel.
    ring: *mut BufRingEntry,
    /// The buffers themselves, `entries * size` bytes.
    data: *mut u8,
    entries: u16,
    size: u32,
    /// Our copy of the tail; published to the kernel by `publish`.
    tail: u16,
    /// Buffers currently held by the kernel (available for it to fill).
    lent: u16,
}

// SAFETY: the raw pointers are owned allocations, only touched by the thread
// that drives the ring (the Driver is moved into its thread, never shared).
unsafe impl Send for BufRing {}

impl BufRing {
    /// Allocates `entries` buffers of `size` bytes and registers them with
    /// `ring` as buffer group `group`.
    pub(super) fn new(ring: &IoUring, group: u16, entries: u16, size: u32) -> io::Result<BufRing> {
        let entries = entries.max(1).next_power_of_two().min(32768);
        let ring_layout = Self::ring_layout(entries);
        let data_layout = Self::data_layout(entries, size);
        // SAFETY: both layouts have non-zero size.
        let (ring_mem, data) = unsafe { (alloc::alloc_zeroed(ring_layout), alloc::alloc(data_layout)) };
        if ring_mem.is_null() || data.is_null() {
            alloc::handle_alloc_error(ring_layout);
        }
        let mut this = BufRing { ring: ring_mem.cast(), data, entries, size, tail: 0, lent: 0 };
        // SAFETY: the ring memory lives until `Drop`, which runs after the ring
        // is unregistered/destroyed (the Driver drops the io_uring first).
        unsafe { ring.submitter().register_buf_ring_with_flags(this.ring as u64, entries, group, 0)? };
        for bid in 0..entries {
            this.push(bid);
        }
        this.publish();
        Ok(this)
    }

    fn ring_layout(entries: u16) -> Layout {
        Layout::from_size_align(entries as usize * std::mem::size_of::<BufRingEntry>(), 4096)
            .expect("buffer ring layout")
    }

    fn data_layout(entries: u16, size: u32) -> Layout {
        Layout::from_size_align(entries as usize * size as usize, 4096).expect("buffer data layout")
    }

    /// The bytes the kernel wrote into buffer `bid`.
    pub(super) fn bytes(&self, bid: u16, len: usize) -> &[u8] {
        assert!(bid < self.entries && len <= self.size as usize, "kernel returned a bad buffer");
        // SAFETY: bid and len are within the allocation (checked above) and the
        // kernel has finished writing this buffer (its completion arrived).
        unsafe { std::slice::from_raw_parts(self.data.add(bid as usize * self.size as usize), len) }
    }

    /// Gives buffer `bid` back to the kernel (visible after `publish`).
    pub(super) fn push(&mut self, bid: u16) {
        let mask = self.entries - 1;
        // SAFETY: the index is masked into the ring allocation; the kernel only
        // reads entries up to the published tail, and this one is past it.
        let entry = unsafe { &mut *self.ring.add((self.tail & mask) as usize) };
        // SAFETY: bid < entries, so the address is inside the data allocation.
        entry.set_addr(unsafe { self.data.add(bid as usize * self.size as usize) } as u64);
        entry.set_len(self.size);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
        self.lent += 1;
    }

    /// A completion consumed one buffer the kernel held.
    pub(super) fn taken(&mut self) {
        self.lent = self.lent.saturating_sub(1);
    }

    /// Publishes pushed buffers to the kernel.
    pub(super) fn publish(&mut self) {
        // SAFETY: the tail field lives inside the first ring entry, which is
        // inside our allocation; the kernel reads it with acquire semantics.
        let tail = unsafe { &*(BufRingEntry::tail(self.ring) as *const AtomicU16) };
        tail.store(self.tail, Ordering::Release);
    }

    pub(super) fn lent(&self) -> u16 {
        self.lent
    }

    /// Bytes per buffer.
    pub(super) fn size(&self) -> usize {
        self.size as usize
    }

    pub(super) fn entries(&self) -> u16 {
        self.entries
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with these layouts; the kernel no longer
        // uses them (the io_uring was dropped before us, see Driver's field order).
        unsafe {
            alloc::dealloc(self.ring.cast(), Self::ring_layout(self.entries));
            alloc::dealloc(self.data, Self::data_layout(self.entries, self.size));
        }
    }
}
