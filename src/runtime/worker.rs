//! One worker: a thread with its own driver, run queue and timers.
//!
//! The worker's state is split by who touches it: [`WorkerShared`] is reached
//! by any thread (remote spawns and timer registrations, wake-ups);
//! [`WorkerLocal`] only by the worker's own thread (through the thread-local
//! context); [`Worker`] owns the driver, which only the loop uses.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use async_task::Runnable;
use futures_util::future::AbortHandle;
use slab::Slab;

use super::context;
use super::handle::Handle;
use crate::driver::{self, Driver};
use crate::time::{TimerEntry, TimerQueue};

/// Tasks run per tick before the worker checks timers and I/O again.
const TASK_BUDGET: usize = 256;

/// Identifies one worker of one runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct WorkerId {
    runtime: u64,
    index: usize,
}

impl WorkerId {
    pub(crate) fn new(runtime: u64, index: usize) -> WorkerId {
        WorkerId { runtime, index }
    }

    /// The worker's place in its runtime's worker list.
    pub(crate) fn index(self) -> usize {
        self.index
    }
}

/// The part of a worker any thread may touch.
pub(crate) struct WorkerShared {
    pub(crate) id: WorkerId,
    /// Wakes the worker and accepts its I/O objects.
    pub(crate) driver: driver::Handle,
    /// Tasks woken or spawned from other threads.
    remote_tasks: Mutex<Vec<Runnable>>,
    /// Timers registered from threads that are not workers.
    remote_timers: Mutex<Vec<Arc<TimerEntry>>>,
    /// Tasks placed here and not yet finished (for placement).
    pub(crate) live_tasks: AtomicUsize,
    /// Set when the runtime shuts down.
    stop: AtomicBool,
    /// Ticks run, for tests and metrics.
    ticks: AtomicU64,
}

impl WorkerShared {
    pub(crate) fn new(id: WorkerId, driver: driver::Handle) -> WorkerShared {
        WorkerShared {
            id,
            driver,
            remote_tasks: Mutex::new(Vec::new()),
            remote_timers: Mutex::new(Vec::new()),
            live_tasks: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            ticks: AtomicU64::new(0),
        }
    }

    /// Queues a runnable task: locally when called on this worker, else
    /// remotely with a wake-up.
    pub(crate) fn schedule(&self, runnable: Runnable) {
        if let Err(runnable) = context::schedule_local(self.id, runnable) {
            self.remote_tasks.lock().expect("remote queue poisoned").push(runnable);
            self.driver.unpark();
        }
    }

    /// Queues a timer registered from another thread.
    pub(crate) fn register_timer(&self, entry: Arc<TimerEntry>) {
        self.remote_timers.lock().expect("remote timers poisoned").push(entry);
        self.driver.unpark();
    }

    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.driver.unpark();
    }

    fn has_remote_work(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
            || !self.remote_tasks.lock().expect("remote queue poisoned").is_empty()
            || !self.remote_timers.lock().expect("remote timers poisoned").is_empty()
    }
}

/// The part of a worker only its own thread touches.
pub(crate) struct WorkerLocal {
    pub(crate) shared: Arc<WorkerShared>,
    pub(crate) runtime: Handle,
    pub(crate) run_queue: RefCell<VecDeque<Runnable>>,
    pub(crate) timers: RefCell<TimerQueue>,
    /// Abort handles of the tasks running here, to stop them at shutdown.
    pub(crate) tasks: RefCell<Slab<AbortHandle>>,
    /// Shutdown has begun: a task's first poll aborts it instead of running it.
    pub(crate) shutting_down: Cell<bool>,
}

/// A worker as its thread owns it.
pub(crate) struct Worker {
    local: Rc<WorkerLocal>,
    driver: Driver,
}

// SAFETY: `WorkerLocal` is only reached through the `Rc` here and a clone that
// `context::enter_worker` installs in the thread-local context for the duration
// of `block_on`/`run`; when a `Worker` is moved between threads (current-thread
// runtime) no such clone exists (asserted in `park_local`).
unsafe impl Send for Worker {}

/// Wakes the future passed to `Worker::block_on`.
struct MainWaker {
    woken: AtomicBool,
    driver: driver::Handle,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.driver.unpark();
    }
}

impl Worker {
    pub(crate) fn new(shared: Arc<WorkerShared>, runtime: Handle, driver: Driver) -> Worker {
        let local = Rc::new(WorkerLocal {
            shared,
            runtime,
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            timers: RefCell::new(TimerQueue::new()),
            tasks: RefCell::new(Slab::new()),
            shutting_down: Cell::new(false),
        });
        Worker { local, driver }
    }

    /// Runs tasks, timers and I/O until the runtime stops this worker.
    pub(crate) fn run(&mut self) {
        let _entered = context::enter_worker(self.local.clone());
        let runtime = self.local.runtime.clone();
        let _bridge = runtime.inner.bridge.enter();
        while !self.local.shared.stop.load(Ordering::Acquire) {
            self.tick(&|| false);
        }
        self.shutdown_tasks();
    }

    /// Drives `future` on this thread, running the worker's tasks meanwhile
    /// (the current-thread runtime).
    pub(crate) fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let _entered = context::enter_worker(self.local.clone());
        let runtime = self.local.runtime.clone();
        let _bridge = runtime.inner.bridge.enter();
        let main = Arc::new(MainWaker { woken: AtomicBool::new(true), driver: self.local.shared.driver.clone() });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if main.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            self.tick(&|| main.woken.load(Ordering::SeqCst));
        }
    }

    /// One round: take remote work, run a budget of tasks, fire timers, then
    /// submit I/O and wait for completions (not at all if work is ready).
    fn tick(&mut self, extra_work: &dyn Fn() -> bool) {
        let local = &*self.local;
        local.shared.ticks.fetch_add(1, Ordering::Relaxed);
        self.take_remote_work();
        for _ in 0..TASK_BUDGET {
            let next = local.run_queue.borrow_mut().pop_front();
            match next {
                Some(runnable) => {
                    runnable.run();
                }
                None => break,
            }
        }
        local.timers.borrow_mut().fire_expired(Instant::now());
        let busy = !local.run_queue.borrow().is_empty() || extra_work();
        let timeout = if busy { Some(Duration::ZERO) } else { local.timers.borrow().next_timeout(Instant::now()) };
        let shared = &local.shared;
        self.driver.park(timeout, &|| shared.has_remote_work() || extra_work());
        local.timers.borrow_mut().fire_expired(Instant::now());
    }

    fn take_remote_work(&self) {
        let local = &*self.local;
        let tasks = std::mem::take(&mut *local.shared.remote_tasks.lock().expect("remote queue poisoned"));
        local.run_queue.borrow_mut().extend(tasks);
        let timers = std::mem::take(&mut *local.shared.remote_timers.lock().expect("remote timers poisoned"));
        let mut queue = local.timers.borrow_mut();
        timers.into_iter().for_each(|entry| queue.register(entry));
    }

    /// Aborts every task on this worker and lets each run once more so its
    /// future is dropped here, on its own thread; drops what never started.
    pub(crate) fn shutdown_tasks(&mut self) {
        let _entered = context::enter_worker(self.local.clone());
        self.local.shutting_down.set(true);
        for _ in 0..16 {
            // Every round: a queued task that never ran registers on its first
            // poll below and must be aborted in the next round, or it stays
            // pending forever (its abort handle's waker keeps it alive). The
            // slab is not drained: a finished task removes its own key.
            let handles: Vec<AbortHandle> = self.local.tasks.borrow().iter().map(|(_, h)| h.clone()).collect();
            handles.iter().for_each(AbortHandle::abort);
            self.take_remote_work();
            let queued: Vec<Runnable> = self.local.run_queue.borrow_mut().drain(..).collect();
            if queued.is_empty() {
                break;
            }
            queued.into_iter().for_each(|r| {
                r.run();
            });
        }
        self.local.run_queue.borrow_mut().clear();
        self.local.shared.remote_tasks.lock().expect("remote queue poisoned").clear();
    }

    /// Stops the driver: cancels in-flight ops and waits for the kernel.
    pub(crate) fn shutdown_driver(&mut self) {
        self.driver.shutdown();
    }

    pub(crate) fn assert_detached(&self) {
        assert_eq!(Rc::strong_count(&self.local), 1, "worker state still referenced by its thread context");
    }
}
