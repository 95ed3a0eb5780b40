use stepwise::pb;

use crate::helpers::*;

#[tokio::test]
async fn a_client_creates_a_goal_and_reads_it_back() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let created = create_goal(&app, &token, "Walk more").await;
    let fetched = app
        .goals(&token)
        .await
        .get_goal(pb::GetGoalRequest {
            id: created.id.clone(),
        })
        .await
        .expect("get goal")
        .into_inner();
    assert_eq!(fetched, created);
    assert_eq!(fetched.status, pb::GoalStatus::Active as i32);
    assert!(fetched.version > 0);
}

/// Runs `stepwise bench --json` with `args`; one JSON object per line it
/// printed.
async fn bench_json(args: &[&str]) -> Vec<serde_json::Value> {
    let run = tokio::process::Command::new(crate::binary::STEPWISE)
        .args(["bench", "--json"])
        .args(args)
        .output()
        .await
        .expect("stepwise bench runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[tokio::test]
async fn the_benchmark_harness_measures_a_workload_against_the_baseline() {
    let results = bench_json(&[
        "--seconds",
        "0.2",
        "--concurrency",
        "4",
        "--workloads",
        "get-goal,log-check-in",
    ])
    .await;
    let names: Vec<&str> = results
        .iter()
        .map(|m| m["workload"].as_str().expect("workload"))
        .collect();
    assert_eq!(
        names,
        ["health-check (baseline)", "get-goal", "log-check-in"]
    );
    for measured in &results {
        let number = |key: &str| measured[key].as_f64().expect(key);
        assert_eq!(number("errors"), 0.0, "{measured}");
        assert!(number("rps") > 0.0, "{measured}");
        assert!(number("p50_ms") <= number("p99_ms") && number("p99_ms") <= number("p999_ms"));
    }
}

#[tokio::test]
async fn the_benchmark_harness_measures_the_engine_floor_on_its_own() {
    for layout in ["record", "indexed"] {
        let lines = bench_json(&["--engine-records", "1000", "--engine-layout", layout]).await;
        let [report] = &lines[..] else {
            panic!("one report and no workload: {lines:?}");
        };
        assert_eq!(report["workload"], format!("engine-floor-{layout}"));
        // 500 to a batch: 1,000 records of 70 bytes.
        assert_eq!(report["records"], 1000);
        let number = |key: &str| report[key].as_f64().expect(key);
        assert!((number("logical_mb") - 70_000.0 / 1_048_576.0).abs() < 1e-9);
        assert!(number("records_per_second") > 0.0);
        assert!(number("disk_ratio") > 0.0, "{report}");
    }
}

#[tokio::test]
async fn the_server_announces_its_limit_of_concurrent_calls_per_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut socket = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    // HTTP/2 client preface and an empty SETTINGS frame.
    socket
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("preface");
    // The server's first frame is its SETTINGS.
    let mut header = [0u8; 9];
    socket.read_exact(&mut header).await.expect("frame header");
    assert_eq!(header[3], 0x4, "a SETTINGS frame");
    let length = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
    let mut payload = vec![0u8; length];
    socket.read_exact(&mut payload).await.expect("settings");
    let max_streams = payload
        .chunks(6)
        .find(|setting| u16::from_be_bytes([setting[0], setting[1]]) == 0x3)
        .map(|setting| u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]));
    assert_eq!(max_streams, Some(stepwise::limits::MAX_CONCURRENT_STREAMS));
}

#[tokio::test]
async fn the_server_gives_up_on_a_call_when_its_grpc_timeout_passes() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let tcp = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let (client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    tokio::spawn(connection);
    let mut client = client.ready().await.expect("ready");
    let request = http::Request::builder()
        .method("POST")
        .uri(format!(
            "http://{}/stepwise.v1.GoalService/ListGoals",
            app.addr
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("authorization", format!("Bearer {ada}"))
        .header("grpc-timeout", "100m")
        .body(())
        .expect("request");
    // The request's body never comes: only the deadline can end the call.
    let (response, _body_never_sent) = client.send_request(request, false).expect("send");
    let response = tokio::time::timeout(std::time::Duration::from_secs(30), response)
        .await
        .expect("the server answers by the deadline, not never")
        .expect("response");
    let status =
        tonic::Status::from_header_map(response.headers()).expect("a trailers-only status");
    // tonic reports an expired deadline as CANCELLED, "Timeout expired".
    assert_eq!(status.code(), tonic::Code::Cancelled, "{status:?}");
    assert!(status.message().contains("Timeout"));
}
