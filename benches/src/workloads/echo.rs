//! TCP echo: closed-loop round trips at several connection counts and sizes.

use crate::load::{self, protocol::Echo};
use crate::process::Server;
use crate::report::Report;
use crate::runtime::Runtime;

use super::{conns_label, echo_rep, size_label, Case, Ctx, Sample, Workload, ROUND_TRIPS};

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
                let (result, server_share) =
                    echo_rep(&mut server, runtime, rep, || load::run(&spec, &Echo::new(size)))?;
                if result.cpu_share() > CLIENT_BUSY
                    && server_share < SERVER_SLACK
                    && !client_bound.contains(&runtime.label())
                {
                    client_bound.push(runtime.label());
                }
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
