//! GoalService: the action steps under a goal.

use stepwise::pb;
use stepwise::pb::{ActionStepStatus, Schedule};
use tonic::Code;

use crate::helpers::*;

fn daily() -> Option<Schedule> {
    Some(Schedule {
        times: 1,
        period_days: 1,
    })
}

#[tokio::test]
async fn a_new_action_step_belongs_to_its_goal_and_its_owner_and_is_active() {
    let app = TestApp::spawn().await;
    let (ada, token) = app.create_account(pb::Role::Client, "Ada").await;
    let goal = create_goal(&app, &token, "Walk more").await;

    let created = create_step(&app, &token, &goal.id, "Walk 20 minutes").await;

    assert!(
        uuid::Uuid::parse_str(&created.id).is_ok(),
        "server-assigned UUID: {}",
        created.id
    );
    assert_eq!(created.goal_id, goal.id);
    assert_eq!(created.client_id, ada.id);
    assert_eq!(created.title, "Walk 20 minutes");
    assert_eq!(
        created.schedule,
        Some(Schedule {
            times: 3,
            period_days: 7
        })
    );
    assert_eq!(created.status, ActionStepStatus::Active as i32);
    assert!(created.version > 0);
    assert_eq!(created.update_time, created.create_time);
    assert_eq!(
        get_step(&app, &token, &created.id).await.expect("get step"),
        created
    );
}

#[tokio::test]
async fn an_action_step_can_start_out_paused() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;

    let paused = pb::ActionStep {
        status: ActionStepStatus::Paused as i32,
        ..step(&goal.id, "Swim")
    };
    let created = try_create_step(&app, &ada, paused)
        .await
        .expect("create step");

    assert_eq!(created.status, ActionStepStatus::Paused as i32);
}

#[tokio::test]
async fn an_action_step_created_with_a_client_generated_id_keeps_that_id() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let id = new_id();

    let with_id = pb::ActionStep {
        id: id.clone(),
        ..step(&goal.id, "Walk 20 minutes")
    };
    let created = try_create_step(&app, &ada, with_id)
        .await
        .expect("create step");

    assert_eq!(created.id, id);
    assert_eq!(get_step(&app, &ada, &id).await.expect("get step"), created);
}

#[tokio::test]
async fn an_action_step_id_stays_taken_even_after_the_step_is_deleted() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let with_id = pb::ActionStep {
        id: new_id(),
        ..step(&goal.id, "Walk 20 minutes")
    };
    let first = try_create_step(&app, &ada, with_id.clone())
        .await
        .expect("create step");

    let taken = try_create_step(&app, &ada, with_id.clone())
        .await
        .expect_err("taken");
    assert_status(&taken, Code::AlreadyExists, "ALREADY_EXISTS");
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![first]
    );

    delete_step(&app, &ada, &with_id.id, 0)
        .await
        .expect("delete step");
    let deleted = try_create_step(&app, &ada, with_id)
        .await
        .expect_err("still taken");
    assert_status(&deleted, Code::AlreadyExists, "ALREADY_EXISTS");
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn list_action_steps_returns_only_that_goals_steps_ordered_by_id() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let walking = create_goal(&app, &ada, "Walk more").await;
    let sleeping = create_goal(&app, &ada, "Sleep earlier").await;
    let mut walks = Vec::new();
    for title in ["Walk to work", "Walk after lunch", "Take the stairs"] {
        walks.push(create_step(&app, &ada, &walking.id, title).await);
    }
    let bedtime = create_step(&app, &ada, &sleeping.id, "Phone off at 22:00").await;

    walks.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        list_steps(&app, &ada, &walking.id).await.expect("list"),
        walks
    );
    assert_eq!(
        list_steps(&app, &ada, &sleeping.id).await.expect("list"),
        vec![bedtime]
    );
}

#[tokio::test]
async fn updating_only_the_schedule_leaves_title_and_status_alone() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, before) = goal_with_step(&app, &ada).await;

    let change = pb::ActionStep {
        id: before.id.clone(),
        title: "ignored".into(),
        schedule: daily(),
        status: ActionStepStatus::Archived as i32,
        ..Default::default()
    };
    let after = update_step(&app, &ada, change, &["schedule"])
        .await
        .expect("update step");

    assert_eq!(after.schedule, daily());
    assert_eq!(after.title, before.title);
    assert_eq!(after.status, before.status);
    assert_eq!(after.goal_id, goal.id);
    assert_eq!(after.create_time, before.create_time);
    assert!(after.version > before.version);
    assert_eq!(
        get_step(&app, &ada, &before.id).await.expect("get step"),
        after
    );
}

#[tokio::test]
async fn an_empty_update_mask_replaces_title_schedule_and_status() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, before) = goal_with_step(&app, &ada).await;

    let change = pb::ActionStep {
        id: before.id.clone(),
        title: "Walk 30 minutes".into(),
        schedule: daily(),
        status: ActionStepStatus::Paused as i32,
        ..Default::default()
    };
    let after = update_step(&app, &ada, change, &[])
        .await
        .expect("update step");

    assert_eq!(after.title, "Walk 30 minutes");
    assert_eq!(after.schedule, daily());
    assert_eq!(after.status, ActionStepStatus::Paused as i32);
    assert!(after.version > before.version);
    assert_eq!(
        get_step(&app, &ada, &before.id).await.expect("get step"),
        after
    );
}

#[tokio::test]
async fn the_goal_of_an_action_step_cannot_be_changed() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, before) = goal_with_step(&app, &ada).await;
    let other_goal = create_goal(&app, &ada, "Sleep earlier").await;

    let change = pb::ActionStep {
        goal_id: other_goal.id.clone(),
        ..before.clone()
    };
    let error = update_step(&app, &ada, change, &["goal_id"])
        .await
        .expect_err("immutable");

    assert_invalid(&error, &["update_mask"]);
    assert_eq!(
        get_step(&app, &ada, &before.id).await.expect("get step"),
        before
    );
    assert_eq!(
        list_steps(&app, &ada, &other_goal.id).await.expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn a_stale_version_aborts_an_action_step_update_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, original) = goal_with_step(&app, &ada).await;
    let renamed = pb::ActionStep {
        title: "Walk 30 minutes".into(),
        ..original.clone()
    };
    let current = update_step(&app, &ada, renamed, &["title"])
        .await
        .expect("update");

    let stale = pb::ActionStep {
        schedule: daily(),
        ..original.clone()
    };
    let error = update_step(&app, &ada, stale, &["schedule"])
        .await
        .expect_err("stale");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    assert_eq!(
        get_step(&app, &ada, &original.id).await.expect("get step"),
        current
    );
}

#[tokio::test]
async fn a_stale_version_aborts_an_action_step_delete_and_keeps_the_step() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (goal, original) = goal_with_step(&app, &ada).await;
    let renamed = pb::ActionStep {
        title: "Walk 30 minutes".into(),
        ..original.clone()
    };
    let current = update_step(&app, &ada, renamed, &["title"])
        .await
        .expect("update");

    let error = delete_step(&app, &ada, &original.id, original.version)
        .await
        .expect_err("stale");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![current.clone()]
    );
    delete_step(&app, &ada, &current.id, current.version)
        .await
        .expect("delete at the current version");
    assert_eq!(
        list_steps(&app, &ada, &goal.id).await.expect("list"),
        vec![]
    );
}

#[tokio::test]
async fn deleting_an_action_step_removes_its_check_ins_and_ratings_but_not_its_goal() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let plan = seed_plan(&app, &ada).await;
    let sibling = create_step(&app, &ada, &plan.goal.id, "Take the stairs").await;

    delete_step(&app, &ada, &plan.step.id, 0)
        .await
        .expect("delete step");

    assert_not_found(&get_step(&app, &ada, &plan.step.id).await.expect_err("step"));
    assert_not_found(
        &list_check_ins(&app, &ada, &plan.step.id, "", "")
            .await
            .expect_err("check-ins"),
    );
    assert_not_found(
        &delete_check_in(&app, &ada, &plan.check_in.id, 0)
            .await
            .expect_err("check-in"),
    );
    assert_not_found(
        &delete_rating(&app, &ada, &plan.step_rating.id, 0)
            .await
            .expect_err("rating"),
    );
    assert_eq!(
        list_steps(&app, &ada, &plan.goal.id).await.expect("list"),
        vec![sibling]
    );
    assert_eq!(
        get_goal(&app, &ada, &plan.goal.id)
            .await
            .expect("goal stays"),
        plan.goal
    );
    let goal_ratings = list_ratings(&app, &ada, &Rated::Goal(plan.goal.id.clone())).await;
    assert_eq!(
        goal_ratings.expect("goal ratings stay"),
        vec![plan.goal_rating]
    );
}

#[tokio::test]
async fn an_action_step_needs_a_goal_that_exists() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let deleted = create_goal(&app, &ada, "Walk more").await;
    delete_goal(&app, &ada, &deleted.id, 0)
        .await
        .expect("delete goal");

    for goal_id in [new_id(), deleted.id.clone()] {
        let error = try_create_step(&app, &ada, step(&goal_id, "Walk 20 minutes"))
            .await
            .expect_err("no such goal");
        assert_invalid(&error, &["action_step.goal_id"]);
    }
    assert_not_found(
        &list_steps(&app, &ada, &deleted.id)
            .await
            .expect_err("goal is gone"),
    );
}

#[tokio::test]
async fn a_deleted_action_step_cannot_be_updated() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, gone) = goal_with_step(&app, &ada).await;
    delete_step(&app, &ada, &gone.id, 0)
        .await
        .expect("delete step");

    let error = update_step(&app, &ada, gone.clone(), &["title"])
        .await
        .expect_err("gone");

    assert_not_found(&error);
    assert_not_found(
        &delete_step(&app, &ada, &gone.id, 0)
            .await
            .expect_err("delete again"),
    );
}
