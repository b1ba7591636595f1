//! What [`serve`](crate::serve) accepts: a make-service (called once per
//! connection with the peer's address) or a `Clone` service (cloned per
//! connection). Coherence forbids one blanket impl over both, so each has a
//! marker type; the compiler infers it, users never name it.

use std::error::Error as StdError;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response};
use hyper::body::{Body, Incoming};
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use ringline::net::TcpStream;
use tower_service::Service;

use crate::rt::RinglineExecutor;

type BoxError = Box<dyn StdError + Send + Sync>;

/// Marker for [`IntoConnService`]: a make-service such as axum's
/// `Router::into_make_service()` or
/// `into_make_service_with_connect_info::<SocketAddr>()`, called with the
/// peer's [`SocketAddr`] for each connection.
#[derive(Debug)]
pub enum MakeServiceMarker {}

/// Marker for [`IntoConnService`]: a `Clone` service (an axum `Router`, a
/// tonic `Routes`, any tower service of `http::Request<Incoming>`), cloned
/// for each connection.
#[derive(Debug)]
pub enum CloneServiceMarker {}

/// A service that can serve an HTTP connection: a `Clone` tower service of
/// `http::Request<hyper::body::Incoming>` whose responses have a body hyper
/// can send, all `Send + 'static` so connections run on any worker.
pub trait ConnService: Clone + Send + 'static {
    /// Serves one connection until it closes (or, once `watcher` signals a
    /// graceful shutdown, until its in-flight requests are answered).
    fn serve_connection(
        self,
        stream: TcpStream,
        builder: Arc<auto::Builder<RinglineExecutor>>,
        watcher: Watcher,
    ) -> impl Future<Output = ()> + Send + 'static;
}

impl<S, B> ConnService for S
where
    S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    async fn serve_connection(
        self,
        stream: TcpStream,
        builder: Arc<auto::Builder<RinglineExecutor>>,
        watcher: Watcher,
    ) {
        let service = TowerToHyperService::new(self);
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        // Connection errors (a peer that vanished, a malformed request
        // already answered with 400) end this connection only.
        let _ = watcher.watch(conn).await;
    }
}

/// Turns what was given to [`serve`](crate::serve) into the service for one
/// connection. Implemented for make-services ([`MakeServiceMarker`]) and for
/// `Clone` services ([`CloneServiceMarker`]).
pub trait IntoConnService<Marker>: Send + 'static {
    /// The per-connection service.
    type Service: ConnService;

    /// The service for a connection from `peer`; None when a make-service
    /// fails (the connection is then closed).
    fn service_for(&mut self, peer: SocketAddr) -> impl Future<Output = Option<Self::Service>> + Send + '_;
}

impl<M, S> IntoConnService<MakeServiceMarker> for M
where
    M: Service<SocketAddr, Response = S> + Send + 'static,
    M::Future: Send,
    S: ConnService,
{
    type Service = S;

    async fn service_for(&mut self, peer: SocketAddr) -> Option<S> {
        poll_fn(|cx| self.poll_ready(cx)).await.ok()?;
        self.call(peer).await.ok()
    }
}

impl<S: ConnService> IntoConnService<CloneServiceMarker> for S {
    type Service = S;

    fn service_for(&mut self, _peer: SocketAddr) -> impl Future<Output = Option<S>> + Send + '_ {
        std::future::ready(Some(self.clone()))
    }
}
