//! The most expensive calls the API allows: progress and dashboards over
//! steps whose check-ins span the whole accepted range of dates, as of its
//! last day. They are computed off the server's async workers, so health
//! checks and other clients' calls keep being answered while they run.

use std::time::Duration;

use futures_util::future::join_all;
use stepwise::pb;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::care::{care, invite, sign_up};
use crate::helpers::*;

/// First and last day the API accepts.
const FIRST_DAY: &str = "2000-01-01";
const LAST_DAY: &str = "2099-12-31";
/// Clients with heavy histories, and steps each (daily and once a year: the
/// rarest schedule has the longest statistics window).
const HEAVY_CLIENTS: usize = 3;
const SCHEDULES: [(u32, u32); 2] = [(1, 1), (1, 366)];
/// A check-in every this many days from the first accepted day to the last.
const CHECK_IN_EVERY_DAYS: u64 = 73;
/// Expensive calls in flight at once.
const EXPENSIVE_CALLS: usize = 48;
/// Only a guard against a hung server, never a measure of speed.
const GUARD: Duration = Duration::from_secs(120);

/// A client's step with `schedule`, with check-ins spread over every
/// accepted year, pushed as an app would after importing a diary.
async fn step_spanning_the_range(app: &TestApp, token: &str, goal_id: &str, schedule: (u32, u32)) {
    let step = try_create_step(
        app,
        token,
        pb::ActionStep {
            schedule: Some(pb::Schedule {
                times: schedule.0,
                period_days: schedule.1,
            }),
            ..crate::helpers::step(goal_id, "Practise")
        },
    )
    .await
    .expect("step");
    let (first, last) = (date(FIRST_DAY), date(LAST_DAY));
    let mut days: Vec<chrono::NaiveDate> = first
        .iter_days()
        .step_by(CHECK_IN_EVERY_DAYS as usize)
        .take_while(|d| *d <= last)
        .collect();
    days.push(last);
    let mutations: Vec<pb::Mutation> = days
        .iter()
        .enumerate()
        .map(|(n, day)| pb::Mutation {
            mutation_id: format!("{}-{n}", step.id),
            base_version: 0,
            op: Some(pb::mutation::Op::UpsertCheckIn(check_in(
                &step.id,
                &day.format("%Y-%m-%d").to_string(),
                pb::CheckInState::Done,
            ))),
        })
        .collect();
    let mut sync = SyncServiceClient::new(app.authed(token).await);
    for batch in mutations.chunks(stepwise::app::MAX_PUSH_MUTATIONS) {
        let pushed = sync
            .push(pb::PushRequest {
                cursor: String::new(),
                device_id: "phone".into(),
                mutations: batch.to_vec(),
                ..Default::default()
            })
            .await
            .expect("push")
            .into_inner();
        assert!(
            pushed
                .results
                .iter()
                .all(|r| r.outcome == pb::Outcome::Applied as i32),
            "every check-in is in the accepted range"
        );
    }
}

fn date(value: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").expect("date")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_and_other_clients_are_answered_while_the_costliest_progress_is_computed() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let mut heavy = Vec::new();
    for n in 0..HEAVY_CLIENTS {
        let code = invite(&app, &therapist).await.code;
        let signed_up = sign_up(&app, &code, &format!("Client {n}"))
            .await
            .expect("sign up");
        let goal = create_goal(&app, &signed_up.token, "Keep it up").await;
        for schedule in SCHEDULES {
            step_spanning_the_range(&app, &signed_up.token, &goal.id, schedule).await;
        }
        heavy.push((signed_up.token, signed_up.account.expect("account").id));
    }
    let other = app.new_client("Bo").await;

    let progress_calls = (0..EXPENSIVE_CALLS).map(|n| {
        let (token, client_id) = heavy[n % HEAVY_CLIENTS].clone();
        let app = &app;
        async move {
            app.progress(&token)
                .await
                .get_progress(pb::GetProgressRequest {
                    target: Some(pb::get_progress_request::Target::ClientId(client_id)),
                    as_of_date: LAST_DAY.into(),
                })
                .await
                .map(tonic::Response::into_inner)
        }
    });
    let dashboards = (0..HEAVY_CLIENTS).map(|_| {
        let (app, therapist) = (&app, &therapist);
        async move {
            care(app, therapist)
                .await
                .list_client_summaries(pb::ListClientSummariesRequest {
                    as_of_date: LAST_DAY.into(),
                    ..Default::default()
                })
                .await
                .map(|r| r.into_inner().client_summaries.len())
        }
    });
    let health_checks = async {
        let mut health = HealthClient::new(app.channel().await);
        let mut answers = Vec::new();
        for _ in 0..20 {
            let answer = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status());
            answers.push(answer);
        }
        answers
    };
    let others_calls = async {
        let mut goals = Vec::new();
        for n in 0..5 {
            goals.push(try_create_goal(&app, &other, goal(&format!("Goal {n}"))).await);
        }
        goals
    };

    let (progress, dashboards, health, others) = tokio::time::timeout(
        GUARD,
        futures_util::future::join4(
            join_all(progress_calls),
            join_all(dashboards),
            health_checks,
            others_calls,
        ),
    )
    .await
    .expect("the server keeps answering");

    for answer in health {
        assert_eq!(answer.expect("health answers"), ServingStatus::Serving);
    }
    for goal in others {
        goal.expect("another client's call is answered");
    }
    for report in progress {
        let report = report.expect("progress");
        assert_eq!(report.as_of_date, LAST_DAY);
        assert_eq!(report.steps.len(), SCHEDULES.len());
    }
    for summaries in dashboards {
        assert_eq!(summaries.expect("summaries"), HEAVY_CLIENTS);
    }
}
