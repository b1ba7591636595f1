//! A runtime built without `enable_io` refuses sockets as tokio does (a
//! panic with tokio's message, located at the caller), while timers, files
//! and the blocking pool keep working (tokio's `io_driver` and `net_panic`
//! tests).
//!
//! Runs on whichever backend the runtime picks; force one with
//! `RINGLINE_BACKEND=uring|mio`.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringline::runtime::{Builder, Runtime};

const IO_DISABLED: &str =
    "A Tokio 1.x context was found, but IO is disabled. Call `enable_io` on the runtime builder to enable IO.";

fn runtime_without_io() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

/// Runs `f`, which must panic; the panic's message and file.
fn panic_of(f: impl FnOnce()) -> (String, String) {
    let seen = Arc::new(Mutex::new(None));
    let hook_seen = seen.clone();
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        let file = info.location().map(|l| l.file().to_string()).unwrap_or_default();
        *hook_seen.lock().unwrap() = Some((message, file));
    }));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    assert!(result.is_err(), "did not panic");
    let seen = seen.lock().unwrap().take();
    seen.expect("the panic hook saw the panic")
}

#[test]
fn sockets_on_a_runtime_without_io_panic_like_tokio_at_the_caller() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let (message, file) = panic_of(|| {
        runtime_without_io().block_on(async {
            let _ = ringline::net::TcpListener::from_std(std_listener);
        })
    });
    assert_eq!(message, IO_DISABLED);
    assert_eq!(file, file!(), "the panic points at the caller");

    let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let (message, file) = panic_of(|| {
        runtime_without_io().block_on(async {
            let _ = ringline::net::UdpSocket::from_std(std_socket);
        })
    });
    assert_eq!((message.as_str(), file.as_str()), (IO_DISABLED, file!()));
}

#[test]
fn timers_files_and_the_blocking_pool_need_no_enable_io() {
    runtime_without_io().block_on(async {
        ringline::time::sleep(Duration::from_millis(1)).await;
        let path = std::env::temp_dir().join(format!("ringline-io-disabled-{}", std::process::id()));
        ringline::fs::write(&path, b"files work").await.unwrap();
        assert_eq!(ringline::fs::read(&path).await.unwrap(), b"files work");
        ringline::fs::remove_file(&path).await.unwrap();
        assert_eq!(ringline::task::spawn_blocking(|| 7).await.unwrap(), 7);
    });
}

#[test]
fn enable_io_and_enable_all_allow_sockets() {
    for rt in [Builder::new_current_thread().enable_io().build(), Builder::new_current_thread().enable_all().build()] {
        rt.unwrap().block_on(async {
            ringline::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        });
    }
}
