//! Bad input: every rejected request is INVALID_ARGUMENT with reason
//! INVALID_FIELDS, names each bad field by its request-relative path, and
//! writes nothing.

use stepwise::pb;
use stepwise::pb::CheckInState::{Done, Unspecified};
use stepwise::pb::Schedule;

use crate::helpers::*;
use crate::skills::{skill, try_create_skill};

/// Dates that are not real `YYYY-MM-DD` dates.
const MALFORMED_DATES: &[&str] = &[
    "2026-02-30",
    "2026-2-3",
    "2026-13-01",
    "2026/02/03",
    "03.02.2026",
    "2026-02-03T00:00:00Z",
];

/// Ten characters, but not `YYYY-MM-DD`: padding in place of digits.
const PADDED_DATES: &[&str] = &["2026-02- 3", " 2026-2-03", "+2026-2-03", "  26-02-03"];

fn title_of(chars: usize) -> String {
    "é".repeat(chars)
}

fn text_of(chars: usize) -> String {
    "ü".repeat(chars)
}

// --- Goals ---

#[tokio::test]
async fn a_goal_title_must_have_1_to_200_characters() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    for bad in [String::new(), title_of(201)] {
        let error = try_create_goal(&app, &ada, goal(&bad))
            .await
            .expect_err("bad title");
        assert_invalid(&error, &["goal.title"]);
    }
    assert_eq!(list_goals(&app, &ada).await, vec![]);

    let longest = try_create_goal(&app, &ada, goal(&title_of(200)))
        .await
        .expect("200 chars");
    assert_eq!(longest.title, title_of(200));
}

#[tokio::test]
async fn a_goal_why_may_have_at_most_4000_characters() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let with_why = |chars| pb::Goal {
        why: text_of(chars),
        ..goal("Walk more")
    };

    let error = try_create_goal(&app, &ada, with_why(4001))
        .await
        .expect_err("too long");
    assert_invalid(&error, &["goal.why"]);
    assert_eq!(list_goals(&app, &ada).await, vec![]);

    try_create_goal(&app, &ada, with_why(4000))
        .await
        .expect("4000 chars");
}

#[tokio::test]
async fn a_goal_target_date_must_be_a_real_date_written_yyyy_mm_dd() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    for bad in MALFORMED_DATES {
        let with_date = pb::Goal {
            target_date: (*bad).into(),
            ..goal("Walk more")
        };
        let error = try_create_goal(&app, &ada, with_date).await.expect_err(bad);
        assert_invalid(&error, &["goal.target_date"]);
    }
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn dates_padded_to_ten_characters_are_rejected_not_read_as_other_dates() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let goals_before = list_goals(&app, &ada).await;

    for bad in PADDED_DATES {
        let with_date = pb::Goal {
            target_date: (*bad).into(),
            ..goal("Walk more")
        };
        let error = try_create_goal(&app, &ada, with_date).await.expect_err(bad);
        assert_invalid(&error, &["goal.target_date"]);
        let error = log_check_in(&app, &ada, &step.id, bad, Done)
            .await
            .expect_err(bad);
        assert_invalid(&error, &["check_in.local_date"]);
    }
    assert_eq!(list_goals(&app, &ada).await, goals_before);
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn a_goal_status_must_be_a_known_value() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let with_status = pb::Goal {
        status: 99,
        ..goal("Walk more")
    };

    let error = try_create_goal(&app, &ada, with_status)
        .await
        .expect_err("status 99");

    assert_invalid(&error, &["goal.status"]);
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn ids_must_be_uuids() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    let with_id = pb::Goal {
        id: "goal-1".into(),
        ..goal("Walk more")
    };
    let error = try_create_goal(&app, &ada, with_id)
        .await
        .expect_err("bad id");
    assert_invalid(&error, &["goal.id"]);
    assert_eq!(list_goals(&app, &ada).await, vec![]);

    assert_invalid(
        &get_goal(&app, &ada, "goal-1").await.expect_err("get"),
        &["id"],
    );
    assert_invalid(
        &get_step(&app, &ada, "42").await.expect_err("get step"),
        &["id"],
    );
    assert_invalid(
        &delete_goal(&app, &ada, "", 0).await.expect_err("delete"),
        &["id"],
    );
    let error = delete_check_in(&app, &ada, "x", 0)
        .await
        .expect_err("delete check-in");
    assert_invalid(&error, &["id"]);
    let error = delete_rating(&app, &ada, "x", 0)
        .await
        .expect_err("delete rating");
    assert_invalid(&error, &["id"]);
    let error = list_steps(&app, &ada, "not-a-goal")
        .await
        .expect_err("list steps");
    assert_invalid(&error, &["goal_id"]);
    let error = list_check_ins(&app, &ada, "nope", "", "")
        .await
        .expect_err("list check-ins");
    assert_invalid(&error, &["action_step_id"]);
}

#[tokio::test]
async fn every_bad_field_of_a_new_goal_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bad = pb::Goal {
        id: "goal-1".into(),
        title: String::new(),
        why: text_of(4001),
        target_date: "2026-02-30".into(),
        status: 99,
        ..Default::default()
    };

    let error = try_create_goal(&app, &ada, bad)
        .await
        .expect_err("bad goal");

    assert_invalid(
        &error,
        &[
            "goal.id",
            "goal.title",
            "goal.why",
            "goal.target_date",
            "goal.status",
        ],
    );
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn a_create_without_the_record_names_the_missing_message() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;

    let error = app
        .goals(&ada)
        .await
        .create_goal(pb::CreateGoalRequest { goal: None })
        .await
        .expect_err("no goal");
    assert_invalid(&error, &["goal"]);
    let error = app
        .progress(&ada)
        .await
        .log_check_in(pb::LogCheckInRequest { check_in: None })
        .await
        .expect_err("no check-in");
    assert_invalid(&error, &["check_in"]);
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn an_update_with_bad_fields_reports_them_all_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = create_goal(&app, &ada, "Walk more").await;

    let bad = pb::Goal {
        id: before.id.clone(),
        title: title_of(201),
        why: "Fine".into(),
        target_date: "2026-2-3".into(),
        status: 99,
        ..Default::default()
    };
    let error = update_goal(&app, &ada, bad, &[])
        .await
        .expect_err("bad update");

    assert_invalid(&error, &["goal.title", "goal.target_date", "goal.status"]);
    assert_eq!(
        get_goal(&app, &ada, &before.id).await.expect("get goal"),
        before
    );
}

#[tokio::test]
async fn an_update_can_not_set_an_empty_title_through_the_mask() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = create_goal(&app, &ada, "Walk more").await;

    let emptied = pb::Goal {
        title: String::new(),
        ..before.clone()
    };
    let error = update_goal(&app, &ada, emptied, &["title"])
        .await
        .expect_err("empty title");

    assert_invalid(&error, &["goal.title"]);
    assert_eq!(
        get_goal(&app, &ada, &before.id).await.expect("get goal"),
        before
    );
}

// --- Action steps ---

#[tokio::test]
async fn an_action_step_title_must_have_1_to_200_characters() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;

    for bad in [String::new(), title_of(201)] {
        let error = try_create_step(&app, &ada, step(&goal.id, &bad))
            .await
            .expect_err("bad title");
        assert_invalid(&error, &["action_step.title"]);
    }
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![]
    );

    try_create_step(&app, &ada, step(&goal.id, &title_of(200)))
        .await
        .expect("200 chars");
}

#[tokio::test]
async fn a_schedule_is_required_and_allows_at_most_one_check_in_per_day() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let with_schedule = |schedule: Option<Schedule>| pb::ActionStep {
        schedule,
        ..step(&goal.id, "Walk")
    };
    let every = |times, period_days| Some(Schedule { times, period_days });

    for bad in [
        None,
        every(0, 7),
        every(1, 0),
        every(0, 0),
        every(8, 7),
        every(1, 367),
    ] {
        let error = try_create_step(&app, &ada, with_schedule(bad))
            .await
            .expect_err("bad schedule");
        assert_invalid(&error, &["action_step.schedule"]);
    }
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![]
    );

    for good in [every(1, 1), every(7, 7), every(1, 366)] {
        try_create_step(&app, &ada, with_schedule(good))
            .await
            .expect("good schedule");
    }
}

#[tokio::test]
async fn an_action_step_status_must_be_a_known_value() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, before) = goal_with_step(&app, &ada).await;

    let new_step = pb::ActionStep {
        status: 99,
        ..step(&before.goal_id, "Swim")
    };
    let error = try_create_step(&app, &ada, new_step)
        .await
        .expect_err("status 99");
    assert_invalid(&error, &["action_step.status"]);

    let change = pb::ActionStep {
        status: 99,
        ..before.clone()
    };
    let error = update_step(&app, &ada, change, &["status"])
        .await
        .expect_err("status 99");
    assert_invalid(&error, &["action_step.status"]);

    assert_eq!(
        list_steps(&app, &ada, &before.goal_id).await.expect("list"),
        vec![before]
    );
}

#[tokio::test]
async fn every_bad_field_of_a_new_action_step_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let bad = pb::ActionStep {
        id: "step-1".into(),
        goal_id: "goal-1".into(),
        title: String::new(),
        schedule: Some(Schedule {
            times: 3,
            period_days: 2,
        }),
        status: 99,
        ..Default::default()
    };

    let error = try_create_step(&app, &ada, bad)
        .await
        .expect_err("bad step");

    assert_invalid(
        &error,
        &[
            "action_step.id",
            "action_step.goal_id",
            "action_step.title",
            "action_step.schedule",
            "action_step.status",
        ],
    );
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn an_action_step_update_with_a_bad_schedule_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, before) = goal_with_step(&app, &ada).await;

    let change = pb::ActionStep {
        title: String::new(),
        schedule: Some(Schedule {
            times: 0,
            period_days: 7,
        }),
        ..before.clone()
    };
    let error = update_step(&app, &ada, change, &[])
        .await
        .expect_err("bad update");

    assert_invalid(&error, &["action_step.title", "action_step.schedule"]);
    assert_eq!(
        get_step(&app, &ada, &before.id).await.expect("get step"),
        before
    );
}

// --- Check-ins ---

#[tokio::test]
async fn a_check_in_date_must_be_a_real_date_written_yyyy_mm_dd() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;

    for bad in MALFORMED_DATES.iter().chain(&[""]) {
        let error = log_check_in(&app, &ada, &step.id, bad, Done)
            .await
            .expect_err(bad);
        assert_invalid(&error, &["check_in.local_date"]);
    }
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn a_check_in_state_must_be_given_and_known() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;

    let error = log_check_in(&app, &ada, &step.id, "2026-03-02", Unspecified)
        .await
        .expect_err("unspecified state");
    assert_invalid(&error, &["check_in.state"]);
    let unknown = pb::CheckIn {
        state: 99,
        ..check_in(&step.id, "2026-03-02", Done)
    };
    let error = log(&app, &ada, unknown).await.expect_err("state 99");
    assert_invalid(&error, &["check_in.state"]);

    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn a_check_in_note_may_have_at_most_4000_characters() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let with_note = |chars| pb::CheckIn {
        note: text_of(chars),
        ..check_in(&step.id, "2026-03-02", Done)
    };

    let error = log(&app, &ada, with_note(4001))
        .await
        .expect_err("too long");
    assert_invalid(&error, &["check_in.note"]);
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );

    log(&app, &ada, with_note(4000)).await.expect("4000 chars");
}

#[tokio::test]
async fn a_check_in_amount_must_be_a_finite_number_from_0_to_a_billion() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let with_amount = |amount| pb::CheckIn {
        amount,
        ..check_in(&step.id, "2026-03-02", Done)
    };

    for bad in [-1.0, 1e9 + 1.0, f64::NAN, f64::INFINITY] {
        let error = log(&app, &ada, with_amount(bad))
            .await
            .expect_err("bad amount");
        assert_invalid(&error, &["check_in.amount"]);
    }
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );

    log(&app, &ada, with_amount(1e9))
        .await
        .expect("a billion is fine");
}

#[tokio::test]
async fn a_check_in_for_an_action_step_that_does_not_exist_is_rejected() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, deleted) = goal_with_step(&app, &ada).await;
    delete_step(&app, &ada, &deleted.id, 0)
        .await
        .expect("delete step");

    for step_id in [new_id(), deleted.id.clone()] {
        let error = log_check_in(&app, &ada, &step_id, "2026-03-02", Done)
            .await
            .expect_err("no such step");
        assert_invalid(&error, &["check_in.action_step_id"]);
    }
}

#[tokio::test]
async fn every_bad_field_of_a_check_in_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let bad = pb::CheckIn {
        id: "check-in-1".into(),
        action_step_id: step.id.clone(),
        local_date: "2026-2-3".into(),
        state: 0,
        amount: -5.0,
        note: text_of(4001),
        ..Default::default()
    };

    let error = log(&app, &ada, bad).await.expect_err("bad check-in");

    assert_invalid(
        &error,
        &[
            "check_in.id",
            "check_in.local_date",
            "check_in.state",
            "check_in.amount",
            "check_in.note",
        ],
    );
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn listing_check_ins_needs_real_dates_as_bounds() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;

    let error = list_check_ins(&app, &ada, &step.id, "2026-02-30", "")
        .await
        .expect_err("start");
    assert_invalid(&error, &["start_date"]);
    let error = list_check_ins(&app, &ada, &step.id, "", "2026-2-3")
        .await
        .expect_err("end");
    assert_invalid(&error, &["end_date"]);
}

// --- Ratings ---

#[tokio::test]
async fn a_rating_score_must_be_from_0_to_100() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());

    for bad in [-1, 101] {
        let error = record_rating(&app, &ada, rating(&of_goal, bad))
            .await
            .expect_err("bad score");
        assert_invalid(&error, &["rating.score"]);
    }
    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![]
    );

    for good in [0, 100] {
        record_rating(&app, &ada, rating(&of_goal, good))
            .await
            .expect("good score");
    }
}

#[tokio::test]
async fn a_rating_note_may_have_at_most_4000_characters() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());
    let with_note = |chars| pb::EfficacyRating {
        note: text_of(chars),
        ..rating(&of_goal, 50)
    };

    let error = record_rating(&app, &ada, with_note(4001))
        .await
        .expect_err("too long");
    assert_invalid(&error, &["rating.note"]);
    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![]
    );

    record_rating(&app, &ada, with_note(4000))
        .await
        .expect("4000 chars");
}

#[tokio::test]
async fn a_rating_needs_a_goal_or_action_step_that_exists() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    let no_target = pb::EfficacyRating {
        score: 50,
        ..Default::default()
    };
    let error = record_rating(&app, &ada, no_target)
        .await
        .expect_err("no target");
    assert_invalid(&error, &["rating.target"]);
    let error = record_rating(&app, &ada, rating(&Rated::Goal(new_id()), 50))
        .await
        .expect_err("no such goal");
    assert_invalid(&error, &["rating.goal_id"]);
    let error = record_rating(&app, &ada, rating(&Rated::Step(new_id()), 50))
        .await
        .expect_err("no such step");
    assert_invalid(&error, &["rating.action_step_id"]);
}

#[tokio::test]
async fn every_bad_field_of_a_rating_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let bad = pb::EfficacyRating {
        id: "rating-1".into(),
        target: Some(pb::efficacy_rating::Target::GoalId(goal.id.clone())),
        score: 101,
        note: text_of(4001),
        rate_time: Some(prost_types::Timestamp {
            seconds: 1_772_400_000,
            nanos: -1,
        }),
        ..Default::default()
    };

    let error = record_rating(&app, &ada, bad)
        .await
        .expect_err("bad rating");

    assert_invalid(
        &error,
        &[
            "rating.id",
            "rating.score",
            "rating.note",
            "rating.rate_time",
        ],
    );
    let listed = list_ratings(&app, &ada, &Rated::Goal(goal.id.clone())).await;
    assert_eq!(listed.expect("list"), vec![]);
}

#[tokio::test]
async fn a_rating_list_needs_a_target() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    let error = app
        .progress(&ada)
        .await
        .list_efficacy_ratings(pb::ListEfficacyRatingsRequest::default())
        .await
        .expect_err("no target");

    assert_invalid(&error, &["target"]);
}

// --- Lists ---

#[tokio::test]
async fn every_list_rejects_a_negative_page_size() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    let (mut goals, mut progress) = (app.goals(&ada).await, app.progress(&ada).await);

    let errors = [
        goals
            .list_goals(pb::ListGoalsRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .expect_err("goals"),
        goals
            .list_action_steps(pb::ListActionStepsRequest {
                goal_id: goal.id.clone(),
                page_size: -1,
                ..Default::default()
            })
            .await
            .expect_err("steps"),
        progress
            .list_check_ins(pb::ListCheckInsRequest {
                action_step_id: step.id.clone(),
                page_size: -1,
                ..Default::default()
            })
            .await
            .expect_err("check-ins"),
        progress
            .list_efficacy_ratings(pb::ListEfficacyRatingsRequest {
                target: Some(Rated::Goal(goal.id.clone()).list_target()),
                page_size: -1,
                ..Default::default()
            })
            .await
            .expect_err("ratings"),
    ];

    for error in &errors {
        assert_invalid(error, &["page_size"]);
    }
}

#[tokio::test]
async fn every_list_rejects_a_page_token_it_did_not_issue() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    let (mut goals, mut progress) = (app.goals(&ada).await, app.progress(&ada).await);
    let garbage = || "not a token!".to_owned();

    let errors = [
        goals
            .list_goals(pb::ListGoalsRequest {
                page_token: garbage(),
                ..Default::default()
            })
            .await
            .expect_err("goals"),
        goals
            .list_action_steps(pb::ListActionStepsRequest {
                goal_id: goal.id.clone(),
                page_token: garbage(),
                ..Default::default()
            })
            .await
            .expect_err("steps"),
        progress
            .list_check_ins(pb::ListCheckInsRequest {
                action_step_id: step.id.clone(),
                page_token: garbage(),
                ..Default::default()
            })
            .await
            .expect_err("check-ins"),
        progress
            .list_efficacy_ratings(pb::ListEfficacyRatingsRequest {
                target: Some(Rated::Goal(goal.id.clone()).list_target()),
                page_token: garbage(),
                ..Default::default()
            })
            .await
            .expect_err("ratings"),
    ];

    for error in &errors {
        assert_invalid(error, &["page_token"]);
    }
}

#[tokio::test]
async fn a_page_token_of_one_goals_steps_is_rejected_for_another_goal() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let walking = create_goal(&app, &ada, "Walk more").await;
    let sleeping = create_goal(&app, &ada, "Sleep earlier").await;
    for title in ["Walk to work", "Walk after lunch"] {
        create_step(&app, &ada, &walking.id, title).await;
    }
    create_step(&app, &ada, &sleeping.id, "Phone off at 22:00").await;
    let mut goals = app.goals(&ada).await;
    let first_page = goals
        .list_action_steps(pb::ListActionStepsRequest {
            goal_id: walking.id.clone(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    assert!(
        !first_page.next_page_token.is_empty(),
        "there is a second page"
    );

    let error = goals
        .list_action_steps(pb::ListActionStepsRequest {
            goal_id: sleeping.id.clone(),
            page_token: first_page.next_page_token,
            ..Default::default()
        })
        .await
        .expect_err("token of another list");

    assert_invalid(&error, &["page_token"]);
}

#[tokio::test]
async fn a_request_over_the_message_size_limit_is_resource_exhausted_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let huge = pb::Goal {
        why: "x".repeat(5 * 1024 * 1024),
        ..goal("Too big")
    };
    let status = try_create_goal(&app, &ada, huge)
        .await
        .expect_err("too large");
    assert_status(&status, tonic::Code::ResourceExhausted, "MESSAGE_TOO_LARGE");
    assert!(status.message().contains("4 MiB"), "{}", status.message());
    assert!(list_goals(&app, &ada).await.is_empty());
}

// --- Dates and times: local dates from 2000-01-01 to 2099-12-31 ---

/// Local dates outside the accepted range, however well formed.
const OUT_OF_RANGE_DATES: &[&str] = &["0001-01-01", "1999-12-31", "2100-01-01", "9999-12-31"];

/// Asserts INVALID_ARGUMENT naming only `field`, with a description that
/// tells the caller the allowed range.
#[track_caller]
fn assert_out_of_range(status: &tonic::Status, field: &str) {
    use tonic_types::StatusExt;
    assert_invalid(status, &[field]);
    let description = status
        .get_details_bad_request()
        .and_then(|b| b.field_violations.into_iter().next())
        .map(|v| v.description)
        .unwrap_or_default();
    assert!(
        description.contains("2000-01-01") && description.contains("2099-12-31"),
        "the violation of {field} names the allowed range: {description:?}"
    );
}

#[tokio::test]
async fn a_check_in_dated_outside_2000_to_2099_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;

    for bad in OUT_OF_RANGE_DATES {
        let error = log_check_in(&app, &ada, &step.id, bad, Done)
            .await
            .expect_err(bad);
        assert_out_of_range(&error, "check_in.local_date");
    }
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![],
        "nothing was written"
    );
    for edge in ["2000-01-01", "2099-12-31"] {
        log_check_in(&app, &ada, &step.id, edge, Done)
            .await
            .expect(edge);
    }
}

#[tokio::test]
async fn a_pushed_check_in_dated_outside_2000_to_2099_is_rejected() {
    use stepwise::pb::sync_service_client::SyncServiceClient;
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let mutation = pb::Mutation {
        mutation_id: "m1".into(),
        base_version: 0,
        op: Some(pb::mutation::Op::UpsertCheckIn(check_in(
            &step.id,
            "0001-01-01",
            Done,
        ))),
    };

    let pushed = SyncServiceClient::new(app.authed(&ada).await)
        .push(pb::PushRequest {
            cursor: String::new(),
            device_id: "phone".into(),
            mutations: vec![mutation],
            ..Default::default()
        })
        .await
        .expect("push")
        .into_inner();

    let result = &pushed.results[0];
    assert_eq!(result.outcome, pb::Outcome::Rejected as i32);
    let fields: Vec<&str> = result
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["check_in.local_date"]);
    assert_eq!(
        list_check_ins(&app, &ada, &step.id, "", "")
            .await
            .expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn progress_as_of_a_day_outside_2000_to_2099_is_refused() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let (ada_account, ada) = app.create_account(pb::Role::Client, "Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let targets = [
        pb::get_progress_request::Target::ActionStepId(step.id.clone()),
        pb::get_progress_request::Target::ClientId(ada_account.id.clone()),
    ];

    for bad in OUT_OF_RANGE_DATES {
        for target in &targets {
            let error = app
                .progress(&ada)
                .await
                .get_progress(pb::GetProgressRequest {
                    target: Some(target.clone()),
                    as_of_date: (*bad).into(),
                })
                .await
                .expect_err(bad);
            assert_out_of_range(&error, "as_of_date");
        }
        let error = pb::care_service_client::CareServiceClient::new(app.authed(&therapist).await)
            .list_client_summaries(pb::ListClientSummariesRequest {
                as_of_date: (*bad).into(),
                ..Default::default()
            })
            .await
            .expect_err(bad);
        assert_out_of_range(&error, "as_of_date");
    }
}

#[tokio::test]
async fn goal_target_dates_and_list_bounds_outside_2000_to_2099_are_refused() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, step) = goal_with_step(&app, &ada).await;

    for bad in OUT_OF_RANGE_DATES {
        let new = pb::Goal {
            target_date: (*bad).into(),
            ..crate::helpers::goal("Someday")
        };
        let error = try_create_goal(&app, &ada, new).await.expect_err(bad);
        assert_out_of_range(&error, "goal.target_date");
        let moved = pb::Goal {
            target_date: (*bad).into(),
            ..goal.clone()
        };
        let error = update_goal(&app, &ada, moved, &["target_date"])
            .await
            .expect_err(bad);
        assert_out_of_range(&error, "goal.target_date");

        let error = list_check_ins(&app, &ada, &step.id, bad, "")
            .await
            .expect_err(bad);
        assert_out_of_range(&error, "start_date");
        let error = list_check_ins(&app, &ada, &step.id, "", bad)
            .await
            .expect_err(bad);
        assert_out_of_range(&error, "end_date");
    }
    assert_eq!(list_goals(&app, &ada).await, vec![goal], "nothing written");
}

#[tokio::test]
async fn a_rating_given_before_2000_or_more_than_a_day_ahead_is_refused() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());
    let now = now_micros() / 1_000_000;
    let day = 24 * 3600;

    // 1999-12-31T23:59:59Z, two days ahead, the last second of 9999.
    for seconds in [946_684_799, now + 2 * day, 253_402_300_799] {
        let rated = pb::EfficacyRating {
            rate_time: at(seconds),
            ..rating(&of_goal, 50)
        };
        let error = record_rating(&app, &ada, rated)
            .await
            .expect_err("out of range");
        assert_invalid(&error, &["rating.rate_time"]);
    }
    assert_eq!(
        list_ratings(&app, &ada, &of_goal).await.expect("list"),
        vec![]
    );
    // A phone's clock an hour ahead is fine; so is the first second of 2000.
    for seconds in [now + 3600, 946_684_800] {
        let rated = pb::EfficacyRating {
            rate_time: at(seconds),
            ..rating(&of_goal, 50)
        };
        record_rating(&app, &ada, rated).await.expect("in range");
    }
}

#[tokio::test]
async fn a_bad_client_id_names_its_field_once() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;

    let mut bad_goal = goal("Walk");
    bad_goal.client_id = "not-an-id".into();
    let goal_error = try_create_goal(&app, &ada, bad_goal)
        .await
        .expect_err("not an id");
    let mut bad_skill = skill("", "Breathe", pb::SkillCategory::Breathing);
    bad_skill.client_id = "not-an-id".into();
    let skill_error = try_create_skill(&app, &ada, bad_skill)
        .await
        .expect_err("not an id");

    for (error, field) in [
        (goal_error, "goal.client_id"),
        (skill_error, "skill.client_id"),
    ] {
        assert_invalid(&error, &[field]);
        assert_eq!(
            error.message().matches(field).count(),
            1,
            "a person reads the field once: {:?}",
            error.message()
        );
    }
}

// --- Every bad field at once, in every service ---
//
// Each request below has independent bad fields (a malformed id, date,
// page size or update mask beside another); the caller learns about all of
// them in one round trip, whichever layer checks which.

/// Not an id.
const BAD_ID: &str = "not-an-id";
/// Not a day of any calendar.
const BAD_DATE: &str = "2026-02-30";

/// A PHQ-9 result on `date` answering 9, where 3 is the most, to item 9.
fn phq9_with_a_9_on_item_9(date: &str) -> pb::AssessmentResult {
    crate::assessments::answers(crate::assessments::PHQ9, date, &[0, 0, 0, 0, 0, 0, 0, 0, 9])
}

#[tokio::test]
async fn goal_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut goals = app.goals(&ada).await;

    let error = goals
        .list_goals(pb::ListGoalsRequest {
            client_id: BAD_ID.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list goals");
    assert_invalid(&error, &["client_id", "page_size"]);

    let error = goals
        .list_action_steps(pb::ListActionStepsRequest {
            goal_id: BAD_ID.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list steps");
    assert_invalid(&error, &["goal_id", "page_size"]);

    let bad = pb::Goal {
        id: BAD_ID.into(),
        title: String::new(),
        ..Default::default()
    };
    let error = update_goal(&app, &ada, bad, &["title", "colour"])
        .await
        .expect_err("update goal");
    assert_invalid(&error, &["update_mask", "goal.id", "goal.title"]);
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn progress_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut progress = app.progress(&ada).await;

    let error = progress
        .list_check_ins(pb::ListCheckInsRequest {
            action_step_id: BAD_ID.into(),
            start_date: BAD_DATE.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list check-ins");
    assert_invalid(&error, &["action_step_id", "start_date", "page_size"]);

    let error = progress
        .list_efficacy_ratings(pb::ListEfficacyRatingsRequest {
            target: Some(Rated::Goal(BAD_ID.into()).list_target()),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list ratings");
    assert_invalid(&error, &["goal_id", "page_size"]);

    let error = progress
        .get_progress(pb::GetProgressRequest {
            target: Some(pb::get_progress_request::Target::GoalId(BAD_ID.into())),
            as_of_date: BAD_DATE.into(),
        })
        .await
        .expect_err("progress");
    assert_invalid(&error, &["goal_id", "as_of_date"]);

    let error = progress
        .list_attainments(pb::ListAttainmentsRequest {
            goal_id: BAD_ID.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list attainments");
    assert_invalid(&error, &["goal_id", "page_size"]);
}

#[tokio::test]
async fn assessment_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut assessments = app.assessments(&ada).await;

    // The date is checked when the request is read, the answers against
    // the instrument: both are named.
    let error = crate::assessments::submit(&app, &ada, phq9_with_a_9_on_item_9(BAD_DATE))
        .await
        .expect_err("submit");
    assert_invalid(&error, &["result.local_date", "result.answers[8]"]);
    let unknown_instrument = pb::AssessmentResult {
        instrument_id: new_id(),
        ..phq9_with_a_9_on_item_9(BAD_DATE)
    };
    let error = crate::assessments::submit(&app, &ada, unknown_instrument)
        .await
        .expect_err("submit to an unknown instrument");
    assert_invalid(&error, &["result.local_date", "result.instrument_id"]);
    let stored = assessments
        .list_assessment_results(pb::ListAssessmentResultsRequest::default())
        .await
        .expect("list results")
        .into_inner();
    assert_eq!(stored.assessment_results, vec![]);

    let error = assessments
        .list_assessment_results(pb::ListAssessmentResultsRequest {
            client_id: BAD_ID.into(),
            instrument_id: BAD_ID.into(),
            start_date: BAD_DATE.into(),
            end_date: BAD_DATE.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list results");
    assert_invalid(
        &error,
        &[
            "client_id",
            "instrument_id",
            "start_date",
            "end_date",
            "page_size",
        ],
    );

    let error = assessments
        .list_due_assessments(pb::ListDueAssessmentsRequest {
            client_id: BAD_ID.into(),
            as_of_date: BAD_DATE.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list due");
    assert_invalid(&error, &["client_id", "as_of_date", "page_size"]);

    let error = assessments
        .list_assignments(pb::ListAssignmentsRequest {
            client_id: BAD_ID.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list assignments");
    assert_invalid(&error, &["client_id", "page_size"]);
}

#[tokio::test]
async fn comment_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut comments = app.comments(&ada).await;

    let error = comments
        .list_comments(pb::ListCommentsRequest {
            target: Some(pb::list_comments_request::Target::GoalId(BAD_ID.into())),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list comments");
    assert_invalid(&error, &["goal_id", "page_size"]);

    let error = comments
        .update_comment(pb::UpdateCommentRequest {
            comment: Some(pb::Comment {
                id: BAD_ID.into(),
                text: String::new(),
                ..Default::default()
            }),
            update_mask: mask(&["text", "author"]),
        })
        .await
        .expect_err("update comment");
    assert_invalid(&error, &["update_mask", "comment.id", "comment.text"]);
}

#[tokio::test]
async fn skill_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut skills = app.skills(&ada).await;

    let error = skills
        .list_skills(pb::ListSkillsRequest {
            client_id: BAD_ID.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list skills");
    assert_invalid(&error, &["client_id", "page_size"]);

    let error = skills
        .list_skill_practices(pb::ListSkillPracticesRequest {
            skill_id: BAD_ID.into(),
            end_date: BAD_DATE.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list practices");
    assert_invalid(&error, &["skill_id", "end_date", "page_size"]);

    let error = skills
        .get_skill_stats(pb::GetSkillStatsRequest {
            target: Some(pb::get_skill_stats_request::Target::SkillId(BAD_ID.into())),
            as_of_date: BAD_DATE.into(),
        })
        .await
        .expect_err("skill stats");
    assert_invalid(&error, &["skill_id", "as_of_date"]);

    let error = skills
        .update_skill(pb::UpdateSkillRequest {
            skill: Some(pb::Skill {
                id: BAD_ID.into(),
                ..Default::default()
            }),
            update_mask: mask(&["level"]),
        })
        .await
        .expect_err("update skill");
    assert_invalid(&error, &["update_mask", "skill.id"]);
}

#[tokio::test]
async fn insight_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut insights = app.insights(&ada).await;

    let error = insights
        .list_thought_records(pb::ListThoughtRecordsRequest {
            client_id: BAD_ID.into(),
            start_date: BAD_DATE.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list thought records");
    assert_invalid(&error, &["client_id", "start_date", "page_size"]);

    let error = insights
        .get_insight_stats(pb::GetInsightStatsRequest {
            client_id: BAD_ID.into(),
            end_date: BAD_DATE.into(),
            ..Default::default()
        })
        .await
        .expect_err("insight stats");
    assert_invalid(&error, &["client_id", "end_date"]);

    let error = insights
        .update_thought_record(pb::UpdateThoughtRecordRequest {
            thought_record: Some(pb::ThoughtRecord {
                id: BAD_ID.into(),
                ..Default::default()
            }),
            update_mask: mask(&["mood"]),
        })
        .await
        .expect_err("update thought record");
    assert_invalid(&error, &["update_mask", "thought_record.id"]);
}

#[tokio::test]
async fn care_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let mut care = crate::care::care(&app, &therapist).await;

    let error = care
        .list_sessions(pb::ListSessionsRequest {
            client_id: BAD_ID.into(),
            page_size: -1,
            ..Default::default()
        })
        .await
        .expect_err("list sessions");
    assert_invalid(&error, &["client_id", "page_size"]);

    let error = care
        .get_session_digest(pb::GetSessionDigestRequest {
            client_id: BAD_ID.into(),
            since_time: Some(prost_types::Timestamp {
                seconds: 0,
                nanos: -1,
            }),
        })
        .await
        .expect_err("digest");
    assert_invalid(&error, &["client_id", "since_time"]);

    let error = care
        .list_client_summaries(pb::ListClientSummariesRequest {
            page_size: -1,
            as_of_date: BAD_DATE.into(),
            ..Default::default()
        })
        .await
        .expect_err("summaries");
    assert_invalid(&error, &["page_size", "as_of_date"]);
}

#[tokio::test]
async fn account_service_names_every_bad_field_of_a_request() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = current_account(&app, &ada).await.expect("account");
    let mut accounts = app.accounts(&ada).await;

    let error = accounts
        .update_current_account(pb::UpdateCurrentAccountRequest {
            account: Some(pb::Account {
                time_zone: "Mars/Olympus_Mons".into(),
                ..Default::default()
            }),
            update_mask: mask(&["time_zone", "nickname"]),
        })
        .await
        .expect_err("update account");
    assert_invalid(&error, &["update_mask", "account.time_zone"]);
    assert_eq!(current_account(&app, &ada).await.expect("account"), before);

    let error = accounts
        .delete_account(pb::DeleteAccountRequest {
            id: BAD_ID.into(),
            confirm_account_id: BAD_ID.into(),
        })
        .await
        .expect_err("delete account");
    assert_invalid(&error, &["id", "confirm_account_id"]);
    assert_eq!(current_account(&app, &ada).await.expect("account"), before);
}

#[tokio::test]
async fn sync_service_names_every_bad_field_of_a_request_and_of_a_mutation() {
    use crate::devices::{delete_of, push_outcomes, sync_api};

    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    let checked_in = log_check_in(&app, &ada, &step.id, "2026-03-02", Done)
        .await
        .expect("check in");
    let mut api = sync_api(&app, &ada).await;

    let error = api
        .pull(pb::PullRequest {
            client_id: BAD_ID.into(),
            page_size: -1,
            cursor: "not a cursor!".into(),
        })
        .await
        .expect_err("pull");
    assert_invalid(&error, &["client_id", "page_size", "cursor"]);
    let error = api
        .subscribe(pb::SubscribeRequest {
            client_id: BAD_ID.into(),
            cursor: "not a cursor!".into(),
        })
        .await
        .expect_err("subscribe");
    assert_invalid(&error, &["client_id", "cursor"]);
    let error = api
        .push(pb::PushRequest {
            device_id: String::new(),
            cursor: "not a cursor!".into(),
            mutations: vec![],
            ..Default::default()
        })
        .await
        .expect_err("push");
    assert_invalid(&error, &["device_id", "cursor"]);

    let mutation = |id: &str, op| pb::Mutation {
        mutation_id: id.into(),
        base_version: 0,
        op: Some(op),
    };
    let (outcomes, results) = push_outcomes(
        &mut api,
        vec![
            delete_of("delete", 0, pb::EntityType::Unspecified, BAD_ID),
            mutation(
                "rate",
                pb::mutation::Op::UpsertAttainmentRating(pb::AttainmentRating {
                    goal_id: goal.id.clone(),
                    level: 0,
                    local_date: String::new(),
                    ..Default::default()
                }),
            ),
            mutation(
                "submit",
                pb::mutation::Op::SubmitAssessmentResult(phq9_with_a_9_on_item_9(BAD_DATE)),
            ),
            // Moved to another step and day: neither may change.
            pb::Mutation {
                base_version: checked_in.version,
                ..mutation(
                    "move",
                    pb::mutation::Op::UpsertCheckIn(pb::CheckIn {
                        action_step_id: new_id(),
                        local_date: "2026-03-03".into(),
                        ..checked_in.clone()
                    }),
                )
            },
        ],
    )
    .await;

    let rejected = (pb::Outcome::Rejected, "INVALID_FIELDS".to_owned());
    assert_eq!(outcomes, vec![rejected; 4]);
    let violated: Vec<Vec<&str>> = results
        .iter()
        .map(|r| {
            let mut fields: Vec<&str> = r
                .field_violations
                .iter()
                .map(|v| v.field.as_str())
                .collect();
            fields.sort_unstable();
            fields
        })
        .collect();
    assert_eq!(
        violated,
        [
            vec!["delete.entity_type", "delete.id"],
            vec!["rating.level", "rating.local_date"],
            vec!["result.answers[8]", "result.local_date"],
            vec!["check_in.action_step_id", "check_in.local_date"],
        ]
    );
}

#[tokio::test]
async fn admin_service_names_every_bad_field_of_a_request() {
    use stepwise::pb::admin_service_client::AdminServiceClient;

    let app = TestApp::spawn().await;
    let mut admin = AdminServiceClient::new(app.authed(&app.admin_token).await);

    let error = admin
        .list_admin_events(pb::ListAdminEventsRequest {
            page_size: -1,
            page_token: "not a token!".into(),
        })
        .await
        .expect_err("list events");
    assert_invalid(&error, &["page_size", "page_token"]);
}
