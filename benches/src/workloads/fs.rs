//! Files: tokio::fs against ringline::fs (io_uring ops, and the blocking pool
//! on mio), with a raw io_uring loop as the ceiling for random reads.
//!
//! The data file (1 GiB, made once under `target/bench-fs`, or
//! `$RINGLINE_BENCH_FS_DIR`) is read once before the runs so every runtime
//! reads it from the page cache.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::process;
use crate::report::{Metric, Report};
use crate::runtime::Runtime;
use crate::server::parse_result;

use super::{Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload = Workload {
    name: "fs",
    about: "4 KiB random reads of a cached 1 GiB file (1, 64 tasks), 1 MiB sequential reads, 10k small files",
    run,
};

const DATA_SIZE: u64 = 1 << 30;

const READS: Metric = Metric { name: "reads/s", higher_is_better: true };
const MIBS: Metric = Metric { name: "MiB/s", higher_is_better: true };
const FILES: Metric = Metric { name: "files/s (create + write 4 KiB + read + remove)", higher_is_better: true };

fn run(ctx: &Ctx, report: &mut Report) {
    let dir = std::env::var_os("RINGLINE_BENCH_FS_DIR").map_or_else(|| PathBuf::from("target/bench-fs"), PathBuf::from);
    let data = match data_file(&dir) {
        Ok(data) => data,
        Err(e) => {
            report.notes.push(format!("fs: no data file in {}: {e}", dir.display()));
            return;
        }
    };
    let scale = if ctx.quick { 10 } else { 1 };
    let all = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio, Runtime::RawUring]);
    let ringline = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio]);
    let no_raw = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    for (tasks, reads) in [(1, 100_000), (64, 400_000)] {
        let reads = reads / scale;
        let name = format!("4 KiB random reads, {}", tasks_label(tasks));
        rate(
            ctx,
            report,
            &Case { workload: WORKLOAD.name, name, metric: READS },
            &all,
            FsRun { workload: "fs-random", path: &data, tasks, count: reads, per_run: reads as f64 },
        );
        let name = format!("4 KiB random read_at (ringline's own), {}", tasks_label(tasks));
        rate(
            ctx,
            report,
            &Case { workload: WORKLOAD.name, name, metric: READS },
            &ringline,
            FsRun { workload: "fs-random-at", path: &data, tasks, count: reads, per_run: reads as f64 },
        );
    }
    let name = "1 MiB sequential reads".to_string();
    rate(
        ctx,
        report,
        &Case { workload: WORKLOAD.name, name, metric: MIBS },
        &no_raw,
        FsRun { workload: "fs-seq", path: &data, tasks: 1, count: 0, per_run: (DATA_SIZE >> 20) as f64 },
    );
    let files = 10_000 / scale;
    let name = format!("{files} small files, 16 tasks");
    rate(
        ctx,
        report,
        &Case { workload: WORKLOAD.name, name, metric: FILES },
        &no_raw,
        FsRun { workload: "fs-small", path: &dir, tasks: 16, count: files, per_run: files as f64 },
    );
}

/// One server run of an fs workload, and how much work it does.
struct FsRun<'a> {
    workload: &'static str,
    path: &'a Path,
    tasks: usize,
    count: usize,
    /// Units of the metric one run does (reads, MiB, files).
    per_run: f64,
}

fn rate(ctx: &Ctx, report: &mut Report, case: &Case, runtimes: &[Runtime], run: FsRun<'_>) {
    let (tasks, count, path) = (run.tasks.to_string(), run.count.to_string(), run.path.display().to_string());
    ctx.measure(report, case, runtimes, |runtime, _| {
        let args = ["--workload", run.workload, "--tasks", &tasks, "--count", &count, "--path", &path];
        let out = process::run_to_end(&ctx.server(runtime, &args))?;
        let secs = parse_result(&out)
            .and_then(|r| r.get("secs").copied())
            .ok_or_else(|| io::Error::other(format!("no result in {out:?}")))?;
        Ok(Sample::value(run.per_run / secs))
    });
}

fn tasks_label(tasks: usize) -> String {
    if tasks == 1 {
        "1 task".into()
    } else {
        format!("{tasks} tasks")
    }
}

/// The 1 GiB data file, written if missing, then read once into the page cache.
fn data_file(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("data-1g");
    if std::fs::metadata(&path).map(|m| m.len()).ok() != Some(DATA_SIZE) {
        eprintln!("[fs] writing {}", path.display());
        let mut file = std::fs::File::create(&path)?;
        let mut chunk = vec![0u8; 1 << 20];
        for i in 0..DATA_SIZE >> 20 {
            chunk.iter_mut().enumerate().for_each(|(j, b)| *b = (i as usize * 31 + j * 7) as u8);
            file.write_all(&chunk)?;
        }
    }
    let mut file = std::fs::File::open(&path)?;
    let mut chunk = vec![0u8; 1 << 20];
    while file.read(&mut chunk)? > 0 {}
    Ok(path)
}
