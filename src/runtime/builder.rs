//! `Builder`: configures and builds a [`Runtime`], like tokio's.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::ThreadId;
use std::time::Duration;

use super::blocking::{BlockingConfig, BlockingPool};
use super::bridge::Bridge;
use super::config::{Id, RuntimeConfig, ThreadHooks, UnhandledPanic};
use super::handle::{Handle, Shared};
use super::local_runtime::{LocalOptions, LocalRuntime};
use super::runtime::Runtime;
use super::worker::{Worker, WorkerId, WorkerShared};
use crate::driver::{self, choose_backend, Backend, Driver, DriverConfig};
use crate::time::Clock;

/// Builds a runtime with custom settings, like `tokio::runtime::Builder`.
///
/// ```no_run
/// let rt = ringline::runtime::Builder::new_multi_thread()
///     .worker_threads(2)
///     .enable_all()
///     .build()
///     .unwrap();
/// rt.block_on(async { /* ... */ });
/// ```
pub struct Builder {
    multi_thread: bool,
    worker_threads: Option<usize>,
    thread_name: String,
    thread_stack_size: Option<usize>,
    pin_cores: bool,
    backend: Option<Backend>,
    driver: DriverConfig,
    blocking: BlockingConfig,
    hooks: ThreadHooks,
    /// `start_paused`, `name`, `unhandled_panic`.
    options: RuntimeOptions,
    /// Start the tokio-context bridge (feature `tokio-bridge`).
    tokio_bridge: bool,
    /// `enable_io` was called: tasks may make sockets.
    io_enabled: bool,
}

static NEXT_RUNTIME_ID: AtomicU64 = AtomicU64::new(1);

impl Builder {
    /// A multi-thread runtime: one worker per core unless `worker_threads` says otherwise.
    pub fn new_multi_thread() -> Builder {
        Builder::with_flavor(true)
    }

    /// A runtime whose single worker runs on the thread calling `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::with_flavor(false)
    }

    fn with_flavor(multi_thread: bool) -> Builder {
        Builder {
            multi_thread,
            worker_threads: None,
            thread_name: "ringline-worker".into(),
            thread_stack_size: None,
            pin_cores: false,
            backend: None,
            driver: DriverConfig::default(),
            blocking: BlockingConfig {
                max_threads: 512,
                keep_alive: Duration::from_secs(10),
                thread_name: "ringline-blocking".into(),
                stack_size: None,
            },
            hooks: ThreadHooks::default(),
            options: RuntimeOptions { start_paused: false, name: None, unhandled_panic: UnhandledPanic::Ignore },
            tokio_bridge: true,
            io_enabled: false,
        }
    }

    /// Number of worker threads (multi-thread only). Default: the available
    /// parallelism.
    ///
    /// # Panics
    /// When `n` is 0, like tokio.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "Worker threads cannot be set to 0");
        self.worker_threads = Some(n);
        self
    }

    /// Enables I/O (see [`enable_io`](Self::enable_io)); timers are always on.
    pub fn enable_all(&mut self) -> &mut Self {
        self.enable_io()
    }

    /// Lets tasks make sockets (and `AsyncFd`s and child processes), as in
    /// tokio: on a runtime built without it, making one panics with tokio's
    /// "IO is disabled" message. Files, timers and the blocking pool work
    /// either way. Each worker owns its ring or poller regardless.
    pub fn enable_io(&mut self) -> &mut Self {
        self.io_enabled = true;
        self
    }

    /// Accepted for tokio compatibility: timers are always enabled.
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// Name of the worker threads.
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = name.into();
        self
    }

    /// Stack size of worker and blocking threads.
    pub fn thread_stack_size(&mut self, size: usize) -> &mut Self {
        self.thread_stack_size = Some(size);
        self.blocking.stack_size = Some(size);
        self
    }

    /// Runs `f` on each worker thread when it starts.
    pub fn on_thread_start<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.hooks.start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each worker thread before it exits.
    pub fn on_thread_stop<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.hooks.stop = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a worker thread just before it parks (goes idle waiting
    /// for I/O, timers or wake-ups), like tokio's.
    pub fn on_thread_park<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.hooks.park = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a worker thread just after it wakes from parking.
    pub fn on_thread_unpark<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.hooks.unpark = Some(Arc::new(f));
        self
    }

    /// Names the runtime ([`Handle::name`]), like tokio's `Builder::name`.
    ///
    /// # Panics
    /// When the name is empty or only whitespace, like tokio.
    #[track_caller]
    pub fn name(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        assert!(!name.trim().is_empty(), "runtime name shouldn't be empty");
        self.options.name = Some(name);
        self
    }

    /// What a panicking spawned task does to the runtime (tokio's
    /// `unhandled_panic`, which tokio keeps behind `tokio_unstable`).
    ///
    /// # Panics
    /// `ShutdownRuntime` on a multi-thread runtime, with tokio's message.
    #[track_caller]
    pub fn unhandled_panic(&mut self, behavior: UnhandledPanic) -> &mut Self {
        if self.multi_thread && behavior == UnhandledPanic::ShutdownRuntime {
            panic!("UnhandledPanic::ShutdownRuntime is only supported in current thread runtime");
        }
        self.options.unhandled_panic = behavior;
        self
    }

    /// Accepted for tokio compatibility; no effect. tokio polls its global
    /// queue every `val` ticks; ringline has no global queue (a worker takes
    /// every task queued from other threads at the start of each tick).
    ///
    /// # Panics
    /// When `val` is 0, like tokio.
    #[track_caller]
    pub fn global_queue_interval(&mut self, val: u32) -> &mut Self {
        assert!(val > 0, "global_queue_interval must be greater than 0");
        self
    }

    /// Accepted for tokio compatibility; no effect. A ringline worker checks
    /// I/O and timers after at most 256 tasks, or sooner when it runs out.
    ///
    /// # Panics
    /// When `val` is 0, like tokio.
    #[track_caller]
    pub fn event_interval(&mut self, val: u32) -> &mut Self {
        assert!(val > 0, "event_interval must be greater than 0");
        self
    }

    /// Accepted for tokio compatibility; no effect: completions are reaped in
    /// full on every tick (size the ring with [`ring_entries`](Self::ring_entries)).
    ///
    /// # Panics
    /// When `capacity` is 0, like tokio.
    #[track_caller]
    pub fn max_io_events_per_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(capacity > 0, "max_io_events_per_tick must be non-zero");
        self
    }

    /// Accepted for tokio compatibility; no effect (see
    /// [`max_io_events_per_tick`](Self::max_io_events_per_tick)).
    ///
    /// # Panics
    /// When `capacity` is 0, like tokio.
    #[track_caller]
    pub fn max_io_events_per_busy_tick(&mut self, capacity: usize) -> &mut Self {
        assert!(capacity > 0, "max_io_events_per_busy_tick must be non-zero");
        self
    }

    /// Most threads the blocking pool may run at once. Default 512.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "Max blocking threads cannot be set to 0");
        self.blocking.max_threads = n;
        self
    }

    /// How long an idle blocking thread waits for work before exiting.
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Self {
        self.blocking.keep_alive = keep_alive;
        self
    }

    /// Pins worker `i` to CPU `i` (modulo the CPUs this process may use).
    pub fn pin_cores(&mut self, pin: bool) -> &mut Self {
        self.pin_cores = pin;
        self
    }

    /// Forces a backend. Without it `RINGLINE_BACKEND` decides, else io_uring
    /// when the kernel allows it, else mio. Forcing io_uring where it is
    /// refused makes `build` fail.
    pub fn backend(&mut self, backend: Backend) -> &mut Self {
        self.backend = Some(backend);
        self
    }

    /// Submission queue entries per worker ring. Default 1024.
    pub fn ring_entries(&mut self, entries: u32) -> &mut Self {
        self.driver.ring_entries = entries;
        self
    }

    /// Ring-provided receive buffers per worker (rounded up to a power of two)
    /// and their size in bytes (io_uring backend). Default 512 × 4 KiB (2 MiB
    /// per worker, all of it resident once traffic has cycled through the
    /// ring). They carry small messages; a connection whose receives keep
    /// filling whole buffers switches to reading straight into the caller's
    /// buffer, so bigger buffers rarely pay.
    pub fn recv_buffers(&mut self, count: u16, size: u32) -> &mut Self {
        self.driver.recv_buffers = count;
        self.driver.recv_buffer_size = size.max(64);
        self
    }

    /// Starts the runtime with its clock paused (see
    /// [`time::pause`](crate::time::pause)), like tokio's `test-util`
    /// `Builder::start_paused`.
    ///
    /// # Panics
    /// `build` panics when this is set on a multi-thread runtime, as tokio's does.
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.options.start_paused = start_paused;
        self
    }

    /// Turns the tokio-context bridge on (the default) or off.
    ///
    /// With the bridge (cargo feature `tokio-bridge`, on by default) the
    /// runtime starts a small tokio runtime (one tokio worker thread plus
    /// tokio's blocking pool, on demand) and every worker thread, `block_on`
    /// and `enter` enter its context, so third-party code that calls
    /// `tokio::spawn`, `tokio::time::sleep`, `tokio::net::TcpStream::connect` or
    /// `tokio::task::spawn_blocking` itself works instead of panicking with
    /// "there is no reactor running". Such work runs on the tokio thread, not
    /// on ringline's workers. Without the bridge (`false`, or the feature
    /// compiled out) those calls fail exactly as they do outside tokio.
    pub fn tokio_bridge(&mut self, enabled: bool) -> &mut Self {
        self.tokio_bridge = enabled;
        self
    }

    /// Creates the runtime.
    pub fn build(&mut self) -> io::Result<Runtime> {
        self.build_runtime(None)
    }

    /// Creates a [`LocalRuntime`] bound to this thread, like tokio's
    /// `Builder::build_local`.
    ///
    /// # Panics
    /// On a multi-thread builder, as tokio's.
    #[track_caller]
    pub fn build_local(&mut self, _options: LocalOptions) -> io::Result<LocalRuntime> {
        assert!(!self.multi_thread, "multi_thread is not supported for LocalRuntime");
        self.build_runtime(Some(std::thread::current().id())).map(LocalRuntime::from_runtime)
    }

    /// Builds the runtime; `local`: the thread of a `LocalRuntime`.
    fn build_runtime(&mut self, local: Option<ThreadId>) -> io::Result<Runtime> {
        let backend = choose_backend(self.backend)?;
        let runtime_id = NEXT_RUNTIME_ID.fetch_add(1, Ordering::Relaxed);
        let blocking = BlockingPool::new(self.blocking.clone());
        let (bridge, bridge_handle) = Bridge::start(self.tokio_bridge)?;
        if !self.multi_thread {
            let driver = Driver::new(backend, &self.driver)?;
            let shared = Arc::new(WorkerShared::new(WorkerId::new(runtime_id, 0), driver.handle()));
            let clock = Clock::new(true, self.options.start_paused);
            let config = RuntimeConfig { local_thread: local, ..self.runtime_config(backend, runtime_id) };
            let workers = Box::new([shared.clone()]);
            let handle = Handle { inner: Arc::new(Shared::new(workers, blocking, clock, config, bridge_handle)) };
            shared.set_runtime(Arc::downgrade(&handle.inner));
            return Ok(Runtime::current_thread(handle.clone(), Worker::new(shared, handle, driver), bridge));
        }
        let shared = RuntimeParts { backend, runtime_id, blocking, bridge, bridge_handle };
        self.build_multi_thread(shared)
    }

    fn runtime_config(&self, backend: Backend, runtime_id: u64) -> RuntimeConfig {
        RuntimeConfig {
            backend,
            id: Id::new(runtime_id),
            name: self.options.name.clone(),
            multi_thread: self.multi_thread,
            unhandled_panic: self.options.unhandled_panic.clone(),
            hooks: self.hooks.clone(),
            io_enabled: self.io_enabled,
            local_thread: None,
        }
    }

    /// Starts the workers in two steps: each creates its own driver on its own
    /// thread (io_uring's single-issuer mode wants that) and reports its handle;
    /// once all are up they get the shared runtime state and start running.
    fn build_multi_thread(&self, parts: RuntimeParts) -> io::Result<Runtime> {
        let RuntimeParts { backend, runtime_id, blocking, bridge, bridge_handle } = parts;
        let clock = Clock::new(false, self.options.start_paused);
        let count = self.worker_threads.unwrap_or_else(default_workers);
        let mut config = self.driver.clone();
        config.single_issuer = true;
        let mut starts = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        let (ready_tx, ready_rx) = mpsc::channel::<(usize, io::Result<driver::Handle>)>();
        for index in 0..count {
            let (start_tx, start_rx) = mpsc::channel::<(Arc<WorkerShared>, Handle)>();
            let setup =
                WorkerSetup { index, backend, config: config.clone(), pin: self.pin_cores, hooks: self.hooks.clone() };
            let ready_tx = ready_tx.clone();
            let mut builder = std::thread::Builder::new().name(self.thread_name.clone());
            if let Some(size) = self.thread_stack_size {
                builder = builder.stack_size(size);
            }
            threads.push(builder.spawn(move || setup.run(ready_tx, start_rx))?);
            starts.push(start_tx);
        }
        drop(ready_tx);
        let mut drivers: Vec<Option<driver::Handle>> = vec![None; count];
        for _ in 0..count {
            let (index, result) = ready_rx.recv().map_err(|_| io::Error::other("worker thread died during startup"))?;
            drivers[index] = Some(result?); // on error, dropping `starts` ends the other threads
        }
        let workers: Box<[Arc<WorkerShared>]> = drivers
            .into_iter()
            .enumerate()
            .map(|(i, d)| Arc::new(WorkerShared::new(WorkerId::new(runtime_id, i), d.expect("every worker reported"))))
            .collect();
        let config = self.runtime_config(backend, runtime_id);
        let handle = Handle { inner: Arc::new(Shared::new(workers.clone(), blocking, clock, config, bridge_handle)) };
        workers.iter().for_each(|w| w.set_runtime(Arc::downgrade(&handle.inner)));
        for (start, worker) in starts.into_iter().zip(workers.iter()) {
            let _ = start.send((worker.clone(), handle.clone()));
        }
        Ok(Runtime::multi_thread(handle, threads, bridge))
    }
}

/// tokio's runtime-wide options, as the builder collects them.
struct RuntimeOptions {
    /// `start_paused`.
    start_paused: bool,
    /// `name`.
    name: Option<String>,
    /// `unhandled_panic`.
    unhandled_panic: UnhandledPanic,
}

/// What `build` made before the workers start, handed to `build_multi_thread`.
struct RuntimeParts {
    backend: Backend,
    runtime_id: u64,
    blocking: BlockingPool,
    bridge: Bridge,
    bridge_handle: super::bridge::BridgeHandle,
}

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What a worker thread needs to start.
struct WorkerSetup {
    index: usize,
    backend: Backend,
    config: DriverConfig,
    pin: bool,
    hooks: ThreadHooks,
}

impl WorkerSetup {
    fn run(
        self,
        ready: mpsc::Sender<(usize, io::Result<driver::Handle>)>,
        start: mpsc::Receiver<(Arc<WorkerShared>, Handle)>,
    ) {
        if self.pin {
            pin_to_cpu(self.index);
        }
        let driver = match Driver::new(self.backend, &self.config) {
            Ok(driver) => driver,
            Err(e) => {
                let _ = ready.send((self.index, Err(e)));
                return;
            }
        };
        let _ = ready.send((self.index, Ok(driver.handle())));
        let Ok((shared, handle)) = start.recv() else { return };
        if let Some(hook) = &self.hooks.start {
            hook();
        }
        let mut worker = Worker::new(shared, handle, driver);
        worker.run();
        worker.shutdown_driver();
        if let Some(hook) = &self.hooks.stop {
            hook();
        }
    }
}

#[cfg(target_os = "linux")]
fn pin_to_cpu(index: usize) {
    // SAFETY: cpu_set_t is plain data; the calls read/write only the set we pass.
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut allowed) != 0 {
            return;
        }
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &allowed)).collect();
        if cpus.is_empty() {
            return;
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpus[index % cpus.len()], &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

#[cfg(not(target_os = "linux"))]
fn pin_to_cpu(_index: usize) {}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("multi_thread", &self.multi_thread)
            .field("worker_threads", &self.worker_threads)
            .field("backend", &self.backend)
            .field("tokio_bridge", &self.tokio_bridge)
            .finish_non_exhaustive()
    }
}
