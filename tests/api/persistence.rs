//! Restarts: what was acknowledged is kept, tokens keep working, and the
//! first administrator's token file is written once.

use std::os::unix::fs::PermissionsExt;

use stepwise::pb;
use stepwise::pb::Role;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn everything_a_client_kept_is_still_there_after_a_restart_with_the_same_versions() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let plan = seed_plan(&app, &ada).await;

    let app = app.restart().await;

    assert_eq!(
        get_goal(&app, &ada, &plan.goal.id).await.expect("goal"),
        plan.goal
    );
    assert_eq!(
        get_step(&app, &ada, &plan.step.id).await.expect("step"),
        plan.step
    );
    assert_eq!(list_goals(&app, &ada).await, vec![plan.goal.clone()]);
    assert_eq!(
        list_steps(&app, &ada, &plan.goal.id).await.expect("steps"),
        vec![plan.step.clone()]
    );
    let check_ins = list_check_ins(&app, &ada, &plan.step.id, "", "").await;
    assert_eq!(check_ins.expect("check-ins"), vec![plan.check_in]);
    let goal_ratings = list_ratings(&app, &ada, &Rated::Goal(plan.goal.id.clone())).await;
    assert_eq!(goal_ratings.expect("goal ratings"), vec![plan.goal_rating]);
    let step_ratings = list_ratings(&app, &ada, &Rated::Step(plan.step.id.clone())).await;
    assert_eq!(step_ratings.expect("step ratings"), vec![plan.step_rating]);
}

#[tokio::test]
async fn client_and_admin_tokens_keep_working_after_a_restart() {
    let app = TestApp::spawn().await;
    let (ada, ada_token) = app.create_account(Role::Client, "Ada").await;
    let admin_before = current_account(&app, &app.admin_token)
        .await
        .expect("the token works");
    let admin_token = app.admin_token.clone();

    let app = app.restart().await;

    assert_eq!(
        current_account(&app, &ada_token)
            .await
            .expect("the token works"),
        ada
    );
    assert_eq!(
        current_account(&app, &admin_token)
            .await
            .expect("the token works"),
        admin_before
    );
    let (bea, bea_token) = app.create_account(Role::Client, "Bea").await;
    assert_eq!(
        current_account(&app, &bea_token)
            .await
            .expect("the token works"),
        bea
    );
}

#[tokio::test]
async fn the_admin_token_file_is_private_and_is_not_rewritten_on_restart() {
    let app = TestApp::spawn().await;
    let path = app.data_dir().join("admin.token");
    let before = std::fs::metadata(&path).expect("admin.token exists");
    assert_eq!(
        before.permissions().mode() & 0o777,
        0o600,
        "only the owner may read it"
    );
    let token = app.admin_token.clone();
    assert!(!token.is_empty());

    let app = app.restart().await;

    let after = std::fs::metadata(&path).expect("admin.token still exists");
    assert_eq!(app.admin_token, token, "the same token");
    assert_eq!(
        after.modified().expect("mtime"),
        before.modified().expect("mtime")
    );
    assert_eq!(after.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        current_account(&app, &token)
            .await
            .expect("the token works")
            .role,
        Role::Admin as i32
    );
}

#[tokio::test]
async fn versions_keep_increasing_after_a_restart() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let plan = seed_plan(&app, &ada).await;

    let app = app.restart().await;
    let change = pb::Goal {
        title: "Walk every day".into(),
        ..plan.goal.clone()
    };
    let updated = update_goal(&app, &ada, change, &["title"])
        .await
        .expect("update goal");

    assert!(updated.version > plan.goal.version);
    let stale = pb::Goal {
        title: "Walk on weekends".into(),
        ..plan.goal.clone()
    };
    let error = update_goal(&app, &ada, stale, &["title"])
        .await
        .expect_err("stale");
    assert_status(&error, Code::Aborted, "VERSION_MISMATCH");
}

#[tokio::test]
async fn deleted_records_stay_deleted_and_their_ids_stay_taken_after_a_restart() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let plan = seed_plan(&app, &ada).await;
    delete_goal(&app, &ada, &plan.goal.id, 0)
        .await
        .expect("delete goal");

    let app = app.restart().await;

    assert_not_found(&get_goal(&app, &ada, &plan.goal.id).await.expect_err("goal"));
    assert_not_found(&get_step(&app, &ada, &plan.step.id).await.expect_err("step"));
    assert_eq!(list_goals(&app, &ada).await, vec![]);
    let reused = pb::Goal {
        id: plan.goal.id.clone(),
        ..goal("Walk more")
    };
    let error = try_create_goal(&app, &ada, reused)
        .await
        .expect_err("id taken");
    assert_status(&error, Code::AlreadyExists, "ALREADY_EXISTS");
}
