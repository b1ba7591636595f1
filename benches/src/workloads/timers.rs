//! 100k concurrent timers: sleeps of 1..=100 ms; total time and lateness.

use std::io;

use crate::process;
use crate::report::{Metric, Report};
use crate::runtime::Runtime;
use crate::server::parse_result;

use super::{Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload = Workload {
    name: "timers",
    about: "100k concurrent sleeps of 1..=100 ms: time until all joined, wake-up lateness",
    run,
};

const TIMERS: usize = 100_000;

const MILLIS: Metric =
    Metric { name: "ms until 100k sleeps (1..=100 ms) joined; p50/p99 = lateness", higher_is_better: false };

fn run(ctx: &Ctx, report: &mut Report) {
    let runtimes = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    let case = Case { workload: WORKLOAD.name, name: "100k timers".into(), metric: MILLIS };
    let count = TIMERS.to_string();
    ctx.measure(report, &case, &runtimes, |runtime, _| {
        let spec = ctx.server(runtime, &["--workload", "timers", "--count", &count]);
        let out = process::run_to_end(&spec)?;
        let result = parse_result(&out).ok_or_else(|| io::Error::other(format!("no result in {out:?}")))?;
        let get = |key: &str| result.get(key).copied().ok_or_else(|| io::Error::other(format!("no {key} in {out:?}")));
        Ok(Sample { value: get("secs")? * 1e3, p50_us: Some(get("late_p50_us")?), p99_us: Some(get("late_p99_us")?) })
    });
}
