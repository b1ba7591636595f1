//! `ringline::fs` against tokio's behaviour, on whichever backend
//! `RINGLINE_BACKEND` picks: io_uring ops, or the blocking pool on mio.

use std::io::{ErrorKind, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ringline::fs::{self, AlignedBuf, File, OpenOptions};
use ringline::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader};
use ringline::runtime::{Backend, Handle};

mod support;
use support::settles_to;

/// A directory of its own under cargo's per-target temporary directory (a
/// real filesystem, where tmpfs would refuse O_DIRECT), removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes that differ at every offset, so a misplaced chunk shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[ringline::test]
async fn three_mib_in_odd_chunks_reads_back_identical() {
    let dir = TempDir::new("odd-chunks");
    let path = dir.join("big");
    let data = pattern(3 * 1024 * 1024);
    let mut file = File::create(&path).await.unwrap();
    for chunk in data.chunks(4093) {
        file.write_all(chunk).await.unwrap();
    }
    file.flush().await.unwrap();
    drop(file);
    assert_eq!(fs::read(&path).await.unwrap(), data);
    let mut back = Vec::new();
    let mut file = File::open(&path).await.unwrap();
    let mut chunk = vec![0; 7919];
    loop {
        let n = file.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        back.extend_from_slice(&chunk[..n]);
    }
    assert!(back == data, "the read-back bytes differ");
}

#[ringline::test]
async fn seek_then_read_exact() {
    let dir = TempDir::new("seek");
    let path = dir.join("f");
    fs::write(&path, pattern(10_000)).await.unwrap();
    let mut file = File::open(&path).await.unwrap();
    assert_eq!(file.seek(SeekFrom::Start(5000)).await.unwrap(), 5000);
    let mut buf = [0; 100];
    file.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf[..], &pattern(10_000)[5000..5100]);
    assert_eq!(file.seek(SeekFrom::Current(-50)).await.unwrap(), 5050);
    assert_eq!(file.seek(SeekFrom::End(-10)).await.unwrap(), 9990);
    let mut rest = Vec::new();
    file.read_to_end(&mut rest).await.unwrap();
    assert_eq!(rest, &pattern(10_000)[9990..]);
}

#[ringline::test]
async fn seek_waits_for_the_pending_write_and_reads_see_it() {
    let dir = TempDir::new("seek-write");
    let mut file = OpenOptions::new().read(true).write(true).create(true).open(dir.join("f")).await.unwrap();
    file.write_all(b"hello, world").await.unwrap();
    // No flush: the seek itself must wait for the write in the background.
    assert_eq!(file.seek(SeekFrom::Start(7)).await.unwrap(), 7);
    let mut s = String::new();
    file.read_to_string(&mut s).await.unwrap();
    assert_eq!(s, "world");
}

#[ringline::test]
async fn a_write_after_a_short_read_lands_where_the_reader_stopped() {
    let dir = TempDir::new("read-write");
    let path = dir.join("f");
    fs::write(&path, b"0123456789").await.unwrap();
    let mut file = OpenOptions::new().read(true).write(true).open(&path).await.unwrap();
    let mut two = [0; 2];
    file.read_exact(&mut two).await.unwrap();
    file.write_all(b"ab").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(file.stream_position().await.unwrap(), 4);
    assert_eq!(fs::read(&path).await.unwrap(), b"01ab456789");
}

#[ringline::test]
async fn buf_reader_lines_over_a_file() {
    let dir = TempDir::new("lines");
    let path = dir.join("f");
    let text: String = (0..500).map(|i| format!("line {i}\n")).collect();
    fs::write(&path, &text).await.unwrap();
    let mut lines = BufReader::new(File::open(&path).await.unwrap()).lines();
    let mut n = 0;
    while let Some(line) = lines.next_line().await.unwrap() {
        assert_eq!(line, format!("line {n}"));
        n += 1;
    }
    assert_eq!(n, 500);
}

#[ringline::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_write_read_pairs() {
    let dir = TempDir::new("concurrent");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let path = dir.join(&format!("f{i}"));
        tasks.push(ringline::spawn(async move {
            let data = pattern(1000 + i * 37);
            let mut file = File::create(&path).await.unwrap();
            file.write_all(&data).await.unwrap();
            file.sync_all().await.unwrap();
            let mut back = Vec::new();
            File::open(&path).await.unwrap().read_to_end(&mut back).await.unwrap();
            assert!(back == data, "file {i} differs");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[ringline::test]
async fn append_mode_writes_at_the_end() {
    let dir = TempDir::new("append");
    let path = dir.join("f");
    fs::write(&path, b"first\n").await.unwrap();
    let mut file = OpenOptions::new().append(true).open(&path).await.unwrap();
    file.write_all(b"second\n").await.unwrap();
    file.write_all(b"third\n").await.unwrap();
    file.flush().await.unwrap();
    assert_eq!(fs::read_to_string(&path).await.unwrap(), "first\nsecond\nthird\n");
    assert_eq!(
        OpenOptions::new().append(true).truncate(true).open(&path).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
}

#[ringline::test]
async fn set_len_then_metadata_len() {
    let dir = TempDir::new("set-len");
    let file = File::create(dir.join("f")).await.unwrap();
    file.set_len(123_456).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 123_456);
    file.set_len(10).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 10);
    file.sync_data().await.unwrap();
}

#[ringline::test]
async fn rename_remove_and_not_found() {
    let dir = TempDir::new("rename");
    let (a, b) = (dir.join("a"), dir.join("b"));
    fs::write(&a, b"x").await.unwrap();
    fs::rename(&a, &b).await.unwrap();
    assert!(!fs::try_exists(&a).await.unwrap());
    assert!(fs::try_exists(&b).await.unwrap());
    fs::remove_file(&b).await.unwrap();
    let missing = dir.join("missing");
    assert_eq!(File::open(&missing).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs::remove_file(&missing).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs::rename(&missing, &a).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs::read(&missing).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs::metadata(&missing).await.unwrap_err().kind(), ErrorKind::NotFound);
    File::create_new(dir.join("c")).await.unwrap();
    assert_eq!(File::create_new(dir.join("c")).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    fs::create_dir(dir.join("d")).await.unwrap();
    fs::remove_dir(dir.join("d")).await.unwrap();
    assert_eq!(fs::remove_dir(dir.join("d")).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[ringline::test]
async fn links() {
    let dir = TempDir::new("links");
    let original = dir.join("original");
    fs::write(&original, b"linked").await.unwrap();
    fs::hard_link(&original, dir.join("hard")).await.unwrap();
    fs::symlink(&original, dir.join("soft")).await.unwrap();
    assert_eq!(fs::read(dir.join("hard")).await.unwrap(), b"linked");
    assert_eq!(fs::read_link(dir.join("soft")).await.unwrap(), original);
    assert!(fs::symlink_metadata(dir.join("soft")).await.unwrap().file_type().is_symlink());
    assert_eq!(fs::canonicalize(dir.join("soft")).await.unwrap(), fs::canonicalize(&original).await.unwrap());
    assert_eq!(fs::hard_link(&original, dir.join("hard")).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
}

/// Env var naming the file the unprivileged child must fail to open.
const DENIED_FILE: &str = "RINGLINE_FS_TEST_DENIED_FILE";

#[ringline::test]
async fn permission_denied_on_a_file_without_rights() {
    if let Ok(path) = std::env::var(DENIED_FILE) {
        // The child, run as an unprivileged user by the parent below.
        assert_eq!(File::open(&path).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
        assert_eq!(fs::write(&path, b"x").await.unwrap_err().kind(), ErrorKind::PermissionDenied);
        return;
    }
    let dir = TempDir::new("denied");
    let path = dir.join("secret");
    fs::write(&path, b"secret").await.unwrap();
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000)).await.unwrap();
    // SAFETY: geteuid(2) has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        assert_eq!(File::open(&path).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
        return;
    }
    // Root ignores mode bits: rerun just this test as `nobody`.
    fs::set_permissions(&dir.0, std::os::unix::fs::PermissionsExt::from_mode(0o755)).await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new(exe)
        .args(["--exact", "permission_denied_on_a_file_without_rights", "--nocapture"])
        .env(DENIED_FILE, &path)
        .uid(65534)
        .gid(65534)
        .output();
    match status {
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "the unprivileged child failed: {stdout}");
            assert!(stdout.contains("1 passed"), "the child ran no test: {stdout}");
        }
        Err(e) => eprintln!("SKIPPED permission_denied_on_a_file_without_rights: cannot run as nobody ({e})"),
    }
}

#[ringline::test]
async fn read_dir_lists_every_entry() {
    let dir = TempDir::new("read-dir");
    let mut expected = Vec::new();
    for i in 0..70 {
        let name = format!("file{i}");
        fs::write(dir.join(&name), b"").await.unwrap();
        expected.push(name);
    }
    fs::create_dir(dir.join("sub")).await.unwrap();
    expected.push("sub".into());
    let mut entries = fs::read_dir(&dir.0).await.unwrap();
    let mut seen = Vec::new();
    while let Some(entry) = entries.next_entry().await.unwrap() {
        let name = entry.file_name().into_string().unwrap();
        assert_eq!(entry.path(), dir.join(&name));
        assert_eq!(entry.file_type().await.unwrap().is_dir(), name == "sub");
        assert_eq!(entry.metadata().await.unwrap().is_dir(), name == "sub");
        assert_eq!(entry.ino(), std::os::unix::fs::MetadataExt::ino(&std::fs::symlink_metadata(entry.path()).unwrap()));
        seen.push(name);
    }
    assert!(entries.next_entry().await.unwrap().is_none());
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(fs::read_dir(dir.join("missing")).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[ringline::test]
async fn create_dir_all_on_an_existing_tree() {
    let dir = TempDir::new("dir-all");
    let deep = dir.join("a/b/c/d");
    fs::create_dir_all(&deep).await.unwrap();
    assert!(fs::metadata(&deep).await.unwrap().is_dir());
    fs::create_dir_all(&deep).await.unwrap();
    fs::create_dir_all(dir.join("a/b")).await.unwrap();
    assert_eq!(fs::create_dir(&deep).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
    fs::write(dir.join("a/file"), b"").await.unwrap();
    assert!(fs::create_dir_all(dir.join("a/file/x")).await.is_err());
    fs::remove_dir_all(dir.join("a")).await.unwrap();
    assert!(!fs::try_exists(dir.join("a")).await.unwrap());
}

#[ringline::test]
async fn copy_of_a_five_mib_file() {
    let dir = TempDir::new("copy");
    let data = pattern(5 * 1024 * 1024);
    fs::write(dir.join("from"), &data).await.unwrap();
    assert_eq!(fs::copy(dir.join("from"), dir.join("to")).await.unwrap(), data.len() as u64);
    assert!(fs::read(dir.join("to")).await.unwrap() == data);
}

#[ringline::test]
async fn into_std_keeps_the_position() {
    let dir = TempDir::new("into-std");
    let path = dir.join("f");
    fs::write(&path, pattern(100)).await.unwrap();
    let mut file = File::open(&path).await.unwrap();
    let mut ten = [0; 10];
    file.read_exact(&mut ten).await.unwrap();
    let mut std = file.into_std().await;
    assert_eq!(std::io::Seek::stream_position(&mut std).unwrap(), 10);
    let file = File::from_std(std);
    let std = file.try_into_std().unwrap();
    File::from_std(std).close().await.unwrap();
}

#[ringline::test]
async fn positional_reads_and_writes_leave_the_position_alone() {
    let dir = TempDir::new("positional");
    let file = OpenOptions::new().read(true).write(true).create(true).open(dir.join("f")).await.unwrap();
    let (res, _) = file.write_at(b"abcdefgh".to_vec(), 100).await;
    assert_eq!(res.unwrap(), 8);
    let (res, buf) = file.read_at(Vec::with_capacity(4), 102).await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(buf, b"cdef");
    let (res, buf) = file.read_at(Vec::with_capacity(64), 104).await;
    assert_eq!((res.unwrap(), &buf[..]), (4, &b"efgh"[..]));
    let (res, _) = file.read_at(Vec::with_capacity(64), 1000).await;
    assert_eq!(res.unwrap(), 0);
    let mut file = file;
    assert_eq!(file.stream_position().await.unwrap(), 0);
    file.allocate(0, 8192).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 8192);
}

#[ringline::test]
async fn o_direct_aligned_blocks() {
    let dir = TempDir::new("direct");
    let path = dir.join("f");
    let file = match OpenOptions::new().read(true).write(true).create(true).direct(true).open(&path).await {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::InvalidInput => {
            eprintln!("SKIPPED o_direct_aligned_blocks: the filesystem under {} refuses O_DIRECT", dir.0.display());
            return;
        }
        Err(e) => panic!("open with O_DIRECT: {e}"),
    };
    let data = pattern(4 * 4096);
    for (i, block) in data.chunks(4096).enumerate() {
        let mut buf = AlignedBuf::with_capacity(4096);
        buf.extend_from_slice(block);
        let (res, _) = file.write_at(buf, (i * 4096) as u64).await;
        assert_eq!(res.unwrap(), 4096);
    }
    for (i, block) in data.chunks(4096).enumerate().rev() {
        let (res, buf) = file.read_at(AlignedBuf::with_capacity(4096), (i * 4096) as u64).await;
        assert_eq!(res.unwrap(), 4096);
        assert!(&buf[..] == block, "block {i} differs");
    }
    // Unaligned offsets are the kernel's to refuse, with EINVAL.
    let (res, _) = file.read_at(AlignedBuf::with_capacity(4096), 1).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
}

/// Polls `fut` once (so its op is queued or in flight), then drops it.
async fn poll_once_then_drop<F: std::future::Future + Unpin>(mut fut: F) {
    let mut fut = std::pin::Pin::new(&mut fut);
    std::future::poll_fn(|cx| {
        let _ = fut.as_mut().poll(cx);
        std::task::Poll::Ready(())
    })
    .await;
}

#[ringline::test]
async fn a_thousand_dropped_file_reads_free_nothing_in_flight() {
    let dir = TempDir::new("dropped");
    let path = dir.join("f");
    let data = pattern(1024 * 1024);
    fs::write(&path, &data).await.unwrap();
    ringline::time::sleep(Duration::from_millis(10)).await;
    let baseline = Handle::current().driver_counters();
    let file = File::open(&path).await.unwrap();
    for i in 0..1000u64 {
        poll_once_then_drop(Box::pin(file.read_at(Vec::with_capacity(64 * 1024), (i * 4099) % (1024 * 1024)))).await;
        if i % 100 == 0 {
            ringline::task::yield_now().await; // let some reach the kernel before they are dropped
        }
    }
    // Reads dropped mid-flight through the AsyncRead state machine too.
    let mut reader = File::open(&path).await.unwrap();
    for _ in 0..10 {
        let mut buf = vec![0; 4096];
        poll_once_then_drop(Box::pin(reader.read(&mut buf))).await;
    }
    drop(reader);
    let (res, buf) = file.read_at(Vec::with_capacity(4096), 4096).await;
    assert_eq!(res.unwrap(), 4096);
    assert_eq!(buf, &data[4096..8192]);
    drop(file);
    settles_to(baseline).await;
}

#[ringline::test]
async fn a_thousand_reads_dropped_while_the_kernel_waits_on_a_fifo() {
    if Handle::current().backend() != Backend::Uring {
        // On the pool, a read of an empty FIFO would hold a thread until data came.
        eprintln!("SKIPPED on mio: FIFO reads block pool threads; the regular-file test covers this backend");
        return;
    }
    let dir = TempDir::new("fifo");
    let path = dir.join("fifo");
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    ringline::time::sleep(Duration::from_millis(10)).await;
    let baseline = Handle::current().driver_counters();
    // Read-write, so opening does not wait for a writer and reads wait for data.
    let fifo = OpenOptions::new().read(true).write(true).open(&path).await.unwrap();
    let mut pending = Vec::new();
    for _ in 0..1000 {
        let mut read = Box::pin(fifo.read_at(Vec::with_capacity(4096), 0));
        poll_once_then_drop(read.as_mut()).await;
        pending.push(read);
    }
    // Let the driver submit them: the kernel now holds 1,000 buffers.
    ringline::time::sleep(Duration::from_millis(50)).await;
    let held = Handle::current().driver_counters().ops_in_flight;
    assert!(held >= baseline.ops_in_flight + 1000, "the reads were not in flight ({held})");
    drop(pending);
    settles_to(baseline).await;
    // Nothing read the FIFO: its first bytes go to the next reader, whole.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map(|mut w| std::io::Write::write_all(&mut w, b"after"))
        .unwrap()
        .unwrap();
    let (res, buf) = fifo.read_at(Vec::with_capacity(64), 0).await;
    assert_eq!((res.unwrap(), &buf[..]), (5, &b"after"[..]));
    drop(fifo);
    settles_to(baseline).await;
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[ringline::test]
async fn dropped_opens_close_the_files_they_opened() {
    let dir = TempDir::new("dropped-open");
    let path = dir.join("f");
    fs::write(&path, b"x").await.unwrap();
    let before = open_fds();
    let mut pending = Vec::new();
    for _ in 0..200 {
        let mut open = Box::pin(File::open(path.clone()));
        poll_once_then_drop(open.as_mut()).await;
        pending.push(open);
    }
    // Let some opens complete with nobody left to take the fd.
    ringline::time::sleep(Duration::from_millis(20)).await;
    drop(pending);
    for _ in 0..400 {
        if open_fds() == before {
            break;
        }
        ringline::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(open_fds(), before, "an abandoned open leaked its fd");
}

#[ringline::test]
async fn write_vectored_takes_every_slice_and_try_clone_keeps_max_buf_size() {
    let dir = TempDir::new("vectored");
    let path = dir.join("f");
    let mut file = File::create(&path).await.unwrap();
    let slices = [std::io::IoSlice::new(b"hello, "), std::io::IoSlice::new(b"world")];
    assert!(ringline::io::AsyncWrite::is_write_vectored(&file));
    assert_eq!(file.write_vectored(&slices).await.unwrap(), 12);
    file.set_max_buf_size(3);
    assert_eq!(file.write_vectored(&slices).await.unwrap(), 3);
    file.flush().await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"hello, worldhel");
    assert_eq!(file.try_clone().await.unwrap().max_buf_size(), 3);
}

#[test]
fn types_are_send_and_sync_and_futures_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<File>();
    send_sync::<OpenOptions>();
    send_sync::<fs::DirBuilder>();
    send_sync::<fs::ReadDir>();
    send_sync::<fs::DirEntry>();
    send_sync::<AlignedBuf>();
    let path = Path::new("unused");
    send(&fs::read(path));
    send(&fs::write(path, b""));
    send(&fs::read_dir(path));
    send(&fs::create_dir_all(path));
    send(&fs::try_exists(path));
    send(&File::open(path));
}

#[ringline::test]
async fn a_background_write_error_surfaces_on_the_next_flush() {
    let dir = TempDir::new("write-error");
    let path = dir.join("f");
    fs::write(&path, b"data").await.unwrap();
    let mut file = File::open(&path).await.unwrap(); // read-only
    assert_eq!(file.write(b"x").await.unwrap(), 1, "the write is taken at once");
    // A seek waits for the failed write but keeps its error for the flush.
    assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
    assert!(file.flush().await.is_err(), "the background write's error was lost");
    file.flush().await.unwrap();
    assert_eq!(fs::read(&path).await.unwrap(), b"data");
}

#[ringline::test]
async fn a_write_in_flight_when_the_file_is_dropped_still_lands() {
    let dir = TempDir::new("drop-write");
    for i in 0..50 {
        let path = dir.join(&format!("f{i}"));
        let mut file = File::create(&path).await.unwrap();
        file.write_all(b"written before the drop").await.unwrap();
        drop(file); // no flush: the write is still in flight, as in tokio it completes anyway
        let mut landed = false;
        for _ in 0..400 {
            if std::fs::read(&path).unwrap() == b"written before the drop" {
                landed = true;
                break;
            }
            ringline::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(landed, "file {i}: the write in flight was lost with the File");
    }
}
