//! The `SIGCHLD` fallback, which the integration tests cannot choose (they
//! get a pidfd wherever the kernel has one).

use std::process::Command as StdCommand;
use std::time::Duration;

use super::exit::{ExitWatch, Running};
use crate::runtime::Builder;

#[test]
fn sigchld_fallback_notices_concurrent_exits() {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let waits = (0..20).map(|i| {
            let child = StdCommand::new("sh").args(["-c", &format!("sleep 0.0{}; exit {}", i % 5, i)]).spawn();
            let mut running = Running::new(child.expect("sh"), ExitWatch::sigchld().expect("SIGCHLD"));
            crate::spawn(async move { running.wait().await.map(|status| (i, status.code())) })
        });
        for wait in waits.collect::<Vec<_>>() {
            let (i, code) = crate::time::timeout(Duration::from_secs(10), wait).await.unwrap().unwrap().unwrap();
            assert_eq!(code, Some(i));
        }
    });
}
