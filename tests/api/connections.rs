//! Connections that never finish the HTTP handshake: sockets that send
//! nothing, half the HTTP/2 preface, or stop in or right after the TLS
//! handshake. The server closes them once its handshake deadline passes,
//! holds no more connections than its open-file limit allows, and goes on
//! answering everyone else meanwhile. Run against the real binary, with
//! the deadline shortened through its environment variable.

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::binary::{STEPWISE, ServerProcess, channel, serve_args, spawn_server_logged};

/// The handshake deadline the tests give the server, in milliseconds.
const DEADLINE_MS: &str = "1000";
/// How long a test waits for what the server does within a deadline or
/// two: far longer, so that only a server that never does it fails.
const BOUND: Duration = Duration::from_secs(30);
/// The HTTP/2 client preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// `stepwise serve` on `data_dir` with the short handshake deadline.
fn serve(data_dir: &std::path::Path, program: &str, before: &[String]) -> Command {
    let mut command = Command::new(program);
    command
        .args(before)
        .args(serve_args(data_dir))
        .env("STEPWISE_HANDSHAKE_TIMEOUT_MS", DEADLINE_MS);
    command
}

/// Completes when the server has closed the connection (end of stream or
/// a reset), whatever it sent before.
async fn closed_by_server(mut socket: impl AsyncRead + Unpin) {
    let mut buf = [0u8; 512];
    while let Ok(1..) = socket.read(&mut buf).await {}
}

/// A health check on a connection of its own, answered SERVING.
async fn health_on_a_new_connection(addr: SocketAddr) {
    let check = async {
        HealthClient::new(channel(addr).await)
            .check(HealthCheckRequest::default())
            .await
            .expect("health answers")
            .into_inner()
    };
    let health = tokio::time::timeout(BOUND, check)
        .await
        .expect("a health check on a new connection is answered");
    assert_eq!(health.status(), ServingStatus::Serving);
}

/// An HTTP/2 connection that finished its handshake over `io`, kept open
/// while the returned client lives, and a way to ping the server on it.
async fn http2_connection<IO>(io: IO) -> (h2::client::SendRequest<bytes::Bytes>, h2::PingPong)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (client, mut connection) = h2::client::handshake(io).await.expect("HTTP/2");
    let ping_pong = connection.ping_pong().expect("ping_pong");
    tokio::spawn(connection);
    (client, ping_pong)
}

/// Waits until the server closed every one of `silent`, checking health on
/// new connections every 100 ms meanwhile.
async fn closed_while_answering(silent: Vec<TcpStream>, addr: SocketAddr) {
    let all_closed = futures_util::future::join_all(silent.into_iter().map(closed_by_server));
    let answering = async {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            health_on_a_new_connection(addr).await;
        }
    };
    tokio::time::timeout(BOUND, async {
        tokio::select! {
            _ = all_closed => {}
            () = answering => {}
        }
    })
    .await
    .expect("the server closes every connection that never finished its handshake");
}

#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_past_the_open_file_limit_are_closed_and_health_is_answered() {
    const OPEN_FILES: u64 = 256;
    const SILENT: usize = 300;
    let data_dir = tempfile::tempdir().expect("temp dir");
    // util-linux's prlimit runs the server with a soft and hard limit of
    // 256 open files, so raising the soft limit gains nothing.
    let limit = format!("--nofile={OPEN_FILES}:{OPEN_FILES}");
    let (server, addr, started) = spawn_server_logged(&mut serve(
        data_dir.path(),
        "prlimit",
        &[limit, "--".into(), STEPWISE.into()],
    ));
    let _server = ServerProcess(server);

    // A client that finished its handshake before the flood, then idles.
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (_client, mut idle) = http2_connection(tcp).await;

    // More connections than the server may open files: half send nothing,
    // half stop in the middle of the HTTP/2 preface.
    let mut silent = Vec::new();
    for n in 0..SILENT {
        let mut socket = TcpStream::connect(addr).await.expect("connect");
        if n % 2 == 1 {
            socket
                .write_all(&PREFACE[..PREFACE.len() / 2])
                .await
                .expect("half a preface");
        }
        silent.push(socket);
    }
    health_on_a_new_connection(addr).await;

    // Each is closed one deadline after the server accepted it (those that
    // waited for a place, one deadline later); health checks are answered
    // all along.
    closed_while_answering(silent, addr).await;

    // The deadline has passed for the idle client too, but it had finished
    // its handshake: its connection is still open.
    idle.ping(h2::Ping::opaque())
        .await
        .expect("a connection that finished its handshake stays open");

    // The server said at start what it may open and how many connections
    // it takes.
    let limits = started
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line.get("max_connections").is_some())
        .unwrap_or_else(|| panic!("the open-file limit is logged at start: {started:#?}"));
    assert_eq!(limits["open_files"], OPEN_FILES, "{limits}");
    assert_eq!(limits["open_files_hard"], OPEN_FILES, "{limits}");
    let max_connections = limits["max_connections"].as_u64().expect("a number");
    assert!(max_connections < OPEN_FILES, "{limits}");
}

/// A TLS client that trusts `cert_der` and offers HTTP/2.
fn tls_connector(cert_der: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(cert_der.to_vec()))
        .expect("trust the certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_handshake_and_the_preface_after_it_fall_under_the_same_deadline() {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let data_dir = tempfile::tempdir().expect("temp dir");
    let files = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (files.path().join("cert.pem"), files.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let mut command = serve(data_dir.path(), STEPWISE, &[]);
    command
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key);
    let (server, addr, _) = spawn_server_logged(&mut command);
    let _server = ServerProcess(server);
    let tls = tls_connector(certified.cert.der());
    let localhost = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let handshake = || async {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tls.connect(localhost.clone(), tcp)
            .await
            .expect("TLS handshake")
    };

    // A client that finished both handshakes, then idles.
    let (_client, mut idle) = http2_connection(handshake().await).await;

    // Silent before TLS, in the middle of its first message, and after it.
    let silent = TcpStream::connect(addr).await.expect("connect");
    let mut hello = TcpStream::connect(addr).await.expect("connect");
    hello
        .write_all(b"\x16\x03\x01\x02\x00\x01")
        .await
        .expect("the start of a ClientHello");
    let mut after_tls = handshake().await;
    after_tls
        .write_all(&PREFACE[..PREFACE.len() / 2])
        .await
        .expect("half a preface");
    let (silent, hello) = (Box::pin(silent), Box::pin(hello));
    let sockets: Vec<std::pin::Pin<Box<dyn AsyncRead + Send>>> =
        vec![silent, hello, Box::pin(after_tls)];
    tokio::time::timeout(
        BOUND,
        futures_util::future::join_all(sockets.into_iter().map(closed_by_server)),
    )
    .await
    .expect("the server closes connections that stop in or after the TLS handshake");

    idle.ping(h2::Ping::opaque())
        .await
        .expect("a connection that finished its handshakes stays open");
}
