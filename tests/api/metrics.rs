//! Prometheus metrics on their own address.

use stepwise::pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;

use crate::devices::sync_api;
use crate::helpers::*;

async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("metrics enabled");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: prometheus\r\n\r\n")
        .await
        .expect("request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    response
}

/// The value of the first sample line starting with `prefix`.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_commits_subscriptions_and_store_size() {
    let app = TestApp::spawn_with(|config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().expect("address"))
    })
    .await;
    let ada = app.new_client("Ada").await;
    create_goal(&app, &ada, "Measured").await;
    let mut stream = sync_api(&app, &ada)
        .await
        .subscribe(pb::SubscribeRequest::default())
        .await
        .expect("subscribe")
        .into_inner();
    stream.next().await.expect("backlog").expect("ok");

    let text = scrape(&app).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"));
    let created =
        r#"stepwise_requests_total{method="/stepwise.v1.GoalService/CreateGoal",code="Ok"}"#;
    assert!(sample(&text, created).is_some_and(|n| n >= 1.0), "{text}");
    let latency =
        r#"stepwise_request_duration_seconds_count{method="/stepwise.v1.GoalService/CreateGoal"}"#;
    assert!(sample(&text, latency).is_some_and(|n| n >= 1.0));
    assert!(sample(&text, "stepwise_commit_batch_size_count").is_some_and(|n| n >= 1.0));
    assert!(sample(&text, "stepwise_flush_duration_seconds_count").is_some_and(|n| n >= 1.0));
    assert!(sample(&text, "stepwise_active_subscriptions").is_some_and(|n| n >= 1.0));
    assert!(sample(&text, "stepwise_store_size_bytes").is_some_and(|n| n > 0.0));
    assert!(!text.contains("Measured"), "no titles or notes in metrics");
}
