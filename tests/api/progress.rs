//! ProgressService: check-ins and self-efficacy ratings.

use stepwise::pb;
use stepwise::pb::CheckInState::{Done, Partial, Skipped};
use tonic::Code;

use crate::helpers::*;

/// The local dates of check-ins, in the order given.
fn dates(check_ins: &[pb::CheckIn]) -> Vec<&str> {
    check_ins.iter().map(|c| c.local_date.as_str()).collect()
}

/// The scores of ratings, in the order given.
fn scores(ratings: &[pb::EfficacyRating]) -> Vec<i32> {
    ratings.iter().map(|r| r.score).collect()
}

// --- Check-ins ---

#[tokio::test]
async fn logging_a_check_in_records_the_day_what_happened_and_its_owner() {
    let app = TestApp::spawn().await;
    let (ada, token) = app.create_account(pb::Role::Client, "Ada").await;
    let (_, step) = goal_with_step(&app, &token).await;

    let logged = log(
        &app,
        &token,
        pb::CheckIn {
            amount: 25.5,
            note: "Felt good".into(),
            ..check_in(&step.id, "2026-03-02", Partial)
        },
    )
    .await
    .expect("log check-in");

    assert!(
        uuid::Uuid::parse_str(&logged.id).is_ok(),
        "server-assigned UUID: {}",
        logged.id
    );
    assert_eq!(logged.action_step_id, step.id);
    assert_eq!(logged.client_id, ada.id);
    assert_eq!(logged.local_date, "2026-03-02");
    assert_eq!(logged.state, Partial as i32);
    assert_eq!(logged.amount, 25.5);
    assert_eq!(logged.note, "Felt good");
    assert!(logged.version > 0);
    assert_eq!(logged.update_time, logged.create_time);
    let listed = list_check_ins(&app, &token, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![logged]);
}

#[tokio::test]
async fn a_second_check_in_on_the_same_day_updates_the_first() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let first = log_check_in(&app, &ada, &step.id, "2026-03-02", Partial)
        .await
        .expect("first log");

    let second = log(
        &app,
        &ada,
        pb::CheckIn {
            id: new_id(),
            amount: 20.0,
            note: "Finished after all".into(),
            ..check_in(&step.id, "2026-03-02", Done)
        },
    )
    .await
    .expect("second log");

    assert_eq!(second.id, first.id, "the first check-in's id is kept");
    assert!(second.version > first.version);
    assert_eq!(second.state, Done as i32);
    assert_eq!(second.amount, 20.0);
    assert_eq!(second.note, "Finished after all");
    assert_eq!(second.create_time, first.create_time);
    let listed = list_check_ins(&app, &ada, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![second]);
}

#[tokio::test]
async fn check_ins_of_different_steps_on_the_same_day_are_separate() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, walk) = goal_with_step(&app, &ada).await;
    let stairs = create_step(&app, &ada, &goal.id, "Take the stairs").await;

    let walked = log_check_in(&app, &ada, &walk.id, "2026-03-02", Done)
        .await
        .expect("log");
    let skipped = log_check_in(&app, &ada, &stairs.id, "2026-03-02", Skipped)
        .await
        .expect("log");

    assert_ne!(walked.id, skipped.id);
    let walks = list_check_ins(&app, &ada, &walk.id, "", "")
        .await
        .expect("list");
    assert_eq!(walks, vec![walked]);
    let stair_days = list_check_ins(&app, &ada, &stairs.id, "", "")
        .await
        .expect("list");
    assert_eq!(stair_days, vec![skipped]);
}

#[tokio::test]
async fn a_check_in_created_with_a_client_generated_id_keeps_that_id_and_the_id_stays_taken() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let id = new_id();

    let with_id = |date: &str| pb::CheckIn {
        id: id.clone(),
        ..check_in(&step.id, date, Done)
    };
    let logged = log(&app, &ada, with_id("2026-03-02")).await.expect("log");
    assert_eq!(logged.id, id);

    let error = log(&app, &ada, with_id("2026-03-03"))
        .await
        .expect_err("id taken");
    assert_status(&error, Code::AlreadyExists, "ALREADY_EXISTS");
    let listed = list_check_ins(&app, &ada, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![logged]);
}

#[tokio::test]
async fn logging_again_at_the_current_version_succeeds_and_at_a_stale_one_is_aborted() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let first = log_check_in(&app, &ada, &step.id, "2026-03-02", Partial)
        .await
        .expect("log");

    let update = pb::CheckIn {
        version: first.version,
        ..check_in(&step.id, "2026-03-02", Done)
    };
    let current = log(&app, &ada, update)
        .await
        .expect("log at the current version");
    assert_eq!(current.state, Done as i32);

    let stale = pb::CheckIn {
        version: first.version,
        ..check_in(&step.id, "2026-03-02", Skipped)
    };
    let error = log(&app, &ada, stale).await.expect_err("stale version");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    let listed = list_check_ins(&app, &ada, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![current]);
}

#[tokio::test]
async fn check_ins_are_listed_oldest_first_within_an_inclusive_date_range() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    for date in [
        "2026-01-05",
        "2025-12-31",
        "2026-01-02",
        "2026-01-01",
        "2026-01-03",
    ] {
        log_check_in(&app, &ada, &step.id, date, Done)
            .await
            .expect("log");
    }

    let listed = |start: &'static str, end: &'static str| {
        let (app, ada, step_id) = (&app, &ada, &step.id);
        async move {
            list_check_ins(app, ada, step_id, start, end)
                .await
                .expect("list")
        }
    };

    assert_eq!(
        dates(&listed("", "").await),
        [
            "2025-12-31",
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            "2026-01-05"
        ]
    );
    assert_eq!(
        dates(&listed("2026-01-01", "2026-01-03").await),
        ["2026-01-01", "2026-01-02", "2026-01-03"]
    );
    assert_eq!(
        dates(&listed("2026-01-02", "").await),
        ["2026-01-02", "2026-01-03", "2026-01-05"]
    );
    assert_eq!(
        dates(&listed("", "2026-01-01").await),
        ["2025-12-31", "2026-01-01"]
    );
    assert_eq!(
        dates(&listed("2026-01-04", "2026-01-04").await),
        Vec::<&str>::new()
    );
    assert_eq!(
        dates(&listed("2026-01-05", "2026-01-05").await),
        ["2026-01-05"]
    );
}

#[tokio::test]
async fn a_date_range_that_ends_before_it_starts_holds_no_check_ins() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    for date in ["2026-01-01", "2026-01-02", "2026-01-03"] {
        log_check_in(&app, &ada, &step.id, date, Done)
            .await
            .expect("log");
    }

    let outcome = list_check_ins(&app, &ada, &step.id, "2026-01-03", "2026-01-01").await;

    // Either answer is reasonable; a crash or a list of days is not.
    match outcome {
        Ok(check_ins) => assert_eq!(check_ins, vec![]),
        Err(status) => assert_status(&status, Code::InvalidArgument, "INVALID_FIELDS"),
    }
}

#[tokio::test]
async fn a_deleted_check_in_is_no_longer_listed_and_its_day_can_be_logged_afresh() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let kept = log_check_in(&app, &ada, &step.id, "2026-03-01", Done)
        .await
        .expect("log");
    let mistaken = log_check_in(&app, &ada, &step.id, "2026-03-02", Done)
        .await
        .expect("log");

    delete_check_in(&app, &ada, &mistaken.id, 0)
        .await
        .expect("delete check-in");

    let listed = list_check_ins(&app, &ada, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![kept]);
    assert_not_found(
        &delete_check_in(&app, &ada, &mistaken.id, 0)
            .await
            .expect_err("gone"),
    );
    let again = log_check_in(&app, &ada, &step.id, "2026-03-02", Skipped)
        .await
        .expect("log");
    assert_ne!(again.id, mistaken.id);
    assert_eq!(again.state, Skipped as i32);
}

#[tokio::test]
async fn deleting_a_check_in_at_a_stale_version_is_aborted_and_keeps_it() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let first = log_check_in(&app, &ada, &step.id, "2026-03-02", Partial)
        .await
        .expect("log");
    let current = log_check_in(&app, &ada, &step.id, "2026-03-02", Done)
        .await
        .expect("log");

    let error = delete_check_in(&app, &ada, &first.id, first.version)
        .await
        .expect_err("stale version");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    let listed = list_check_ins(&app, &ada, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![current.clone()]);
    delete_check_in(&app, &ada, &current.id, current.version)
        .await
        .expect("delete at the current version");
    let listed = list_check_ins(&app, &ada, &step.id, "", "").await;
    assert_eq!(listed.expect("list"), vec![]);
}

// --- Self-efficacy ratings ---

#[tokio::test]
async fn a_rating_of_a_goal_is_given_now_unless_the_app_says_when() {
    let app = TestApp::spawn().await;
    let (ada, token) = app.create_account(pb::Role::Client, "Ada").await;
    let goal = create_goal(&app, &token, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());

    let before = now_micros();
    let rated = record_rating(
        &app,
        &token,
        pb::EfficacyRating {
            note: "Fairly sure".into(),
            ..rating(&of_goal, 70)
        },
    )
    .await
    .expect("record rating");
    let after = now_micros();

    assert!(
        uuid::Uuid::parse_str(&rated.id).is_ok(),
        "server-assigned UUID: {}",
        rated.id
    );
    assert_eq!(rated.target, Some(of_goal.target()));
    assert_eq!(rated.client_id, ada.id);
    assert_eq!(rated.score, 70);
    assert_eq!(rated.note, "Fairly sure");
    assert!(rated.version > 0);
    let rate_time = micros(&rated.rate_time);
    assert!(
        (before..=after).contains(&rate_time),
        "rate_time {rate_time} is when the server received the rating ({before}..={after})"
    );
    let listed = list_ratings(&app, &token, &of_goal).await;
    assert_eq!(listed.expect("list"), vec![rated]);
}

#[tokio::test]
async fn a_rating_of_an_action_step_keeps_the_time_the_app_gave() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let of_step = Rated::Step(step.id.clone());
    let yesterday = at(1_772_400_000);

    let rated = record_rating(
        &app,
        &ada,
        pb::EfficacyRating {
            rate_time: yesterday,
            ..rating(&of_step, 40)
        },
    )
    .await
    .expect("record rating");

    assert_eq!(rated.target, Some(of_step.target()));
    assert_eq!(rated.rate_time, yesterday);
    assert!(micros(&rated.create_time) > micros(&yesterday));
    let listed = list_ratings(&app, &ada, &of_step).await;
    assert_eq!(listed.expect("list"), vec![rated]);
}

#[tokio::test]
async fn ratings_are_listed_by_rate_time_oldest_first_and_only_for_their_target() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    let (of_goal, of_step) = (Rated::Goal(goal.id.clone()), Rated::Step(step.id.clone()));
    for (score, seconds) in [
        (30, 1_772_600_000),
        (10, 1_772_400_000),
        (20, 1_772_500_000),
    ] {
        let given = pb::EfficacyRating {
            rate_time: at(seconds),
            ..rating(&of_goal, score)
        };
        record_rating(&app, &ada, given).await.expect("rate goal");
    }
    record_rating(&app, &ada, rating(&of_step, 90))
        .await
        .expect("rate step");

    let goal_ratings = list_ratings(&app, &ada, &of_goal).await.expect("list");
    assert_eq!(scores(&goal_ratings), [10, 20, 30]);
    let step_ratings = list_ratings(&app, &ada, &of_step).await.expect("list");
    assert_eq!(scores(&step_ratings), [90]);
}

#[tokio::test]
async fn a_rating_created_with_a_client_generated_id_keeps_that_id_and_the_id_stays_taken() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());
    let with_id = pb::EfficacyRating {
        id: new_id(),
        ..rating(&of_goal, 50)
    };

    let rated = record_rating(&app, &ada, with_id.clone())
        .await
        .expect("rate");
    assert_eq!(rated.id, with_id.id);

    let again = pb::EfficacyRating {
        score: 55,
        ..with_id
    };
    let error = record_rating(&app, &ada, again)
        .await
        .expect_err("id taken");
    assert_status(&error, Code::AlreadyExists, "ALREADY_EXISTS");
    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![rated]
    );
}

#[tokio::test]
async fn a_deleted_rating_is_no_longer_listed() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());
    let kept = record_rating(&app, &ada, rating(&of_goal, 50))
        .await
        .expect("rate");
    let mistaken = record_rating(&app, &ada, rating(&of_goal, 5))
        .await
        .expect("rate");

    delete_rating(&app, &ada, &mistaken.id, 0)
        .await
        .expect("delete rating");

    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![kept]
    );
    assert_not_found(
        &delete_rating(&app, &ada, &mistaken.id, 0)
            .await
            .expect_err("gone"),
    );
}

#[tokio::test]
async fn deleting_a_rating_at_a_version_it_never_had_is_aborted_and_keeps_it() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());
    let rated = record_rating(&app, &ada, rating(&of_goal, 50))
        .await
        .expect("rate");

    let error = delete_rating(&app, &ada, &rated.id, rated.version + 100)
        .await
        .expect_err("wrong version");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![rated.clone()]
    );
    delete_rating(&app, &ada, &rated.id, rated.version)
        .await
        .expect("delete at the current version");
    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![]
    );
}
