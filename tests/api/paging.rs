//! Lists come in pages: `page_size` items at most (0 means 50, more than
//! 1000 means 1000), and `next_page_token` leads to the next page until it
//! is empty.

use stepwise::pb;
use stepwise::pb::CheckInState::Done;

use crate::helpers::*;

/// Every page of the caller's goals at `page_size`.
async fn goal_pages(app: &TestApp, token: &str, page_size: i32) -> Vec<Vec<pb::Goal>> {
    let client = app.goals(token).await;
    all_pages(|page_token| {
        let mut client = client.clone();
        async move {
            let request = pb::ListGoalsRequest {
                page_size,
                page_token,
                ..Default::default()
            };
            let page = client
                .list_goals(request)
                .await
                .expect("list goals")
                .into_inner();
            (page.goals, page.next_page_token)
        }
    })
    .await
}

/// One page of the caller's goals.
async fn goal_page(
    app: &TestApp,
    token: &str,
    page_size: i32,
    page_token: &str,
) -> pb::ListGoalsResponse {
    let request = pb::ListGoalsRequest {
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    };
    app.goals(token)
        .await
        .list_goals(request)
        .await
        .expect("list goals")
        .into_inner()
}

fn sizes<T>(pages: &[Vec<T>]) -> Vec<usize> {
    pages.iter().map(Vec::len).collect()
}

fn ids(goals: impl IntoIterator<Item = pb::Goal>) -> Vec<String> {
    goals.into_iter().map(|g| g.id).collect()
}

fn sorted_ids(goals: &[pb::Goal]) -> Vec<String> {
    let mut ids = ids(goals.to_vec());
    ids.sort();
    ids
}

#[tokio::test]
async fn seven_goals_in_pages_of_three_come_back_once_each_in_a_stable_order() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let created = create_goals(&app, &ada, 7).await;

    let pages = goal_pages(&app, &ada, 3).await;

    assert_eq!(sizes(&pages), [3, 3, 1]);
    let listed = ids(pages.concat());
    assert_eq!(
        listed,
        sorted_ids(&created),
        "each goal once, ordered by id"
    );
    assert_eq!(
        ids(goal_pages(&app, &ada, 3).await.concat()),
        listed,
        "the same order again"
    );
}

#[tokio::test]
async fn a_page_that_ends_with_the_last_item_has_no_next_page_token() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    create_goals(&app, &ada, 3).await;

    let page = goal_page(&app, &ada, 3, "").await;

    assert_eq!(page.goals.len(), 3);
    assert_eq!(page.next_page_token, "");
}

#[tokio::test]
async fn a_page_size_of_zero_means_fifty() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    create_goals(&app, &ada, 55).await;

    let first = goal_page(&app, &ada, 0, "").await;
    assert_eq!(first.goals.len(), 50);
    assert!(!first.next_page_token.is_empty());

    let second = goal_page(&app, &ada, 0, &first.next_page_token).await;
    assert_eq!(second.goals.len(), 5);
    assert_eq!(second.next_page_token, "");
}

#[tokio::test]
async fn a_page_size_above_1000_is_capped_at_1000() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let created = create_goals(&app, &ada, 1001).await;

    let pages = goal_pages(&app, &ada, 5000).await;

    assert_eq!(sizes(&pages), [1000, 1]);
    assert_eq!(ids(pages.concat()), sorted_ids(&created));
}

#[tokio::test]
async fn a_goal_deleted_between_pages_does_not_disturb_the_rest() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let created = create_goals(&app, &ada, 6).await;
    let first = goal_page(&app, &ada, 3, "").await;
    let last_seen = first.goals.last().expect("a full first page");

    delete_goal(&app, &ada, &last_seen.id, 0)
        .await
        .expect("delete goal");
    let second = goal_page(&app, &ada, 3, &first.next_page_token).await;

    assert_eq!(ids(second.goals), sorted_ids(&created)[3..]);
    assert_eq!(second.next_page_token, "");
}

#[tokio::test]
async fn action_steps_page_in_id_order() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let mut created = Vec::new();
    for n in 1..=5 {
        created.push(
            create_step(&app, &ada, &goal.id, &format!("Step {n}"))
                .await
                .id,
        );
    }
    let client = app.goals(&ada).await;

    let pages = all_pages(|page_token| {
        let (mut client, goal_id) = (client.clone(), goal.id.clone());
        async move {
            let request = pb::ListActionStepsRequest {
                goal_id,
                page_size: 2,
                page_token,
            };
            let page = client
                .list_action_steps(request)
                .await
                .expect("list")
                .into_inner();
            (page.action_steps, page.next_page_token)
        }
    })
    .await;

    assert_eq!(sizes(&pages), [2, 2, 1]);
    created.sort();
    let listed: Vec<String> = pages.concat().into_iter().map(|s| s.id).collect();
    assert_eq!(listed, created);
}

#[tokio::test]
async fn check_ins_page_in_date_order_within_the_date_range() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &ada).await;
    for day in [9, 1, 5, 3, 7, 2, 8, 4, 6, 10] {
        let date = format!("2026-04-{day:02}");
        log_check_in(&app, &ada, &step.id, &date, Done)
            .await
            .expect("log");
    }
    let client = app.progress(&ada).await;

    let pages = all_pages(|page_token| {
        let (mut client, action_step_id) = (client.clone(), step.id.clone());
        async move {
            let request = pb::ListCheckInsRequest {
                action_step_id,
                start_date: "2026-04-03".into(),
                end_date: "2026-04-08".into(),
                page_size: 4,
                page_token,
            };
            let page = client
                .list_check_ins(request)
                .await
                .expect("list")
                .into_inner();
            (page.check_ins, page.next_page_token)
        }
    })
    .await;

    assert_eq!(sizes(&pages), [4, 2]);
    let dates: Vec<String> = pages.concat().into_iter().map(|c| c.local_date).collect();
    assert_eq!(
        dates,
        [
            "2026-04-03",
            "2026-04-04",
            "2026-04-05",
            "2026-04-06",
            "2026-04-07",
            "2026-04-08"
        ]
    );
}

#[tokio::test]
async fn ratings_page_in_rate_time_order() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let goal = create_goal(&app, &ada, "Walk more").await;
    let of_goal = Rated::Goal(goal.id.clone());
    for (score, hour) in [(50, 5), (10, 1), (30, 3), (20, 2), (40, 4)] {
        let given = pb::EfficacyRating {
            rate_time: at(1_772_400_000 + hour * 3600),
            ..rating(&of_goal, score)
        };
        record_rating(&app, &ada, given).await.expect("rate");
    }
    let client = app.progress(&ada).await;

    let pages = all_pages(|page_token| {
        let (mut client, target) = (client.clone(), of_goal.list_target());
        async move {
            let request = pb::ListEfficacyRatingsRequest {
                target: Some(target),
                page_size: 2,
                page_token,
            };
            let page = client
                .list_efficacy_ratings(request)
                .await
                .expect("list")
                .into_inner();
            (page.efficacy_ratings, page.next_page_token)
        }
    })
    .await;

    assert_eq!(sizes(&pages), [2, 2, 1]);
    let scores: Vec<i32> = pages.concat().into_iter().map(|r| r.score).collect();
    assert_eq!(scores, [10, 20, 30, 40, 50]);
}
