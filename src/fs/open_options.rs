//! [`OpenOptions`]: tokio's (std's) builder, opening with an io_uring
//! `openat` where the runtime has one.

use std::io;
use std::path::Path;

use super::File;

/// Options for opening a file, like `tokio::fs::OpenOptions`.
///
/// Besides tokio's methods (and its Unix `mode`/`custom_flags`) it has
/// ringline's own [`direct`](Self::direct) for `O_DIRECT` files.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    access: Access,
    creation: Creation,
    /// Permission bits of a created file (before the umask).
    mode: u32,
    /// Extra `open(2)` flags, access-mode bits masked off.
    custom_flags: i32,
}

/// What the file is opened for.
#[derive(Clone, Copy, Debug, Default)]
struct Access {
    read: bool,
    write: bool,
    append: bool,
}

/// Whether opening may create or truncate it.
#[derive(Clone, Copy, Debug, Default)]
struct Creation {
    truncate: bool,
    create: bool,
    create_new: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// No access, no creation: set at least one of read, write, append.
    pub fn new() -> OpenOptions {
        OpenOptions { access: Access::default(), creation: Creation::default(), mode: 0o666, custom_flags: 0 }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut Self {
        self.access.read = read;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut Self {
        self.access.write = write;
        self
    }

    /// Open for appending: every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut Self {
        self.access.append = append;
        self
    }

    /// Truncate an existing file to length 0 (needs write access).
    pub fn truncate(&mut self, truncate: bool) -> &mut Self {
        self.creation.truncate = truncate;
        self
    }

    /// Create the file if it does not exist (needs write or append access).
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.creation.create = create;
        self
    }

    /// Create the file, failing with `AlreadyExists` if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.creation.create_new = create_new;
        self
    }

    /// Permission bits of a created file (before the umask); 0o666 by default.
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Extra `open(2)` flags (`libc::O_*`); the access-mode bits are ignored.
    pub fn custom_flags(&mut self, flags: i32) -> &mut Self {
        self.custom_flags = flags & !libc::O_ACCMODE;
        self
    }

    /// ringline's own: open with `O_DIRECT`, so reads and writes bypass the
    /// page cache. Their buffers, offsets and lengths must then be aligned
    /// to the device's logical block size: use
    /// [`AlignedBuf`](super::AlignedBuf) with [`File::read_at`] and
    /// [`File::write_at`]. Filesystems without it (tmpfs) refuse the open
    /// with `InvalidInput`.
    pub fn direct(&mut self, direct: bool) -> &mut Self {
        if direct {
            self.custom_flags |= libc::O_DIRECT;
        } else {
            self.custom_flags &= !libc::O_DIRECT;
        }
        self
    }

    /// Opens `path` with these options.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let flags = self.access_flags()? | self.creation_flags()? | self.custom_flags;
        let fd = crate::driver::op::open::open(path.as_ref(), flags, self.mode).await?;
        Ok(File::from_std(std::fs::File::from(fd)))
    }

    /// std's rules, with std's errors.
    fn access_flags(&self) -> io::Result<i32> {
        let Access { read, write, append } = self.access;
        Ok(match (read, write, append) {
            (true, false, false) => libc::O_RDONLY,
            (false, true, false) => libc::O_WRONLY,
            (true, true, false) => libc::O_RDWR,
            (false, _, true) => libc::O_WRONLY | libc::O_APPEND,
            (true, _, true) => libc::O_RDWR | libc::O_APPEND,
            (false, false, false) => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
        })
    }

    fn creation_flags(&self) -> io::Result<i32> {
        let Creation { truncate, create, create_new } = self.creation;
        let Access { write, append, .. } = self.access;
        if !write && !append && (truncate || create || create_new) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        if append && truncate && !create_new {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        Ok(match (create, truncate, create_new) {
            (false, false, false) => 0,
            (true, false, false) => libc::O_CREAT,
            (false, true, false) => libc::O_TRUNC,
            (true, true, false) => libc::O_CREAT | libc::O_TRUNC,
            (_, _, true) => libc::O_CREAT | libc::O_EXCL,
        })
    }
}
