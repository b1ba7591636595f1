//! Spawn + join of 1M tasks, timed inside the server process.

use std::io;

use crate::process;
use crate::report::{Metric, Report};
use crate::runtime::Runtime;
use crate::server::parse_result;

use super::{Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload =
    Workload { name: "spawn", about: "spawn 1M empty tasks, then join them all (in-process time)", run };

const TASKS: usize = 1_000_000;

const MILLIS: Metric = Metric { name: "ms for 1M spawn + join", higher_is_better: false };

fn run(ctx: &Ctx, report: &mut Report) {
    let runtimes = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    let case = Case { workload: WORKLOAD.name, name: "1M tasks".into(), metric: MILLIS };
    let count = TASKS.to_string();
    ctx.measure(report, &case, &runtimes, |runtime, _| {
        let spec = ctx.server(runtime, &["--workload", "spawn", "--count", &count]);
        let out = process::run_to_end(&spec)?;
        let secs = parse_result(&out)
            .and_then(|r| r.get("secs").copied())
            .ok_or_else(|| io::Error::other(format!("no result in {out:?}")))?;
        Ok(Sample::value(secs * 1e3))
    });
}
