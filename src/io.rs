//! I/O traits and helpers: tokio's, which are runtime-agnostic.
//!
//! `ringline::io::{AsyncRead, AsyncWrite, AsyncReadExt, AsyncWriteExt, ...}`
//! are the very same items as `tokio::io::...`, so code written against tokio's
//! traits (tokio-util codecs, tokio-rustls, hyper-util's `TokioIo`) works with
//! ringline's streams unchanged.

pub use tokio::io::*;
