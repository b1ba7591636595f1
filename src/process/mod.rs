//! Child processes, tokio's `process` module: [`Command`] builds and spawns,
//! [`Child`] waits, kills and holds the async pipes.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let output = ringline::process::Command::new("echo").arg("hello").output().await?;
//! assert_eq!(output.stdout, b"hello\n");
//! # Ok(())
//! # }
//! ```
//!
//! Exits are learned through a pidfd on both backends, with a `SIGCHLD`
//! fallback where the kernel refuses pidfds; children dropped while running
//! are reaped in the background (see the `exit` module's notes, and
//! MIGRATION.md).

mod child;
mod exit;
mod pipe;
#[cfg(test)]
mod tests;

use std::ffi::OsStr;
use std::fmt;
use std::future::Future;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child as StdChild, Command as StdCommand, ExitStatus, Output, Stdio};

pub use child::Child;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};

/// A process builder, as tokio's `Command`: std's `Command` plus
/// [`kill_on_drop`](Self::kill_on_drop), spawning a [`Child`] whose exit
/// and pipes are awaited on the runtime.
pub struct Command {
    /// The builder every setting goes to.
    std: StdCommand,
    /// Whether children spawned from here are killed when dropped running.
    kill_on_drop: bool,
}

impl Command {
    /// A builder for running `program` (a path, or a name searched in `PATH`).
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(StdCommand::new(program))
    }

    /// std's builder, to read.
    pub fn as_std(&self) -> &StdCommand {
        &self.std
    }

    /// std's builder, to change settings this type has no method for.
    pub fn as_std_mut(&mut self) -> &mut StdCommand {
        &mut self.std
    }

    /// std's builder (`kill_on_drop` is lost).
    pub fn into_std(self) -> StdCommand {
        self.std
    }

    /// Adds an argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable.
    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, key: K, val: V) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the environment the child inherits.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's stdin (inherited by default for `spawn`/`status`).
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's stdout (inherited by default for `spawn`/`status`).
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's stderr (inherited by default for `spawn`/`status`).
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Kill the child with `SIGKILL` if its [`Child`] (or the future of
    /// [`status`](Self::status) or [`output`](Self::output)) is dropped
    /// while it runs. The killed process is then reaped in the background.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Self::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Sets the child's user id (`setuid` in the child).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Sets the child's group id (`setgid` in the child).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Sets `argv[0]` to something other than the program's path.
    pub fn arg0<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by it).
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Runs `f` in the child after `fork`, before `exec`; an error fails the
    /// spawn.
    ///
    /// # Safety
    /// As std's `CommandExt::pre_exec`: `f` runs in the forked child, where
    /// only async-signal-safe work is sound (no allocation or locks that
    /// another thread of the parent may have held), and must not break
    /// invariants of the fds and memory it duplicated.
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds pre_exec's contract, stated above.
        unsafe { self.std.pre_exec(f) };
        self
    }

    /// Spawns the program as a child process.
    ///
    /// # Errors
    /// `NotFound` for a missing program, `PermissionDenied` for one that may
    /// not be run, and what `fork`/`exec` report (as std's `spawn`).
    ///
    /// # Panics
    /// Outside a ringline runtime, as tokio's does outside its runtime.
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_with(StdCommand::spawn)
    }

    /// Spawns the child with `with` (std's `spawn`, or a custom one that
    /// spawns from the same builder) and wraps it. tokio has this only with
    /// `tokio_unstable`.
    ///
    /// # Errors
    /// What `with` returns; as [`spawn`](Self::spawn) otherwise.
    ///
    /// # Panics
    /// Outside a ringline runtime.
    #[track_caller]
    pub fn spawn_with(&mut self, with: impl FnOnce(&mut StdCommand) -> io::Result<StdChild>) -> io::Result<Child> {
        // Panic (as tokio does) before a process exists that nobody would reap.
        let _runtime = crate::runtime::Handle::current();
        exit::reap_orphans();
        let child = with(&mut self.std)?;
        Child::new(child, self.kill_on_drop)
    }

    /// Spawns the child and waits for it to exit. Pipes configured for it
    /// are closed at once (so the child cannot block on them).
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn) and [`Child::wait`].
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> {
        let child = self.spawn();
        async move {
            let mut child = child?;
            drop((child.stdin.take(), child.stdout.take(), child.stderr.take()));
            child.wait().await
        }
    }

    /// Spawns the child with stdout and stderr piped (always, as tokio
    /// does) and collects them and its exit status.
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn) and [`Child::wait_with_output`].
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async move { child?.wait_with_output().await }
    }
}

impl From<StdCommand> for Command {
    fn from(std: StdCommand) -> Command {
        Command { std, kill_on_drop: false }
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.std, f)
    }
}
