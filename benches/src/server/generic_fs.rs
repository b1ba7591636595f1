// The file benchmarks, written once like `generic.rs` and included next to
// it once per runtime: only `rt::` paths differ between tokio and ringline.
// Every function returns the time taken; the caller turns it into a rate.

/// `tasks` tasks each open `path` and do `reads / tasks` reads of `block`
/// bytes at pseudo-random block-aligned offsets (seek + read_exact, the one
/// way tokio's API has).
pub async fn fs_random_reads(path: std::path::PathBuf, tasks: usize, reads: usize, block: usize) -> io::Result<Duration> {
    use tokio::io::AsyncSeekExt;
    let blocks = std::fs::metadata(&path)?.len() / block as u64;
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let path = path.clone();
            rt::spawn(async move {
                let mut file = rt::fs::File::open(&path).await?;
                let mut buf = vec![0u8; block];
                for i in 0..reads / tasks {
                    let offset = super::mix(t as u64, i as u64) % blocks * block as u64;
                    file.seek(io::SeekFrom::Start(offset)).await?;
                    file.read_exact(&mut buf).await?;
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

/// One task reads all of `path` front to back in `chunk`-byte reads.
pub async fn fs_sequential(path: std::path::PathBuf, chunk: usize) -> io::Result<Duration> {
    let start = Instant::now();
    let mut file = rt::fs::File::open(&path).await?;
    let mut buf = vec![0u8; chunk];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    assert_eq!(total, std::fs::metadata(&path)?.len(), "short sequential read");
    Ok(start.elapsed())
}

/// `tasks` tasks together create, write (`size` bytes), read back and
/// remove `count` files in `dir`.
pub async fn fs_small_files(dir: std::path::PathBuf, tasks: usize, count: usize, size: usize) -> io::Result<Duration> {
    let data = std::sync::Arc::new(vec![0x5a_u8; size]);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (dir, data) = (dir.clone(), data.clone());
            rt::spawn(async move {
                for i in 0..count / tasks {
                    let path = dir.join(format!("small-{t}-{i}"));
                    rt::fs::write(&path, &*data).await?;
                    let back = rt::fs::read(&path).await?;
                    assert_eq!(back.len(), data.len(), "short small-file read");
                    rt::fs::remove_file(&path).await?;
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
