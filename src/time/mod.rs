//! Utilities for tracking time, mirroring `tokio::time`.
//!
//! - [`sleep()`] and [`sleep_until`]: wait until a duration has passed or a
//!   deadline is reached.
//! - [`timeout()`] and [`timeout_at`]: bound how long a future may take.
//! - [`interval()`] and [`interval_at`]: a tick every period.
//!
//! Code written against `tokio::time` works by changing the path. Every
//! worker keeps its timers in its own millisecond wheel and arms a single
//! kernel timeout for the nearest one, so a sleep costs no system call; a
//! sleep is never woken before its deadline.
//!
//! ```no_run
//! use ringline::time::{sleep, timeout, Duration};
//!
//! # async fn run() {
//! sleep(Duration::from_millis(100)).await;
//! let res = timeout(Duration::from_millis(10), sleep(Duration::from_secs(1))).await;
//! assert!(res.is_err());
//! # }
//! ```

mod clock;
mod entry;
pub mod error;
mod instant;
mod interval;
mod queue;
mod sleep;
mod timeout;
mod wheel;

pub use std::time::Duration;

pub use clock::{advance, pause, resume};
pub(crate) use clock::{inhibit_auto_advance, AutoAdvance, Clock, INHIBITED_PARK};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};

pub(crate) use entry::TimerEntry;
pub(crate) use queue::TimerQueue;
