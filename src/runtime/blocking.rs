//! The blocking pool: threads spawned on demand (up to a bound) that run
//! `spawn_blocking` closures and exit after idling for `keep_alive`.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use async_task::Runnable;

use super::context;
use super::handle::Handle;
use super::JoinHandle;

/// How the pool's threads are made.
#[derive(Clone, Debug)]
pub(crate) struct BlockingConfig {
    pub(crate) max_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
}

pub(crate) struct BlockingPool {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    state: Mutex<PoolState>,
    work_available: Condvar,
    config: BlockingConfig,
}

/// The pool's bookkeeping, under one lock.
///
/// `idle` counts waiting threads that no job has claimed yet; `push` claims one
/// by moving it from `idle` to `notified` before signalling, so a second job
/// pushed before that thread wakes sees no idle thread and starts another
/// (tokio issue 8056: a count decremented only by the waking thread let two
/// jobs claim the same thread, and the second waited behind the first).
#[derive(Default)]
struct PoolState {
    /// Jobs not yet taken by a thread.
    jobs: VecDeque<Runnable>,
    /// Threads alive (running, idle or notified).
    threads: usize,
    /// Threads waiting for work that no job has claimed.
    idle: usize,
    /// Signals sent to claimed threads that no thread has consumed yet.
    notified: usize,
    /// Set by `shutdown`: no new jobs, idle threads exit once none is queued.
    shutdown: bool,
}

impl BlockingPool {
    pub(crate) fn new(config: BlockingConfig) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(PoolInner {
                state: Mutex::new(PoolState::default()),
                work_available: Condvar::new(),
                config,
            }),
        }
    }

    /// Queues `f`; its output arrives through the handle.
    pub(crate) fn spawn<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let handle = context::current_handle();
        let (task, abort) = super::wrap(async move { f() });
        let pool = self.inner.clone();
        let (runnable, task) = async_task::spawn(task, move |r| pool.push(r, handle.clone()));
        runnable.schedule();
        JoinHandle::new(task, abort)
    }

    /// Stops accepting work and lets idle threads exit. Jobs already queued
    /// still run (the threads take every queued job before they look at the
    /// shutdown flag), as tokio's: a job spawned just before shutdown is not
    /// lost. Running jobs finish on their own; their threads then exit.
    pub(crate) fn shutdown(&self) {
        self.inner.lock().shutdown = true;
        self.inner.work_available.notify_all();
    }
}

impl PoolInner {
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(self: &Arc<Self>, job: Runnable, handle: Option<Handle>) {
        let mut st = self.lock();
        if st.shutdown {
            return; // dropping the job cancels it: its JoinHandle reports Cancelled
        }
        st.jobs.push_back(job);
        if st.idle > 0 {
            st.idle -= 1;
            st.notified += 1;
            self.work_available.notify_one();
        } else if st.threads < self.config.max_threads {
            st.threads += 1;
            drop(st);
            self.start_thread(handle);
        }
    }

    fn start_thread(self: &Arc<Self>, handle: Option<Handle>) {
        let pool = self.clone();
        let mut builder = std::thread::Builder::new().name(self.config.thread_name.clone());
        if let Some(size) = self.config.stack_size {
            builder = builder.stack_size(size);
        }
        let started = builder.spawn(move || {
            let _entered = handle.as_ref().map(Handle::enter);
            pool.run_jobs();
        });
        if started.is_err() {
            // No thread: the job waits for an existing one (or shutdown).
            self.lock().threads -= 1;
        }
    }

    fn run_jobs(&self) {
        let mut st = self.lock();
        loop {
            if let Some(job) = st.jobs.pop_front() {
                drop(st);
                job.run();
                st = self.lock();
                continue;
            }
            if st.shutdown {
                break;
            }
            st.idle += 1;
            let (guard, claimed) = self.wait_for_claim(st);
            st = guard;
            if !claimed {
                break;
            }
        }
        st.threads -= 1;
    }

    /// Waits (as an idle thread) until a job claims this thread (true), or
    /// until keep-alive passes or shutdown starts with no claim (false, and
    /// the thread is no longer counted idle). Spurious wake-ups keep waiting.
    fn wait_for_claim<'a>(
        &'a self,
        mut st: std::sync::MutexGuard<'a, PoolState>,
    ) -> (std::sync::MutexGuard<'a, PoolState>, bool) {
        loop {
            let (guard, waited) =
                self.work_available.wait_timeout(st, self.config.keep_alive).unwrap_or_else(|e| e.into_inner());
            st = guard;
            if st.notified > 0 {
                // `push` already moved a thread from idle to notified.
                st.notified -= 1;
                return (st, true);
            }
            if st.shutdown || waited.timed_out() {
                st.idle -= 1;
                return (st, false);
            }
        }
    }
}
