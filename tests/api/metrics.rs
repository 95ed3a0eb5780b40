//! Prometheus metrics on their own address.

use std::collections::BTreeSet;

use stepwise::pb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;

use crate::devices::sync_api;
use crate::helpers::*;

async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_addr.expect("metrics enabled");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: prometheus\r\nConnection: close\r\n\r\n")
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

/// One sample line of the text format: `name{label="value",...} number`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// Parses a sample line as Prometheus does: a metric name, optional labels
/// whose values escape only `\\`, `\"` and `\n`, and a number.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let is_name = |c: char, first: bool| {
        c.is_ascii_alphabetic() || c == '_' || c == ':' || (!first && c.is_ascii_digit())
    };
    let mut chars = line.char_indices().peekable();
    let mut name = String::new();
    while let Some(&(_, c)) = chars.peek() {
        if !is_name(c, name.is_empty()) {
            break;
        }
        name.push(c);
        chars.next();
    }
    if name.is_empty() {
        return Err("no metric name".into());
    }
    let mut labels = Vec::new();
    if chars.peek().is_some_and(|&(_, c)| c == '{') {
        chars.next();
        loop {
            if chars.peek().is_some_and(|&(_, c)| c == '}') {
                chars.next();
                break;
            }
            let mut key = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if !is_name(c, key.is_empty()) || c == ':' {
                    break;
                }
                key.push(c);
                chars.next();
            }
            if key.is_empty() || chars.next().map(|(_, c)| c) != Some('=') {
                return Err(format!("bad label name after {labels:?}"));
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err(format!("label {key} has no opening quote"));
            }
            let mut value = String::new();
            loop {
                match chars.next().map(|(_, c)| c) {
                    Some('"') => break,
                    Some('\\') => match chars.next().map(|(_, c)| c) {
                        Some('\\') => value.push('\\'),
                        Some('"') => value.push('"'),
                        Some('n') => value.push('\n'),
                        other => return Err(format!("bad escape {other:?} in label {key}")),
                    },
                    Some(c) => value.push(c),
                    None => return Err(format!("label {key} is not closed")),
                }
            }
            labels.push((key, value));
            match chars.next().map(|(_, c)| c) {
                Some(',') => {}
                Some('}') => break,
                other => return Err(format!("expected , or }} after a label, got {other:?}")),
            }
        }
    }
    let rest = match chars.next() {
        Some((at, ' ')) => &line[at + 1..],
        other => return Err(format!("expected a space before the value, got {other:?}")),
    };
    let mut fields = rest.split(' ');
    let value = fields.next().unwrap_or_default();
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        value => value
            .parse()
            .map_err(|_| format!("value {value:?} is not a number"))?,
    };
    if fields.count() > 1 {
        return Err("more than a value and a timestamp".into());
    }
    Ok(Sample {
        name,
        labels,
        value,
    })
}

/// Every sample of a scrape; fails the test on any line Prometheus would
/// reject.
fn samples(response: &str) -> Vec<Sample> {
    let (_, body) = response
        .split_once("\r\n\r\n")
        .expect("an HTTP response with a body");
    body.lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| parse_sample(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect()
}

/// The distinct values of the `method` label.
fn methods(samples: &[Sample]) -> BTreeSet<String> {
    samples
        .iter()
        .flat_map(|s| &s.labels)
        .filter(|(key, _)| key == "method")
        .map(|(_, value)| value.clone())
        .collect()
}

/// Calls answered for methods the server does not know.
fn unknown_calls(samples: &[Sample]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == "stepwise_requests_total")
        .filter(|s| s.labels.contains(&("method".into(), "unknown".into())))
        .map(|s| s.value)
        .sum()
}

/// Every `/package.Service/Method` the server describes by reflection.
async fn offered_methods(app: &TestApp) -> BTreeSet<String> {
    use prost::Message;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let mut client = ServerReflectionClient::new(app.channel().await);
    let mut ask = async |request| {
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        };
        client
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect("reflection answers")
            .into_inner()
            .message()
            .await
            .expect("a response")
            .and_then(|response| response.message_response)
            .expect("a message response")
    };
    let MessageResponse::ListServicesResponse(list) =
        ask(MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a list of services");
    };
    let mut methods = BTreeSet::new();
    for service in list.service {
        let MessageResponse::FileDescriptorResponse(files) =
            ask(MessageRequest::FileContainingSymbol(service.name.clone())).await
        else {
            panic!("expected the file of {}", service.name);
        };
        for bytes in files.file_descriptor_proto {
            let file = prost_types::FileDescriptorProto::decode(bytes.as_slice())
                .expect("a file descriptor");
            for declared in &file.service {
                let full = format!("{}.{}", file.package(), declared.name());
                if full == service.name {
                    methods.extend(
                        declared
                            .method
                            .iter()
                            .map(|method| format!("/{full}/{}", method.name())),
                    );
                }
            }
        }
    }
    methods
}

/// Calls `paths` over raw HTTP/2, as a scanner or a confused client would,
/// and waits for each answer.
async fn call_paths(app: &TestApp, token: &str, paths: &[String]) {
    let tcp = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    tokio::spawn(connection);
    for path in paths {
        let request = http::Request::builder()
            .method("POST")
            .uri(format!("http://{}{path}", app.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("authorization", format!("Bearer {token}"))
            .body(())
            .unwrap_or_else(|e| panic!("{path:?} is a valid request path: {e}"));
        let mut client = client.clone().ready().await.expect("ready");
        let (response, _) = client.send_request(request, true).expect("send");
        let response = response.await.expect("an answer");
        assert_eq!(response.status(), http::StatusCode::OK, "{path:?}");
    }
}

#[tokio::test]
async fn calls_to_unknown_paths_are_counted_under_one_label_and_cannot_break_the_format() {
    let app = TestApp::spawn_with(|config| {
        config.metrics_listen = Some("127.0.0.1:0".parse().expect("address"))
    })
    .await;
    let ada = app.new_client("Ada").await;
    let offered = offered_methods(&app).await;
    assert!(offered.contains("/stepwise.v1.GoalService/CreateGoal"));
    // Paths that would end a label value early, escape its closing quote,
    // or (percent-encoded) start a new line with a forged sample.
    let hostile: Vec<String> = [
        r#"/stepwise.v1.GoalService/Evil"}"#,
        r#"/x\"}%201"#,
        r#"/stepwise.v1.GoalService/CreateGoal\"#,
        r#"/a"b\c{d}"#,
        "/x%0Astepwise_requests_total{method=%22forged%22}%201",
        "/stepwise.v1.GoalService/DropAllTables",
        "/stepwise.v1.GoalService/CreateGoal/extra",
        "/",
    ]
    .map(String::from)
    .to_vec();
    call_paths(&app, &ada, &hostile).await;
    let before = samples(&scrape(&app).await);

    // Many more different paths, as a scanner sends them.
    let random: Vec<String> = (0..200)
        .map(|_| format!("/probe.P{}/Call", uuid::Uuid::new_v4().simple()))
        .collect();
    call_paths(&app, &ada, &random).await;
    let after = samples(&scrape(&app).await);

    for seen in [&before, &after] {
        let methods = methods(seen);
        for method in &methods {
            assert!(
                method == "unknown" || offered.contains(method),
                "method label {method:?} is neither a method the server offers nor `unknown`"
            );
        }
        assert!(
            !seen
                .iter()
                .any(|s| s.labels.iter().any(|(_, v)| v == "forged"))
        );
    }
    // The label values are bounded by what the server offers, however many
    // different paths were called; every such call is still counted.
    assert!(methods(&after).len() <= offered.len() + 1);
    assert!(unknown_calls(&before) >= hostile.len() as f64);
    assert!(unknown_calls(&after) - unknown_calls(&before) >= random.len() as f64);
}
