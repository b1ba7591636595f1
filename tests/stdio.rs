//! `ringline::io::{stdin, stdout, stderr}` in a child process (this test binary
//! run again), with the parent on the other ends of the pipes.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use ringline::io::{AsyncReadExt, AsyncWriteExt};

const CHILD: &str = "RINGLINE_STDIO_CHILD";
const BEGIN: &[u8] = b"<<payload>>";
const END: &[u8] = b"<</payload>>";

/// Child side: everything from stdin goes to stdout between markers (the test
/// harness prints its own lines too), its length to stderr.
fn child() {
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        ringline::spawn(async {
            let mut input = Vec::new();
            ringline::io::stdin().read_to_end(&mut input).await.unwrap();
            let mut out = ringline::io::stdout();
            out.write_all(BEGIN).await.unwrap();
            // Odd-sized writes, so several pool operations queue behind each other.
            for chunk in input.chunks(7919) {
                out.write_all(chunk).await.unwrap();
            }
            out.write_all(END).await.unwrap();
            out.flush().await.unwrap();
            let mut err = ringline::io::stderr();
            err.write_all(format!("read {} bytes\n", input.len()).as_bytes()).await.unwrap();
            err.flush().await.unwrap();
        })
        .await
        .unwrap();
    });
}

#[test]
fn stdin_to_stdout_through_the_blocking_pool() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let input: Vec<u8> = (0..1_000_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args(["stdin_to_stdout_through_the_blocking_pool", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = proc.stdin.take().unwrap();
    let feeder = {
        let input = input.clone();
        std::thread::spawn(move || stdin.write_all(&input).unwrap())
    };
    let mut stderr = String::new();
    let mut stderr_pipe = proc.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        stderr_pipe.read_to_string(&mut stderr).unwrap();
        stderr
    });
    let mut stdout = Vec::new();
    proc.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    feeder.join().unwrap();
    let status = proc.wait().unwrap();
    let stderr = stderr_reader.join().unwrap();
    assert!(status.success(), "child failed: {stderr}");
    let start = find(&stdout, BEGIN).expect("payload start marker") + BEGIN.len();
    let end = find(&stdout, END).expect("payload end marker");
    assert!(stdout[start..end] == input[..], "stdout carried other bytes than stdin gave");
    assert!(stderr.contains("read 1000000 bytes"), "stderr: {stderr}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn std_handles_expose_their_descriptors() {
    use std::os::fd::AsRawFd;
    let rt = ringline::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        assert_eq!(ringline::io::stdin().as_raw_fd(), 0);
        assert_eq!(ringline::io::stdout().as_raw_fd(), 1);
        assert_eq!(ringline::io::stderr().as_raw_fd(), 2);
    });
}
