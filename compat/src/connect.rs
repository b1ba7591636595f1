//! [`HttpConnector`]: hyper-util's and tonic's client connector over
//! [`ringline::net::TcpStream`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use pin_project_lite::pin_project;
use ringline::net::TcpStream;

#[cfg(feature = "tls")]
mod tls;
#[cfg(feature = "tls")]
pub use tls::{HttpsConnector, MaybeHttpsStream};

/// A `tower::Service<Uri>` that opens TCP connections on ringline: resolves
/// the host (on the blocking pool, unless it is a literal address), tries
/// each address in turn within the connect timeout, and sets `TCP_NODELAY`.
///
/// Its connections work with `hyper_util::client::legacy::Client` and with
/// tonic's `Endpoint::connect_with_connector`:
///
/// ```no_run
/// use http_body_util::Empty;
/// use hyper_util::client::legacy::Client;
/// use ringline_compat::connect::HttpConnector;
/// use ringline_compat::rt::{RinglineExecutor, RinglineTimer};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder(RinglineExecutor::new())
///     .timer(RinglineTimer::new())
///     .build::<_, Empty<bytes::Bytes>>(HttpConnector::new());
/// let response = client.get("http://127.0.0.1:3000/".parse()?).await?;
/// # drop(response); Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct HttpConnector {
    connect_timeout: Option<Duration>,
    nodelay: bool,
    enforce_http: bool,
}

impl Default for HttpConnector {
    fn default() -> HttpConnector {
        HttpConnector::new()
    }
}

impl HttpConnector {
    /// A connector with `TCP_NODELAY` on, no connect timeout, and only
    /// `http://` URIs accepted.
    pub fn new() -> HttpConnector {
        HttpConnector { connect_timeout: None, nodelay: true, enforce_http: true }
    }

    /// Gives up on a connection attempt after `timeout` (over all the
    /// addresses the host resolves to), with [`io::ErrorKind::TimedOut`].
    pub fn set_connect_timeout(&mut self, timeout: Option<Duration>) {
        self.connect_timeout = timeout;
    }

    /// Sets `TCP_NODELAY` on new connections (default true).
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.nodelay = nodelay;
    }

    /// Accepts only `http://` URIs when true (the default); false also lets
    /// `https://` (and other) URIs through, for a TLS layer on top.
    pub fn enforce_http(&mut self, enforce: bool) {
        self.enforce_http = enforce;
    }

    async fn connect(self, uri: Uri) -> io::Result<TcpConnection> {
        let (host, port) = self.target(&uri)?;
        let connect = connect_any(ringline::net::lookup_host((host, port)).await?.collect());
        let stream = match self.connect_timeout {
            Some(limit) => ringline::time::timeout(limit, connect)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??,
            None => connect.await?,
        };
        stream.set_nodelay(self.nodelay)?;
        Ok(TcpConnection { io: TokioIo::new(stream) })
    }

    /// The host (without IPv6 brackets) and port `uri` names.
    fn target(&self, uri: &Uri) -> io::Result<(String, u16)> {
        let invalid = |msg: &str| io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned());
        let scheme = uri.scheme_str();
        if self.enforce_http && scheme != Some("http") {
            return Err(invalid("invalid URI: the scheme is not http"));
        }
        let host = uri.host().ok_or_else(|| invalid("invalid URI: no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = uri.port_u16().unwrap_or(if scheme == Some("https") { 443 } else { 80 });
        Ok((host, port))
    }
}

/// Connects to the first address that accepts, returning the last error.
async fn connect_any(addrs: Vec<SocketAddr>) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "the host resolved to no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e,
        }
    }
    Err(last)
}

impl tower_service::Service<Uri> for HttpConnector {
    type Response = TcpConnection;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TcpConnection>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().connect(uri))
    }
}

pin_project! {
    /// A connection made by [`HttpConnector`]: a [`ringline::net::TcpStream`]
    /// behind hyper's `Read`/`Write` and hyper-util's `Connection`.
    #[derive(Debug)]
    pub struct TcpConnection {
        #[pin]
        io: TokioIo<TcpStream>,
    }
}

impl TcpConnection {
    /// The stream underneath.
    pub fn get_ref(&self) -> &TcpStream {
        self.io.inner()
    }

    /// The stream underneath, to use through tokio's `AsyncRead`/`AsyncWrite`
    /// (for a TLS layer, say).
    pub fn into_inner(self) -> TcpStream {
        self.io.into_inner()
    }
}

impl Connection for TcpConnection {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for TcpConnection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl hyper::rt::Write for TcpConnection {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }
}
