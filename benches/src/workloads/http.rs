//! hyper HTTP/1.1 hello world: requests/s from the built-in keep-alive load
//! generator and, if installed, from `wrk` as a cross-check.
//!
//! The built-in generator (io_uring, one thread) is the headline: `wrk -t1`
//! spends about 97 % of its core (85 % in the kernel) at these rates, so on a
//! two-core machine its rows measure the client as much as the server.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::load::{self, children_cpu_time, protocol::Http};
use crate::process::{self, Server};
use crate::report::{Metric, Report};
use crate::runtime::Runtime;

use super::{conns_label, Case, Ctx, Sample, Workload};

/// Registry entry.
pub const WORKLOAD: Workload =
    Workload { name: "http", about: "hyper HTTP/1.1 hello world requests/s (built-in client, and wrk)", run };

const CONNS: [usize; 2] = [16, 256];

const REQUESTS: Metric = Metric { name: "requests/s", higher_is_better: true };

/// Who generates the load.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    BuiltIn,
    Wrk,
}

fn run(ctx: &Ctx, report: &mut Report) {
    let mut clients = vec![Client::BuiltIn];
    if ctx.use_wrk && process::wrk_available() {
        clients.push(Client::Wrk);
        report.notes.push(
            "http: `N conns` rows: load from the built-in HTTP/1.1 keep-alive client; \
             `N conns, wrk` rows: from wrk -t1 (whole seconds per repetition), whose one thread is \
             itself nearly saturated at these rates"
                .to_string(),
        );
    } else {
        report.notes.push("http: load from the built-in HTTP/1.1 keep-alive client (wrk not used)".to_string());
    }
    let runtimes = ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio]);
    for conns in CONNS {
        for &client in &clients {
            let name = match client {
                Client::BuiltIn => conns_label(conns),
                Client::Wrk => format!("{}, wrk", conns_label(conns)),
            };
            let case = Case { workload: WORKLOAD.name, name, metric: REQUESTS };
            ctx.measure(report, &case, &runtimes, |runtime, rep| {
                let mut server = Server::start(&ctx.server(runtime, &["--workload", "http"]))?;
                let proto = Http::get("127.0.0.1", "/");
                let (sample, client_share, server_share) = load_server(ctx, &mut server, conns, client, &proto)?;
                server.check_alive()?;
                eprintln!(
                    "    {:<20} rep {}: {:>8.0} requests/s, cpu: server {:.0}%, load generator {:.0}%",
                    runtime.label(),
                    rep + 1,
                    sample.value,
                    100.0 * server_share,
                    100.0 * client_share,
                );
                Ok(sample)
            });
        }
    }
}

/// One measured load run of `proto` requests on `server`: the sample, and
/// the CPU shares of the load generator and of the server over it.
pub(crate) fn load_server(
    ctx: &Ctx,
    server: &mut Server,
    conns: usize,
    client: Client,
    proto: &Http,
) -> io::Result<(Sample, f64, f64)> {
    if client == Client::Wrk {
        // wrk has no warm-up of its own
        load::run(&ctx.warmup_spec(server.addr(), conns), proto)?;
    }
    let (started, server_cpu) = (Instant::now(), server.cpu_time()?);
    let (sample, client_share) = match client {
        Client::BuiltIn => {
            let result = load::run(&ctx.load_spec(server.addr(), conns), proto)?;
            (Sample::from_load(&result), result.cpu_share())
        }
        Client::Wrk => {
            let wrk_cpu = children_cpu_time();
            let sample = run_wrk(server.addr(), conns, ctx.duration)?;
            let share = children_cpu_time().saturating_sub(wrk_cpu).as_secs_f64() / started.elapsed().as_secs_f64();
            (sample, share)
        }
    };
    let server_share = server.cpu_time()?.saturating_sub(server_cpu).as_secs_f64() / started.elapsed().as_secs_f64();
    Ok((sample, client_share, server_share))
}

fn run_wrk(addr: SocketAddr, conns: usize, duration: Duration) -> io::Result<Sample> {
    let secs = duration.as_secs_f64().round().max(1.0) as u64;
    let args: Vec<String> =
        vec!["-t1".into(), format!("-c{conns}"), format!("-d{secs}s"), "--latency".into(), format!("http://{addr}/")];
    let out = process::run_wrk(&args, Duration::from_secs(secs + 30))?;
    parse_wrk(&out).ok_or_else(|| io::Error::other(format!("cannot parse wrk output:\n{out}")))
}

/// Requests/s and the p50/p99 latency (µs) from `wrk --latency` output.
fn parse_wrk(out: &str) -> Option<Sample> {
    let rate = out.lines().find_map(|l| l.trim().strip_prefix("Requests/sec:"))?.trim().parse().ok()?;
    let percentile = |p: &str| out.lines().find_map(|l| l.trim().strip_prefix(p)).and_then(|v| duration_us(v.trim()));
    if out.contains("Non-2xx or 3xx responses") {
        return None;
    }
    Some(Sample { value: rate, p50_us: percentile("50%"), p99_us: percentile("99%") })
}

/// wrk's "123.45us", "1.20ms", "2.00s" in µs.
fn duration_us(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" => 60e6,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::parse_wrk;

    #[test]
    fn parses_wrk_latency_report() {
        let out = "Running 1s test @ http://127.0.0.1:1/\n  1 threads and 16 connections\n  \
                   Latency Distribution\n     50%  120.00us\n     75%  200.00us\n     90%  300.00us\n     \
                   99%    1.50ms\n  50000 requests in 1.00s, 4.00MB read\nRequests/sec:  49999.50\n\
                   Transfer/sec:      4.00MB\n";
        let sample = parse_wrk(out).expect("parsed");
        assert_eq!(sample.value, 49999.5);
        assert_eq!(sample.p50_us, Some(120.0));
        assert_eq!(sample.p99_us, Some(1500.0));
        assert!(parse_wrk("garbage").is_none());
    }
}
