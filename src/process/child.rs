//! [`Child`]: a spawned process, tokio's shape.

use std::fmt;
use std::io;
use std::process::{Child as StdChild, ExitStatus, Output};

use tokio::io::{AsyncRead, AsyncReadExt};

use super::exit::{ExitWatch, Running};
use super::pipe::{ChildStderr, ChildStdin, ChildStdout};

/// A child process spawned by [`Command`](super::Command), as tokio's
/// `Child`.
///
/// As with std and tokio, dropping it does not stop the process (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set); a process that
/// exits after its `Child` was dropped is reaped in the background.
pub struct Child {
    /// Whether it runs, or how it ended.
    state: State,
    /// Kill the process if it still runs when this `Child` is dropped.
    kill_on_drop: bool,
    /// The child's stdin, if it was piped.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was piped.
    pub stderr: Option<ChildStderr>,
}

/// The async ends of a child's piped stdio.
struct Pipes {
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
}

impl Pipes {
    /// Takes std's pipe ends out of `child` and makes them async.
    fn take(child: &mut StdChild) -> io::Result<Pipes> {
        Ok(Pipes {
            stdin: child.stdin.take().map(ChildStdin::from_std).transpose()?,
            stdout: child.stdout.take().map(ChildStdout::from_std).transpose()?,
            stderr: child.stderr.take().map(ChildStderr::from_std).transpose()?,
        })
    }
}

/// Running (not reaped yet), or reaped with its status.
enum State {
    Running(Box<Running>),
    Done(ExitStatus),
}

impl Child {
    /// Wraps a child just spawned: watches its exit and makes its pipes
    /// async. If that fails (out of fds, say), the child is killed and
    /// reaped before the error is returned, so nothing is left behind.
    pub(super) fn new(mut child: StdChild, kill_on_drop: bool) -> io::Result<Child> {
        match Pipes::take(&mut child).and_then(|pipes| Ok((ExitWatch::new(child.id())?, pipes))) {
            Ok((watch, Pipes { stdin, stdout, stderr })) => {
                let state = State::Running(Box::new(Running::new(child, watch)));
                Ok(Child { state, kill_on_drop, stdin, stdout, stderr })
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait(); // SIGKILLed: returns at once
                Err(e)
            }
        }
    }

    /// The OS process id, or `None` once the child has been reaped (by
    /// `wait` or `try_wait`), when the id may belong to another process.
    pub fn id(&self) -> Option<u32> {
        match &self.state {
            State::Running(running) => Some(running.child.id()),
            State::Done(_) => None,
        }
    }

    /// Sends `SIGKILL` without waiting for the process to exit; once the
    /// child has been reaped there is nothing to kill and this is `Ok`, as
    /// with tokio 1.54.
    ///
    /// # Errors
    /// What `kill(2)` returns.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Running(running) => running.child.kill(),
            // Reaped: nothing to kill, and the pid may be another process's.
            State::Done(_) => Ok(()),
        }
    }

    /// Sends `SIGKILL` and waits for the process to exit.
    ///
    /// # Errors
    /// As [`start_kill`](Self::start_kill) and [`wait`](Self::wait).
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Waits for the process to exit and reaps it. Closes the child's stdin
    /// first (dropping [`stdin`](Self::stdin)), so a child reading it does
    /// not wait forever. Cancel-safe.
    ///
    /// # Errors
    /// What `waitpid(2)` returns, or the runtime has shut down.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        match &mut self.state {
            State::Running(running) => {
                let status = running.wait().await?;
                self.state = State::Done(status);
                Ok(status)
            }
            State::Done(status) => Ok(*status),
        }
    }

    /// Reaps the process if it has exited; `None` if it still runs.
    ///
    /// # Errors
    /// What `waitpid(2)` returns.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match &mut self.state {
            State::Running(running) => {
                let status = running.try_wait()?;
                if let Some(status) = status {
                    self.state = State::Done(status);
                }
                Ok(status)
            }
            State::Done(status) => Ok(Some(*status)),
        }
    }

    /// Waits for the process to exit while collecting all of its stdout and
    /// stderr (whichever are piped), concurrently, so a child filling one
    /// pipe cannot block.
    ///
    /// # Errors
    /// A read or the wait failed.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        let stdout = read_all(self.stdout.take());
        let stderr = read_all(self.stderr.take());
        let (status, stdout, stderr) = tokio::try_join!(self.wait(), stdout, stderr)?;
        Ok(Output { status, stdout, stderr })
    }
}

/// Everything `pipe` yields until EOF (nothing without a pipe).
async fn read_all<R: AsyncRead + Unpin>(pipe: Option<R>) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    if let Some(mut pipe) = pipe {
        pipe.read_to_end(&mut out).await?;
    }
    Ok(out)
}

impl Drop for Child {
    fn drop(&mut self) {
        let State::Running(running) = std::mem::replace(&mut self.state, State::Done(ExitStatus::default())) else {
            return;
        };
        let mut running = running;
        if self.kill_on_drop {
            let _ = running.child.kill();
        }
        running.orphan();
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}
