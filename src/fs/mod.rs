//! Files and directories, like `tokio::fs`, with the same names, signatures
//! and errors.
//!
//! On an io_uring runtime, opening, reading, writing, syncing, truncating,
//! `statx`, and creating, renaming, linking and removing paths are io_uring
//! ops on the worker's own ring: no thread hop, unlike tokio, which runs every
//! file call on its blocking pool. The ring has no op for listing a
//! directory, `canonicalize`, `copy`, permissions or std's `Metadata`, so
//! those (and every call on the mio backend, or on a kernel without the
//! opcode) run on the blocking pool, as in tokio.
//!
//! ringline's own additions, which tokio lacks: positional
//! [`File::read_at`]/[`File::write_at`] with owned buffers,
//! [`File::allocate`], [`File::close`], and `O_DIRECT` files
//! ([`OpenOptions::direct`]) with [`AlignedBuf`].

use std::fs::{Metadata, Permissions};
use std::io;
use std::path::{Path, PathBuf};

use crate::driver::op::{self, read::CURRENT_POS};

mod dir_builder;
mod file;
mod file_io;
mod open_options;
mod read_dir;

pub use crate::io::{AlignedBuf, IoBuf, IoBufMut};
pub use dir_builder::DirBuilder;
pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use std::fs::FileTimes;

/// Runs `f` on the blocking pool; a panic in it becomes an error.
async fn asyncify<R: Send + 'static>(f: impl FnOnce() -> io::Result<R> + Send + 'static) -> io::Result<R> {
    match crate::task::spawn_blocking(f).await {
        Ok(res) => res,
        Err(_) => Err(io::Error::other("background task failed")),
    }
}

/// Reads the whole file at `path`.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let fd: op::SharedFd = std::sync::Arc::new(op::open::open(path.as_ref(), libc::O_RDONLY, 0).await?);
    // Small files (the common case) take one read, and one more that finds
    // the end; only a file that fills the first read is asked its size.
    let (mut out, n) = read_chunk(&fd, FIRST_READ).await?;
    if n < FIRST_READ {
        let (rest, _) = read_chunk(&fd, FIRST_READ).await?;
        out.extend_from_slice(&rest);
        if rest.is_empty() {
            out.shrink_to_fit();
            return Ok(out);
        }
    }
    let size = op::statx::fstatx(fd.clone()).await.map_or(0, |st| st.size as usize);
    loop {
        let want = size.saturating_sub(out.len()).clamp(FIRST_READ, 64 * 1024 * 1024);
        let (chunk, n) = read_chunk(&fd, want).await?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&chunk);
    }
}

/// Bytes `read` asks for first.
const FIRST_READ: usize = 32 * 1024;

/// Up to `want` bytes at the file's position.
async fn read_chunk(fd: &op::SharedFd, want: usize) -> io::Result<(Vec<u8>, usize)> {
    let (res, chunk) = op::read::read_at(fd.clone(), Vec::with_capacity(want), CURRENT_POS, want).await;
    res.map(|n| (chunk, n))
}

/// Reads the whole file at `path` as UTF-8; `InvalidData` if it is not.
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let bytes = read(path).await?;
    String::from_utf8(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
}

/// Writes `contents` as the whole file at `path`, creating or truncating it.
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    let fd: op::SharedFd = std::sync::Arc::new(op::open::open(path.as_ref(), flags, 0o666).await?);
    let mut rest = contents.as_ref().to_vec();
    let mut offset = 0;
    while !rest.is_empty() {
        let (res, mut buf) = op::write::write_at(fd.clone(), rest, offset).await;
        let n = res?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf.drain(..n);
        offset += n as u64;
        rest = buf;
    }
    Ok(())
}

/// Copies the contents and permissions of `from` to `to`; returns the byte
/// count. On the blocking pool (std's copy uses `copy_file_range`, which
/// io_uring lacks).
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify(move || std::fs::copy(from, to)).await
}

/// The metadata of `path`, following symbolic links.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::metadata(path)).await
}

/// The metadata of `path` itself, even if it is a symbolic link.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::symlink_metadata(path)).await
}

/// Creates the directory `path`; its parent must exist.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    DirBuilder::new().create(path).await
}

/// Creates `path` and every missing ancestor; an existing directory is fine.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    DirBuilder::new().recursive(true).create(path).await
}

/// Removes the file (or symbolic link) at `path`.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    op::unlink::unlink(path.as_ref(), false).await
}

/// Removes the empty directory `path`.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    op::unlink::unlink(path.as_ref(), true).await
}

/// Removes the directory `path` and everything in it.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::remove_dir_all(path)).await
}

/// Renames `from` to `to`, replacing `to` if it exists.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    op::rename::rename(from.as_ref(), to.as_ref()).await
}

/// Makes `link` a hard link to `original`.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    op::link::hard_link(original.as_ref(), link.as_ref()).await
}

/// Makes `link` a symbolic link to `original`.
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    op::symlink::symlink(original.as_ref(), link.as_ref()).await
}

/// The target of the symbolic link `path`.
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::read_link(path)).await
}

/// The absolute path of `path` with every symbolic link resolved.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::canonicalize(path)).await
}

/// Changes the permissions of `path`.
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify(move || std::fs::set_permissions(path, perm)).await
}

/// Whether `path` exists (following symbolic links): `Ok(false)` when it
/// does not, an error when that cannot be known (e.g. `PermissionDenied`).
pub async fn try_exists(path: impl AsRef<Path>) -> io::Result<bool> {
    match op::statx::statx(path.as_ref(), true).await {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
