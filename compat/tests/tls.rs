//! TLS on ringline with tokio-rustls, unchanged, over `ringline::net::TcpStream`:
//! a ringline TLS server checked by `openssl s_client` and curl (with the
//! test CA in tests/certs), and ringline TLS clients (plain tokio-rustls and
//! compat's `HttpsConnector` under hyper's client) against rustls servers.
//! Runs on both backends.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client;
use ringline::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use ringline_compat::connect::HttpsConnector;
use ringline_compat::rt::{RinglineExecutor, RinglineTimer};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn cert_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/certs").join(name)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[allow(deprecated)] // ring: the provider this crate builds with (see connect/tls.rs)
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The test server's config (certificate for localhost and 127.0.0.1),
/// offering h2 and http/1.1.
fn server_config() -> Arc<ServerConfig> {
    let certs = CertificateDer::pem_file_iter(cert_path("server.pem")).expect("cert").map(|c| c.expect("cert"));
    let key = PrivateKeyDer::from_pem_file(cert_path("server.key")).expect("key");
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(certs.collect(), key)
        .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A client config trusting only the test CA.
fn client_config(alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(cert_path("ca.pem")).expect("ca")).expect("add ca");
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("version").output().is_ok_and(|o| o.status.success())
        || Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{tool} is missing: scripts/ci-deps.sh installs it");
        eprintln!("skipping: {tool} is not installed (scripts/ci-deps.sh installs it)");
    }
    found
}

/// A ringline server on 127.0.0.1: TLS with tokio-rustls over ringline's
/// TcpStream; a connection that negotiates ALPN is served HTTP (h2 or 1.1)
/// with hyper, any other echoes lines until the peer closes.
fn start_ringline_tls_server(rt: &ringline::runtime::Runtime) -> SocketAddr {
    let listener = rt.block_on(ringline::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = TlsAcceptor::from(server_config());
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let acceptor = acceptor.clone();
            ringline::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                if tls.get_ref().1.alpn_protocol().is_some() {
                    serve_http(tls).await;
                } else {
                    echo_lines(tls).await;
                }
            });
        }
    });
    addr
}

async fn serve_http<S>(tls: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(RinglineExecutor::new());
    builder.http1().timer(RinglineTimer::new());
    builder.http2().timer(RinglineTimer::new());
    let service = hyper::service::service_fn(|req: http::Request<hyper::body::Incoming>| async move {
        let body = format!("tls hello over {:?}", req.version());
        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from(body))))
    });
    let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(tls), service).await;
}

async fn echo_lines<S>(tls: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut tls = BufReader::new(tls);
    let mut line = String::new();
    while tls.read_line(&mut line).await.is_ok_and(|n| n > 0) {
        if tls.get_mut().write_all(line.as_bytes()).await.is_err() {
            return;
        }
        line.clear();
    }
    let _ = tls.get_mut().shutdown().await;
}

#[test]
fn openssl_s_client_against_ringline_tls_server() {
    if !have("openssl") {
        return;
    }
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let addr = start_ringline_tls_server(&rt);
    let ca = cert_path("ca.pem");
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-servername", "localhost", "-verify_return_error"])
        .args(["-CAfile", ca.to_str().expect("path")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl s_client");
    // s_client sends stdin line by line and prints what comes back; stdin
    // stays open until the echo is seen (at EOF s_client hangs up at once).
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"ringline over tls\n").expect("write");
    let mut seen = String::new();
    for line in std::io::BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("s_client output");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("ringline over tls") {
            break;
        }
    }
    drop(stdin);
    let _ = child.wait();
    assert!(seen.contains("Verify return code: 0 (ok)"), "verification failed: {seen}");
    assert!(seen.contains("ringline over tls"), "no echo: {seen}");
}

#[test]
fn curl_with_the_test_ca_against_ringline_https_server() {
    if !have("curl") {
        return;
    }
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let addr = start_ringline_tls_server(&rt);
    let url = format!("https://localhost:{}/", addr.port());
    let ca = cert_path("ca.pem");
    for (flag, version) in [("--http1.1", "HTTP/1.1"), ("--http2", "HTTP/2.0")] {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "10", flag, "--cacert", ca.to_str().expect("path"), &url])
            .args(["--resolve", &format!("localhost:{}:127.0.0.1", addr.port())])
            .output()
            .expect("curl");
        assert!(out.status.success(), "curl failed: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("tls hello over {version}"));
    }
}

#[test]
fn ringline_tls_client_against_rustls_server_on_tokio() {
    let tokio_rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let listener = tokio_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acceptor = TlsAcceptor::from(server_config());
    tokio_rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    echo_lines(tls).await;
                }
            });
        }
    });
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    rt.block_on(async {
        let stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
        let connector = TlsConnector::from(client_config(&[]));
        let name = ServerName::try_from("localhost").expect("name");
        let tls = connector.connect(name, stream).await.expect("handshake");
        let mut tls = BufReader::new(tls);
        for i in 0..100 {
            let sent = format!("line {i} {}\n", "x".repeat(i * 100));
            tls.get_mut().write_all(sent.as_bytes()).await.expect("write");
            let mut got = String::new();
            tls.read_line(&mut got).await.expect("read");
            assert_eq!(got, sent);
        }
        // A certificate for another name is refused.
        let stream = ringline::net::TcpStream::connect(addr).await.expect("connect");
        let wrong = ServerName::try_from("example.com").expect("name");
        let refused = connector.connect(wrong, stream).await;
        assert_eq!(refused.expect_err("wrong name").kind(), std::io::ErrorKind::InvalidData);
    });
}

#[test]
fn https_connector_under_hypers_client_negotiates_h2() {
    let rt = ringline::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let addr = start_ringline_tls_server(&rt);
    rt.block_on(async {
        // The default connector (webpki roots) leaves http:// plain; the
        // test CA is not among its roots, so https:// to our server fails.
        let client = Client::builder(RinglineExecutor::new()).build::<_, Empty<Bytes>>(HttpsConnector::new());
        let plain = client.get(format!("http://{addr}/").parse().unwrap()).await;
        assert!(plain.is_err(), "a TLS server does not answer plain HTTP");
        let untrusted = client.get(format!("https://127.0.0.1:{}/", addr.port()).parse().unwrap()).await;
        assert!(untrusted.is_err(), "the test CA is not a webpki root");
        for (alpn, version) in
            [(&[b"h2".as_slice(), b"http/1.1"][..], "HTTP/2.0"), (&[b"http/1.1".as_slice()][..], "HTTP/1.1")]
        {
            let connector = HttpsConnector::with_config(client_config(alpn));
            let client = Client::builder(RinglineExecutor::new())
                .timer(RinglineTimer::new())
                .build::<_, Empty<Bytes>>(connector);
            let url = format!("https://127.0.0.1:{}/", addr.port());
            let response = client.get(url.parse().unwrap()).await.expect("response");
            let body = response.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(body, format!("tls hello over {version}"));
        }
    });
}
