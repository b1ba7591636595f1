//! [`read_dir`]: directory listing on the blocking pool (io_uring has no
//! op for it), a chunk of entries per trip, as tokio does.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::asyncify;
use crate::task::{spawn_blocking, JoinHandle};

/// Entries fetched per trip to the blocking pool (tokio's number).
const CHUNK_SIZE: usize = 32;

/// Lists the entries of the directory `path`, like `tokio::fs::read_dir`.
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir { state: State::Idle(Some(Listing { std, buf: VecDeque::new(), done: false })) })
}

/// The entries of a directory, from [`read_dir`].
#[derive(Debug)]
pub struct ReadDir {
    state: State,
}

#[derive(Debug)]
enum State {
    Idle(Option<Listing>),
    Pending(JoinHandle<Listing>),
}

/// The std iterator and the entries it gave that nobody took yet.
#[derive(Debug)]
struct Listing {
    std: std::fs::ReadDir,
    buf: VecDeque<io::Result<DirEntry>>,
    done: bool,
}

impl Listing {
    /// Blocking: fetches the next chunk.
    fn fill(mut self) -> Listing {
        for _ in 0..CHUNK_SIZE {
            let Some(entry) = self.std.next() else {
                self.done = true;
                break;
            };
            self.buf.push_back(entry.map(DirEntry::new));
        }
        self
    }
}

impl ReadDir {
    /// The next entry; `None` after the last.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry; `Ready(Ok(None))` after the last.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(listing) => {
                    let mut listing = listing.take().expect("a listing is idle or pending");
                    if let Some(entry) = listing.buf.pop_front() {
                        self.state = State::Idle(Some(listing));
                        return Poll::Ready(entry.map(Some));
                    }
                    if listing.done {
                        self.state = State::Idle(Some(listing));
                        return Poll::Ready(Ok(None));
                    }
                    self.state = State::Pending(spawn_blocking(move || listing.fill()));
                }
                State::Pending(handle) => {
                    let listing = ready!(Pin::new(handle).poll(cx)).map_err(io::Error::other)?;
                    self.state = State::Idle(Some(listing));
                }
            }
        }
    }
}

/// One entry of a [`ReadDir`], like `tokio::fs::DirEntry`.
#[derive(Debug)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Read on the pool with the entry (from the directory itself on most
    /// filesystems, so it costs no further system call).
    file_type: Option<FileType>,
}

impl DirEntry {
    fn new(std: std::fs::DirEntry) -> DirEntry {
        let file_type = std.file_type().ok();
        DirEntry { std: Arc::new(std), file_type }
    }

    /// The full path: the directory `read_dir` was given, joined with the name.
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name, without its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number.
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify(move || std.metadata()).await
    }

    /// The entry's file type, not following a symbolic link.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify(move || std.file_type()).await
    }
}
