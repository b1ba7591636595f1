//! ringline's own file API, which tokio lacks: positional reads with an
//! owned buffer (no seek, no copy out of a file-owned buffer).

use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Like `fs_random_reads` in `generic_fs.rs`, with `File::read_at`.
pub async fn random_read_at(path: PathBuf, tasks: usize, reads: usize, block: usize) -> io::Result<Duration> {
    let blocks = std::fs::metadata(&path)?.len() / block as u64;
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let path = path.clone();
            ringline::spawn(async move {
                let file = ringline::fs::File::open(&path).await?;
                let mut buf = Vec::with_capacity(block);
                for i in 0..reads / tasks {
                    let offset = super::mix(t as u64, i as u64) % blocks * block as u64;
                    let (res, back) = file.read_at(buf, offset).await;
                    if res? != block {
                        return Err(io::Error::other("short read"));
                    }
                    buf = back;
                }
                io::Result::Ok(())
            })
        })
        .collect();
    for handle in handles {
        handle.await.map_err(io::Error::other)??;
    }
    Ok(start.elapsed())
}
