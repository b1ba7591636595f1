//! [`HttpsConnector`]: [`HttpConnector`] plus TLS (tokio-rustls) for
//! `https://` URIs.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use ringline::net::TcpStream;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::{client::TlsStream, TlsConnector};

use super::{HttpConnector, TcpConnection};

/// A `tower::Service<Uri>` that connects like [`HttpConnector`] and, for
/// `https://` URIs, runs a TLS handshake (tokio-rustls, over ringline's
/// `TcpStream`) checking the server's name. `http://` URIs stay plain.
///
/// ALPN offers HTTP/2 and HTTP/1.1 with [`HttpsConnector::new`]; a connection
/// that negotiated h2 tells hyper so.
#[derive(Clone)]
pub struct HttpsConnector {
    http: HttpConnector,
    tls: TlsConnector,
}

impl HttpsConnector {
    /// Trusts the Mozilla roots shipped in `webpki-roots`; ALPN h2, http/1.1.
    pub fn new() -> HttpsConnector {
        let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let provider = CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(ring_provider()));
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        HttpsConnector::with_config(Arc::new(config))
    }

    /// Uses `config` as given (roots, client auth, ALPN).
    pub fn with_config(config: Arc<ClientConfig>) -> HttpsConnector {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        HttpsConnector { http, tls: TlsConnector::from(config) }
    }

    /// The plain connector underneath, to set its timeout or `TCP_NODELAY`.
    pub fn http_mut(&mut self) -> &mut HttpConnector {
        &mut self.http
    }

    async fn connect(self, uri: Uri) -> io::Result<MaybeHttpsStream> {
        let tcp = self.http.clone().connect(uri.clone()).await?;
        if uri.scheme_str() != Some("https") {
            return Ok(MaybeHttpsStream::Http(tcp));
        }
        let (host, _) = self.http.target(&uri)?;
        let name = ServerName::try_from(host).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tls = self.tls.connect(name, tcp.into_inner()).await?;
        Ok(MaybeHttpsStream::Https(TokioIo::new(tls)))
    }
}

/// rustls's ring provider, used when the process installed no default.
/// (rustls deprecates it for lacking post-quantum key exchange; it is the
/// provider that builds without cmake, and a program that installs
/// aws-lc-rs as the default gets that instead.)
#[allow(deprecated)]
fn ring_provider() -> CryptoProvider {
    tokio_rustls::rustls::crypto::ring::default_provider()
}

impl Default for HttpsConnector {
    fn default() -> HttpsConnector {
        HttpsConnector::new()
    }
}

impl std::fmt::Debug for HttpsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsConnector").field("http", &self.http).finish_non_exhaustive()
    }
}

impl tower_service::Service<Uri> for HttpsConnector {
    type Response = MaybeHttpsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<MaybeHttpsStream>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Box::pin(self.clone().connect(uri))
    }
}

/// A connection made by [`HttpsConnector`]: plain for `http://`, TLS for
/// `https://`.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per connection, never moved after setup
pub enum MaybeHttpsStream {
    /// An `http://` connection.
    Http(TcpConnection),
    /// An `https://` connection.
    Https(TokioIo<TlsStream<TcpStream>>),
}

impl Connection for MaybeHttpsStream {
    fn connected(&self) -> Connected {
        match self {
            MaybeHttpsStream::Http(tcp) => tcp.connected(),
            MaybeHttpsStream::Https(tls) => {
                let h2 = tls.inner().get_ref().1.alpn_protocol() == Some(b"h2");
                if h2 {
                    Connected::new().negotiated_h2()
                } else {
                    Connected::new()
                }
            }
        }
    }
}

/// Forwards one hyper I/O method to whichever variant this is.
macro_rules! either {
    ($self:ident, $io:ident => $call:expr) => {
        match Pin::get_mut($self) {
            MaybeHttpsStream::Http($io) => {
                let $io = Pin::new($io);
                $call
            }
            MaybeHttpsStream::Https($io) => {
                let $io = Pin::new($io);
                $call
            }
        }
    };
}

impl hyper::rt::Read for MaybeHttpsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        either!(self, io => io.poll_read(cx, buf))
    }
}

impl hyper::rt::Write for MaybeHttpsStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        either!(self, io => io.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self, io => io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        either!(self, io => io.poll_shutdown(cx))
    }
}
