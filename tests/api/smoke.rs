use stepwise::pb;

use crate::helpers::*;

#[tokio::test]
async fn a_client_creates_a_goal_and_reads_it_back() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let created = create_goal(&app, &token, "Walk more").await;
    let fetched = app
        .goals(&token)
        .await
        .get_goal(pb::GetGoalRequest {
            id: created.id.clone(),
        })
        .await
        .expect("get goal")
        .into_inner();
    assert_eq!(fetched, created);
    assert_eq!(fetched.status, pb::GoalStatus::Active as i32);
    assert!(fetched.version > 0);
}
