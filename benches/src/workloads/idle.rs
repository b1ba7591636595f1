//! Resident memory per idle connection: the server's VmRSS before and after
//! 10k connections that have each made one round trip and now sit idle.

use std::io::{Read, Write};
use std::thread;
use std::time::Duration;

use crate::load::connect_many;
use crate::process::Server;
use crate::report::{Metric, Report};
use crate::runtime::Runtime;

use super::{Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload =
    Workload { name: "idle", about: "server resident memory per idle connection at 10k connections", run };

const CONNS: usize = 10_000;
/// The echo handler's buffer for this workload: small, so the runtime's own
/// per-connection cost is what shows.
const SERVER_BUF: &str = "1024";

const BYTES: Metric = Metric { name: "bytes of RSS per idle connection", higher_is_better: false };

fn run(ctx: &Ctx, report: &mut Report) {
    let runtimes = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    let case = Case { workload: WORKLOAD.name, name: "10k conns".into(), metric: BYTES };
    ctx.measure(report, &case, &runtimes, |runtime, _| {
        let spec = ctx.server(runtime, &["--workload", "echo", "--buf", SERVER_BUF]);
        let mut server = Server::start(&spec)?;
        thread::sleep(Duration::from_millis(100));
        let before = server.rss_bytes()?;
        let mut conns = connect_many(server.addr(), CONNS)?;
        // One round trip each proves the server has accepted the
        // connection and its task is parked in a read.
        for conn in &mut conns {
            conn.write_all(b"x")?;
        }
        let mut byte = [0u8; 1];
        for conn in &mut conns {
            conn.set_read_timeout(Some(Duration::from_secs(10)))?;
            conn.read_exact(&mut byte)?;
        }
        thread::sleep(Duration::from_millis(200));
        let after = server.rss_bytes()?;
        server.check_alive()?;
        drop(conns);
        Ok(Sample::value(after.saturating_sub(before) as f64 / CONNS as f64))
    });
}
