//! UDP echo: closed-loop datagram round trips from 64 sockets to one server
//! socket, whose one task receives each datagram and sends it back.

use crate::load::udp;
use crate::process::Server;
use crate::report::{Metric, Report};
use crate::runtime::Runtime;

use super::{size_label, Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload = Workload {
    name: "udp-echo",
    about: "UDP echo round trips/s and latency, 64 sockets, 64 B and 1,400 B datagrams",
    run,
};

const SOCKETS: usize = 64;
const SIZES: [usize; 2] = [64, 1400];
/// The server's receive buffer: any datagram fits.
const SERVER_BUF: &str = "65536";

const ROUND_TRIPS: Metric = Metric { name: "round trips/s", higher_is_better: true };

fn run(ctx: &Ctx, report: &mut Report) {
    let runtimes = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    for size in SIZES {
        let case = Case {
            workload: WORKLOAD.name,
            name: format!("{SOCKETS} sockets, {}", size_label(size)),
            metric: ROUND_TRIPS,
        };
        ctx.measure(report, &case, &runtimes, |runtime, rep| {
            let mut server = Server::start(&ctx.server(runtime, &["--workload", "udp-echo", "--buf", SERVER_BUF]))?;
            let server_cpu = server.cpu_time()?;
            let result = udp::run(&ctx.load_spec(server.addr(), SOCKETS), size)?;
            let server_cpu = server.cpu_time()?.saturating_sub(server_cpu);
            server.check_alive()?;
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
    }
}
