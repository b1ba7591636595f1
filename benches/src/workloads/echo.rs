//! TCP echo: closed-loop round trips at several connection counts and sizes.

use crate::load::{self, protocol::Echo, LoadSpec};
use crate::process::Server;
use crate::report::{Metric, Report};
use crate::runtime::Runtime;

use super::{conns_label, size_label, Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload =
    Workload { name: "echo", about: "TCP echo round trips/s and latency, 1..1024 connections, 64 B and 16 KiB", run };

const CONNS: [usize; 4] = [1, 16, 256, 1024];
const SIZES: [usize; 2] = [64, 16 * 1024];
/// The servers' read buffer: a whole 16 KiB message fits.
const SERVER_BUF: &str = "16384";
/// Above this share of its core, the load generator may be what limits the rate.
const CLIENT_BUSY: f64 = 0.95;

const ROUND_TRIPS: Metric = Metric { name: "round trips/s", higher_is_better: true };

fn run(ctx: &Ctx, report: &mut Report) {
    let runtimes = ctx.runtimes_among(&Runtime::ALL);
    for size in SIZES {
        for conns in CONNS {
            let case = Case {
                workload: WORKLOAD.name,
                name: format!("{}, {}", conns_label(conns), size_label(size)),
                metric: ROUND_TRIPS,
            };
            eprintln!("[echo] {}", case.name);
            let mut busiest: f64 = 0.0;
            ctx.measure(report, &case, &runtimes, |runtime, rep| {
                let mut server = Server::start(&ctx.server(runtime, &["--workload", "echo", "--buf", SERVER_BUF]))?;
                let spec = LoadSpec {
                    addr: server.addr(),
                    conns,
                    warmup: ctx.warmup,
                    duration: ctx.duration,
                    engine: ctx.engine,
                };
                let server_cpu = server.cpu_time()?;
                let result = load::run(&spec, &Echo::new(size))?;
                let server_cpu = server.cpu_time()?.saturating_sub(server_cpu);
                server.check_alive()?;
                busiest = busiest.max(result.cpu_share());
                eprintln!(
                    "    {:<20} rep {}: {:>8.0} round trips/s, cpu: server {:.0}%, load generator {:.0}%",
                    runtime.label(),
                    rep + 1,
                    result.rate(),
                    100.0 * server_cpu.as_secs_f64() / result.wall.as_secs_f64(),
                    100.0 * result.cpu_share(),
                );
                Ok(Sample::from_load(&result))
            });
            if busiest > CLIENT_BUSY {
                report.notes.push(format!(
                    "echo {}: the load generator used {:.0}% of its core in some run; the fastest rows may be client-bound",
                    case.name,
                    busiest * 100.0
                ));
            }
        }
    }
}
