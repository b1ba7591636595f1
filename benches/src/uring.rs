//! io_uring pieces shared by the raw io_uring server and the io_uring load
//! generator: ring setup, a submission queue that flushes when full, and a
//! provided-buffer ring.

use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::squeue::Entry;
use io_uring::types::BufRingEntry;
use io_uring::{IoUring, SubmissionQueue, Submitter};

/// A ring for one thread: deferred task work (completions are processed only
/// when we enter the kernel), falling back to a plain ring on older kernels.
pub fn single_thread_ring(entries: u32) -> io::Result<IoUring> {
    IoUring::builder()
        .setup_coop_taskrun()
        .setup_single_issuer()
        .setup_defer_taskrun()
        .build(entries)
        .or_else(|_| IoUring::new(entries))
}

/// Whether this kernel lets us set up what the raw server and the load
/// generator use: a ring with deferred task work and a provided-buffer ring.
pub fn probe() -> io::Result<()> {
    let ring = single_thread_ring(8)?;
    let bufs = BufRing::new(&ring.submitter(), 0, 1, 64)?;
    ring.submitter().unregister_buf_ring(0)?;
    drop(bufs);
    Ok(())
}

/// The submission queue, flushed to the kernel whenever it fills up.
pub struct Queue<'a> {
    /// The ring's submission queue.
    pub sq: SubmissionQueue<'a>,
    /// The ring's submitter.
    pub submitter: Submitter<'a>,
}

impl Queue<'_> {
    /// Queues `entry`, submitting what is queued first if the queue is full.
    ///
    /// # Safety
    ///
    /// Every buffer and fd `entry` refers to must stay valid until its
    /// completion has been reaped.
    pub unsafe fn push(&mut self, entry: &Entry) -> io::Result<()> {
        loop {
            // SAFETY: the caller keeps the entry's resources alive until completion.
            if unsafe { self.sq.push(entry) }.is_ok() {
                return Ok(());
            }
            self.sq.sync();
            self.submitter.submit()?;
            self.sq.sync();
        }
    }

    /// Submits what is queued and waits for at least one completion, or
    /// until `timeout` if given. Interruptions and timeouts are not errors.
    pub fn submit_and_wait(&mut self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        self.sq.sync();
        let entered = match timeout {
            None => self.submitter.submit_and_wait(1),
            Some(t) => {
                let ts = io_uring::types::Timespec::new().sec(t.as_secs()).nsec(t.subsec_nanos());
                self.submitter.submit_with_args(1, &io_uring::types::SubmitArgs::new().timespec(&ts))
            }
        };
        match entered {
            Ok(_) => Ok(()),
            Err(e) if [libc::EINTR, libc::ETIME, libc::EBUSY].contains(&e.raw_os_error().unwrap_or(0)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A provided-buffer ring: `count` buffers (a power of two) of `size` bytes
/// in buffer group `group`.
///
/// The kernel writes into these buffers while a receive that selects from
/// the group is in flight: drop the ring only once every such receive has
/// completed (or leak it).
pub struct BufRing {
    entries: *mut BufRingEntry,
    count: u16,
    size: usize,
    memory: Vec<u8>,
    /// Our copy of the tail; published to the kernel by `publish`.
    tail: u16,
}

impl BufRing {
    /// Maps the ring, registers it as `group` and hands the kernel every buffer.
    pub fn new(submitter: &Submitter<'_>, group: u16, count: u16, size: usize) -> io::Result<BufRing> {
        assert!(count.is_power_of_two(), "buffer count must be a power of two");
        let bytes = count as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping, page aligned as the kernel requires.
        let entries = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_ANONYMOUS | libc::MAP_PRIVATE,
                -1,
                0,
            )
        };
        if entries == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut ring =
            BufRing { entries: entries.cast(), count, size, memory: vec![0; count as usize * size], tail: 0 };
        // SAFETY: the mapping holds `count` entries; it is unmapped only in
        // drop, which the caller orders after the last receive (see above).
        unsafe { submitter.register_buf_ring_with_flags(entries as u64, count, group, 0)? };
        (0..count).for_each(|bid| ring.give_back(bid));
        ring.publish();
        Ok(ring)
    }

    /// Buffer `bid`.
    pub fn buf(&self, bid: u16) -> &[u8] {
        let start = bid as usize * self.size;
        &self.memory[start..start + self.size]
    }

    /// Queues buffer `bid` for the kernel again (visible after `publish`).
    pub fn give_back(&mut self, bid: u16) {
        let addr = self.buf(bid).as_ptr() as u64;
        let index = (self.tail & (self.count - 1)) as usize;
        // SAFETY: index < count, and the kernel reads no entry between the
        // published tail and ours.
        let entry = unsafe { &mut *self.entries.add(index) };
        entry.set_addr(addr);
        entry.set_len(self.size as u32);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes every buffer given back so far visible to the kernel.
    pub fn publish(&self) {
        // SAFETY: the tail field of entry 0 is a u16 the kernel reads
        // atomically; we are its only writer.
        let tail = unsafe { &*(BufRingEntry::tail(self.entries).cast::<AtomicU16>()) };
        tail.store(self.tail, Ordering::Release);
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        let bytes = self.count as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: the mapping made in `new`; no receive uses it any more.
        unsafe { libc::munmap(self.entries.cast(), bytes) };
    }
}
