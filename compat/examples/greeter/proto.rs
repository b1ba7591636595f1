//! The `helloworld.Greeter` gRPC service, in the shape tonic-prost-build
//! generates (checked in, so building needs no `protoc`):
//!
//! ```proto
//! syntax = "proto3";
//! package helloworld;
//! service Greeter {
//!   rpc SayHello (HelloRequest) returns (HelloReply);
//!   rpc SayHelloStream (HelloRequest) returns (stream HelloReply);
//! }
//! message HelloRequest { string name = 1; uint32 count = 2; uint64 delay_ms = 3; }
//! message HelloReply { string message = 1; }
//! ```
//!
//! Shared by the `tonic_greeter` example and the grpc tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::codegen::{http, Body, BoxFuture, GrpcMethod, StdError};
use tonic::{Request, Response, Status, Streaming};

/// A greeting request: who, how many streamed replies, and how long the
/// server waits before each reply.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Replies `SayHelloStream` sends.
    #[prost(uint32, tag = "2")]
    pub count: u32,
    /// Delay before each reply, in milliseconds.
    #[prost(uint64, tag = "3")]
    pub delay_ms: u64,
}

/// A greeting.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting text.
    #[prost(string, tag = "1")]
    pub message: String,
}

const SERVICE: &str = "helloworld.Greeter";
const SAY_HELLO: &str = "/helloworld.Greeter/SayHello";
const SAY_HELLO_STREAM: &str = "/helloworld.Greeter/SayHelloStream";

/// The client stub.
#[derive(Debug, Clone)]
pub struct GreeterClient<T> {
    inner: tonic::client::Grpc<T>,
}

impl<T> GreeterClient<T>
where
    T: tonic::client::GrpcService<tonic::body::Body>,
    T::Error: Into<StdError>,
    T::ResponseBody: Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as Body>::Error: Into<StdError> + Send,
{
    /// A client over `inner` (a tonic `Channel`, say).
    pub fn new(inner: T) -> Self {
        GreeterClient { inner: tonic::client::Grpc::new(inner) }
    }

    async fn ready(&mut self) -> Result<(), Status> {
        self.inner.ready().await.map_err(|e| Status::unknown(format!("Service was not ready: {}", e.into())))
    }

    /// Unary `SayHello`.
    pub async fn say_hello(
        &mut self,
        request: impl tonic::IntoRequest<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.ready().await?;
        let mut req = request.into_request();
        req.extensions_mut().insert(GrpcMethod::new(SERVICE, "SayHello"));
        let path = http::uri::PathAndQuery::from_static(SAY_HELLO);
        self.inner.unary(req, path, tonic_prost::ProstCodec::default()).await
    }

    /// Server-streaming `SayHelloStream`.
    pub async fn say_hello_stream(
        &mut self,
        request: impl tonic::IntoRequest<HelloRequest>,
    ) -> Result<Response<Streaming<HelloReply>>, Status> {
        self.ready().await?;
        let mut req = request.into_request();
        req.extensions_mut().insert(GrpcMethod::new(SERVICE, "SayHelloStream"));
        let path = http::uri::PathAndQuery::from_static(SAY_HELLO_STREAM);
        self.inner.server_streaming(req, path, tonic_prost::ProstCodec::default()).await
    }
}

/// The stream of replies `SayHelloStream` returns.
pub type ReplyStream = Pin<Box<dyn tokio_stream::Stream<Item = Result<HelloReply, Status>> + Send>>;

/// What a Greeter server implements.
#[tonic::async_trait]
pub trait Greeter: Send + Sync + 'static {
    /// Unary `SayHello`.
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status>;
    /// Server-streaming `SayHelloStream`.
    async fn say_hello_stream(&self, request: Request<HelloRequest>) -> Result<Response<ReplyStream>, Status>;
}

/// The server: a tower service for `tonic::service::Routes` or tonic's
/// `Server::add_service`.
#[derive(Debug)]
pub struct GreeterServer<T> {
    inner: Arc<T>,
}

impl<T> GreeterServer<T> {
    /// Serves `inner`.
    pub fn new(inner: T) -> Self {
        GreeterServer { inner: Arc::new(inner) }
    }
}

impl<T> Clone for GreeterServer<T> {
    fn clone(&self) -> Self {
        GreeterServer { inner: self.inner.clone() }
    }
}

impl<T> tonic::server::NamedService for GreeterServer<T> {
    const NAME: &'static str = SERVICE;
}

struct SayHelloSvc<T>(Arc<T>);

impl<T: Greeter> tonic::server::UnaryService<HelloRequest> for SayHelloSvc<T> {
    type Response = HelloReply;
    type Future = BoxFuture<Response<HelloReply>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.say_hello(request).await })
    }
}

struct SayHelloStreamSvc<T>(Arc<T>);

impl<T: Greeter> tonic::server::ServerStreamingService<HelloRequest> for SayHelloStreamSvc<T> {
    type Response = HelloReply;
    type ResponseStream = ReplyStream;
    type Future = BoxFuture<Response<ReplyStream>, Status>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.say_hello_stream(request).await })
    }
}

impl<T, B> tonic::codegen::Service<http::Request<B>> for GreeterServer<T>
where
    T: Greeter,
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        match req.uri().path() {
            SAY_HELLO => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.unary(SayHelloSvc(inner), req).await)
            }),
            SAY_HELLO_STREAM => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(tonic_prost::ProstCodec::default());
                Ok(grpc.server_streaming(SayHelloStreamSvc(inner), req).await)
            }),
            _ => Box::pin(async move { Ok(Status::unimplemented("no such method").into_http()) }),
        }
    }
}

/// Sleeps on the runtime the server runs on (ringline's or tokio's timer).
pub type SleepFn = fn(std::time::Duration) -> Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// A Greeter that answers "hello NAME" (streamed: "hello NAME #i" for each
/// of `count` replies), waiting `delay_ms` before each reply.
#[derive(Debug)]
pub struct HelloGreeter {
    /// The timer to wait on.
    pub sleep: SleepFn,
}

#[tonic::async_trait]
impl Greeter for HelloGreeter {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        let HelloRequest { name, delay_ms, .. } = request.into_inner();
        (self.sleep)(std::time::Duration::from_millis(delay_ms)).await;
        Ok(Response::new(HelloReply { message: format!("hello {name}") }))
    }

    async fn say_hello_stream(&self, request: Request<HelloRequest>) -> Result<Response<ReplyStream>, Status> {
        let HelloRequest { name, count, delay_ms } = request.into_inner();
        let sleep = self.sleep;
        let replies = futures_util::stream::unfold(0, move |i| {
            let name = name.clone();
            async move {
                if i == count {
                    return None;
                }
                sleep(std::time::Duration::from_millis(delay_ms)).await;
                Some((Ok(HelloReply { message: format!("hello {name} #{i}") }), i + 1))
            }
        });
        Ok(Response::new(Box::pin(replies) as ReplyStream))
    }
}
