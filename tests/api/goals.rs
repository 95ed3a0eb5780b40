//! GoalService: creating, reading, listing, changing and deleting goals.

use stepwise::pb;
use stepwise::pb::GoalStatus;
use tonic::Code;

use crate::helpers::*;

/// A goal with every field an app can set.
fn full_goal() -> pb::Goal {
    pb::Goal {
        title: "Walk more".into(),
        why: "To feel calmer in the evenings".into(),
        target_date: "2026-06-30".into(),
        status: GoalStatus::Active as i32,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_new_goal_belongs_to_the_caller_and_is_active_by_default() {
    let app = TestApp::spawn().await;
    let (ada, token) = app.create_account(pb::Role::Client, "Ada").await;

    let created = try_create_goal(
        &app,
        &token,
        pb::Goal {
            title: "Walk more".into(),
            why: "To feel calmer".into(),
            target_date: "2026-06-30".into(),
            ..Default::default()
        },
    )
    .await
    .expect("create goal");

    assert!(
        uuid::Uuid::parse_str(&created.id).is_ok(),
        "server-assigned UUID: {}",
        created.id
    );
    assert_eq!(created.client_id, ada.id);
    assert_eq!(created.title, "Walk more");
    assert_eq!(created.why, "To feel calmer");
    assert_eq!(created.target_date, "2026-06-30");
    assert_eq!(created.status, GoalStatus::Active as i32);
    assert!(created.version > 0);
    assert!(created.create_time.is_some());
    assert_eq!(created.update_time, created.create_time);
    assert_eq!(
        get_goal(&app, &token, &created.id).await.expect("get goal"),
        created
    );
}

#[tokio::test]
async fn a_goal_can_start_out_achieved_or_archived() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    for status in [GoalStatus::Achieved, GoalStatus::Archived] {
        let goal = pb::Goal {
            status: status as i32,
            ..goal("Run a 5k")
        };
        let created = try_create_goal(&app, &ada, goal)
            .await
            .expect("create goal");
        assert_eq!(created.status, status as i32);
    }
}

#[tokio::test]
async fn a_goal_created_with_a_client_generated_id_keeps_that_id() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let id = new_id();

    let created = try_create_goal(
        &app,
        &ada,
        pb::Goal {
            id: id.clone(),
            ..goal("Walk more")
        },
    )
    .await
    .expect("create goal");

    assert_eq!(created.id, id);
    assert_eq!(
        get_goal(&app, &ada, &id).await.expect("get goal").title,
        "Walk more"
    );
}

#[tokio::test]
async fn creating_a_goal_with_a_taken_id_fails_and_leaves_the_first_goal_alone() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let id = new_id();
    let first = try_create_goal(
        &app,
        &ada,
        pb::Goal {
            id: id.clone(),
            ..goal("Walk more")
        },
    )
    .await
    .expect("create goal");

    let error = try_create_goal(
        &app,
        &ada,
        pb::Goal {
            id: id.clone(),
            ..goal("Sleep more")
        },
    )
    .await
    .expect_err("the id is taken");

    assert_status(&error, Code::AlreadyExists, "ALREADY_EXISTS");
    assert_eq!(get_goal(&app, &ada, &id).await.expect("get goal"), first);
    assert_eq!(list_goals(&app, &ada).await, vec![first]);
}

#[tokio::test]
async fn the_id_of_a_deleted_goal_cannot_be_used_again() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let id = new_id();
    try_create_goal(
        &app,
        &ada,
        pb::Goal {
            id: id.clone(),
            ..goal("Walk more")
        },
    )
    .await
    .expect("create goal");
    delete_goal(&app, &ada, &id, 0).await.expect("delete goal");

    let error = try_create_goal(
        &app,
        &ada,
        pb::Goal {
            id: id.clone(),
            ..goal("Walk more")
        },
    )
    .await
    .expect_err("a deleted id stays taken");

    assert_status(&error, Code::AlreadyExists, "ALREADY_EXISTS");
    assert_not_found(&get_goal(&app, &ada, &id).await.expect_err("still deleted"));
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn list_goals_returns_the_callers_goals_ordered_by_id() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut created = Vec::new();
    for title in ["Walk more", "Sleep earlier", "Call friends"] {
        created.push(create_goal(&app, &ada, title).await);
    }

    let listed = list_goals(&app, &ada).await;

    created.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(listed, created);
}

#[tokio::test]
async fn a_client_without_goals_lists_none() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn listing_with_ones_own_client_id_is_the_same_as_leaving_it_empty() {
    let app = TestApp::spawn().await;
    let (account, ada) = app.create_account(pb::Role::Client, "Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;

    let listed = app
        .goals(&ada)
        .await
        .list_goals(pb::ListGoalsRequest {
            client_id: account.id,
            ..Default::default()
        })
        .await
        .expect("list goals")
        .into_inner();

    assert_eq!(listed.goals, vec![goal]);
}

#[tokio::test]
async fn updating_only_the_title_leaves_the_other_fields_alone() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = try_create_goal(&app, &ada, full_goal())
        .await
        .expect("create goal");

    let change = pb::Goal {
        id: before.id.clone(),
        title: "Walk every day".into(),
        why: "ignored".into(),
        target_date: "2027-01-01".into(),
        status: GoalStatus::Archived as i32,
        ..Default::default()
    };
    let after = update_goal(&app, &ada, change, &["title"])
        .await
        .expect("update goal");

    assert_eq!(after.title, "Walk every day");
    assert_eq!(after.why, before.why);
    assert_eq!(after.target_date, before.target_date);
    assert_eq!(after.status, before.status);
    assert_eq!(after.client_id, before.client_id);
    assert_eq!(after.create_time, before.create_time);
    assert!(after.version > before.version);
    assert!(micros(&after.update_time) >= micros(&before.update_time));
    assert_eq!(
        get_goal(&app, &ada, &before.id).await.expect("get goal"),
        after
    );
}

/// Updates a goal with `paths` and every field changed; expects all of them
/// replaced.
async fn an_update_with_mask_replaces_every_field(paths: &[&str]) {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = try_create_goal(&app, &ada, full_goal())
        .await
        .expect("create goal");

    let change = pb::Goal {
        id: before.id.clone(),
        title: "Walk every day".into(),
        why: "".into(),
        target_date: "2027-01-01".into(),
        status: GoalStatus::Achieved as i32,
        ..Default::default()
    };
    let after = update_goal(&app, &ada, change, paths)
        .await
        .expect("update goal");

    assert_eq!(
        (
            after.title.as_str(),
            after.why.as_str(),
            after.target_date.as_str(),
            after.status
        ),
        (
            "Walk every day",
            "",
            "2027-01-01",
            GoalStatus::Achieved as i32
        )
    );
    assert!(after.version > before.version);
    assert_eq!(
        get_goal(&app, &ada, &before.id).await.expect("get goal"),
        after
    );
}

#[tokio::test]
async fn an_empty_update_mask_replaces_every_mutable_field() {
    an_update_with_mask_replaces_every_field(&[]).await;
}

#[tokio::test]
async fn a_star_update_mask_replaces_every_mutable_field() {
    an_update_with_mask_replaces_every_field(&["*"]).await;
}

#[tokio::test]
async fn the_target_date_is_cleared_by_updating_it_to_empty() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = try_create_goal(&app, &ada, full_goal())
        .await
        .expect("create goal");

    let change = pb::Goal {
        id: before.id.clone(),
        ..Default::default()
    };
    let after = update_goal(&app, &ada, change, &["target_date"])
        .await
        .expect("update goal");

    assert_eq!(after.target_date, "");
    assert_eq!(after.title, before.title);
}

#[tokio::test]
async fn an_update_mask_naming_a_field_that_cannot_be_updated_is_rejected_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = create_goal(&app, &ada, "Walk more").await;

    for paths in [&["colour"][..], &["client_id"], &["title", "version"]] {
        let change = pb::Goal {
            id: before.id.clone(),
            title: "Changed".into(),
            ..Default::default()
        };
        let error = update_goal(&app, &ada, change, paths)
            .await
            .expect_err("bad mask");
        assert_invalid(&error, &["update_mask"]);
    }
    assert_eq!(
        get_goal(&app, &ada, &before.id).await.expect("get goal"),
        before
    );
}

#[tokio::test]
async fn an_update_with_the_current_version_succeeds() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let before = create_goal(&app, &ada, "Walk more").await;

    let change = pb::Goal {
        title: "Walk every day".into(),
        ..before.clone()
    };
    let after = update_goal(&app, &ada, change, &["title"])
        .await
        .expect("update goal");

    assert_eq!(after.title, "Walk every day");
    assert!(after.version > before.version);
}

#[tokio::test]
async fn an_update_with_a_stale_version_is_aborted_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let original = create_goal(&app, &ada, "Walk more").await;
    let change = pb::Goal {
        title: "Walk every day".into(),
        ..original.clone()
    };
    let current = update_goal(&app, &ada, change, &["title"])
        .await
        .expect("first update");

    let stale = pb::Goal {
        title: "Walk on weekends".into(),
        ..original.clone()
    };
    let error = update_goal(&app, &ada, stale, &["title"])
        .await
        .expect_err("the goal changed since");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    let now = get_goal(&app, &ada, &original.id).await.expect("get goal");
    assert_eq!(now, current);
    assert_eq!(now.title, "Walk every day");
}

#[tokio::test]
async fn every_change_to_a_goal_raises_its_version() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let mut goal = create_goal(&app, &ada, "Walk more").await;
    let mut versions = vec![goal.version];

    for field in ["title", "why", "target_date", "status"] {
        let change = pb::Goal {
            title: "Walk daily".into(),
            why: "Energy".into(),
            target_date: "2026-12-31".into(),
            status: GoalStatus::Achieved as i32,
            ..goal.clone()
        };
        goal = update_goal(&app, &ada, change, &[field])
            .await
            .expect("update goal");
        versions.push(goal.version);
    }

    assert!(
        versions.is_sorted_by(|a, b| a < b),
        "versions strictly increase: {versions:?}"
    );
}

#[tokio::test]
async fn a_delete_with_a_stale_version_is_aborted_and_keeps_the_goal() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let original = create_goal(&app, &ada, "Walk more").await;
    let change = pb::Goal {
        title: "Walk every day".into(),
        ..original.clone()
    };
    let current = update_goal(&app, &ada, change, &["title"])
        .await
        .expect("update goal");

    let error = delete_goal(&app, &ada, &original.id, original.version)
        .await
        .expect_err("the goal changed since");

    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
    assert_eq!(
        get_goal(&app, &ada, &original.id)
            .await
            .expect("still there"),
        current
    );
    assert_eq!(list_goals(&app, &ada).await, vec![current]);
}

#[tokio::test]
async fn a_delete_with_the_current_version_removes_the_goal() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;

    delete_goal(&app, &ada, &goal.id, goal.version)
        .await
        .expect("delete goal");

    assert_not_found(&get_goal(&app, &ada, &goal.id).await.expect_err("deleted"));
}

#[tokio::test]
async fn a_deleted_goal_is_not_found_and_no_longer_listed() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let kept = create_goal(&app, &ada, "Sleep earlier").await;
    let deleted = create_goal(&app, &ada, "Walk more").await;

    delete_goal(&app, &ada, &deleted.id, 0)
        .await
        .expect("delete goal");

    assert_not_found(&get_goal(&app, &ada, &deleted.id).await.expect_err("get"));
    assert_eq!(list_goals(&app, &ada).await, vec![kept]);
    let change = pb::Goal {
        title: "Back again".into(),
        ..deleted.clone()
    };
    assert_not_found(
        &update_goal(&app, &ada, change, &["title"])
            .await
            .expect_err("update"),
    );
    assert_not_found(
        &delete_goal(&app, &ada, &deleted.id, 0)
            .await
            .expect_err("delete again"),
    );
}

#[tokio::test]
async fn a_goal_that_never_existed_is_not_found() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let id = new_id();

    assert_not_found(&get_goal(&app, &ada, &id).await.expect_err("get"));
    let change = pb::Goal {
        id: id.clone(),
        ..goal("Walk more")
    };
    assert_not_found(
        &update_goal(&app, &ada, change, &["title"])
            .await
            .expect_err("update"),
    );
    assert_not_found(&delete_goal(&app, &ada, &id, 0).await.expect_err("delete"));
    assert_eq!(list_goals(&app, &ada).await, vec![]);
}

#[tokio::test]
async fn deleting_a_goal_removes_its_action_steps_their_check_ins_and_all_ratings() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let doomed = seed_plan(&app, &ada).await;
    let kept = seed_plan(&app, &ada).await;

    delete_goal(&app, &ada, &doomed.goal.id, 0)
        .await
        .expect("delete goal");

    assert_not_found(
        &get_step(&app, &ada, &doomed.step.id)
            .await
            .expect_err("step"),
    );
    assert_not_found(
        &list_steps(&app, &ada, &doomed.goal.id)
            .await
            .expect_err("steps"),
    );
    assert_not_found(
        &list_check_ins(&app, &ada, &doomed.step.id, "", "")
            .await
            .expect_err("check-ins"),
    );
    assert_not_found(
        &delete_check_in(&app, &ada, &doomed.check_in.id, 0)
            .await
            .expect_err("check-in"),
    );
    for rating in [&doomed.goal_rating, &doomed.step_rating] {
        assert_not_found(
            &delete_rating(&app, &ada, &rating.id, 0)
                .await
                .expect_err("rating"),
        );
    }
    let goal_ratings = list_ratings(&app, &ada, &Rated::Goal(doomed.goal.id.clone())).await;
    assert_not_found(&goal_ratings.expect_err("ratings of the goal"));

    // The other goal keeps everything.
    assert_eq!(
        get_step(&app, &ada, &kept.step.id)
            .await
            .expect("kept step"),
        kept.step
    );
    let kept_check_ins = list_check_ins(&app, &ada, &kept.step.id, "", "").await;
    assert_eq!(
        kept_check_ins.expect("kept check-ins"),
        vec![kept.check_in.clone()]
    );
    let kept_ratings = list_ratings(&app, &ada, &Rated::Step(kept.step.id.clone())).await;
    assert_eq!(
        kept_ratings.expect("kept ratings"),
        vec![kept.step_rating.clone()]
    );
}
