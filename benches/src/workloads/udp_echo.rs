//! UDP echo: closed-loop datagram round trips from 64 sockets to one server
//! socket, whose one task receives each datagram and sends it back.

use crate::load::udp;
use crate::process::Server;
use crate::report::Report;
use crate::runtime::Runtime;

use super::{echo_rep, size_label, Case, Ctx, Sample, Workload, ROUND_TRIPS};

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
            let spec = ctx.load_spec(server.addr(), SOCKETS);
            let (result, _) = echo_rep(&mut server, runtime, rep, || udp::run(&spec, size))?;
            Ok(Sample::from_load(&result))
        });
    }
}
