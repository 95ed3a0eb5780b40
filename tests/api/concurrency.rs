//! Requests that arrive at the same time, as from an app that retries or
//! from two devices of one client. Whatever the interleaving, the outcome
//! must be one of the outcomes of running them one after another. These
//! tests use a multi-threaded runtime so the server really runs calls in
//! parallel.

use futures_util::future::join_all;
use stepwise::pb;
use stepwise::pb::CheckInState::Done;
use tonic::Code;

use crate::helpers::*;

/// How many calls each test sends at once.
const CALLS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_check_ins_for_the_same_day_end_up_as_one() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let client = app.progress(&ada).await;

    let results = join_all((0..CALLS).map(|n| {
        let mut client = client.clone();
        let request = pb::LogCheckInRequest {
            check_in: Some(pb::CheckIn {
                note: format!("try {n}"),
                ..check_in(&step.id, "2026-03-02", Done)
            }),
        };
        async move {
            client
                .log_check_in(request)
                .await
                .map(tonic::Response::into_inner)
        }
    }))
    .await;

    let logged: Vec<pb::CheckIn> = results.into_iter().map(|r| r.expect("log")).collect();
    let listed = list_check_ins(&app, &ada, &step.id, "", "")
        .await
        .expect("list");
    assert_eq!(listed.len(), 1, "one check-in per step and day: {listed:?}");
    assert!(
        logged.iter().all(|c| c.id == listed[0].id),
        "every log answered with that check-in"
    );
    let latest = logged.iter().max_by_key(|c| c.version).expect("some logs");
    assert_eq!(&listed[0], latest, "the list shows the last log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_simultaneous_creates_with_the_same_id_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let id = new_id();
    let client = app.goals(&ada).await;

    let results = join_all((0..CALLS).map(|n| {
        let mut client = client.clone();
        let request = pb::CreateGoalRequest {
            goal: Some(pb::Goal {
                id: id.clone(),
                ..goal(&format!("Device {n}"))
            }),
        };
        async move {
            client
                .create_goal(request)
                .await
                .map(tonic::Response::into_inner)
        }
    }))
    .await;

    let (created, refused): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(created.len(), 1, "exactly one create wins");
    for error in refused {
        assert_status(
            &error.expect_err("refused"),
            Code::AlreadyExists,
            "ALREADY_EXISTS",
        );
    }
    let winner = created
        .into_iter()
        .next()
        .expect("a winner")
        .expect("created");
    assert_eq!(list_goals(&app, &ada).await, vec![winner]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_action_step_outlives_a_goal_deleted_while_steps_were_being_added() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let client = app.goals(&ada).await;

    let adding = join_all((0..CALLS).map(|n| {
        let mut client = client.clone();
        let request = pb::CreateActionStepRequest {
            action_step: Some(step(&goal.id, &format!("Step {n}"))),
        };
        async move {
            client
                .create_action_step(request)
                .await
                .map(tonic::Response::into_inner)
        }
    }));
    let (added, deleted) = tokio::join!(adding, delete_goal(&app, &ada, &goal.id, 0));

    deleted.expect("the delete succeeds whatever else happens");
    assert_not_found(
        &list_steps(&app, &ada, &goal.id)
            .await
            .expect_err("goal is gone"),
    );
    for outcome in added {
        match outcome {
            Ok(step) => {
                assert_not_found(&get_step(&app, &ada, &step.id).await.expect_err("orphan"))
            }
            Err(error) => assert_invalid(&error, &["action_step.goal_id"]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_check_in_outlives_a_step_deleted_while_check_ins_were_being_logged() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let client = app.progress(&ada).await;

    let logging = join_all((0..CALLS).map(|n| {
        let mut client = client.clone();
        let date = format!("2026-03-{:02}", n + 1);
        let request = pb::LogCheckInRequest {
            check_in: Some(check_in(&step.id, &date, Done)),
        };
        async move {
            client
                .log_check_in(request)
                .await
                .map(tonic::Response::into_inner)
        }
    }));
    let (logged, deleted) = tokio::join!(logging, delete_step(&app, &ada, &step.id, 0));

    deleted.expect("the delete succeeds whatever else happens");
    assert_not_found(
        &list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect_err("step is gone"),
    );
    for outcome in logged {
        match outcome {
            Ok(check_in) => {
                let error = delete_check_in(&app, &ada, &check_in.id, 0)
                    .await
                    .expect_err("orphan");
                assert_not_found(&error);
            }
            Err(error) => assert_invalid(&error, &["check_in.action_step_id"]),
        }
    }
}
