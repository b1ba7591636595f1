//! [`DirBuilder`]: `mkdirat` ops, one per missing ancestor when recursive.

use std::io;
use std::path::Path;

use crate::driver::op::{mkdir::mkdir, statx::statx};

/// Creates directories, like `tokio::fs::DirBuilder`.
#[derive(Clone, Debug)]
pub struct DirBuilder {
    recursive: bool,
    mode: u32,
}

impl Default for DirBuilder {
    fn default() -> Self {
        DirBuilder::new()
    }
}

impl DirBuilder {
    /// Not recursive, mode 0o777 (before the umask).
    pub fn new() -> DirBuilder {
        DirBuilder { recursive: false, mode: 0o777 }
    }

    /// Also create missing ancestors, and succeed when the directory exists.
    pub fn recursive(&mut self, recursive: bool) -> &mut Self {
        self.recursive = recursive;
        self
    }

    /// Permission bits of created directories (before the umask).
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Creates `path` (and, if recursive, its missing ancestors).
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        if self.recursive {
            create_all(path, self.mode).await
        } else {
            mkdir(path, self.mode).await
        }
    }
}

/// std's `create_dir_all`: try the directory; when its parent is missing,
/// make the parent first; an existing directory is success.
async fn create_all(path: &Path, mode: u32) -> io::Result<()> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    match mkdir(path, mode).await {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(_) if is_dir(path).await => return Ok(()),
        Err(e) => return Err(e),
    }
    match path.parent() {
        Some(parent) => Box::pin(create_all(parent, mode)).await?,
        None => return Err(io::Error::other("failed to create whole tree")),
    }
    match mkdir(path, mode).await {
        Ok(()) => Ok(()),
        Err(_) if is_dir(path).await => Ok(()),
        Err(e) => Err(e),
    }
}

async fn is_dir(path: &Path) -> bool {
    statx(path, true).await.is_ok_and(|st| st.mode & libc::S_IFMT == libc::S_IFDIR)
}
