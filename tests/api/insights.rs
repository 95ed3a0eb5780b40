//! Progress insights against values computed by hand, in the client's time
//! zone, across a daylight-saving change.

use stepwise::pb;
use stepwise::pb::CheckInState::{Done, Partial, Skipped};

use crate::helpers::*;

/// A client in Berlin (CET/CEST: clocks went forward on 2025-03-30).
async fn client_in_berlin(app: &TestApp) -> String {
    let ada = pb::Account {
        role: pb::Role::Client as i32,
        display_name: "Ada".into(),
        time_zone: "Europe/Berlin".into(),
        ..Default::default()
    };
    app.create_account_by(&app.admin_token, ada)
        .await
        .expect("account")
        .1
}

async fn progress_of(
    app: &TestApp,
    token: &str,
    target: pb::get_progress_request::Target,
    as_of: &str,
) -> pb::Progress {
    app.progress(token)
        .await
        .get_progress(pb::GetProgressRequest {
            target: Some(target),
            as_of_date: as_of.into(),
        })
        .await
        .expect("progress")
        .into_inner()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-9
}

#[tokio::test]
async fn progress_matches_hand_computed_values_across_a_dst_change() {
    let app = TestApp::spawn().await;
    let ada = client_in_berlin(&app).await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    // The helper's step is 3 per week; make it daily for simple arithmetic.
    update_step(
        &app,
        &ada,
        pb::ActionStep {
            id: step.id.clone(),
            schedule: Some(pb::Schedule {
                times: 1,
                period_days: 1,
            }),
            ..Default::default()
        },
        &["schedule"],
    )
    .await
    .expect("daily");
    for (day, state) in [
        ("2025-03-24", Done),
        ("2025-03-25", Done),
        ("2025-03-26", Skipped),
        ("2025-03-27", Partial),
        ("2025-03-28", Done),
        ("2025-03-29", Done),
        ("2025-03-30", Done),
    ] {
        log_check_in(&app, &ada, &step.id, day, state)
            .await
            .expect("log");
    }
    let goal_target = Rated::Goal(goal.id.clone());
    // 10:00 UTC on 03-01; 23:30 UTC on 03-29 is 00:30 CET on 03-30; 22:30 UTC
    // on 03-30 is 00:30 CEST on 03-31 (an hour later than it would be in winter).
    for (seconds, score) in [
        (1_740_823_200, 40),
        (1_743_291_000, 55),
        (1_743_373_800, 70),
    ] {
        let rated = pb::EfficacyRating {
            rate_time: at(seconds),
            ..rating(&goal_target, score)
        };
        record_rating(&app, &ada, rated).await.expect("rate");
    }

    let step_target = pb::get_progress_request::Target::ActionStepId(step.id.clone());
    let progress = progress_of(&app, &ada, step_target, "2025-03-30").await;
    let stats = progress.stats.expect("stats");
    // Days 24, 25 met; 26 skipped (excused); 27 half done (missed); 28-30 met.
    assert_eq!((stats.current_streak, stats.best_streak), (3, 3));
    // 5.5 done of 6 scheduled days (the skipped day is excluded).
    assert!(close(stats.adherence_7d.expect("7d"), 5.5 / 6.0));
    assert!(
        close(stats.adherence_28d.expect("28d"), 5.5 / 6.0),
        "the step began on 03-24"
    );
    let m = 0.5_f64.powf(1.0 / 13.0);
    let mut strength = 0.0;
    for value in [1.0, 1.0, f64::NAN, 0.5, 1.0, 1.0, 1.0] {
        if !value.is_nan() {
            strength = m * strength + (1.0 - m) * value;
        }
    }
    assert!(
        close(stats.habit_strength, strength),
        "{} vs {strength}",
        stats.habit_strength
    );

    let goal_progress = progress_of(
        &app,
        &ada,
        pb::get_progress_request::Target::GoalId(goal.id.clone()),
        "2025-03-30",
    )
    .await;
    assert_eq!(
        goal_progress.stats,
        Some(stats),
        "one active step: the goal's stats are the step's"
    );
    let efficacy = goal_progress.efficacy.expect("efficacy");
    // The 22:30 UTC rating falls on 03-31 in Berlin: not yet counted.
    assert_eq!(
        (efficacy.count, efficacy.first, efficacy.latest),
        (2, Some(40), Some(55))
    );
    assert_eq!(
        efficacy.change_28d,
        Some(15),
        "against 03-01, the last rating by 03-02"
    );

    let next_day = progress_of(
        &app,
        &ada,
        pb::get_progress_request::Target::GoalId(goal.id),
        "2025-03-31",
    )
    .await;
    let efficacy = next_day.efficacy.expect("efficacy");
    assert_eq!(
        (efficacy.count, efficacy.latest, efficacy.change_28d),
        (3, Some(70), Some(30))
    );
    let stats = next_day.stats.expect("stats");
    assert_eq!(stats.current_streak, 3, "today (03-31) is not over yet");
}

#[tokio::test]
async fn a_client_wide_progress_needs_access_to_the_client() {
    let app = TestApp::spawn().await;
    let ada = client_in_berlin(&app).await;
    let bo = app.new_client("Bo").await;
    let goal = create_goal(&app, &ada, "Mine").await;
    let status = app
        .progress(&bo)
        .await
        .get_progress(pb::GetProgressRequest {
            target: Some(pb::get_progress_request::Target::ClientId(goal.client_id)),
            as_of_date: String::new(),
        })
        .await
        .expect_err("not Bo's");
    assert_not_found(&status);
}

#[tokio::test]
async fn progress_as_of_a_day_before_a_step_began_is_all_zeros() {
    let app = TestApp::spawn().await;
    let ada = client_in_berlin(&app).await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    log_check_in(&app, &ada, &step.id, "2025-03-24", Done)
        .await
        .expect("log");
    for target in [
        pb::get_progress_request::Target::ActionStepId(step.id.clone()),
        pb::get_progress_request::Target::GoalId(goal.id.clone()),
        pb::get_progress_request::Target::ClientId(goal.client_id.clone()),
    ] {
        let report = progress_of(&app, &ada, target, "2025-03-23").await;
        let stats = report.stats.expect("stats");
        assert_eq!(
            (stats.current_streak, stats.adherence_28d),
            (0, None),
            "nothing was practised before the step began"
        );
    }
}

#[tokio::test]
async fn progress_and_summaries_as_of_a_day_before_a_step_began_are_empty_not_an_error() {
    use pb::get_progress_request::Target;
    // The step begins today (in 2026 or later, by the machine's clock) and
    // has a check-in; the dashboard's history asks for weeks before that.
    let app = TestApp::spawn().await;
    let team = crate::care::team(&app).await;
    let (_, step) = goal_with_step(&app, &team.client).await;
    let today = chrono::Utc::now().date_naive().to_string();
    log_check_in(&app, &team.client, &step.id, &today, Done)
        .await
        .expect("log");

    let before = progress_of(
        &app,
        &team.client,
        Target::ClientId(team.client_id.clone()),
        "2025-01-01",
    )
    .await;
    let stats = before.stats.expect("stats");
    assert_eq!((stats.adherence_7d, stats.habit_strength), (None, 0.0));
    let summaries = crate::care::care(&app, &team.therapist)
        .await
        .list_client_summaries(pb::ListClientSummariesRequest {
            as_of_date: "2025-01-01".into(),
            ..Default::default()
        })
        .await
        .expect("summaries")
        .into_inner();
    assert_eq!(summaries.client_summaries[0].adherence_7d, None);
}
