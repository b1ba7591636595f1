//! [`serve`]: `axum::serve`'s shape on ringline, for axum, tonic and any tower
//! HTTP service.

use std::future::{Future, IntoFuture};
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use ringline::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::make::{ConnService, IntoConnService};
use crate::rt::{RinglineExecutor, RinglineTimer};

/// How long a client may take to send a request's headers, unless
/// [`Serve::header_read_timeout`] says otherwise.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long accepting pauses after an error such as EMFILE (too many open
/// files), rather than spinning on it.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

type ShutdownSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Serves HTTP/1.1 and HTTP/2 (h2c, prior knowledge; detected per
/// connection) on `listener`, in the shape of `axum::serve`.
///
/// `service` may be an axum `Router`, `Router::into_make_service()`,
/// `Router::into_make_service_with_connect_info::<SocketAddr>()` (its
/// `ConnectInfo` extractor then sees the peer), a tonic `Routes`, or any
/// `Clone` tower service of `http::Request<hyper::body::Incoming>`. Each
/// connection is a task of its own, placed like [`ringline::spawn`] (the
/// least-loaded worker), so connections spread over all workers. Awaiting the
/// returned [`Serve`] runs until its graceful-shutdown signal fires (see
/// [`Serve::with_graceful_shutdown`]) and returns `Ok(())`.
///
/// ```no_run
/// use axum::{routing::get, Router};
///
/// #[ringline::main]
/// async fn main() -> std::io::Result<()> {
///     let app = Router::new().route("/", get(|| async { "hello" }));
///     let listener = ringline::net::TcpListener::bind("127.0.0.1:3000").await?;
///     ringline_compat::serve(listener, app).await
/// }
/// ```
pub fn serve<M, Marker>(listener: TcpListener, service: M) -> Serve<M, Marker>
where
    M: IntoConnService<Marker>,
{
    Serve {
        listener,
        service,
        signal: None,
        header_read_timeout: Some(DEFAULT_HEADER_READ_TIMEOUT),
        _marker: PhantomData,
    }
}

/// A server being set up by [`serve`]; `.await` it to run it.
#[must_use = "a server does nothing until it is `.await`ed"]
pub struct Serve<M, Marker> {
    listener: TcpListener,
    service: M,
    signal: Option<ShutdownSignal>,
    header_read_timeout: Option<Duration>,
    _marker: PhantomData<fn() -> Marker>,
}

impl<M, Marker> Serve<M, Marker>
where
    M: IntoConnService<Marker>,
{
    /// Stops accepting when `signal` completes, tells every connection to
    /// finish (HTTP/1.1: after the response in flight; HTTP/2: GOAWAY, open
    /// streams complete), waits for them all, then returns `Ok(())`.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// How long a client may take to send a request's headers before the
    /// connection is closed: a new connection's first bytes (any protocol)
    /// and each HTTP/1.1 request head; `None` waits forever. Default
    /// [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub fn header_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let Serve { listener, mut service, signal, header_read_timeout, .. } = self;
        let builder = Arc::new(http_builder(header_read_timeout));
        let graceful = GracefulShutdown::new();
        let (stopping, stop) = watch::channel(false);
        let mut signal = signal.unwrap_or_else(|| Box::pin(std::future::pending()));
        loop {
            let accepted = tokio::select! {
                biased;
                () = &mut signal => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(_) => {
                    tokio::select! {
                        biased;
                        () = &mut signal => break,
                        () = ringline::time::sleep(ACCEPT_BACKOFF) => continue,
                    }
                }
            };
            let Some(conn_service) = service.service_for(peer).await else { continue };
            let _ = stream.set_nodelay(true);
            let (builder, watcher, mut stop) = (builder.clone(), graceful.watcher(), stop.clone());
            drop(ringline::spawn(async move {
                if first_bytes(&stream, header_read_timeout, &mut stop).await {
                    conn_service.serve_connection(stream, builder, watcher).await;
                }
            }));
        }
        drop(listener);
        let _ = stopping.send(true);
        graceful.shutdown().await;
        Ok(())
    }
}

impl<M, Marker> IntoFuture for Serve<M, Marker>
where
    M: IntoConnService<Marker>,
    Marker: 'static,
{
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl<M, Marker> std::fmt::Debug for Serve<M, Marker> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("header_read_timeout", &self.header_read_timeout)
            .finish_non_exhaustive()
    }
}

/// Waits for a new connection's first bytes; false when `limit` passes or the
/// server shuts down first. (hyper-util's auto builder reads them to tell
/// HTTP/1.1 from HTTP/2 with no timeout of its own, and hyper's header-read
/// timeout starts only after that: a client that connects and stays silent
/// would otherwise hold its connection, and hold up graceful shutdown,
/// forever.) A peek, not `readable()`: an accepted stream counts as readable
/// before any byte has come, as in tokio.
async fn first_bytes(stream: &TcpStream, limit: Option<Duration>, stop: &mut watch::Receiver<bool>) -> bool {
    let readable = async {
        let mut byte = [0u8; 1];
        match limit {
            Some(limit) => ringline::time::timeout(limit, stream.peek(&mut byte)).await.is_ok_and(|r| r.is_ok()),
            None => stream.peek(&mut byte).await.is_ok(),
        }
    };
    tokio::select! {
        biased;
        _ = stop.wait_for(|stopping| *stopping) => false,
        ready = readable => ready,
    }
}

/// hyper-util's auto (HTTP/1.1 + h2c) builder on ringline's executor and timer.
fn http_builder(header_read_timeout: Option<Duration>) -> auto::Builder<RinglineExecutor> {
    let mut builder = auto::Builder::new(RinglineExecutor::new());
    builder.http1().timer(RinglineTimer::new()).header_read_timeout(header_read_timeout);
    builder.http2().timer(RinglineTimer::new());
    builder
}

/// Errors that concern one connection only: accept the next one at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    )
}
