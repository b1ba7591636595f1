//! The stack users bring, ringline (through ringline-compat) against tokio:
//! axum JSON hello world over HTTP/1.1 (built-in keep-alive client), hyper
//! hello world over HTTP/2 and tonic unary calls (both from `h2load`, the
//! same C load generator for every runtime; their rows are skipped, with a
//! note, where h2load is missing).

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::load::{children_cpu_time, protocol::Http};
use crate::process::{self, Server};
use crate::report::{Metric, Report};
use crate::runtime::Runtime;

use super::http::{load_server, Client};
use super::{conns_label, Case, Ctx, Sample, Workload};

/// axum JSON hello world, HTTP/1.1.
pub const AXUM: Workload =
    Workload { name: "axum", about: "axum JSON hello world requests/s over HTTP/1.1 (built-in client)", run: run_axum };

/// hyper hello world over h2c.
pub const H2: Workload = Workload {
    name: "h2",
    about: "hyper hello world requests/s over HTTP/2 (h2load, 100 streams per conn)",
    run: run_h2,
};

/// tonic unary calls.
pub const TONIC: Workload =
    Workload { name: "tonic", about: "tonic unary calls/s, 16 and 256 concurrent (h2load)", run: run_tonic };

const REQUESTS: Metric = Metric { name: "requests/s", higher_is_better: true };
const CALLS: Metric = Metric { name: "calls/s", higher_is_better: true };

/// One framed gRPC message: helloworld.HelloRequest { name: "world" }.
const HELLO_REQUEST: &[u8] = &[0, 0, 0, 0, 7, 0x0a, 5, b'w', b'o', b'r', b'l', b'd'];

fn runtimes(ctx: &Ctx) -> Vec<Runtime> {
    ctx.runtimes_among(&[Runtime::RinglineUring, Runtime::RinglineMio, Runtime::Tokio])
}

fn log_rep(runtime: Runtime, rep: usize, sample: &Sample, unit: &str, shares: (f64, f64)) {
    eprintln!(
        "    {:<20} rep {}: {:>8.0} {unit}, cpu: server {:.0}%, load generator {:.0}%",
        runtime.label(),
        rep + 1,
        sample.value,
        100.0 * shares.1,
        100.0 * shares.0,
    );
}

fn run_axum(ctx: &Ctx, report: &mut Report) {
    report.notes.push("axum: GET /json from the built-in HTTP/1.1 keep-alive client".to_string());
    for conns in [16, 256] {
        let case = Case { workload: AXUM.name, name: conns_label(conns), metric: REQUESTS };
        ctx.measure(report, &case, &runtimes(ctx), |runtime, rep| {
            let mut server = Server::start(&ctx.server(runtime, &["--workload", "axum"]))?;
            let proto = Http::get("127.0.0.1", "/json");
            let (sample, client, server_share) = load_server(ctx, &mut server, conns, Client::BuiltIn, &proto)?;
            server.check_alive()?;
            log_rep(runtime, rep, &sample, "requests/s", (client, server_share));
            Ok(sample)
        });
    }
}

/// What h2load is asked to do.
struct H2Load<'a> {
    conns: usize,
    streams: usize,
    path: &'a str,
    /// A request body file and headers (POST), or None (GET).
    grpc_body: Option<&'a std::path::Path>,
}

fn run_h2(ctx: &Ctx, report: &mut Report) {
    if !h2load_or_note(report, "h2") {
        return;
    }
    for conns in [16, 256] {
        let name = format!("{}, 100 streams", conns_label(conns));
        let case = Case { workload: H2.name, name, metric: REQUESTS };
        let load = H2Load { conns, streams: 100, path: "/", grpc_body: None };
        ctx.measure(report, &case, &runtimes(ctx), |runtime, rep| measure_h2load(ctx, runtime, rep, "h2", &load));
    }
}

fn run_tonic(ctx: &Ctx, report: &mut Report) {
    if !h2load_or_note(report, "tonic") {
        return;
    }
    let body = std::env::temp_dir().join(format!("ringline-bench-grpc-{}.bin", std::process::id()));
    if let Err(e) = std::fs::write(&body, HELLO_REQUEST) {
        report.notes.push(format!("tonic: skipped, cannot write the request body: {e}"));
        return;
    }
    report.notes.push("tonic: unary SayHello calls from h2load over 16 connections (1 or 16 calls each)".to_string());
    for calls in [16, 256] {
        let case = Case { workload: TONIC.name, name: format!("{calls} concurrent calls"), metric: CALLS };
        let path = "/helloworld.Greeter/SayHello";
        let load = H2Load { conns: 16, streams: calls / 16, path, grpc_body: Some(&body) };
        ctx.measure(report, &case, &runtimes(ctx), |runtime, rep| measure_h2load(ctx, runtime, rep, "tonic", &load));
    }
    let _ = std::fs::remove_file(&body);
}

fn h2load_or_note(report: &mut Report, workload: &str) -> bool {
    let found = process::h2load_available();
    if !found {
        report.notes.push(format!("{workload}: skipped, h2load (Debian nghttp2-client) is not installed"));
    }
    found
}

fn measure_h2load(ctx: &Ctx, runtime: Runtime, rep: usize, workload: &str, load: &H2Load) -> io::Result<Sample> {
    let mut server = Server::start(&ctx.server(runtime, &["--workload", workload]))?;
    let started = Instant::now();
    let (server_cpu, client_cpu) = (server.cpu_time()?, children_cpu_time());
    let sample = run_h2load(ctx, server.addr(), load)?;
    let elapsed = started.elapsed().as_secs_f64();
    let server_share = server.cpu_time()?.saturating_sub(server_cpu).as_secs_f64() / elapsed;
    let client_share = children_cpu_time().saturating_sub(client_cpu).as_secs_f64() / elapsed;
    server.check_alive()?;
    log_rep(runtime, rep, &sample, "requests/s", (client_share, server_share));
    Ok(sample)
}

fn run_h2load(ctx: &Ctx, addr: SocketAddr, load: &H2Load) -> io::Result<Sample> {
    let secs = |d: Duration| format!("{}ms", d.as_millis().max(100));
    let mut args = vec![
        "-t1".to_string(),
        format!("-c{}", load.conns),
        format!("-m{}", load.streams),
        format!("-D{}", secs(ctx.duration)),
        format!("--warm-up-time={}", secs(ctx.warmup)),
    ];
    if let Some(body) = load.grpc_body {
        args.extend(["-d".to_string(), body.display().to_string()]);
        args.extend(["-H", "content-type: application/grpc", "-H", "te: trailers"].map(String::from));
    }
    args.push(format!("http://{addr}{}", load.path));
    let timeout = ctx.duration + ctx.warmup + Duration::from_secs(30);
    let out = process::run_tool("h2load", &args, timeout)?;
    parse_h2load(&out).ok_or_else(|| io::Error::other(format!("h2load failed or cannot be parsed:\n{out}")))
}

/// Requests/s from h2load's summary; None when any request failed.
fn parse_h2load(out: &str) -> Option<Sample> {
    let requests = out.lines().find(|l| l.starts_with("requests:"))?;
    if !requests.contains(" 0 failed, 0 errored, 0 timeout") {
        return None;
    }
    let finished = out.lines().find(|l| l.starts_with("finished in"))?;
    let rate = finished.split(", ").nth(1)?.strip_suffix(" req/s")?.parse().ok()?;
    Some(Sample { value: rate, p50_us: None, p99_us: None })
}

#[cfg(test)]
mod tests {
    use super::parse_h2load;

    #[test]
    fn parses_h2load_summary() {
        let out = "finished in 2.00s, 51234.50 req/s, 3.10MB/s\n\
                   requests: 102469 total, 102569 started, 102469 done, 102469 succeeded, 0 failed, 0 errored, 0 timeout\n";
        assert_eq!(parse_h2load(out).expect("parsed").value, 51234.5);
        let failed = out.replace("102469 succeeded, 0 failed", "102000 succeeded, 469 failed");
        assert!(parse_h2load(&failed).is_none());
    }
}
