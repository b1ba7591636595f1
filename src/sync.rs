//! Synchronization primitives: tokio's, which are runtime-agnostic
//! (`mpsc`, `oneshot`, `broadcast`, `watch`, `Mutex`, `RwLock`, `Semaphore`,
//! `Notify`, `Barrier`, ...). They work across ringline's worker threads.

pub use tokio::sync::*;
