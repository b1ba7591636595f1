//! TCP echo: closed-loop round trips at several connection counts and sizes.

use crate::load::{self, protocol::Echo};
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
/// A run is client-bound when the load generator used more than this share of
/// its core ...
const CLIENT_BUSY: f64 = 0.95;
/// ... while the server used less than this share of its own.
const SERVER_SLACK: f64 = 0.85;

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
            let mut client_bound: Vec<&str> = Vec::new();
            ctx.measure(report, &case, &runtimes, |runtime, rep| {
                let mut server = Server::start(&ctx.server(runtime, &["--workload", "echo", "--buf", SERVER_BUF]))?;
                let spec = ctx.load_spec(server.addr(), conns);
                let server_cpu = server.cpu_time()?;
                let result = load::run(&spec, &Echo::new(size))?;
                let server_cpu = server.cpu_time()?.saturating_sub(server_cpu);
                server.check_alive()?;
                let server_share = server_cpu.as_secs_f64() / result.wall.as_secs_f64();
                if result.cpu_share() > CLIENT_BUSY
                    && server_share < SERVER_SLACK
                    && !client_bound.contains(&runtime.label())
                {
                    client_bound.push(runtime.label());
                }
                eprintln!(
                    "    {:<20} rep {}: {:>8.0} round trips/s, cpu: server {:.0}%, load generator {:.0}%",
                    runtime.label(),
                    rep + 1,
                    result.rate(),
                    100.0 * server_share,
                    100.0 * result.cpu_share(),
                );
                Ok(Sample::from_load(&result))
            });
            if !client_bound.is_empty() {
                report.notes.push(format!(
                    "echo {}: in some run of {} the load generator was saturated while the server had idle time: \
                     those rows are client-bound",
                    case.name,
                    client_bound.join(", ")
                ));
            }
        }
    }
}
