//! The workloads and their registry.
//!
//! A workload is one module exposing `pub const WORKLOAD: Workload`, listed
//! once in [`ALL`]. Its `run` measures each of its cases on the runtimes it
//! supports (through [`Ctx::measure`]) and adds rows and notes to the report.

use std::io;
use std::time::Duration;

use crate::load::{LoadResult, LoadSpec, Target};
use crate::process::{Server, ServerSpec};
use crate::report::{Metric, Report, Row};
use crate::runtime::Runtime;
use crate::stats;

pub mod compat;
pub mod echo;
pub mod fs;
pub mod http;
pub mod idle;
pub mod spawn;
pub mod syscalls;
pub mod timers;
pub mod udp_echo;
pub mod unix_echo;

/// A named benchmark.
pub struct Workload {
    /// The name used on the command line (`bench echo`).
    pub name: &'static str,
    /// One line saying what it measures.
    pub about: &'static str,
    /// Measures every case and adds the results to the report.
    pub run: fn(&Ctx, &mut Report),
}

/// Every workload, in the order `bench all` runs them.
pub const ALL: &[Workload] = &[
    echo::WORKLOAD,
    unix_echo::WORKLOAD,
    udp_echo::WORKLOAD,
    http::WORKLOAD,
    compat::AXUM,
    compat::H2,
    compat::TONIC,
    spawn::WORKLOAD,
    timers::WORKLOAD,
    idle::WORKLOAD,
    syscalls::WORKLOAD,
    fs::WORKLOAD,
];

/// Finds a workload by name.
pub fn find(name: &str) -> Option<&'static Workload> {
    ALL.iter().find(|w| w.name == name)
}

/// Settings shared by every workload of one invocation.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// A short smoke run (`--quick`).
    pub quick: bool,
    /// Repetitions per case and runtime.
    pub reps: usize,
    /// Measured time per repetition of a load run.
    pub duration: Duration,
    /// Warm-up before each measured load run.
    pub warmup: Duration,
    /// Worker threads of every runtime under test.
    pub workers: usize,
    /// The CPU servers are pinned to, if pinning.
    pub server_cpu: Option<usize>,
    /// Runtimes selected and built, in report order.
    pub runtimes: Vec<Runtime>,
    /// Use `wrk` for HTTP if it is installed.
    pub use_wrk: bool,
    /// How the load generator talks to the kernel.
    pub engine: crate::load::Engine,
    /// Run only the cases whose name contains this (`--case`).
    pub case_filter: Option<String>,
}

/// One measured case of a workload: the rows it produces share these.
pub struct Case {
    /// Registry name of the workload.
    pub workload: &'static str,
    /// e.g. "16 conns, 64 B".
    pub name: String,
    /// What is measured.
    pub metric: Metric,
}

/// One repetition's measurement.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// The metric's value.
    pub value: f64,
    /// p50 latency in µs, if measured.
    pub p50_us: Option<f64>,
    /// p99 latency in µs, if measured.
    pub p99_us: Option<f64>,
}

impl Sample {
    /// A sample with no latency.
    pub fn value(value: f64) -> Sample {
        Sample { value, p50_us: None, p99_us: None }
    }

    /// Round trips per second and latency from a load run.
    pub fn from_load(result: &LoadResult) -> Sample {
        Sample { value: result.rate(), p50_us: Some(result.latency_us(0.50)), p99_us: Some(result.latency_us(0.99)) }
    }
}

impl Ctx {
    /// A measured load run on `addr`: this run's warm-up, then its duration.
    pub fn load_spec(&self, addr: impl Into<Target>, conns: usize) -> LoadSpec {
        LoadSpec { addr: addr.into(), conns, warmup: self.warmup, duration: self.duration, engine: self.engine }
    }

    /// A warm-up-only load run on `addr` (nothing before it is discarded).
    pub fn warmup_spec(&self, addr: impl Into<Target>, conns: usize) -> LoadSpec {
        LoadSpec { addr: addr.into(), conns, warmup: Duration::ZERO, duration: self.warmup, engine: self.engine }
    }

    /// The runtimes of this run that `supported` includes.
    pub fn runtimes_among(&self, supported: &[Runtime]) -> Vec<Runtime> {
        self.runtimes.iter().copied().filter(|r| supported.contains(r)).collect()
    }

    /// A server of `runtime` started with workload arguments `args`.
    pub fn server(&self, runtime: Runtime, args: &[&str]) -> ServerSpec {
        ServerSpec {
            runtime,
            workers: self.workers,
            cpu: self.server_cpu,
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// Measures `case` on each of `runtimes`, `ctx.reps` times each.
    /// Repetitions are interleaved (every runtime's first, then every
    /// runtime's second, ...) so that drifting background load spreads over
    /// all runtimes alike. `rep(runtime, i)` measures one repetition from a
    /// fresh start. A runtime that fails becomes a note and is not run again.
    pub fn measure<F>(&self, report: &mut Report, case: &Case, runtimes: &[Runtime], mut rep: F)
    where
        F: FnMut(Runtime, usize) -> io::Result<Sample>,
    {
        if self.case_filter.as_ref().is_some_and(|wanted| !case.name.contains(wanted.as_str())) {
            return;
        }
        eprintln!("[{}] {}", case.workload, case.name);
        let mut samples: Vec<(Runtime, Vec<Sample>)> = runtimes.iter().map(|&r| (r, Vec::new())).collect();
        for i in 0..self.reps {
            for (runtime, done) in &mut samples {
                if done.len() < i {
                    continue; // failed earlier
                }
                match rep(*runtime, i) {
                    Ok(sample) => done.push(sample),
                    Err(e) => {
                        eprintln!("  {:<20} FAILED: {e}", runtime.label());
                        report.notes.push(format!("{} {} on {runtime}: failed: {e}", case.workload, case.name));
                    }
                }
            }
        }
        for (runtime, done) in samples {
            if done.len() < self.reps {
                continue;
            }
            let row = row(case, runtime, &done);
            eprintln!("  {:<20} {:>14} {}", runtime.label(), crate::report::number(row.median()), case.metric.name);
            report.rows.push(row);
        }
    }
}

fn row(case: &Case, runtime: Runtime, samples: &[Sample]) -> Row {
    let latency = |pick: fn(&Sample) -> Option<f64>| {
        let values: Vec<f64> = samples.iter().filter_map(pick).collect();
        (!values.is_empty()).then(|| stats::median(&values))
    };
    Row {
        workload: case.workload,
        case: case.name.clone(),
        runtime,
        metric: case.metric,
        samples: samples.iter().map(|s| s.value).collect(),
        p50_us: latency(|s| s.p50_us),
        p99_us: latency(|s| s.p99_us),
    }
}

/// Round trips per second: what the echo workloads measure.
pub const ROUND_TRIPS: Metric = Metric { name: "round trips/s", higher_is_better: true };

/// One repetition of an echo workload against a started `server`: runs
/// `load`, checks that the server survived, prints the repetition's line
/// (rate, and both sides' CPU) and returns the load's result with the share
/// of a core the server used meanwhile.
pub fn echo_rep(
    server: &mut Server,
    runtime: Runtime,
    rep: usize,
    load: impl FnOnce() -> io::Result<LoadResult>,
) -> io::Result<(LoadResult, f64)> {
    let before = server.cpu_time()?;
    let result = load()?;
    let server_cpu = server.cpu_time()?.saturating_sub(before);
    server.check_alive()?;
    let server_share = server_cpu.as_secs_f64() / result.wall.as_secs_f64();
    eprintln!(
        "    {:<20} rep {}: {:>8.0} round trips/s, cpu: server {:.0}%, load generator {:.0}%",
        runtime.label(),
        rep + 1,
        result.rate(),
        100.0 * server_share,
        100.0 * result.cpu_share(),
    );
    Ok((result, server_share))
}

/// "64 B", "16 KiB".
pub fn size_label(bytes: usize) -> String {
    if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// "1 conn", "16 conns".
pub fn conns_label(conns: usize) -> String {
    if conns == 1 {
        "1 conn".into()
    } else {
        format!("{conns} conns")
    }
}
