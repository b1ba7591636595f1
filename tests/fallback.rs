//! Where io_uring is refused, ringline runs on mio.
//!
//! The refusal is made the way Docker's default seccomp profile makes it: a
//! seccomp filter in a child process turns `io_uring_setup` into EPERM. The
//! child is this test binary again, running only `child_program`.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use ringline::io::{AsyncReadExt, AsyncWriteExt};
use ringline::net::{TcpListener, TcpStream};
use ringline::runtime::{Backend, Builder};

const CHILD_ENV: &str = "RINGLINE_FALLBACK_CHILD";

/// Installs a seccomp filter that fails `io_uring_setup` with EPERM.
fn refuse_io_uring() -> std::io::Result<()> {
    let eperm = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
    let nr = libc::SYS_io_uring_setup as u32;
    let filter = [
        // A = seccomp_data.nr
        libc::sock_filter { code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16, jt: 0, jf: 0, k: 0 },
        // if (A == io_uring_setup) fall through to EPERM, else skip it
        libc::sock_filter { code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16, jt: 0, jf: 1, k: nr },
        libc::sock_filter { code: (libc::BPF_RET | libc::BPF_K) as u16, jt: 0, jf: 0, k: eperm },
        libc::sock_filter { code: (libc::BPF_RET | libc::BPF_K) as u16, jt: 0, jf: 0, k: libc::SECCOMP_RET_ALLOW },
    ];
    let program = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr() as *mut _ };
    // SAFETY: prctl with PR_SET_NO_NEW_PRIVS takes plain integers.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `program` points at `filter`, both alive for the call; the kernel
    // copies the filter.
    if unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &program as *const libc::sock_fprog) } != 0
    {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// An ordinary ringline program: echo over TCP, a timer, a spawned task.
fn echo_program(flavor_multi: bool) -> Backend {
    let rt = if flavor_multi {
        Builder::new_multi_thread().worker_threads(2).enable_all().build()
    } else {
        Builder::new_current_thread().enable_all().build()
    };
    let rt = rt.expect("runtime builds without io_uring");
    let backend = rt.handle().backend();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = ringline::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 1024];
            loop {
                let n = sock.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                sock.write_all(&buf[..n]).await.unwrap();
            }
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        for i in 0..100u32 {
            let msg = i.to_le_bytes();
            client.write_all(&msg).await.unwrap();
            let mut back = [0u8; 4];
            client.read_exact(&mut back).await.unwrap();
            assert_eq!(back, msg);
        }
        ringline::time::sleep(Duration::from_millis(5)).await;
        drop(client);
        server.await.unwrap();
    });
    backend
}

/// Runs in the child only: io_uring is refused here.
#[test]
fn child_program() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return; // in the parent run this test is a no-op
    }
    assert_eq!(echo_program(false), Backend::Mio);
    assert_eq!(echo_program(true), Backend::Mio);
    let forced = Builder::new_current_thread().backend(Backend::Uring).build();
    let err = forced.expect_err("forcing io_uring where it is refused must fail");
    assert_eq!(err.kind(), std::io::ErrorKind::PermissionDenied, "{err}");
    println!("CHILD-OK");
}

#[test]
fn seccomp_refusing_io_uring_falls_back_to_mio() {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe);
    child.args(["--exact", "child_program", "--nocapture", "--test-threads=1"]);
    child.env(CHILD_ENV, "1").env_remove("RINGLINE_BACKEND");
    // SAFETY: the closure only calls prctl (async-signal-safe) between fork and exec.
    unsafe {
        child.pre_exec(refuse_io_uring);
    }
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stdout.contains("CHILD-OK"), "child failed:\n{stdout}\n{stderr}");
}

#[test]
fn forcing_a_backend_is_honoured() {
    let rt = Builder::new_current_thread().backend(Backend::Mio).build().unwrap();
    assert_eq!(rt.handle().backend(), Backend::Mio);
    let rt = Builder::new_current_thread().build().unwrap();
    match std::env::var("RINGLINE_BACKEND").as_deref() {
        Ok("mio") => assert_eq!(rt.handle().backend(), Backend::Mio),
        Ok("uring") => assert_eq!(rt.handle().backend(), Backend::Uring),
        _ => {}
    }
}
