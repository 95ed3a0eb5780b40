//! The accounts and records the workloads use, made through the API before
//! anything is measured.

use std::sync::atomic::AtomicU64;

use futures_util::StreamExt;
use stepwise::client::accounts::{AccountLogin, create_account_with_token};
use stepwise::client::{BearerToken, authenticated};
use stepwise::pb;
use stepwise::pb::account_service_client::AccountServiceClient;
use stepwise::pb::care_service_client::CareServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tonic::Status;
use tonic::transport::Channel;

use super::workload::Workload;

/// A channel that authenticates as one account.
pub type Authed = tonic::service::interceptor::InterceptedService<Channel, BearerToken>;

/// Records the `pull-initial` workload syncs.
pub const INITIAL_SYNC_RECORDS: usize = 10_000;
/// Clients of the `client-summaries` therapist.
pub const DASHBOARD_CLIENTS: usize = 200;
/// Days of check-ins of each of those clients.
const DASHBOARD_DAYS: u64 = 28;
/// Clients the `log-check-in` workload spreads over: a clinic's caseload
/// opening the app at 8 a.m.
pub const CASELOAD: usize = 1000;
/// Setup calls in flight at once.
const SETUP_CONCURRENCY: usize = 32;

/// A client with a daily step to check in.
#[derive(Debug, Clone)]
pub struct Practising {
    /// The client's token.
    pub token: String,
    /// The step's id.
    pub step_id: String,
}

/// The connections and data the workloads use.
pub struct Fixture {
    channels: Vec<Channel>,
    /// A client with one goal and step, for the single-client workloads.
    pub hot: Practising,
    /// That client's goal.
    pub goal_id: String,
    /// A client with [`INITIAL_SYNC_RECORDS`] records to pull.
    pub bulk_token: String,
    /// A therapist with [`DASHBOARD_CLIENTS`] linked clients.
    pub therapist_token: String,
    /// [`CASELOAD`] clients, each with a daily step.
    pub caseload: Vec<Practising>,
    /// Requests made so far in the run; numbers them.
    pub next: AtomicU64,
}

impl Fixture {
    /// Creates what `workloads` need on the server behind `channels`.
    pub async fn prepare(
        channels: Vec<Channel>,
        admin_token: &str,
        workloads: &[Workload],
    ) -> Result<Self, Status> {
        let channel = channels[0].clone();
        let admin = Admin {
            channel: channel.clone(),
            token: admin_token.to_owned(),
        };
        let (hot, goal_id) = practising(&channel, admin.clone(), "Benchmark client").await?;
        let bulk_token = new_account(admin.clone(), "Benchmark bulk", pb::Role::Client).await?;
        if workloads.contains(&Workload::PullInitial) {
            let mut sync = SyncServiceClient::new(authenticated(channel.clone(), &bulk_token));
            for batch in 0..INITIAL_SYNC_RECORDS / 500 {
                sync.push(goal_batch(&format!("seed-{batch}"), 500)).await?;
            }
        }
        let therapist_token = if workloads.contains(&Workload::ClientSummaries) {
            seed_dashboard(&channel, admin.clone()).await?
        } else {
            String::new()
        };
        let caseload = if workloads.contains(&Workload::LogCheckIn) {
            futures_util::stream::iter(0..CASELOAD)
                .map(|n| {
                    let (channel, admin) = (channel.clone(), admin.clone());
                    async move {
                        let name = format!("Caseload client {n}");
                        practising(&channel, admin, &name).await.map(|(p, _)| p)
                    }
                })
                .buffer_unordered(SETUP_CONCURRENCY)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        Ok(Self {
            channels,
            hot,
            goal_id,
            bulk_token,
            therapist_token,
            caseload,
            next: AtomicU64::new(0),
        })
    }

    /// The channel of worker `worker`.
    pub fn channel(&self, worker: usize) -> Channel {
        self.channels[worker % self.channels.len()].clone()
    }

    /// The channel of worker `worker`, sending `token`.
    pub fn authed(&self, worker: usize, token: &str) -> Authed {
        authenticated(self.channel(worker), token)
    }
}

/// A new client with a goal and a daily step; their token, step and goal.
async fn practising(
    channel: &Channel,
    admin: Admin,
    name: &str,
) -> Result<(Practising, String), Status> {
    let token = new_account(admin, name, pb::Role::Client).await?;
    let mut goals = GoalServiceClient::new(authenticated(channel.clone(), &token));
    let goal = goals
        .create_goal(pb::CreateGoalRequest {
            goal: Some(pb::Goal {
                title: "Sleep better".into(),
                ..Default::default()
            }),
        })
        .await?
        .into_inner();
    let step = goals
        .create_action_step(pb::CreateActionStepRequest {
            action_step: Some(daily_step(&goal.id)),
        })
        .await?
        .into_inner();
    Ok((
        Practising {
            token,
            step_id: step.id,
        },
        goal.id,
    ))
}

fn daily_step(goal_id: &str) -> pb::ActionStep {
    pb::ActionStep {
        goal_id: goal_id.into(),
        title: "Screens off at 22:00".into(),
        schedule: Some(pb::Schedule {
            times: 1,
            period_days: 1,
        }),
        ..Default::default()
    }
}

/// A therapist with [`DASHBOARD_CLIENTS`] linked clients, each with a daily
/// step and [`DASHBOARD_DAYS`] days of check-ins; returns the therapist's
/// token.
async fn seed_dashboard(channel: &Channel, admin: Admin) -> Result<String, Status> {
    let therapist = new_account(admin, "Benchmark therapist", pb::Role::Therapist).await?;
    let today = chrono::Utc::now().date_naive();
    let clients = futures_util::stream::iter(0..DASHBOARD_CLIENTS).map(|n| {
        let (channel, therapist) = (channel.clone(), therapist.clone());
        async move {
            let code = CareServiceClient::new(authenticated(channel.clone(), &therapist))
                .create_invite(pb::CreateInviteRequest {})
                .await?
                .into_inner()
                .code;
            let client = AccountServiceClient::new(channel.clone())
                .sign_up_with_invite(pb::SignUpWithInviteRequest {
                    code,
                    display_name: format!("Client {n}"),
                    time_zone: String::new(),
                    email: format!("client-{}@bench.invalid", uuid::Uuid::now_v7().simple()),
                    password: BENCH_PASSWORD.into(),
                    device_label: "Benchmark".into(),
                })
                .await?
                .into_inner()
                .tokens
                .map(|tokens| tokens.access_token)
                .unwrap_or_default();
            let goal_id = uuid::Uuid::now_v7().to_string();
            let step_id = uuid::Uuid::now_v7().to_string();
            let goal = pb::Goal {
                id: goal_id.clone(),
                title: "Sleep better".into(),
                ..Default::default()
            };
            let step = pb::ActionStep {
                id: step_id.clone(),
                ..daily_step(&goal_id)
            };
            let mut mutations = vec![
                mutation("goal", pb::mutation::Op::UpsertGoal(goal)),
                mutation("step", pb::mutation::Op::UpsertActionStep(step)),
            ];
            for day in 0..DASHBOARD_DAYS {
                let state = if day % 3 == 0 {
                    pb::CheckInState::Skipped
                } else {
                    pb::CheckInState::Done
                };
                let check_in = pb::CheckIn {
                    action_step_id: step_id.clone(),
                    local_date: (today - chrono::Days::new(day))
                        .format("%Y-%m-%d")
                        .to_string(),
                    state: state as i32,
                    ..Default::default()
                };
                let id = format!("check-in-{day}");
                mutations.push(mutation(&id, pb::mutation::Op::UpsertCheckIn(check_in)));
            }
            SyncServiceClient::new(authenticated(channel, &client))
                .push(pb::PushRequest {
                    cursor: String::new(),
                    device_id: "bench".into(),
                    mutations,
                    ..Default::default()
                })
                .await?;
            Ok::<(), Status>(())
        }
    });
    clients
        .buffer_unordered(SETUP_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    Ok(therapist)
}

fn mutation(id: &str, op: pb::mutation::Op) -> pb::Mutation {
    pb::Mutation {
        mutation_id: id.into(),
        base_version: 0,
        op: Some(op),
    }
}

/// The password of every account the benchmark makes.
const BENCH_PASSWORD: &str = "benchmark passphrase, not for people";

/// The administrator who makes the benchmark's accounts.
#[derive(Clone)]
pub struct Admin {
    /// A channel to the server.
    pub channel: Channel,
    /// The administrator's token.
    pub token: String,
}

/// A new account's personal access token.
pub async fn new_account(admin: Admin, name: &str, role: pb::Role) -> Result<String, Status> {
    let account = pb::Account {
        role: role as i32,
        display_name: name.into(),
        ..Default::default()
    };
    let login = AccountLogin {
        email: format!("{}@bench.invalid", uuid::Uuid::now_v7().simple()),
        password: BENCH_PASSWORD.into(),
        token_label: "Benchmark".into(),
        token_lifetime: None,
    };
    let (_, token) =
        create_account_with_token(&admin.channel, &admin.token, account, login).await?;
    Ok(token)
}

/// A push of `size` new goals, mutation ids starting with `prefix`.
pub fn goal_batch(prefix: &str, size: usize) -> pb::PushRequest {
    pb::PushRequest {
        cursor: String::new(),
        device_id: "bench".into(),
        mutations: (0..size)
            .map(|n| {
                let goal = pb::Goal {
                    id: uuid::Uuid::now_v7().to_string(),
                    title: format!("Goal {n}"),
                    why: "Because it matters to me".into(),
                    ..Default::default()
                };
                mutation(&format!("{prefix}-{n}"), pb::mutation::Op::UpsertGoal(goal))
            })
            .collect(),
        ..Default::default()
    }
}
