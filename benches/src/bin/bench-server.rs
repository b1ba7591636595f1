//! The server under test on its own, for running one by hand:
//! `bench-server --runtime tokio --workload echo --port 7000` (the orchestrator
//! runs the same code as `bench server ...`).

use std::process::ExitCode;

use ringline_bench::args::Args;

fn main() -> ExitCode {
    match ringline_bench::server::main(Args::new(std::env::args().skip(1))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}
