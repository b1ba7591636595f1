//! The process under test: `bench server --runtime tokio|ringline|raw-uring
//! --workload echo|udp-echo|unix-echo|http|axum|h2|tonic|spawn|timers [--workers N] [--port P]
//! [--path SOCKET] [--cpu C] [--buf BYTES] [--count N]`.
//!
//! Servers (echo, udp-echo, http, axum, h2, tonic) listen on 127.0.0.1:P until killed;
//! unix-echo listens on the Unix socket at SOCKET. In-process
//! benchmarks (spawn, timers) print one `RESULT key=value ...` line and exit.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::args::Args;
use crate::process;
use crate::stats;

mod compat;
mod raw_uring;

mod on_tokio {
    use tokio as rt;
    include!("generic.rs");
}

#[cfg(feature = "ringline")]
mod on_ringline {
    use ringline as rt;
    include!("generic.rs");
}

/// Seed for the timer durations, so every runtime sleeps the same sleeps.
const TIMER_SEED: u64 = 0x5eed;

/// What the server process does.
#[derive(Clone, Debug)]
enum Task {
    Echo { buf: usize },
    UnixEcho { buf: usize, path: PathBuf },
    UdpEcho { buf: usize },
    Http,
    Compat(compat::App),
    Spawn { count: usize },
    Timers { count: usize },
}

/// Entry point of `bench server` and `bench-server`.
pub fn main(mut args: Args) -> Result<(), String> {
    let runtime: String = args.value("runtime")?.ok_or("--runtime is required")?;
    let workload: String = args.value("workload")?.ok_or("--workload is required")?;
    let workers: usize = args.value("workers")?.unwrap_or(1);
    let port: u16 = args.value("port")?.unwrap_or(0);
    let cpu: Option<usize> = args.value("cpu")?;
    let buf: usize = args.value("buf")?.unwrap_or(16 * 1024);
    let count: Option<usize> = args.value("count")?;
    let path: Option<String> = args.value("path")?;
    args.finish()?;

    let task = match workload.as_str() {
        "echo" => Task::Echo { buf },
        "unix-echo" => Task::UnixEcho { buf, path: path.ok_or("unix-echo needs --path")?.into() },
        "udp-echo" => Task::UdpEcho { buf },
        "http" => Task::Http,
        "axum" => Task::Compat(compat::App::Axum),
        "h2" => Task::Compat(compat::App::HyperH2),
        "tonic" => Task::Compat(compat::App::Tonic),
        "spawn" => Task::Spawn { count: count.unwrap_or(1_000_000) },
        "timers" => Task::Timers { count: count.unwrap_or(100_000) },
        other => return Err(format!("unknown workload {other:?}")),
    };
    if let Some(cpu) = cpu {
        process::pin_to_cpu(cpu).map_err(|e| format!("pin to cpu {cpu}: {e}"))?;
    }
    process::raise_nofile_limit().map_err(|e| format!("raise RLIMIT_NOFILE: {e}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let result = match runtime.as_str() {
        "tokio" => run_tokio(task, workers, addr),
        #[cfg(feature = "ringline")]
        "ringline" => run_ringline(task, workers, addr),
        #[cfg(not(feature = "ringline"))]
        "ringline" => Err(io::Error::other("built without the `ringline` feature")),
        "raw-uring" | "raw-uring-fixed" | "raw-uring-zc" => match task {
            Task::Echo { .. } => {
                let variant = raw_uring::Variant {
                    fixed_files: runtime == "raw-uring-fixed",
                    send_zc: runtime == "raw-uring-zc",
                };
                raw_uring::echo(addr, variant).map(|()| None)
            }
            _ => Err(io::Error::other("the raw io_uring loop serves only the echo workload")),
        },
        other => return Err(format!("unknown runtime {other:?}")),
    };
    match result {
        Ok(Some(line)) => {
            println!("{line}");
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(format!("{runtime} {workload}: {e}")),
    }
}

/// Defines `run_<runtime>` for one of the runtime modules above.
macro_rules! runner {
    ($name:ident, $rt:ident, $compat:path) => {
        fn $name(task: Task, workers: usize, addr: SocketAddr) -> io::Result<Option<String>> {
            match task {
                Task::Echo { buf } => $rt::block_on(workers, $rt::echo(addr, buf))?.map(|()| None),
                Task::UnixEcho { buf, path } => $rt::block_on(workers, $rt::unix_echo(path, buf))?.map(|()| None),
                Task::UdpEcho { buf } => $rt::block_on(workers, $rt::udp_echo(addr, buf))?.map(|()| None),
                Task::Http => $rt::block_on(workers, $rt::http(addr))?.map(|()| None),
                Task::Compat(app) => $compat(app, workers, addr).map(|()| None),
                Task::Spawn { count } => {
                    let secs = $rt::block_on(workers, async move {
                        $rt::spawn_join(count).await; // warm-up
                        $rt::spawn_join(count).await
                    })?;
                    Ok(Some(format!("RESULT secs={}", secs.as_secs_f64())))
                }
                Task::Timers { count } => {
                    let (total, lateness) = $rt::block_on(workers, async move {
                        $rt::timers(1000, TIMER_SEED).await; // warm-up
                        $rt::timers(count, TIMER_SEED).await
                    })?;
                    Ok(Some(timer_result(total, lateness)))
                }
            }
        }
    };
}

runner!(run_tokio, on_tokio, compat::run_tokio);
#[cfg(feature = "ringline")]
runner!(run_ringline, on_ringline, compat::run_ringline);

fn timer_result(total: Duration, mut lateness_us: Vec<u64>) -> String {
    lateness_us.sort_unstable();
    format!(
        "RESULT secs={} late_p50_us={} late_p99_us={} late_max_us={}",
        total.as_secs_f64(),
        stats::percentile(&lateness_us, 0.50),
        stats::percentile(&lateness_us, 0.99),
        lateness_us.last().copied().unwrap_or(0),
    )
}

/// Parses the `RESULT key=value ...` line a run-to-completion server prints.
pub fn parse_result(stdout: &str) -> Option<HashMap<String, f64>> {
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT "))?;
    line.split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// splitmix64 of `seed ^ i`: the same pseudo-random sleep for every runtime.
fn mix(seed: u64, i: u64) -> u64 {
    let mut z = (seed ^ i).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::{mix, parse_result};

    #[test]
    fn result_line_round_trips() {
        let out = "noise\nRESULT secs=0.5 late_p99_us=1200\n";
        let map = parse_result(out).expect("parsed");
        assert_eq!(map["secs"], 0.5);
        assert_eq!(map["late_p99_us"], 1200.0);
        assert!(parse_result("RESULT secs=x").is_none());
    }

    #[test]
    fn sleeps_spread_over_range() {
        let ms: Vec<u64> = (0..1000).map(|i| 1 + mix(7, i) % 100).collect();
        assert!(ms.iter().all(|m| (1..=100).contains(m)));
        assert!(ms.iter().any(|&m| m < 10) && ms.iter().any(|&m| m > 90));
    }
}
