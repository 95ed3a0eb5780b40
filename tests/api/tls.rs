//! TLS, as mobile apps use it in production: a self-signed certificate made
//! in the test, trusted by the client.

use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use crate::helpers::*;

/// A server with a fresh certificate for "localhost"; returns it with the
/// certificate's PEM (kept alive by the returned temp dir).
pub async fn tls_app() -> (TestApp, String, tempfile::TempDir) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let cert_pem = certified.cert.pem();
    std::fs::write(&cert, &cert_pem).expect("write cert");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("write key");
    let app = TestApp::spawn_with(|config| {
        config.tls_cert = Some(cert);
        config.tls_key = Some(key);
    })
    .await;
    (app, cert_pem, dir)
}

#[tokio::test]
async fn a_client_trusting_the_certificate_talks_tls() {
    let (app, cert_pem, _dir) = tls_app().await;
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&cert_pem))
        .domain_name("localhost");
    let channel = Channel::from_shared(format!("https://{}", app.addr))
        .expect("uri")
        .tls_config(tls)
        .expect("tls config")
        .connect()
        .await
        .expect("TLS handshake");
    let account =
        AccountServiceClient::new(stepwise::client::authenticated(channel, &app.admin_token))
            .get_current_account(pb::GetCurrentAccountRequest {})
            .await
            .expect("call over TLS")
            .into_inner();
    assert_eq!(account.role, pb::Role::Admin as i32);
}

#[tokio::test]
async fn a_plaintext_client_gets_no_answer_from_a_tls_server() {
    let (app, _, _dir) = tls_app().await;
    let connected = Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .connect()
        .await;
    if let Ok(channel) = connected {
        let call =
            AccountServiceClient::new(stepwise::client::authenticated(channel, &app.admin_token))
                .get_current_account(pb::GetCurrentAccountRequest {})
                .await;
        assert!(call.is_err(), "plaintext must not reach the API");
    }
}
