//! A TLS echo server on ringline with tokio-rustls, unchanged, over
//! `ringline::net::TcpStream`, and a client for it.
//!
//! `cargo run -p ringline-compat --example tls_echo`: serves on
//! 127.0.0.1:8443 with the test certificate in tests/certs, connects to
//! itself, echoes a line and exits. Try
//! `openssl s_client -connect 127.0.0.1:8443 -CAfile compat/tests/certs/ca.pem`
//! while it runs with `-- serve`.

use std::path::PathBuf;
use std::sync::Arc;

use ringline::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn cert(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/certs").join(name)
}

#[allow(deprecated)] // ring builds without cmake; see ringline-compat's connect/tls.rs
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn acceptor() -> Result<TlsAcceptor, Error> {
    let certs = CertificateDer::pem_file_iter(cert("server.pem"))?.collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_file(cert("server.key"))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn connector() -> Result<TlsConnector, Error> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(cert("ca.pem"))?)?;
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

async fn serve(listener: ringline::net::TcpListener, acceptor: TlsAcceptor) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        let acceptor = acceptor.clone();
        ringline::spawn(async move {
            let Ok(tls) = acceptor.accept(stream).await else { return };
            let mut tls = BufReader::new(tls);
            let mut line = String::new();
            while tls.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                if tls.get_mut().write_all(line.as_bytes()).await.is_err() {
                    break;
                }
                line.clear();
            }
            println!("{peer} done");
        });
    }
}

#[ringline::main]
async fn main() -> Result<(), Error> {
    let listener = ringline::net::TcpListener::bind("127.0.0.1:8443").await?;
    let addr = listener.local_addr()?;
    let server = ringline::spawn(serve(listener, acceptor()?));
    if std::env::args().nth(1).as_deref() == Some("serve") {
        println!("TLS echo on {addr}");
        server.await?;
        return Ok(());
    }
    let stream = ringline::net::TcpStream::connect(addr).await?;
    let tls = connector()?.connect(ServerName::try_from("localhost")?, stream).await?;
    let mut tls = BufReader::new(tls);
    tls.get_mut().write_all(b"hello over TLS on ringline\n").await?;
    let mut echoed = String::new();
    tls.read_line(&mut echoed).await?;
    print!("echoed: {echoed}");
    Ok(())
}
