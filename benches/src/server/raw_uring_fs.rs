//! The file ceiling: one thread, one ring, `depth` 4 KiB reads of one file at
//! pseudo-random offsets kept in flight, no runtime at all.

use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use io_uring::{opcode, types::Fd};

use crate::uring::single_thread_ring;

/// Reads `reads` blocks of `block` bytes at the offsets `generic_fs.rs` uses
/// (one stream of offsets per slot of `depth`); returns the time taken.
pub fn random_reads(path: &Path, depth: usize, reads: usize, block: usize) -> io::Result<Duration> {
    let file = std::fs::File::open(path)?;
    let blocks = file.metadata()?.len() / block as u64;
    let mut ring = single_thread_ring((depth as u32).next_power_of_two().max(8))?;
    let mut bufs = vec![vec![0u8; block]; depth];
    let per_slot = reads / depth;
    let mut issued = vec![0usize; depth];
    let start = Instant::now();
    let mut in_flight = 0;
    let submit = |ring: &mut io_uring::IoUring, slot: usize, i: usize, buf: &mut Vec<u8>| {
        let offset = super::mix(slot as u64, i as u64) % blocks * block as u64;
        let sqe = opcode::Read::new(Fd(file.as_raw_fd()), buf.as_mut_ptr(), block as u32)
            .offset(offset)
            .build()
            .user_data(slot as u64);
        // SAFETY: `buf` is this slot's buffer, untouched until its completion.
        unsafe { ring.submission().push(&sqe) }.map_err(|_| io::Error::other("submission queue full"))
    };
    for (slot, buf) in bufs.iter_mut().enumerate() {
        submit(&mut ring, slot, 0, buf)?;
        issued[slot] = 1;
        in_flight += 1;
    }
    while in_flight > 0 {
        ring.submit_and_wait(1)?;
        let done: Vec<(usize, i32)> = ring.completion().map(|c| (c.user_data() as usize, c.result())).collect();
        for (slot, res) in done {
            in_flight -= 1;
            if res != block as i32 {
                return Err(io::Error::other(format!("read returned {res}")));
            }
            if issued[slot] < per_slot {
                submit(&mut ring, slot, issued[slot], &mut bufs[slot])?;
                issued[slot] += 1;
                in_flight += 1;
            }
        }
    }
    Ok(start.elapsed())
}
