//! `ringline::net::unix::pipe`: anonymous pipes and FIFOs as tokio's
//! `Sender`/`Receiver`, on both backends.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

use ringline::net::unix::pipe;
use ringline::time::{sleep, timeout};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::{baseline, settles_to};

const STEP: Duration = Duration::from_secs(5);

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "{}", io::Error::last_os_error());
}

fn is_nonblocking(fd: &OwnedFd) -> bool {
    // SAFETY: F_GETFL on an open fd.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    flags & libc::O_NONBLOCK != 0
}

#[ringline::test]
async fn anonymous_pipe_carries_bytes_and_eof() {
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    let reader = async {
        let mut got = Vec::new();
        rx.read_to_end(&mut got).await.unwrap();
        got
    };
    let writer = async move {
        for chunk in [&b"hello "[..], b"pipe"] {
            tx.write_all(chunk).await.unwrap();
            sleep(Duration::from_millis(5)).await;
        }
        drop(tx); // EOF for the reader
    };
    let (got, ()) = timeout(STEP, async { tokio::join!(reader, writer) }).await.expect("pipe stalled");
    assert_eq!(got, b"hello pipe");
}

#[ringline::test]
async fn a_full_pipe_waits_for_the_reader() {
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
    let expected = data.clone();
    let writer = ringline::spawn(async move {
        tx.write_all(&data).await.unwrap();
    });
    let mut got = vec![0; expected.len()];
    timeout(STEP, rx.read_exact(&mut got)).await.expect("reader stalled").unwrap();
    assert_eq!(got, expected);
    timeout(STEP, writer).await.expect("writer stalled").unwrap();
}

#[ringline::test]
async fn try_read_and_try_write_never_wait() {
    let (tx, rx) = pipe::pipe().unwrap();
    let mut buf = [0; 64];
    assert_eq!(rx.try_read(&mut buf).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    timeout(STEP, tx.writable()).await.expect("never writable").unwrap();
    // Fill the pipe: try_write ends in WouldBlock, never a wait.
    let mut written = 0;
    loop {
        match tx.try_write(&[7; 4096]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
        assert!(written < 16 << 20, "a pipe never filled");
    }
    assert!(written > 0);
    let mut called = false;
    let _ = tx.try_io(|| {
        called = true;
        Ok(())
    });
    assert!(!called, "a full pipe is not writable");
    let mut read = 0;
    while read < written {
        timeout(STEP, rx.readable()).await.expect("never readable").unwrap();
        match rx.try_read(&mut buf) {
            Ok(n) => read += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(read, written);
    let mut vec = Vec::new();
    drop(tx);
    timeout(STEP, rx.readable()).await.expect("EOF never seen").unwrap();
    assert_eq!(rx.try_read_buf(&mut vec).unwrap(), 0, "no writer left: EOF");
}

#[ringline::test]
async fn try_io_runs_only_when_ready_and_clears_on_would_block() {
    let (mut tx, rx) = pipe::pipe().unwrap();
    ringline::task::yield_now().await;
    let mut called = false;
    let _ = rx.try_io(|| {
        called = true;
        Ok(())
    });
    assert!(!called, "an empty pipe is not readable");
    tx.write_all(&[1]).await.unwrap();
    timeout(STEP, rx.readable()).await.expect("never readable").unwrap();
    let err = rx.try_io(|| io::Result::<()>::Err(io::ErrorKind::WouldBlock.into())).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    let mut called = false;
    let _ = rx.try_io(|| {
        called = true;
        Ok(())
    });
    assert!(!called, "a WouldBlock from the closure clears the readiness");
}

#[ringline::test]
async fn fifo_open_options_and_checks() {
    let dir = std::env::temp_dir().join(format!("ringline-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = RemoveDir(dir.clone());
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    // No reader yet: a write-only open fails (ENXIO), read_write opens.
    assert!(pipe::OpenOptions::new().open_sender(&fifo).is_err());
    let mut rx = pipe::OpenOptions::new().open_receiver(&fifo).unwrap();
    let mut tx = pipe::OpenOptions::new().open_sender(&fifo).unwrap();
    tx.write_all(b"fifo").await.unwrap();
    let mut buf = [0; 4];
    timeout(STEP, rx.read_exact(&mut buf)).await.expect("fifo stalled").unwrap();
    assert_eq!(&buf, b"fifo");
    let rw = pipe::OpenOptions::new().read_write(true).open_sender(&fifo).unwrap();
    drop(rw);

    // A regular file is not a pipe; a FIFO opened the wrong way is refused.
    let file_path = dir.join("plain");
    std::fs::write(&file_path, b"x").unwrap();
    let err = pipe::OpenOptions::new().open_receiver(&file_path).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let err = pipe::Receiver::from_file(std::fs::File::open(&file_path).unwrap()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let read_only = std::fs::OpenOptions::new().read(true).custom_flags_nonblock().open(&fifo).unwrap();
    let err = pipe::Sender::from_file(read_only).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    // from_file sets O_NONBLOCK.
    let read_only = std::fs::OpenOptions::new().read(true).custom_flags_nonblock().open(&fifo).unwrap();
    let rx2 = pipe::Receiver::from_file(read_only).unwrap();
    assert!(is_nonblocking(&rx2.into_nonblocking_fd().unwrap()));
}

#[ringline::test]
async fn into_fds_and_from_owned_fd() {
    let (tx, rx) = pipe::pipe().unwrap();
    let tx_fd = tx.into_blocking_fd().unwrap();
    let rx_fd = rx.into_nonblocking_fd().unwrap();
    assert!(!is_nonblocking(&tx_fd));
    assert!(is_nonblocking(&rx_fd));
    let mut tx = pipe::Sender::from_owned_fd(tx_fd).unwrap();
    let mut rx = pipe::Receiver::from_owned_fd(rx_fd).unwrap();
    tx.write_all(b"again").await.unwrap();
    let mut buf = [0; 5];
    timeout(STEP, rx.read_exact(&mut buf)).await.expect("stalled").unwrap();
    assert_eq!(&buf, b"again");
}

#[ringline::test]
async fn dropped_waits_leak_nothing() {
    let start = baseline().await;
    for _ in 0..30 {
        let (_tx, mut rx) = pipe::pipe().unwrap();
        let mut buf = [0; 4];
        assert!(timeout(Duration::from_millis(2), rx.read(&mut buf)).await.is_err());
    }
    settles_to(start).await;
}

#[test]
fn types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin + 'static>() {}
    check::<pipe::Sender>();
    check::<pipe::Receiver>();
    check::<pipe::OpenOptions>();
}

/// `custom_flags(O_NONBLOCK)`, so opening a FIFO never blocks the test.
trait NonblockOpen {
    fn custom_flags_nonblock(&mut self) -> &mut Self;
}

impl NonblockOpen for std::fs::OpenOptions {
    fn custom_flags_nonblock(&mut self) -> &mut Self {
        std::os::unix::fs::OpenOptionsExt::custom_flags(self, libc::O_NONBLOCK)
    }
}

/// Removes the test's scratch directory when dropped.
struct RemoveDir(std::path::PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
