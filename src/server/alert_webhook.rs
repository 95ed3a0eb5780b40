//! The alert webhook's sender (`serve --alert-webhook`): a task that claims
//! the risk alerts due for delivery from the outbox
//! ([`App::claim_alert_deliveries`]), POSTs each as signed JSON, and
//! records the outcome: delivered on a 2xx answer, else due again after a
//! capped exponential backoff, across restarts, until a receiver takes it
//! (at least once; the alert id is the idempotency key).
//!
//! The signature is HMAC-SHA256, keyed by the operator's secret, over
//! `timestamp "." idempotency_key "." body`, so a receiver can refuse a
//! changed request and, by the timestamp, a replayed one
//! (docs/operations.md, "Alert webhook").

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use sha2::Sha256;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use uuid::Uuid;

use crate::app::App;
use crate::config::{ServeConfig, WebhookUrl};
use crate::domain::{AlertDelivery, Backoff};

/// The header with the signature, `v1=` and 64 hexadecimal digits.
pub const SIGNATURE_HEADER: &str = "stepwise-signature";
/// The header with the time of signing, seconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "stepwise-timestamp";
/// The header with the idempotency key: the alert's id.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The longest a send may take, connecting included; a slower receiver's
/// send counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the webhook's settings cannot be used: stops the server at start.
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct WebhookSettingsError {
    /// The flag at fault.
    pub flag: &'static str,
    /// What is wrong.
    pub message: String,
}

/// The sender's settings, checked at start.
#[derive(Clone)]
pub struct AlertWebhook {
    url: WebhookUrl,
    secret: Arc<[u8]>,
    backoff: Backoff,
    poll: Duration,
    lease: Duration,
    tls: Option<TlsConnector>,
}

impl AlertWebhook {
    /// The webhook of `config`, if one is set, with its secret read from
    /// its file (a missing or empty file is refused, naming the flag).
    pub fn from_config(config: &ServeConfig) -> Result<Option<Self>, WebhookSettingsError> {
        let Some(url) = config.alert_webhook.clone() else {
            return Ok(None);
        };
        let refused = |message: String| WebhookSettingsError {
            flag: "--alert-webhook-secret-file",
            message,
        };
        let path = config
            .alert_webhook_secret_file
            .as_deref()
            .ok_or_else(|| refused("is required with --alert-webhook".into()))?;
        let secret = read_secret(path).map_err(refused)?;
        let tls = match url.uri().scheme_str() {
            Some("https") => Some(tls_connector().map_err(|message| WebhookSettingsError {
                flag: "--alert-webhook",
                message,
            })?),
            _ => None,
        };
        Ok(Some(Self {
            url,
            secret: secret.into(),
            backoff: Backoff {
                base: Duration::from_millis(config.alert_webhook_backoff_base_ms),
                cap: Duration::from_millis(config.alert_webhook_backoff_cap_ms),
            },
            poll: Duration::from_millis(config.alert_webhook_poll_ms),
            lease: Duration::from_millis(config.alert_webhook_lease_ms),
            tls,
        }))
    }

    /// Delivers the outbox's alerts until `stop` turns true. A send in
    /// flight then is abandoned and its claim released, so the next server
    /// to start sends it again at once.
    pub async fn run(self, app: App, mut stop: watch::Receiver<bool>) {
        // A claim names the server's run, not its machine: a restarted
        // server does not mistake its predecessor's claims for its own.
        let node_id = Uuid::now_v7();
        tracing::info!(webhook = %self.url.origin(), "delivering risk alerts to the webhook");
        loop {
            match app.claim_alert_deliveries(node_id, self.lease).await {
                Ok(claimed) => {
                    for delivery in claimed {
                        if !self.deliver(&app, node_id, &delivery, &mut stop).await {
                            return;
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "cannot read the alert outbox"),
            }
            let wait = self.wait(&app).await;
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
        }
    }

    /// Sends one claimed delivery and records how it went; `false` when
    /// the server stops meanwhile.
    async fn deliver(
        &self,
        app: &App,
        node_id: Uuid,
        delivery: &AlertDelivery,
        stop: &mut watch::Receiver<bool>,
    ) -> bool {
        let alert = delivery.alert_id;
        let sent = tokio::select! {
            sent = self.send(delivery, app.now_micros()) => Some(sent),
            _ = stop.wait_for(|stopping| *stopping) => None,
        };
        let Some(sent) = sent else {
            if let Err(error) = app.alert_delivery_released(alert, node_id).await {
                tracing::warn!(%error, alert_id = %alert, "cannot release a webhook delivery");
            }
            return false;
        };
        let recorded = match sent {
            Ok(()) => {
                tracing::info!(alert_id = %alert, "risk alert delivered to the webhook");
                app.alert_delivered(alert).await
            }
            Err(reason) => {
                let attempts = delivery.attempts + 1;
                let retry_ms = self.backoff.after(attempts).as_millis();
                tracing::warn!(alert_id = %alert, attempts, retry_ms, %reason, "webhook delivery failed");
                app.alert_delivery_failed(alert, node_id, self.backoff)
                    .await
            }
        };
        if let Err(error) = recorded {
            // The lease lapses and the delivery is tried again.
            tracing::warn!(%error, alert_id = %alert, "cannot record a webhook delivery");
        }
        true
    }

    /// How long to sleep: until the next delivery is due, at most the poll
    /// interval (alerts that other servers open show up only by looking).
    async fn wait(&self, app: &App) -> Duration {
        let next = app.next_alert_delivery_us().await.ok().flatten();
        let until_next = next.map_or(self.poll, |due_us| {
            let micros = due_us.saturating_sub(app.now_micros()).max(0);
            Duration::from_micros(u64::try_from(micros).unwrap_or(0))
        });
        until_next.clamp(Duration::from_millis(1), self.poll)
    }

    /// POSTs the signed alert; `Err` says why it did not reach a receiver
    /// that answered 2xx.
    async fn send(&self, delivery: &AlertDelivery, now_us: i64) -> Result<(), String> {
        let body = payload(delivery);
        let timestamp = now_us.div_euclid(1_000_000).to_string();
        let key = delivery.alert_id.to_string();
        let signature = sign(&self.secret, &timestamp, &key, &body);
        let uri = self.url.uri();
        // Origin-form, as a server expects from a client that is no proxy;
        // the Host header without any credentials the URL holds.
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let host = match uri.port() {
            Some(port) => format!("{}:{port}", uri.host().unwrap_or_default()),
            None => uri.host().unwrap_or_default().to_owned(),
        };
        let request = http::Request::post(target)
            .header(http::header::HOST, host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "stepwise-alert-webhook")
            .header(TIMESTAMP_HEADER, &timestamp)
            .header(IDEMPOTENCY_HEADER, &key)
            .header(SIGNATURE_HEADER, format!("v1={signature}"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("cannot build the request: {e}"))?;
        let status = tokio::time::timeout(SEND_TIMEOUT, self.post(request))
            .await
            .map_err(|_| format!("no answer within {} s", SEND_TIMEOUT.as_secs()))??;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {status}"))
        }
    }

    /// One request on a new connection.
    async fn post(&self, request: http::Request<Full<Bytes>>) -> Result<http::StatusCode, String> {
        let uri = self.url.uri();
        let host = uri.host().unwrap_or_default();
        let tls = self.tls.is_some();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let tcp = TcpStream::connect((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        match &self.tls {
            Some(connector) => {
                let name = ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
                    .map_err(|e| format!("not a TLS server name: {e}"))?;
                let stream = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("TLS handshake failed: {e}"))?;
                exchange(stream, request).await
            }
            None => exchange(tcp, request).await,
        }
    }
}

/// Sends `request` over `stream` with HTTP/1.1 and reads the answer's
/// status (and its body, so the connection ends cleanly).
async fn exchange(
    stream: impl AsyncRead + AsyncWrite + Send + Unpin + 'static,
    request: http::Request<Full<Bytes>>,
) -> Result<http::StatusCode, String> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let connection = tokio::spawn(connection);
    let answer = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the request failed: {e}"));
    let status = match answer {
        Ok(response) => {
            let status = response.status();
            // What the receiver says is not ours to keep or log.
            let _ = response.into_body().collect().await;
            Ok(status)
        }
        Err(reason) => Err(reason),
    };
    drop(sender);
    connection.abort();
    status
}

/// The JSON body for `delivery`: ids, the flag, times. Never anything a
/// client wrote.
pub fn payload(delivery: &AlertDelivery) -> Vec<u8> {
    let opened = DateTime::<Utc>::from_timestamp_micros(delivery.open_time_us)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let body = serde_json::json!({
        "type": "risk_alert.opened",
        "alert_id": delivery.alert_id.to_string(),
        "client_id": delivery.client_id.to_string(),
        "result_id": delivery.result_id.to_string(),
        "result_date": delivery.result_date.to_string(),
        "flag": "FLAG_SELF_HARM_RISK",
        "open_time": opened,
    });
    body.to_string().into_bytes()
}

/// HMAC-SHA256 keyed by `secret` over `timestamp.key.body`, in lowercase
/// hexadecimal.
pub fn sign(secret: &[u8], timestamp: &str, key: &str, body: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    for part in [timestamp.as_bytes(), b".", key.as_bytes(), b".", body] {
        mac.update(part);
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The secret in `path`, trimmed; an empty one signs nothing worth
/// checking, so it is refused.
fn read_secret(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let secret = text.trim_ascii();
    if secret.is_empty() {
        return Err(format!("{} is empty", path.display()));
    }
    Ok(secret.to_vec())
}

/// TLS to the receiver, trusting the system's CAs.
fn tls_connector() -> Result<TlsConnector, String> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err("the system has no CA certificates to check an https receiver with".into());
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_timestamp_key_and_body() {
        // The same MAC as over the three parts joined by dots, and a
        // changed body changes it.
        let signed = sign(b"Jefe", "what do ya want", "for", b"nothing?");
        assert_ne!(signed, sign(b"Jefe", "what do ya want", "for", b"nothing!"));
        let whole = {
            let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").expect("key");
            mac.update(b"what do ya want.for.nothing?");
            mac.finalize().into_bytes()
        };
        let hex: String = whole.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(signed, hex);
    }
}
