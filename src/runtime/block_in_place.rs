//! `block_in_place`: run blocking code on a worker thread without stalling
//! the worker's other `Send` tasks.
//!
//! tokio hands the blocked worker's whole state to a new thread. A ringline
//! worker cannot move: its io_uring is single-issuer (only the thread that
//! created it may submit or reap), and its `!Send` tasks must stay on its
//! thread. So while the closure runs, the worker is marked blocked and its
//! `Send` tasks run elsewhere: those already queued and every one woken
//! meanwhile go to the least loaded other worker, or to the blocking pool
//! when every worker is blocked. New spawns, and I/O and timers registered
//! off the workers, avoid it too. What waits for the closure: the worker's
//! `!Send` tasks, and completions of I/O and timers already on its ring and
//! wheel (a task that moved on still waits for its own socket's pending
//! operation there).

use std::cell::Cell;
use std::sync::Arc;

use super::context;
use super::worker::WorkerShared;
use super::RuntimeFlavor;

/// Runs `f` on this thread, blocking it, like `tokio::task::block_in_place`.
///
/// On a multi-thread worker the worker's other `Send` tasks keep running on
/// other threads meanwhile (see the module docs for what waits). Outside a
/// runtime, or off the workers of a multi-thread runtime, `f` just runs.
///
/// # Panics
/// On the current-thread runtime and inside a running `LocalSet`, with
/// tokio's message.
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if local_set_running() {
        panic!("can call blocking only when running on the multi-threaded runtime");
    }
    let _outside_block_on = super::park::mark_block_on(false);
    let worker = context::with_current_worker(|shared, _| shared.clone());
    let Some(worker) = worker else {
        // Off the workers (a multi-thread runtime's `block_on`): only the
        // tokio runtime the bridge entered needs leaving, as tokio does.
        return super::bridge::run_exited(f);
    };
    if context::handle().runtime_flavor() == RuntimeFlavor::CurrentThread {
        panic!("can call blocking only when running on the multi-threaded runtime");
    }
    let _unblock = Blocked::enter(&worker);
    let _left = context::leave_worker();
    let _unconstrained = super::coop::unconstrained_guard();
    super::bridge::run_exited(f)
}

/// Marks a worker blocked and moves its queued `Send` tasks on; unmarks it
/// when dropped (also on unwind).
struct Blocked {
    worker: Arc<WorkerShared>,
}

impl Blocked {
    fn enter(worker: &Arc<WorkerShared>) -> Blocked {
        worker.set_blocked(true);
        // Tasks that yielded wait for this worker's next I/O poll, which the
        // closure holds up: wake them now (tokio's too), so they run elsewhere.
        context::take_deferred().into_iter().for_each(std::task::Waker::wake);
        let queued = context::with_current_worker(|_, queue| std::mem::take(&mut *queue.borrow_mut()));
        let mut queued = queued.unwrap_or_default();
        queued.extend(worker.take_remote_tasks());
        let mut stay = std::collections::VecDeque::new();
        for task in queued {
            match task.sendable {
                true => {
                    if let Err(task) = worker.spill(task) {
                        stay.push_back(task);
                    }
                }
                false => stay.push_back(task),
            }
        }
        context::with_current_worker(|_, queue| queue.borrow_mut().extend(stay));
        Blocked { worker: worker.clone() }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        self.worker.set_blocked(false);
    }
}

thread_local! {
    /// How many `LocalSet`s are running their tasks on this thread (nested).
    static LOCAL_SETS_RUNNING: Cell<usize> = const { Cell::new(0) };
}

fn local_set_running() -> bool {
    LOCAL_SETS_RUNNING.try_with(Cell::get).unwrap_or(0) > 0
}

/// Held while a `LocalSet` runs its tasks on this thread: `block_in_place`
/// then refuses to block it, as tokio's does.
pub(crate) struct LocalSetRunning(());

impl LocalSetRunning {
    pub(crate) fn enter() -> LocalSetRunning {
        let _ = LOCAL_SETS_RUNNING.try_with(|r| r.set(r.get() + 1));
        LocalSetRunning(())
    }
}

impl Drop for LocalSetRunning {
    fn drop(&mut self) {
        let _ = LOCAL_SETS_RUNNING.try_with(|r| r.set(r.get() - 1));
    }
}
