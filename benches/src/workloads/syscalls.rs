//! System calls per echo round trip, counted by `perf stat -e
//! raw_syscalls:sys_enter -p PID` on the server (skipped without perf):
//! small messages at 1 and 256 connections, large ones at 256.

use crate::load::{self, protocol::Echo};
use crate::process::{self, PerfStat, Server};
use crate::report::{Metric, Report};
use crate::runtime::Runtime;

use super::{conns_label, size_label, Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload =
    Workload { name: "syscalls", about: "server system calls per echo round trip (perf stat), 64 B and 16 KiB", run };

/// (connections, message size) of each case.
const CASES: [(usize, usize); 3] = [(1, 64), (256, 64), (256, 16 * 1024)];

const SYSCALLS: Metric = Metric { name: "server syscalls per round trip", higher_is_better: false };

fn run(ctx: &Ctx, report: &mut Report) {
    if !process::perf_works() {
        report.notes.push(
            "syscalls: skipped: `perf stat -e raw_syscalls:sys_enter` is not available \
             (install linux-perf; needs root or kernel.perf_event_paranoid <= 1)"
                .into(),
        );
        return;
    }
    let runtimes = ctx.runtimes_among(&Runtime::ALL);
    for (conns, size) in CASES {
        let name = format!("{}, {}", conns_label(conns), size_label(size));
        let case = Case { workload: WORKLOAD.name, name, metric: SYSCALLS };
        ctx.measure(report, &case, &runtimes, |runtime, rep| {
            let mut server = Server::start(&ctx.server(runtime, &["--workload", "echo"]))?;
            let proto = Echo::new(size);
            let mut spec = ctx.warmup_spec(server.addr(), conns);
            load::run(&spec, &proto)?;
            let perf = PerfStat::attach(server.pid())?;
            spec.duration = ctx.duration;
            let result = load::run(&spec, &proto)?;
            let count = perf.finish()?;
            server.check_alive()?;
            eprintln!(
                "    {:<20} rep {}: {count} syscalls over {} round trips",
                runtime.label(),
                rep + 1,
                result.round_trips
            );
            Ok(Sample::value(count as f64 / result.round_trips.max(1) as f64))
        });
    }
}
