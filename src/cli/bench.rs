//! `stepwise bench`: the benchmark harness.
//!
//! Drives a server (an embedded one on a temporary data dir, or one given by
//! address) with `connections` HTTP/2 connections and `concurrency` requests
//! in flight for a fixed time per workload, and reports requests/s and
//! latency percentiles. Every workload is also reported as a ratio to the
//! baseline measured in the same run: `grpc.health.v1.Health/Check` on the
//! same server, the cost of the gRPC stack alone.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use tonic::Status;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use stepwise::client::{BearerToken, authenticated};
use stepwise::config::ServeConfig;
use stepwise::domain::fields;
use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use stepwise::pb::care_service_client::CareServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::progress_service_client::ProgressServiceClient;
use stepwise::pb::sync_service_client::SyncServiceClient;
use stepwise::server::Server;

type Authed = tonic::service::interceptor::InterceptedService<Channel, BearerToken>;

/// Records the `pull-initial` workload syncs.
const INITIAL_SYNC_RECORDS: usize = 10_000;
/// Clients of the `client-summaries` therapist.
const DASHBOARD_CLIENTS: usize = 200;
/// Days of check-ins of each of those clients.
const DASHBOARD_DAYS: u64 = 28;
/// Mutations per `push` request.
const PUSH_BATCH: usize = 50;

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// A durable `LogCheckIn` (a new check-in each time).
    LogCheckIn,
    /// A `Push` of 50 new goals.
    Push,
    /// A full initial `Pull` of 10,000 records.
    PullInitial,
    /// An authenticated `GetGoal`.
    GetGoal,
    /// A therapist's `ListClientSummaries` over 200 clients with 28 days of
    /// check-ins each.
    ClientSummaries,
}

/// Settings of `stepwise bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Server to measure; without it, an embedded server on a temporary
    /// data dir.
    #[arg(long, requires = "admin_token")]
    pub server: Option<SocketAddr>,
    /// Administrator token of `--server` (to create the benchmark's account).
    #[arg(long, env = "STEPWISE_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// HTTP/2 connections to open.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub connections: u32,
    /// Requests in flight at once, spread over the connections.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Seconds to run each workload (and the baseline).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Workloads to run, after the baseline (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub workloads: Vec<Workload>,
    /// Print one JSON object per workload instead of a table.
    #[arg(long)]
    pub json: bool,
    /// After the workloads, store this many more records and report memory
    /// (RSS) and disk use against their logical size (embedded server only).
    #[arg(long, default_value_t = 0)]
    pub storage_records: u64,
}

/// The result of one workload.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Workload name.
    pub workload: &'static str,
    /// Completed requests per second.
    pub rps: f64,
    /// Median latency.
    pub p50_ms: f64,
    /// 99th percentile latency.
    pub p99_ms: f64,
    /// 99.9th percentile latency.
    pub p999_ms: f64,
    /// Records transferred per second, for pull workloads.
    pub records_per_s: Option<f64>,
    /// Requests that failed.
    pub errors: u64,
}

/// Errors that stop a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The embedded server did not start.
    #[error("embedded server: {0}")]
    Server(#[from] stepwise::server::ServerError),
    /// Connecting failed.
    #[error("cannot connect: {0}")]
    Connect(#[from] tonic::transport::Error),
    /// Setting up the benchmark data failed.
    #[error("setting up: {0}")]
    Setup(#[from] Status),
    /// A local file could not be used.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The connections and data the workloads use.
struct Fixture {
    channels: Vec<Channel>,
    token: String,
    goal_id: String,
    step_id: String,
    bulk_token: String,
    therapist_token: String,
    next: AtomicU64,
}

/// Runs the baseline and the workloads, printing results as they finish.
pub async fn run(config: BenchArgs) -> Result<Vec<Measurement>, BenchError> {
    let (addr, admin_token, embedded) = match config.server {
        Some(addr) => (addr, config.admin_token.clone().unwrap_or_default(), None),
        None => {
            let dir = std::env::temp_dir().join(format!("stepwise-bench-{}", uuid::Uuid::new_v4()));
            let app = Server::build(&ServeConfig::new(
                "127.0.0.1:0".parse().expect("address"),
                &dir,
            ))
            .await?;
            let addr = app.local_addr();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(app.run_until(async {
                let _ = stopped.await;
            }));
            let token = std::fs::read_to_string(dir.join(stepwise::app::ADMIN_TOKEN_FILE))?;
            (addr, token.trim().to_owned(), Some((dir, stop, server)))
        }
    };
    let workloads = if config.workloads.is_empty() {
        Workload::value_variants().to_vec()
    } else {
        config.workloads.clone()
    };
    let fixture =
        Arc::new(Fixture::prepare(addr, &admin_token, config.connections, &workloads).await?);
    let duration = Duration::from_secs_f64(config.seconds.max(0.1));
    let baseline = measure(&fixture, None, config.concurrency, duration).await;
    let mut results = vec![baseline.clone()];
    if !config.json {
        print_header();
    }
    report(&baseline, &baseline, config.json);
    for workload in workloads {
        let measured = measure(&fixture, Some(workload), config.concurrency, duration).await;
        report(&measured, &baseline, config.json);
        results.push(measured);
    }
    let storage = if config.storage_records > 0 {
        Some(store_records(&fixture, config.storage_records).await?)
    } else {
        None
    };
    if let Some((dir, stop, server)) = embedded {
        let _ = stop.send(());
        let _ = server.await;
        if let Some((records, logical, rss)) = storage {
            report_storage(records, logical, dir_size(&dir)?, rss, config.json);
        }
        let _ = std::fs::remove_dir_all::<PathBuf>(dir);
    }
    Ok(results)
}

impl Fixture {
    /// Connects, creates the accounts and a goal and step, and with `seed`
    /// the records of the initial sync.
    async fn prepare(
        addr: SocketAddr,
        admin_token: &str,
        connections: u32,
        workloads: &[Workload],
    ) -> Result<Self, BenchError> {
        let seed = workloads.contains(&Workload::PullInitial);
        let mut channels = Vec::new();
        for _ in 0..connections {
            channels.push(
                Channel::from_shared(format!("http://{addr}"))
                    .map_err(|e| Status::invalid_argument(e.to_string()))?
                    .connect()
                    .await?,
            );
        }
        let admin = AccountServiceClient::new(authenticated(channels[0].clone(), admin_token));
        let token = new_client(admin.clone(), "Benchmark client").await?;
        let bulk_token = new_client(admin, "Benchmark bulk client").await?;
        let mut goals = GoalServiceClient::new(authenticated(channels[0].clone(), &token));
        let goal = goals
            .create_goal(pb::CreateGoalRequest {
                goal: Some(pb::Goal {
                    title: "Benchmark goal".into(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner();
        let step = goals
            .create_action_step(pb::CreateActionStepRequest {
                action_step: Some(pb::ActionStep {
                    goal_id: goal.id.clone(),
                    title: "Benchmark step".into(),
                    schedule: Some(pb::Schedule {
                        times: 1,
                        period_days: 1,
                    }),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner();
        let mut sync = SyncServiceClient::new(authenticated(channels[0].clone(), &bulk_token));
        let seed_batches = if seed { INITIAL_SYNC_RECORDS / 500 } else { 0 };
        for batch in 0..seed_batches {
            sync.push(goal_batch(&format!("seed-{batch}"), 500)).await?;
        }
        let therapist_token = if workloads.contains(&Workload::ClientSummaries) {
            seed_dashboard(&channels[0], admin_token).await?
        } else {
            String::new()
        };
        Ok(Self {
            channels,
            token,
            goal_id: goal.id,
            step_id: step.id,
            bulk_token,
            therapist_token,
            next: AtomicU64::new(0),
        })
    }

    fn channel(&self, worker: usize) -> Channel {
        self.channels[worker % self.channels.len()].clone()
    }

    fn authed(&self, worker: usize, token: &str) -> Authed {
        authenticated(self.channel(worker), token)
    }
}

/// A therapist with 200 linked clients, each with a daily step and 28 days
/// of check-ins; returns the therapist's token.
async fn seed_dashboard(channel: &Channel, admin_token: &str) -> Result<String, Status> {
    let admin = AccountServiceClient::new(authenticated(channel.clone(), admin_token));
    let therapist = new_account(admin, "Benchmark therapist", pb::Role::Therapist).await?;
    let mut care = CareServiceClient::new(authenticated(channel.clone(), &therapist));
    let mut accounts = AccountServiceClient::new(channel.clone());
    let today = chrono::Utc::now().date_naive();
    for n in 0..DASHBOARD_CLIENTS {
        let code = care
            .create_invite(pb::CreateInviteRequest {})
            .await?
            .into_inner()
            .code;
        let client = accounts
            .sign_up_with_invite(pb::SignUpWithInviteRequest {
                code,
                display_name: format!("Client {n}"),
                time_zone: String::new(),
            })
            .await?
            .into_inner()
            .token;
        let mut goals = GoalServiceClient::new(authenticated(channel.clone(), &client));
        let goal = goals
            .create_goal(pb::CreateGoalRequest {
                goal: Some(pb::Goal {
                    title: "Sleep better".into(),
                    ..Default::default()
                }),
            })
            .await?
            .into_inner();
        let step_id = uuid::Uuid::now_v7().to_string();
        let mut mutations = vec![pb::Mutation {
            mutation_id: format!("step-{n}"),
            base_version: 0,
            op: Some(pb::mutation::Op::UpsertActionStep(pb::ActionStep {
                id: step_id.clone(),
                goal_id: goal.id,
                title: "Screens off at 22:00".into(),
                schedule: Some(pb::Schedule {
                    times: 1,
                    period_days: 1,
                }),
                ..Default::default()
            })),
        }];
        for day in 0..DASHBOARD_DAYS {
            let date = today - chrono::Days::new(day);
            mutations.push(pb::Mutation {
                mutation_id: format!("check-in-{n}-{day}"),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertCheckIn(pb::CheckIn {
                    action_step_id: step_id.clone(),
                    local_date: date.format("%Y-%m-%d").to_string(),
                    state: if day % 3 == 0 {
                        pb::CheckInState::Skipped
                    } else {
                        pb::CheckInState::Done
                    } as i32,
                    ..Default::default()
                })),
            });
        }
        let mut sync = SyncServiceClient::new(authenticated(channel.clone(), &client));
        sync.push(pb::PushRequest {
            device_id: "bench".into(),
            mutations,
        })
        .await?;
    }
    Ok(therapist)
}

async fn new_client(admin: AccountServiceClient<Authed>, name: &str) -> Result<String, Status> {
    new_account(admin, name, pb::Role::Client).await
}

async fn new_account(
    mut admin: AccountServiceClient<Authed>,
    name: &str,
    role: pb::Role,
) -> Result<String, Status> {
    let response = admin
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                role: role as i32,
                display_name: name.into(),
                ..Default::default()
            }),
        })
        .await?;
    Ok(response.into_inner().token)
}

fn goal_batch(prefix: &str, size: usize) -> pb::PushRequest {
    pb::PushRequest {
        device_id: "bench".into(),
        mutations: (0..size)
            .map(|n| pb::Mutation {
                mutation_id: format!("{prefix}-{n}"),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertGoal(pb::Goal {
                    id: uuid::Uuid::now_v7().to_string(),
                    title: format!("Goal {n}"),
                    why: "Because it matters to me".into(),
                    ..Default::default()
                })),
            })
            .collect(),
    }
}

/// One worker's request loop; returns latencies in microseconds, records
/// moved and errors.
async fn worker(
    fixture: Arc<Fixture>,
    workload: Option<Workload>,
    index: usize,
    until: Instant,
) -> (Vec<u64>, u64, u64) {
    let mut health = HealthClient::new(fixture.channel(index));
    let mut goals = GoalServiceClient::new(fixture.authed(index, &fixture.token));
    let mut progress = ProgressServiceClient::new(fixture.authed(index, &fixture.token));
    let mut sync = SyncServiceClient::new(fixture.authed(index, &fixture.token));
    let mut bulk = SyncServiceClient::new(fixture.authed(index, &fixture.bulk_token));
    let mut care = CareServiceClient::new(fixture.authed(index, &fixture.therapist_token));
    let (mut latencies, mut records, mut errors) = (Vec::new(), 0u64, 0u64);
    while Instant::now() < until {
        let n = fixture.next.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let outcome: Result<u64, Status> = match workload {
            None => health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|_| 0),
            Some(Workload::GetGoal) => goals
                .get_goal(pb::GetGoalRequest {
                    id: fixture.goal_id.clone(),
                })
                .await
                .map(|_| 0),
            Some(Workload::LogCheckIn) => {
                // `n` counts every request of the run; dates cycle through
                // the accepted range (a date seen before updates its check-in).
                let (first, last) = (fields::MIN_DATE, fields::MAX_DATE);
                let days = (last - first).num_days().unsigned_abs() + 1;
                let day = first + chrono::Days::new(n % days);
                progress
                    .log_check_in(pb::LogCheckInRequest {
                        check_in: Some(pb::CheckIn {
                            action_step_id: fixture.step_id.clone(),
                            local_date: day.format("%Y-%m-%d").to_string(),
                            state: pb::CheckInState::Done as i32,
                            ..Default::default()
                        }),
                    })
                    .await
                    .map(|_| 1)
            }
            Some(Workload::Push) => sync
                .push(goal_batch(&format!("bench-{n}"), PUSH_BATCH))
                .await
                .map(|_| PUSH_BATCH as u64),
            Some(Workload::PullInitial) => pull_all(&mut bulk).await,
            Some(Workload::ClientSummaries) => care
                .list_client_summaries(pb::ListClientSummariesRequest {
                    page_size: DASHBOARD_CLIENTS as i32,
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().client_summaries.len() as u64),
        };
        match outcome {
            Ok(moved) => {
                latencies.push(started.elapsed().as_micros() as u64);
                records += moved;
            }
            Err(_) => errors += 1,
        }
    }
    (latencies, records, errors)
}

/// Pushes `records` new goals with four writers; returns the records
/// stored, their logical size (encoded goals) and the process RSS after.
async fn store_records(
    fixture: &Arc<Fixture>,
    records: u64,
) -> Result<(u64, u64, u64), BenchError> {
    const BATCH: u64 = 500;
    let batches = records.div_ceil(BATCH);
    let next = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (fixture, next) = (fixture.clone(), next.clone());
        writers.push(tokio::spawn(async move {
            let mut sync = SyncServiceClient::new(fixture.authed(writer, &fixture.bulk_token));
            let mut logical = 0u64;
            loop {
                let batch = next.fetch_add(1, Ordering::Relaxed);
                if batch >= batches {
                    return Ok::<u64, Status>(logical);
                }
                let request = goal_batch(&format!("storage-{batch}"), BATCH as usize);
                logical += request
                    .mutations
                    .iter()
                    .filter_map(|m| match &m.op {
                        Some(pb::mutation::Op::UpsertGoal(goal)) => {
                            Some(prost::Message::encoded_len(goal) as u64)
                        }
                        _ => None,
                    })
                    .sum::<u64>();
                sync.push(request).await?;
            }
        }));
    }
    let mut logical = 0;
    for writer in writers {
        logical += writer
            .await
            .map_err(|e| Status::internal(e.to_string()))??;
    }
    Ok((batches * BATCH, logical, rss_bytes()))
}

/// Resident memory of this process (server and load generator together).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

fn dir_size(dir: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn report_storage(records: u64, logical: u64, disk: u64, rss: u64, json: bool) {
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let ratio = if logical > 0 {
        disk as f64 / logical as f64
    } else {
        0.0
    };
    if json {
        println!(
            "{{\"workload\":\"storage\",\"records\":{records},\"logical_mb\":{:.1},\"disk_mb\":{:.1},\"disk_ratio\":{ratio:.2},\"rss_mb\":{:.1}}}",
            mib(logical),
            mib(disk),
            mib(rss)
        );
    } else {
        println!(
            "storage: {records} more records, logical {:.1} MiB, on disk {:.1} MiB ({ratio:.2}x), RSS {:.1} MiB",
            mib(logical),
            mib(disk),
            mib(rss)
        );
    }
}

async fn pull_all(sync: &mut SyncServiceClient<Authed>) -> Result<u64, Status> {
    let (mut cursor, mut records) = (String::new(), 0u64);
    loop {
        let page = sync
            .pull(pb::PullRequest {
                cursor,
                page_size: 5000,
                ..Default::default()
            })
            .await?
            .into_inner();
        records += page.changes.len() as u64;
        cursor = page.next_cursor;
        if !page.has_more {
            return Ok(records);
        }
    }
}

async fn measure(
    fixture: &Arc<Fixture>,
    workload: Option<Workload>,
    concurrency: u32,
    duration: Duration,
) -> Measurement {
    let started = Instant::now();
    let until = started + duration;
    let workers: Vec<_> = (0..concurrency as usize)
        .map(|index| tokio::spawn(worker(fixture.clone(), workload, index, until)))
        .collect();
    let (mut latencies, mut records, mut errors) = (Vec::new(), 0, 0);
    for done in workers {
        if let Ok((l, r, e)) = done.await {
            latencies.extend(l);
            records += r;
            errors += e;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |q: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len());
        latencies[rank - 1] as f64 / 1000.0
    };
    Measurement {
        workload: workload.map_or("health-check (baseline)", name),
        rps: latencies.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        p999_ms: percentile(0.999),
        records_per_s: matches!(
            workload,
            Some(Workload::PullInitial | Workload::ClientSummaries)
        )
        .then(|| records as f64 / elapsed),
        errors,
    }
}

fn name(workload: Workload) -> &'static str {
    match workload {
        Workload::LogCheckIn => "log-check-in",
        Workload::Push => "push",
        Workload::PullInitial => "pull-initial",
        Workload::GetGoal => "get-goal",
        Workload::ClientSummaries => "client-summaries",
    }
}

fn print_header() {
    println!(
        "{:<24} {:>10} {:>8} {:>8} {:>9} {:>7} {:>12} {:>7}",
        "workload", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "ratio", "records/s", "errors"
    );
}

fn report(m: &Measurement, baseline: &Measurement, json: bool) {
    let ratio = if baseline.rps > 0.0 {
        m.rps / baseline.rps
    } else {
        0.0
    };
    if json {
        let records = m
            .records_per_s
            .map_or("null".to_owned(), |r| format!("{r:.1}"));
        println!(
            "{{\"workload\":\"{}\",\"rps\":{:.1},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"baseline_rps\":{:.1},\"ratio\":{:.3},\"records_per_s\":{},\"errors\":{}}}",
            m.workload,
            m.rps,
            m.p50_ms,
            m.p99_ms,
            m.p999_ms,
            baseline.rps,
            ratio,
            records,
            m.errors
        );
    } else {
        let records = m
            .records_per_s
            .map_or("-".to_owned(), |r| format!("{r:.0}"));
        println!(
            "{:<24} {:>10.0} {:>8.2} {:>8.2} {:>9.2} {:>7.2} {:>12} {:>7}",
            m.workload, m.rps, m.p50_ms, m.p99_ms, m.p999_ms, ratio, records, m.errors
        );
    }
}
