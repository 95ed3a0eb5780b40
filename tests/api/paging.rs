//! Lists come in pages: `page_size` items at most (0 means 50, more than
//! 1000 means 1000), and `next_page_token` leads to the next page until it
//! is empty.

use stepwise::pb;
use stepwise::pb::CheckInState::Done;

use crate::care::{care, invite, sign_up, team};
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

/// Every page of the caller's care links at `page_size`.
async fn care_link_pages(app: &TestApp, token: &str, page_size: i32) -> Vec<Vec<pb::CareLink>> {
    let client = care(app, token).await;
    all_pages(|page_token| {
        let mut client = client.clone();
        async move {
            let request = pb::ListCareLinksRequest {
                page_size,
                page_token,
            };
            let page = client
                .list_care_links(request)
                .await
                .expect("list care links")
                .into_inner();
            (page.care_links, page.next_page_token)
        }
    })
    .await
}

#[tokio::test]
async fn care_links_access_events_and_client_summaries_page_once_each() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    for name in ["Bo", "Cy"] {
        let code = invite(&app, &team.therapist).await.code;
        sign_up(&app, &code, name).await.expect("sign up");
    }
    for _ in 0..3 {
        list_goals_of(&app, &team.therapist, &team.client_id).await;
    }
    let therapist = care(&app, &team.therapist).await;

    let links = care_link_pages(&app, &team.therapist, 1).await;
    let events = all_pages(|page_token| {
        let mut client = therapist.clone();
        async move {
            let request = pb::ListAccessEventsRequest {
                page_size: 2,
                page_token,
            };
            let page = client
                .list_access_events(request)
                .await
                .expect("list access events")
                .into_inner();
            (page.access_events, page.next_page_token)
        }
    })
    .await;
    let summaries = all_pages(|page_token| {
        let mut client = therapist.clone();
        async move {
            let request = pb::ListClientSummariesRequest {
                page_size: 2,
                page_token,
                ..Default::default()
            };
            let page = client
                .list_client_summaries(request)
                .await
                .expect("list client summaries")
                .into_inner();
            (page.client_summaries, page.next_page_token)
        }
    })
    .await;

    assert_eq!(sizes(&links), [1, 1, 1]);
    let mut link_ids: Vec<String> = links.concat().into_iter().map(|l| l.id).collect();
    link_ids.sort();
    link_ids.dedup();
    assert_eq!(link_ids.len(), 3, "each link once");
    assert_eq!(sizes(&events), [2, 1]);
    assert_eq!(sizes(&summaries), [2, 1]);
    let mut clients: Vec<String> = summaries
        .concat()
        .into_iter()
        .map(|s| s.client_id)
        .collect();
    clients.sort();
    clients.dedup();
    assert_eq!(clients.len(), 3, "each client once");
}

#[tokio::test]
async fn the_page_size_may_change_from_page_to_page() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let created = create_goals(&app, &ada, 6).await;

    let first = goal_page(&app, &ada, 2, "").await;
    let second = goal_page(&app, &ada, 4, &first.next_page_token).await;

    assert_eq!(second.next_page_token, "");
    assert_eq!(
        ids(first.goals.into_iter().chain(second.goals)),
        sorted_ids(&created)
    );
}

// --- A page token continues only the list it came from ---

/// Check-ins of `step_id` from `start` to `end`, one page.
async fn check_in_page(
    app: &TestApp,
    token: &str,
    step_id: &str,
    (start, end): (&str, &str),
    (page_size, page_token): (i32, &str),
) -> Result<pb::ListCheckInsResponse, tonic::Status> {
    app.progress(token)
        .await
        .list_check_ins(pb::ListCheckInsRequest {
            action_step_id: step_id.into(),
            start_date: start.into(),
            end_date: end.into(),
            page_size,
            page_token: page_token.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// A step with a check-in on each day of April 2026 in `days`.
async fn step_with_check_ins(app: &TestApp, token: &str, days: &[u32]) -> pb::ActionStep {
    let (_, step) = goal_with_step(app, token).await;
    for day in days {
        log_check_in(app, token, &step.id, &format!("2026-04-{day:02}"), Done)
            .await
            .expect("log");
    }
    step
}

#[tokio::test]
async fn a_crafted_token_cannot_list_check_ins_before_the_start_date() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let step = step_with_check_ins(&app, &ada, &[1, 5]).await;
    // The step's id alone: the key prefix of all its check-ins, which an
    // older server took as a place to continue from.
    let step_bytes = uuid::Uuid::parse_str(&step.id).expect("uuid").into_bytes();
    let crafted = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        step_bytes,
    );

    let answer = check_in_page(&app, &ada, &step.id, ("2026-04-03", ""), (10, &crafted)).await;

    match answer {
        Err(status) => {
            assert_invalid(&status, &["page_token"]);
            assert!(
                status.message().contains("empty page_token"),
                "tells the caller to start again: {}",
                status.message()
            );
        }
        Ok(page) => {
            let dates: Vec<String> = page.check_ins.into_iter().map(|c| c.local_date).collect();
            panic!("the crafted token listed {dates:?} for the range from 2026-04-03");
        }
    }
}

#[tokio::test]
async fn a_check_in_token_is_refused_for_another_date_range_or_another_step() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let step = step_with_check_ins(&app, &ada, &[1, 2, 3, 4, 5]).await;
    let other_step = step_with_check_ins(&app, &ada, &[1, 2, 3, 4, 5]).await;
    let range = ("2026-04-02", "2026-04-05");
    let first = check_in_page(&app, &ada, &step.id, range, (1, ""))
        .await
        .expect("first page");
    let token = first.next_page_token.as_str();
    assert!(!token.is_empty(), "there is a second page");

    let same_list = check_in_page(&app, &ada, &step.id, range, (1, token)).await;
    let other_start =
        check_in_page(&app, &ada, &step.id, ("2026-04-01", range.1), (1, token)).await;
    let other_end = check_in_page(&app, &ada, &step.id, (range.0, ""), (1, token)).await;
    let other_step = check_in_page(&app, &ada, &other_step.id, range, (1, token)).await;

    let second = same_list.expect("the same list continues");
    assert_eq!(second.check_ins[0].local_date, "2026-04-03");
    for (what, answer) in [
        ("another start date", other_start),
        ("another end date", other_end),
        ("another step", other_step),
    ] {
        let status = answer.expect_err(what);
        assert_invalid(&status, &["page_token"]);
    }
}

#[tokio::test]
async fn a_goals_token_is_refused_for_care_links() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    create_goals(&app, &team.client, 2).await;
    let goals = goal_page(&app, &team.client, 1, "").await;
    assert!(!goals.next_page_token.is_empty(), "there is a second page");

    let answer = care(&app, &team.client)
        .await
        .list_care_links(pb::ListCareLinksRequest {
            page_size: 1,
            page_token: goals.next_page_token,
        })
        .await;

    let status = answer.expect_err("a token of another list");
    assert_invalid(&status, &["page_token"]);
}
