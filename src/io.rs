//! I/O traits and helpers: tokio's, which are runtime-agnostic, plus the
//! readiness types of ringline's sockets.
//!
//! `ringline::io::{AsyncRead, AsyncWrite, AsyncReadExt, AsyncWriteExt, ...}`
//! are the very same items as `tokio::io::...`, so code written against tokio's
//! traits (tokio-util codecs, tokio-rustls, hyper-util's `TokioIo`) works with
//! ringline's streams unchanged. [`Interest`] and [`Ready`] are ringline's own
//! (tokio has them only with its `net` feature), with tokio's names and
//! meanings. The in-memory utilities `sink`, `empty`, `repeat`, `duplex` and
//! `simplex` are tokio's types behind [`Budgeted`], so they spend ringline's
//! cooperative budget where tokio's spend tokio's.

pub(crate) mod blocking;
mod budgeted;
pub(crate) mod futures_io;
mod stdio;
pub mod unix;

pub use crate::driver::{AlignedBuf, IoBuf, IoBufMut};
pub use crate::driver::{Interest, Ready};
pub use budgeted::{
    copy, copy_buf, duplex, empty, repeat, simplex, sink, Budgeted, DuplexStream, Empty, Repeat, SimplexStream, Sink,
};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use tokio::io::*;
