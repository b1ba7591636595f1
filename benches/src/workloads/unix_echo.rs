//! Unix-socket stream echo: the TCP echo's closed-loop round trips, over a
//! Unix stream socket instead of loopback TCP.

use std::path::PathBuf;

use crate::load::{self, protocol::Echo};
use crate::process::Server;
use crate::report::Report;
use crate::runtime::Runtime;

use super::{conns_label, echo_rep, size_label, Case, Ctx, Sample, Workload, ROUND_TRIPS};

/// Registry entry.
pub const WORKLOAD: Workload = Workload {
    name: "unix-echo",
    about: "Unix-socket stream echo round trips/s and latency, 1..256 connections, 64 B and 16 KiB",
    run,
};

const CONNS: [usize; 3] = [1, 16, 256];
const SIZES: [usize; 2] = [64, 16 * 1024];
/// The servers' read buffer: a whole 16 KiB message fits.
const SERVER_BUF: &str = "16384";

fn run(ctx: &Ctx, report: &mut Report) {
    // The raw io_uring loop serves TCP only.
    let runtimes = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    let path = socket_path();
    let path_arg = path.to_str().expect("temp dir path is UTF-8").to_string();
    for size in SIZES {
        for conns in CONNS {
            let case = Case {
                workload: WORKLOAD.name,
                name: format!("{}, {}", conns_label(conns), size_label(size)),
                metric: ROUND_TRIPS,
            };
            ctx.measure(report, &case, &runtimes, |runtime, rep| {
                let args = ["--workload", "unix-echo", "--buf", SERVER_BUF, "--path", &path_arg];
                let mut server = Server::start_unix(&ctx.server(runtime, &args), path.clone())?;
                let spec = ctx.load_spec(server.target(), conns);
                let (result, _) = echo_rep(&mut server, runtime, rep, || load::run(&spec, &Echo::new(size)))?;
                Ok(Sample::from_load(&result))
            });
        }
    }
}

/// A socket path of this bench process's own in the temp directory.
fn socket_path() -> PathBuf {
    std::env::temp_dir().join(format!("ringline-bench-{}.sock", std::process::id()))
}
