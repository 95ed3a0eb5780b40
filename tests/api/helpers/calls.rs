//! Calls. `try_*`, `get_*`, `update_*`, `delete_*` and lists return the
//! outcome; `create_goal` and `create_step` expect success. Fixtures build
//! the usual plans.

use futures_util::StreamExt;
use stepwise::pb;
use tonic::{Response, Status};

use super::app::TestApp;
use super::requests::*;

/// The account of `token`.
pub async fn current_account(app: &TestApp, token: &str) -> Result<pb::Account, Status> {
    app.accounts(token)
        .await
        .get_current_account(pb::GetCurrentAccountRequest {})
        .await
        .map(Response::into_inner)
}

/// Creates a goal as `token` and returns it.
pub async fn create_goal(app: &TestApp, token: &str, title: &str) -> pb::Goal {
    try_create_goal(app, token, goal(title))
        .await
        .expect("create goal")
}

/// Creates `goal` as `token`.
pub async fn try_create_goal(
    app: &TestApp,
    token: &str,
    goal: pb::Goal,
) -> Result<pb::Goal, Status> {
    let request = pb::CreateGoalRequest { goal: Some(goal) };
    app.goals(token)
        .await
        .create_goal(request)
        .await
        .map(Response::into_inner)
}

/// Creates `count` goals as `token`, several at a time, and returns them in
/// commit order (by version): the calls complete in any order, so the order
/// of their answers means nothing.
pub async fn create_goals(app: &TestApp, token: &str, count: usize) -> Vec<pb::Goal> {
    let client = app.goals(token).await;
    let mut goals: Vec<pb::Goal> = futures_util::stream::iter(1..=count)
        .map(|n| {
            let mut client = client.clone();
            async move {
                let request = pb::CreateGoalRequest {
                    goal: Some(goal(&format!("Goal {n}"))),
                };
                client
                    .create_goal(request)
                    .await
                    .expect("create goal")
                    .into_inner()
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    goals.sort_by_key(|goal| goal.version);
    goals
}

/// A goal, as `token` sees it.
pub async fn get_goal(app: &TestApp, token: &str, id: &str) -> Result<pb::Goal, Status> {
    let request = pb::GetGoalRequest { id: id.into() };
    app.goals(token)
        .await
        .get_goal(request)
        .await
        .map(Response::into_inner)
}

/// All of the caller's goals (one page of the largest size).
pub async fn list_goals(app: &TestApp, token: &str) -> Vec<pb::Goal> {
    let request = pb::ListGoalsRequest {
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .goals(token)
        .await
        .list_goals(request)
        .await
        .expect("list goals");
    let response = response.into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all goals fit on one page"
    );
    response.goals
}

/// Updates the fields of `goal` named in `paths` (all when empty).
pub async fn update_goal(
    app: &TestApp,
    token: &str,
    goal: pb::Goal,
    paths: &[&str],
) -> Result<pb::Goal, Status> {
    let request = pb::UpdateGoalRequest {
        goal: Some(goal),
        update_mask: mask(paths),
    };
    app.goals(token)
        .await
        .update_goal(request)
        .await
        .map(Response::into_inner)
}

/// Deletes a goal, at `version` when not 0.
pub async fn delete_goal(app: &TestApp, token: &str, id: &str, version: i64) -> Result<(), Status> {
    let request = pb::DeleteGoalRequest {
        id: id.into(),
        version,
    };
    app.goals(token)
        .await
        .delete_goal(request)
        .await
        .map(Response::into_inner)
}

/// Creates a 3-per-week action step under `goal_id` as `token`.
pub async fn create_step(app: &TestApp, token: &str, goal_id: &str, title: &str) -> pb::ActionStep {
    try_create_step(app, token, step(goal_id, title))
        .await
        .expect("create action step")
}

/// Creates `step` as `token`.
pub async fn try_create_step(
    app: &TestApp,
    token: &str,
    step: pb::ActionStep,
) -> Result<pb::ActionStep, Status> {
    let request = pb::CreateActionStepRequest {
        action_step: Some(step),
    };
    app.goals(token)
        .await
        .create_action_step(request)
        .await
        .map(Response::into_inner)
}

/// An action step, as `token` sees it.
pub async fn get_step(app: &TestApp, token: &str, id: &str) -> Result<pb::ActionStep, Status> {
    let request = pb::GetActionStepRequest { id: id.into() };
    app.goals(token)
        .await
        .get_action_step(request)
        .await
        .map(Response::into_inner)
}

/// All action steps of a goal (one page of the largest size).
pub async fn list_steps(
    app: &TestApp,
    token: &str,
    goal_id: &str,
) -> Result<Vec<pb::ActionStep>, Status> {
    let request = pb::ListActionStepsRequest {
        goal_id: goal_id.into(),
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .goals(token)
        .await
        .list_action_steps(request)
        .await?
        .into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all steps fit on one page"
    );
    Ok(response.action_steps)
}

/// Updates the fields of `step` named in `paths` (all when empty).
pub async fn update_step(
    app: &TestApp,
    token: &str,
    step: pb::ActionStep,
    paths: &[&str],
) -> Result<pb::ActionStep, Status> {
    let request = pb::UpdateActionStepRequest {
        action_step: Some(step),
        update_mask: mask(paths),
    };
    app.goals(token)
        .await
        .update_action_step(request)
        .await
        .map(Response::into_inner)
}

/// Deletes an action step, at `version` when not 0.
pub async fn delete_step(app: &TestApp, token: &str, id: &str, version: i64) -> Result<(), Status> {
    let request = pb::DeleteActionStepRequest {
        id: id.into(),
        version,
    };
    app.goals(token)
        .await
        .delete_action_step(request)
        .await
        .map(Response::into_inner)
}

/// Logs a check-in of `step_id` on `date` as `token`.
pub async fn log_check_in(
    app: &TestApp,
    token: &str,
    step_id: &str,
    date: &str,
    state: pb::CheckInState,
) -> Result<pb::CheckIn, Status> {
    log(app, token, check_in(step_id, date, state)).await
}

/// Logs `check_in` as `token`.
pub async fn log(app: &TestApp, token: &str, check_in: pb::CheckIn) -> Result<pb::CheckIn, Status> {
    let request = pb::LogCheckInRequest {
        check_in: Some(check_in),
    };
    app.progress(token)
        .await
        .log_check_in(request)
        .await
        .map(Response::into_inner)
}

/// All check-ins of a step from `start` to `end` ("" for no bound).
pub async fn list_check_ins(
    app: &TestApp,
    token: &str,
    step_id: &str,
    start: &str,
    end: &str,
) -> Result<Vec<pb::CheckIn>, Status> {
    let request = pb::ListCheckInsRequest {
        action_step_id: step_id.into(),
        start_date: start.into(),
        end_date: end.into(),
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .progress(token)
        .await
        .list_check_ins(request)
        .await?
        .into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all check-ins fit on one page"
    );
    Ok(response.check_ins)
}

/// Deletes a check-in, at `version` when not 0.
pub async fn delete_check_in(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
) -> Result<(), Status> {
    let request = pb::DeleteCheckInRequest {
        id: id.into(),
        version,
    };
    app.progress(token)
        .await
        .delete_check_in(request)
        .await
        .map(Response::into_inner)
}

/// Records `rating` as `token`.
pub async fn record_rating(
    app: &TestApp,
    token: &str,
    rating: pb::EfficacyRating,
) -> Result<pb::EfficacyRating, Status> {
    let request = pb::RecordEfficacyRatingRequest {
        rating: Some(rating),
    };
    app.progress(token)
        .await
        .record_efficacy_rating(request)
        .await
        .map(Response::into_inner)
}

/// All ratings of `of` (one page of the largest size).
pub async fn list_ratings(
    app: &TestApp,
    token: &str,
    of: &Rated,
) -> Result<Vec<pb::EfficacyRating>, Status> {
    let request = pb::ListEfficacyRatingsRequest {
        target: Some(of.list_target()),
        page_size: 1000,
        ..Default::default()
    };
    let response = app
        .progress(token)
        .await
        .list_efficacy_ratings(request)
        .await?
        .into_inner();
    assert!(
        response.next_page_token.is_empty(),
        "all ratings fit on one page"
    );
    Ok(response.efficacy_ratings)
}

/// Deletes a rating, at `version` when not 0.
pub async fn delete_rating(
    app: &TestApp,
    token: &str,
    id: &str,
    version: i64,
) -> Result<(), Status> {
    let request = pb::DeleteEfficacyRatingRequest {
        id: id.into(),
        version,
    };
    app.progress(token)
        .await
        .delete_efficacy_rating(request)
        .await
        .map(Response::into_inner)
}

/// Fetches every page of a list, starting with an empty token and following
/// `next_page_token` until it is empty; returns the pages.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Vec<Vec<T>>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = (Vec<T>, String)>,
{
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let (items, next) = fetch(token).await;
        pages.push(items);
        if next.is_empty() {
            return pages;
        }
        assert!(pages.len() < 10_000, "paging never ends");
        token = next;
    }
}

/// The goals of `client_id` as the holder of `token` sees them.
pub async fn list_goals_of(app: &TestApp, token: &str, client_id: &str) -> Vec<pb::Goal> {
    app.goals(token)
        .await
        .list_goals(pb::ListGoalsRequest {
            client_id: client_id.into(),
            ..Default::default()
        })
        .await
        .expect("list goals")
        .into_inner()
        .goals
}

/// A goal with one action step.
pub async fn goal_with_step(app: &TestApp, token: &str) -> (pb::Goal, pb::ActionStep) {
    let goal = create_goal(app, token, "Walk more").await;
    let step = create_step(app, token, &goal.id, "Walk 20 minutes").await;
    (goal, step)
}

/// One of everything a client keeps.
#[derive(Debug, Clone)]
pub struct Plan {
    /// A goal.
    pub goal: pb::Goal,
    /// An action step of `goal`.
    pub step: pb::ActionStep,
    /// A check-in of `step` on 2026-03-02.
    pub check_in: pb::CheckIn,
    /// A rating of `goal`.
    pub goal_rating: pb::EfficacyRating,
    /// A rating of `step`.
    pub step_rating: pb::EfficacyRating,
}

/// Creates a [`Plan`] as `token`.
pub async fn seed_plan(app: &TestApp, token: &str) -> Plan {
    let (goal, step) = goal_with_step(app, token).await;
    let check_in = log_check_in(app, token, &step.id, "2026-03-02", pb::CheckInState::Done)
        .await
        .expect("log check-in");
    let goal_rating = record_rating(app, token, rating(&Rated::Goal(goal.id.clone()), 60))
        .await
        .expect("rate goal");
    let step_rating = record_rating(app, token, rating(&Rated::Step(step.id.clone()), 80))
        .await
        .expect("rate step");
    Plan {
        goal,
        step,
        check_in,
        goal_rating,
        step_rating,
    }
}
