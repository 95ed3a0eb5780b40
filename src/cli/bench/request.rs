//! What one request of each workload is.

use stepwise::domain::fields;
use stepwise::pb;
use stepwise::pb::care_service_client::CareServiceClient;
use stepwise::pb::goal_service_client::GoalServiceClient;
use stepwise::pb::progress_service_client::ProgressServiceClient;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tonic::Status;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use super::fixture::{Authed, DASHBOARD_CLIENTS, Fixture, Practising, goal_batch};
use super::workload::Workload;

/// Mutations per `push` request.
pub const PUSH_BATCH: usize = 50;

/// Runs request `n` of `workload` (the baseline without one) as worker
/// `worker`; returns the records it moved.
pub async fn request(
    fixture: &Fixture,
    workload: Option<Workload>,
    worker: usize,
    n: u64,
) -> Result<u64, Status> {
    match workload {
        None => HealthClient::new(fixture.channel(worker))
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|_| 0),
        Some(Workload::GetGoal) => {
            GoalServiceClient::new(fixture.authed(worker, &fixture.hot.token))
                .get_goal(pb::GetGoalRequest {
                    id: fixture.goal_id.clone(),
                })
                .await
                .map(|_| 0)
        }
        Some(Workload::LogCheckIn) => {
            let clients = fixture.caseload.len() as u64;
            let client = &fixture.caseload[(n % clients) as usize];
            check_in(fixture, worker, client, n / clients).await
        }
        Some(Workload::LogCheckInHot) => check_in(fixture, worker, &fixture.hot, n).await,
        Some(Workload::Push) => SyncServiceClient::new(fixture.authed(worker, &fixture.hot.token))
            .push(goal_batch(&format!("bench-{n}"), PUSH_BATCH))
            .await
            .map(|_| PUSH_BATCH as u64),
        Some(Workload::PullInitial) => {
            pull_all(&mut SyncServiceClient::new(
                fixture.authed(worker, &fixture.bulk_token),
            ))
            .await
        }
        Some(Workload::ClientSummaries) => {
            CareServiceClient::new(fixture.authed(worker, &fixture.therapist_token))
                .list_client_summaries(pb::ListClientSummariesRequest {
                    page_size: DASHBOARD_CLIENTS as i32,
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().client_summaries.len() as u64)
        }
    }
}

/// Logs the `day`th check-in of `client`'s step; days cycle through the
/// accepted range (a day seen before updates its check-in).
async fn check_in(
    fixture: &Fixture,
    worker: usize,
    client: &Practising,
    day: u64,
) -> Result<u64, Status> {
    let (first, last) = (fields::MIN_DATE, fields::MAX_DATE);
    let days = (last - first).num_days().unsigned_abs() + 1;
    let date = first + chrono::Days::new(day % days);
    ProgressServiceClient::new(fixture.authed(worker, &client.token))
        .log_check_in(pb::LogCheckInRequest {
            check_in: Some(pb::CheckIn {
                action_step_id: client.step_id.clone(),
                local_date: date.format("%Y-%m-%d").to_string(),
                state: pb::CheckInState::Done as i32,
                ..Default::default()
            }),
        })
        .await
        .map(|_| 1)
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
