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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use async_task::Runnable;
use slab::Slab;

use super::abort::AbortState;
use super::context;
use super::handle::{Handle, Shared};
use super::metrics::WorkerMetrics;
use crate::driver::{self, Driver};
use crate::time::{AutoAdvance, TimerEntry, TimerQueue, INHIBITED_PARK};

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

/// A task waiting to run, with whether it may run on another thread.
pub(crate) struct Queued {
    pub(crate) runnable: Runnable,
    /// A `Send` task: while its worker is blocked (`block_in_place`) it runs
    /// elsewhere. `!Send` (local) tasks wait for their worker.
    pub(crate) sendable: bool,
}

impl Queued {
    /// A task that may run on any thread.
    pub(crate) fn sendable(runnable: Runnable) -> Queued {
        Queued { runnable, sendable: true }
    }

    /// A task bound to its worker's thread.
    pub(crate) fn local(runnable: Runnable) -> Queued {
        Queued { runnable, sendable: false }
    }
}

/// The part of a worker any thread may touch.
pub(crate) struct WorkerShared {
    pub(crate) id: WorkerId,
    /// Wakes the worker and accepts its I/O objects.
    pub(crate) driver: driver::Handle,
    /// Tasks woken or spawned from other threads.
    remote_tasks: Mutex<Vec<Queued>>,
    /// Timers registered from threads that are not workers.
    remote_timers: Mutex<Vec<Arc<TimerEntry>>>,
    /// Tasks placed here and not yet finished (for placement).
    pub(crate) live_tasks: AtomicUsize,
    /// Set when the runtime shuts down.
    stop: AtomicBool,
    /// Park and busy-time counters (tokio's per-worker metrics).
    pub(crate) metrics: WorkerMetrics,
    /// The worker's thread is inside `block_in_place`.
    blocked: AtomicBool,
    /// The runtime, for handing `Send` tasks on while blocked; set once built.
    runtime: OnceLock<Weak<Shared>>,
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
            metrics: WorkerMetrics::default(),
            blocked: AtomicBool::new(false),
            runtime: OnceLock::new(),
        }
    }

    /// Links the worker to its runtime (once, when the runtime is built).
    pub(crate) fn set_runtime(&self, runtime: Weak<Shared>) {
        let _ = self.runtime.set(runtime);
    }

    /// Queues a runnable task: locally when called on this worker, else
    /// remotely with a wake-up; a `Send` task goes elsewhere while this
    /// worker is blocked.
    pub(crate) fn schedule(&self, task: Queued) {
        let task = match task.sendable && self.is_blocked() {
            true => match self.spill(task) {
                Ok(()) => return,
                Err(task) => task,
            },
            false => task,
        };
        if let Err(task) = context::schedule_local(self.id, task) {
            self.remote_tasks.lock().expect("remote queue poisoned").push(task);
            self.driver.unpark();
        }
    }

    /// Whether the runtime has stopped this worker (it shuts down).
    pub(crate) fn is_stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Whether the worker's thread is inside `block_in_place`.
    pub(crate) fn is_blocked(&self) -> bool {
        self.blocked.load(Ordering::Acquire)
    }

    /// Marks the worker blocked or not.
    pub(crate) fn set_blocked(&self, blocked: bool) {
        self.blocked.store(blocked, Ordering::Release);
    }

    /// Hands a `Send` task to a worker that is not blocked, or to the
    /// blocking pool when every worker is; `Err` without a runtime.
    pub(crate) fn spill(&self, task: Queued) -> Result<(), Queued> {
        let Some(inner) = self.runtime.get().and_then(Weak::upgrade) else { return Err(task) };
        let handle = Handle { inner };
        match handle.unblocked_worker() {
            Some(worker) => worker.schedule(task),
            None => {
                let _entered = context::enter(handle.clone());
                let runnable = task.runnable;
                drop(handle.spawn_blocking(move || runnable.run()));
            }
        }
        Ok(())
    }

    /// Takes every task queued here from other threads.
    pub(crate) fn take_remote_tasks(&self) -> Vec<Queued> {
        std::mem::take(&mut *self.remote_tasks.lock().expect("remote queue poisoned"))
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

    /// Tasks queued here by other threads and not yet taken.
    pub(crate) fn remote_queue_depth(&self) -> usize {
        self.remote_tasks.lock().expect("remote queue poisoned").len()
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
    pub(crate) run_queue: RefCell<VecDeque<Queued>>,
    pub(crate) timers: RefCell<TimerQueue>,
    /// Abort handles of the tasks running here, to stop them at shutdown.
    pub(crate) tasks: RefCell<Slab<Arc<AbortState>>>,
    /// Shutdown has begun: a task's first poll aborts it instead of running it.
    pub(crate) shutting_down: Cell<bool>,
    /// Tasks that yielded (`yield_now`, a spent budget): woken after the next
    /// I/O poll, so a yielding loop lets the driver make progress, as tokio's.
    pub(crate) deferred: RefCell<Vec<Waker>>,
    /// When the worker last started being busy (its loop began or it
    /// unparked), for the busy-time metric.
    busy_since: Cell<Instant>,
}

/// Counts a worker busy from `start` until dropped (the end of `run`
/// or `block_on`, also on unwind); parks in between are cut out by `tick`.
struct BusySpan {
    local: Rc<WorkerLocal>,
}

impl BusySpan {
    fn start(local: &Rc<WorkerLocal>) -> BusySpan {
        local.busy_since.set(Instant::now());
        BusySpan { local: local.clone() }
    }
}

impl Drop for BusySpan {
    fn drop(&mut self) {
        self.local.shared.metrics.add_busy(self.local.busy_since.get());
    }
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
        let origin = runtime.inner.clock.now();
        let local = Rc::new(WorkerLocal {
            shared,
            runtime,
            run_queue: RefCell::new(VecDeque::with_capacity(256)),
            timers: RefCell::new(TimerQueue::with_origin(origin)),
            tasks: RefCell::new(Slab::new()),
            shutting_down: Cell::new(false),
            deferred: RefCell::new(Vec::new()),
            busy_since: Cell::new(Instant::now()),
        });
        Worker { local, driver }
    }

    /// Runs tasks, timers and I/O until the runtime stops this worker.
    pub(crate) fn run(&mut self) {
        let _entered = context::enter_worker(self.local.clone());
        let runtime = self.local.runtime.clone();
        let _busy = BusySpan::start(&self.local);
        runtime.inner.bridge.run_entered(|| {
            while !self.local.shared.stop.load(Ordering::Acquire) {
                self.tick(&|| false);
            }
            self.shutdown_tasks();
        });
    }

    /// Drives `future` on this thread, running the worker's tasks meanwhile
    /// (the current-thread runtime).
    pub(crate) fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let _entered = context::enter_worker(self.local.clone());
        let runtime = self.local.runtime.clone();
        let _busy = BusySpan::start(&self.local);
        runtime.inner.bridge.run_entered(|| self.drive(future))
    }

    /// `block_on`'s loop, with the worker context entered.
    fn drive<F: Future>(&mut self, future: F) -> F::Output {
        let main = Arc::new(MainWaker { woken: AtomicBool::new(true), driver: self.local.shared.driver.clone() });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        let runtime = self.local.runtime.clone();
        let panicked = || runtime.inner.panicked.load(Ordering::Acquire);
        loop {
            if main.woken.swap(false, Ordering::SeqCst) {
                let polled = super::coop::poll_budgeted(&mut cx, |cx| future.as_mut().poll(cx));
                if let Poll::Ready(output) = polled {
                    return output;
                }
            }
            self.tick(&|| main.woken.load(Ordering::SeqCst) || panicked());
            if panicked() {
                panic!("a spawned task panicked and the runtime is configured to shut down on unhandled panic");
            }
        }
    }

    /// One round: take remote work, run a budget of tasks, fire timers, then
    /// submit I/O and wait for completions (not at all if work is ready).
    fn tick(&mut self, extra_work: &dyn Fn() -> bool) {
        let local = &*self.local;
        let clock = &local.runtime.inner.clock;
        self.take_remote_work();
        for _ in 0..TASK_BUDGET {
            let next = local.run_queue.borrow_mut().pop_front();
            match next {
                Some(task) => {
                    task.runnable.run();
                }
                None => break,
            }
        }
        local.timers.borrow_mut().fire_expired(clock.now());
        let shared = &local.shared;
        let has_work = || !local.run_queue.borrow().is_empty() || shared.has_remote_work() || extra_work();
        let busy = !local.run_queue.borrow().is_empty() || !local.deferred.borrow().is_empty() || extra_work();
        let timeout = if busy { Some(Duration::ZERO) } else { local.timers.borrow().next_timeout(clock.now()) };
        let park_has_work = || shared.has_remote_work() || extra_work();
        match clock.auto_advance() {
            // Paused time, nothing to run: look for I/O without waiting, and
            // if that brings no work either, jump to the next timer (tokio's
            // auto-advance).
            AutoAdvance::Allowed if timeout.is_some_and(|t| !t.is_zero()) => {
                self.driver.park(Some(Duration::ZERO), &park_has_work);
                if !has_work() {
                    let wait = timeout.expect("checked above");
                    clock.advance(wait).expect("auto-advance only while paused");
                }
            }
            AutoAdvance::Inhibited => {
                let wait = timeout.map_or(INHIBITED_PARK, |t| t.min(INHIBITED_PARK));
                self.driver.park(Some(wait), &park_has_work);
            }
            _ if timeout == Some(Duration::ZERO) => self.driver.park(timeout, &park_has_work),
            _ => {
                let hooks = &local.runtime.inner.config.hooks;
                shared.metrics.about_to_park(local.busy_since.get());
                hooks.park.as_deref().inspect(|hook| hook());
                // The hook may have spawned, woken or deferred a task here:
                // then only look.
                let idle = local.run_queue.borrow().is_empty() && local.deferred.borrow().is_empty();
                let timeout = if idle { timeout } else { Some(Duration::ZERO) };
                self.driver.park(timeout, &park_has_work);
                local.busy_since.set(shared.metrics.unparked());
                hooks.unpark.as_deref().inspect(|hook| hook());
            }
        }
        local.timers.borrow_mut().fire_expired(clock.now());
        let deferred = std::mem::take(&mut *local.deferred.borrow_mut());
        deferred.into_iter().for_each(Waker::wake);
    }

    fn take_remote_work(&self) {
        let local = &*self.local;
        local.run_queue.borrow_mut().extend(local.shared.take_remote_tasks());
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
            let handles: Vec<Arc<AbortState>> = self.local.tasks.borrow().iter().map(|(_, h)| h.clone()).collect();
            handles.iter().for_each(|h| h.abort());
            self.take_remote_work();
            let queued: Vec<Queued> = self.local.run_queue.borrow_mut().drain(..).collect();
            if queued.is_empty() {
                break;
            }
            queued.into_iter().for_each(|task| {
                task.runnable.run();
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
