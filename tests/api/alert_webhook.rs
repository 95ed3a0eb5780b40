//! The alert webhook (`serve --alert-webhook`): each new risk alert is
//! POSTed to a receiver started here, signed so the receiver can check it,
//! with ids and times only; a receiver that is down for a while gets it
//! once it is back, across a server restart; one of several servers on
//! PostgreSQL sends each alert; bad settings stop the server at start.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, StatusCode};
use sha2::Sha256;
use stepwise::config::{ServeConfig, WebhookUrl};
use stepwise::server::Server;
use stepwise::server::alert_webhook::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use tempfile::TempDir;
use tokio::sync::mpsc;

use crate::assessments::{PHQ9, submitted};
use crate::binary::STEPWISE;
use crate::care::team;
use crate::helpers::*;

/// Item 9, "thoughts that you would be better off dead", several days.
const AT_RISK: [i32; 9] = [1, 1, 1, 1, 1, 1, 1, 1, 1];
const CALM: [i32; 9] = [1, 1, 1, 1, 1, 1, 1, 1, 0];
const SECRET: &str = "s3cret-shared-with-the-receiver";
/// How long a test waits for a request before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// A request the receiver got, and what it answered.
struct Received {
    headers: HeaderMap,
    body: Bytes,
    answered: StatusCode,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// What the receiver does: answers 503 while it is down, else 200, and
/// reports each request.
struct Script {
    down: AtomicBool,
    requests: mpsc::UnboundedSender<Received>,
}

/// An HTTP receiver on 127.0.0.1:0, stopped when dropped.
struct Receiver {
    url: String,
    requests: mpsc::UnboundedReceiver<Received>,
    script: Arc<Script>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// A receiver that answers 503 until [`Receiver::come_up`] when
    /// started `down`.
    async fn start(down: bool) -> Self {
        let (sender, requests) = mpsc::unbounded_channel();
        let script = Arc::new(Script {
            down: AtomicBool::new(down),
            requests: sender,
        });
        let routes = Router::new()
            .route("/hooks/alerts", post(receive))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            axum::serve(listener, routes).await.expect("receiver runs");
        });
        Self {
            url: format!("http://{addr}/hooks/alerts"),
            requests,
            script,
            server,
        }
    }

    /// From now on, answers 200.
    fn come_up(&self) {
        self.script.down.store(false, Ordering::SeqCst);
    }

    /// The next request, within [`PATIENCE`].
    async fn next(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.requests.recv())
            .await
            .expect("a request to the webhook in time")
            .expect("the receiver runs")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn receive(State(script): State<Arc<Script>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let answered = if script.down.load(Ordering::SeqCst) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let _ = script.requests.send(Received {
        headers,
        body,
        answered,
    });
    answered
}

/// A file holding [`SECRET`] (with a newline, as editors leave one).
fn secret_file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("webhook.secret");
    std::fs::write(&path, format!("{SECRET}\n")).expect("write secret");
    (dir, path)
}

/// Settings sending to `url`, retrying within milliseconds.
fn webhook(url: &str, secret: &std::path::Path) -> impl Fn(&mut ServeConfig) + Clone + use<> {
    let url: WebhookUrl = url.parse().expect("a webhook URL");
    let secret = secret.to_owned();
    move |config: &mut ServeConfig| {
        config.alert_webhook = Some(url.clone());
        config.alert_webhook_secret_file = Some(secret.clone());
        config.alert_webhook_backoff_base_ms = 5;
        config.alert_webhook_backoff_cap_ms = 40;
        config.alert_webhook_poll_ms = 20;
    }
}

/// Checks the request's signature as a receiver would: HMAC-SHA256 of
/// `timestamp.key.body` with the shared secret, and a timestamp within
/// five minutes of now.
fn assert_signed(request: &Received) {
    let timestamp = request.header(TIMESTAMP_HEADER);
    let key = request.header(IDEMPOTENCY_HEADER);
    let signature = request
        .header(SIGNATURE_HEADER)
        .strip_prefix("v1=")
        .expect("a v1 signature");
    let expected = {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
        mac.update(format!("{timestamp}.{key}.").as_bytes());
        mac.update(&request.body);
        mac.finalize().into_bytes()
    };
    let expected: String = expected.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(signature, expected, "the signature checks out");
    let signed_at: i64 = timestamp.parse().expect("seconds");
    let now = now_micros() / 1_000_000;
    assert!(
        (now - signed_at).abs() < 300,
        "signed at {signed_at}, now {now}"
    );
}

#[tokio::test]
async fn each_new_risk_alert_is_posted_once_signed_and_without_client_text() {
    let mut receiver = Receiver::start(false).await;
    let (_secret_dir, secret) = secret_file();
    let app = TestApp::spawn_with(webhook(&receiver.url, &secret)).await;
    let team = team(&app).await;

    // A calm answer opens no alert; a self-harm answer does.
    submitted(&app, &team.client, PHQ9, "2026-03-16", &CALM).await;
    let at_risk = submitted(&app, &team.client, PHQ9, "2026-03-09", &AT_RISK).await;

    let request = receiver.next().await;
    assert_eq!(request.answered, StatusCode::OK);
    assert_eq!(request.header("content-type"), "application/json");
    assert_signed(&request);
    let body = request.json();
    let fields: BTreeSet<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "type",
            "alert_id",
            "client_id",
            "result_id",
            "result_date",
            "flag",
            "open_time"
        ]),
        "ids, the flag and times; nothing a client wrote"
    );
    assert_eq!(body["type"], "risk_alert.opened");
    assert_eq!(body["flag"], "FLAG_SELF_HARM_RISK");
    assert_eq!(body["client_id"], team.client_id.as_str());
    assert_eq!(body["result_id"], at_risk.id.as_str());
    assert_eq!(body["result_date"], "2026-03-09");
    assert_eq!(body["alert_id"], request.header(IDEMPOTENCY_HEADER));
    let text = String::from_utf8_lossy(&request.body);
    assert!(!text.contains("Ada"), "no client's name: {text}");

    // The next request is the next alert's, not the first one again.
    let again = submitted(&app, &team.client, PHQ9, "2026-03-23", &AT_RISK).await;
    let next = receiver.next().await;
    assert_signed(&next);
    assert_eq!(next.json()["result_id"], again.id.as_str());
    assert_ne!(next.json()["alert_id"], body["alert_id"]);
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_the_alert_once_it_is_back_across_a_server_restart() {
    let mut receiver = Receiver::start(true).await;
    let (_secret_dir, secret) = secret_file();
    let settings = webhook(&receiver.url, &secret);
    let app = TestApp::spawn_with(settings.clone()).await;
    let team = team(&app).await;
    let at_risk = submitted(&app, &team.client, PHQ9, "2026-03-09", &AT_RISK).await;

    let first = receiver.next().await;
    assert_eq!(first.answered, StatusCode::SERVICE_UNAVAILABLE);
    let key = first.header(IDEMPOTENCY_HEADER).to_owned();
    let second = receiver.next().await;
    assert_eq!(second.answered, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        second.header(IDEMPOTENCY_HEADER),
        key,
        "the same alert again"
    );

    // The server restarts while the alert is still undelivered: the
    // outbox is in the store, so the new server goes on trying.
    let app = app.restart_with(settings).await;
    // Up only now: what it takes, the restarted server sent.
    receiver.come_up();
    let delivered = loop {
        let request = receiver.next().await;
        assert_eq!(request.header(IDEMPOTENCY_HEADER), key);
        if request.answered.is_success() {
            break request;
        }
    };
    assert_signed(&delivered);
    assert_eq!(delivered.json()["result_id"], at_risk.id.as_str());

    // Delivered, it leaves the outbox: the next request is a new alert's.
    let again = submitted(&app, &team.client, PHQ9, "2026-03-23", &AT_RISK).await;
    let next = receiver.next().await;
    assert_eq!(next.json()["result_id"], again.id.as_str());
}

#[tokio::test]
async fn an_alert_opened_while_nothing_listens_is_delivered_after_a_restart_to_a_fixed_url() {
    // An address where nothing listens: each attempt is refused.
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let (_secret_dir, secret) = secret_file();
    let app = TestApp::spawn_with(webhook(
        &format!("http://{unreachable}/hooks/alerts"),
        &secret,
    ))
    .await;
    let team = team(&app).await;
    let at_risk = submitted(&app, &team.client, PHQ9, "2026-03-09", &AT_RISK).await;

    // The operator fixes the URL and restarts: the queued alert goes out.
    let mut receiver = Receiver::start(false).await;
    let _app = app.restart_with(webhook(&receiver.url, &secret)).await;
    let delivered = receiver.next().await;
    assert_signed(&delivered);
    assert_eq!(delivered.json()["result_id"], at_risk.id.as_str());
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn one_of_several_servers_sends_each_alert() {
    postgres_only("two servers share one outbox");
    let mut receiver = Receiver::start(false).await;
    let (_secret_dir, secret) = secret_file();
    let settings = webhook(&receiver.url, &secret);
    let first = TestApp::spawn_with(settings.clone()).await;
    let second = first.spawn_beside(settings).await;
    let team = team(&first).await;

    let mut results = BTreeSet::new();
    for (i, day) in ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
        .into_iter()
        .enumerate()
    {
        let through = if i % 2 == 0 { &first } else { &second };
        results.insert(
            submitted(through, &team.client, PHQ9, day, &AT_RISK)
                .await
                .id,
        );
    }
    // As many requests as alerts, each a different alert: none was sent by
    // both servers.
    let mut delivered = BTreeSet::new();
    while delivered.len() < results.len() {
        let request = receiver.next().await;
        assert_signed(&request);
        let result = request.json()["result_id"]
            .as_str()
            .expect("a result id")
            .to_owned();
        assert!(delivered.insert(result.clone()), "{result} sent twice");
    }
    assert_eq!(delivered, results);
}

/// Why `Server::build` refuses `config`.
async fn start_error(adjust: impl FnOnce(&mut ServeConfig)) -> String {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), data_dir.path());
    adjust(&mut config);
    match Server::build(&config).await {
        Ok(_) => panic!("the server started"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn bad_webhook_settings_stop_the_server_at_start_naming_the_flag() {
    // A URL that is not http(s), refused as the flags are read.
    let data_dir = tempfile::tempdir().expect("temp dir");
    let (_secret_dir, secret) = secret_file();
    for url in ["ftp://alerts.example.org/hook", "alerts.example.org/hook"] {
        let output = Command::new(STEPWISE)
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["--listen", "127.0.0.1:0", "--alert-webhook", url])
            .arg("--alert-webhook-secret-file")
            .arg(&secret)
            .output()
            .expect("run stepwise");
        assert!(!output.status.success(), "{url} refused");
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(said.contains("--alert-webhook"), "{said}");
        assert!(said.contains("http"), "{said}");
    }
    assert!(
        "https://alerts.example.org/hook"
            .parse::<WebhookUrl>()
            .is_ok()
    );

    // A secret file that is missing or empty.
    let url: WebhookUrl = "http://127.0.0.1:9/hook".parse().expect("URL");
    let missing = PathBuf::from("/nonexistent/webhook.secret");
    let said = start_error(|config| {
        config.alert_webhook = Some(url.clone());
        config.alert_webhook_secret_file = Some(missing.clone());
    })
    .await;
    assert!(said.contains("--alert-webhook-secret-file"), "{said}");
    assert!(said.contains("/nonexistent/webhook.secret"), "{said}");
    let empty = data_dir.path().join("empty.secret");
    std::fs::write(&empty, " \n").expect("write");
    let said = start_error(|config| {
        config.alert_webhook = Some(url.clone());
        config.alert_webhook_secret_file = Some(empty.clone());
    })
    .await;
    assert!(said.contains("--alert-webhook-secret-file"), "{said}");
    assert!(said.contains("is empty"), "{said}");
}
