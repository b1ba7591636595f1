//! The benchmark suite: `bench [all | WORKLOAD...] [options]`.
//! Also the server under test, as `bench server ...` (see `bench-server`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ringline_bench::args::Args;
use ringline_bench::load::Engine;
use ringline_bench::process;
use ringline_bench::report::Report;
use ringline_bench::runtime::Runtime;
use ringline_bench::workloads::{self, Ctx, Workload};

const USAGE: &str = "\
usage: bench [all | WORKLOAD...] [options]

options:
  --quick             short smoke run: 1 repetition, 0.5 s runs
  --reps N            repetitions per case and runtime (default 5)
  --duration SECS     measured seconds per load run (default 2)
  --warmup SECS       warm-up seconds before each measured load run (default 0.5)
  --workers N         worker threads of each runtime (default 1)
  --runtimes LIST     comma-separated subset of: ringline-uring,ringline-mio,tokio,raw-uring
                      (also raw-uring-fixed, raw-uring-zc: the raw loop with one optimisation added)
  --out DIR           results directory (default <workspace>/target/bench-results)
  --no-wrk            skip the wrk cross-check rows of http even if wrk is installed
  --client ENGINE     load generator engine: uring or epoll (default: uring if it works)
  --case TEXT         run only the cases whose name contains TEXT, e.g. \"256 conns, 16 KiB\"
  --list              list the workloads
";

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    let result = if argv.first().map(String::as_str) == Some("server") {
        argv.remove(0);
        ringline_bench::server::main(Args::new(argv))
    } else {
        suite(Args::new(argv))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn suite(mut args: Args) -> Result<(), String> {
    if args.flag("help") || args.flag("list") {
        print!("{USAGE}\nworkloads:\n");
        for w in workloads::ALL {
            println!("  {:<10} {}", w.name, w.about);
        }
        return Ok(());
    }
    let quick = args.flag("quick");
    let no_wrk = args.flag("no-wrk");
    let reps = args.value("reps")?.unwrap_or(if quick { 1 } else { 5 });
    let duration: f64 = args.value("duration")?.unwrap_or(if quick { 0.5 } else { 2.0 });
    let warmup: f64 = args.value("warmup")?.unwrap_or(if quick { 0.2 } else { 0.5 });
    let workers = args.value("workers")?.unwrap_or(1);
    let out: PathBuf = args
        .value("out")?
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-results")));
    let runtimes = select_runtimes(args.value("runtimes")?)?;
    let case_filter = args.value("case")?;
    let engine = match args.value::<String>("client")?.as_deref() {
        None => Engine::detect(),
        Some("uring") => Engine::Uring,
        Some("epoll") => Engine::Epoll,
        Some(other) => return Err(format!("unknown --client {other:?} (uring or epoll)")),
    };
    let selected = select_workloads(&args.finish()?)?;
    if reps == 0 || duration <= 0.0 || warmup < 0.0 {
        return Err("--reps and --duration must be positive".into());
    }

    // Load generator on the last core, servers on the first (one core per side
    // on the 2-core reference machine).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (server_cpu, client_cpu) = if cores >= 2 { (Some(0), Some(cores - 1)) } else { (None, None) };
    if let Some(cpu) = client_cpu {
        process::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    process::raise_nofile_limit().map_err(|e| format!("raise RLIMIT_NOFILE: {e}"))?;

    let ctx = Ctx {
        quick,
        reps,
        duration: Duration::from_secs_f64(duration),
        warmup: Duration::from_secs_f64(warmup),
        workers,
        server_cpu,
        runtimes,
        use_wrk: !no_wrk,
        engine,
        case_filter,
    };
    let mut report = Report { header: header(&ctx, cores, client_cpu), ..Report::default() };
    if !cfg!(feature = "ringline") {
        report.notes.push("ringline rows absent: built with --no-default-features (no `ringline` feature)".into());
    }
    let busy = machine_busy_share(Duration::from_millis(500));
    if busy > 0.10 {
        report.notes.push(format!(
            "other processes kept {:.0}% of the CPUs busy just before the run: expect noise",
            busy * 100.0
        ));
    }
    let started = Instant::now();
    for workload in selected {
        (workload.run)(&ctx, &mut report);
    }
    report.write(&out).map_err(|e| format!("write results to {}: {e}", out.display()))?;
    print!("{}", report.markdown());
    eprintln!(
        "\nwrote {0}/results.md, results.csv, results.svg in {1:.0} s",
        out.canonicalize().unwrap_or(out.clone()).display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Share of all CPU time that was not idle over `window` (from /proc/stat).
fn machine_busy_share(window: Duration) -> f64 {
    let sample = || -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<u64> = stat.lines().next()?.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect();
        let idle = fields.get(3)? + fields.get(4)?;
        Some((fields.iter().sum(), idle))
    };
    let Some((total0, idle0)) = sample() else { return 0.0 };
    std::thread::sleep(window);
    let Some((total1, idle1)) = sample() else { return 0.0 };
    let total = total1.saturating_sub(total0).max(1);
    1.0 - idle1.saturating_sub(idle0) as f64 / total as f64
}

fn select_runtimes(list: Option<String>) -> Result<Vec<Runtime>, String> {
    let Some(list) = list else {
        return Ok(Runtime::DEFAULT.into_iter().filter(|r| r.is_built()).collect());
    };
    let mut chosen = Vec::new();
    for id in list.split(',').filter(|s| !s.is_empty()) {
        let runtime = Runtime::from_id(id).ok_or_else(|| format!("unknown runtime {id:?}"))?;
        if !runtime.is_built() {
            return Err(format!("{id} needs the `ringline` feature"));
        }
        chosen.push(runtime);
    }
    chosen.sort();
    chosen.dedup();
    Ok(chosen)
}

fn select_workloads(names: &[String]) -> Result<Vec<&'static Workload>, String> {
    if names.is_empty() || names.iter().any(|n| n == "all") {
        return Ok(workloads::ALL.iter().collect());
    }
    names
        .iter()
        .map(|name| workloads::find(name).ok_or_else(|| format!("unknown workload {name:?} (try --list)")))
        .collect()
}

fn header(ctx: &Ctx, cores: usize, client_cpu: Option<usize>) -> Vec<String> {
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let pinning = match (ctx.server_cpu, client_cpu) {
        (Some(s), Some(c)) => format!("server pinned to CPU {s}, load generator to CPU {c}"),
        _ => "not pinned (fewer than 2 CPUs)".into(),
    };
    vec![
        format!("machine: {cpu_model}, {cores} CPUs, Linux {}", kernel.trim()),
        format!("{pinning}; {} worker thread(s) per runtime", ctx.workers),
        format!("load generator: one thread, {} (the http `, wrk` rows: wrk -t1)", ctx.engine.name()),
        format!(
            "{} repetition(s) per row, interleaved across runtimes, each on a fresh server; {:.1} s measured per load run after {:.1} s warm-up{}; median, min and max over repetitions",
            ctx.reps,
            ctx.duration.as_secs_f64(),
            ctx.warmup.as_secs_f64(),
            if ctx.quick { " (--quick)" } else { "" }
        ),
        "ratios divide medians: `vs tokio` = row / tokio, `vs raw` = row / raw io_uring ceiling".into(),
    ]
}
