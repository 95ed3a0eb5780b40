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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_benchmark_harness_measures_a_workload_against_the_baseline() {
    use clap::Parser;
    let cli = stepwise::config::Cli::try_parse_from([
        "stepwise",
        "bench",
        "--seconds",
        "0.2",
        "--concurrency",
        "4",
        "--workloads",
        "get-goal,log-check-in",
        "--json",
    ])
    .expect("bench flags");
    let stepwise::config::Command::Bench(config) = cli.command else {
        panic!("expected bench");
    };
    let results = stepwise::bench::run(config).await.expect("bench runs");
    let names: Vec<_> = results.iter().map(|m| m.workload).collect();
    assert_eq!(
        names,
        ["health-check (baseline)", "get-goal", "log-check-in"]
    );
    for measured in &results {
        assert_eq!(measured.errors, 0, "{} had errors", measured.workload);
        assert!(
            measured.rps > 0.0,
            "{} completed requests",
            measured.workload
        );
        assert!(measured.p50_ms <= measured.p99_ms && measured.p99_ms <= measured.p999_ms);
    }
}
