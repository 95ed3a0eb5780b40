//! Goal attainment scaling: a goal's five levels written when it is set,
//! ratings against them by the client or a linked therapist, and the GAS
//! T-score in progress.

use stepwise::pb;
use tonic::{Code, Status};

use crate::care::{Team, access_events, team};
use crate::devices::{pull_everything, push_outcomes, sync_api};
use crate::helpers::*;

use pb::AttainmentLevel::{
    Expected, LessThanExpected, MoreThanExpected, MuchLessThanExpected, MuchMoreThanExpected,
};

/// A scale for a walking goal with `weight`, at "less than expected".
fn scale(weight: u32) -> pb::AttainmentScale {
    pb::AttainmentScale {
        much_less_than_expected: "Stays in all week".into(),
        less_than_expected: "Walks once".into(),
        expected: "Walks three times".into(),
        more_than_expected: "Walks five times".into(),
        much_more_than_expected: "Walks every day".into(),
        weight,
        baseline_level: LessThanExpected as i32,
    }
}

/// Creates a goal with an attainment scale of `weight` as `token`.
pub(crate) async fn scaled_goal(app: &TestApp, token: &str, title: &str, weight: u32) -> pb::Goal {
    try_create_goal(
        app,
        token,
        pb::Goal {
            attainment_scale: Some(scale(weight)),
            ..goal(title)
        },
    )
    .await
    .expect("create goal")
}

/// Records that `goal_id` reached `level` on `date` ("" for today).
pub(crate) async fn rate(
    app: &TestApp,
    token: &str,
    goal_id: &str,
    level: pb::AttainmentLevel,
    date: &str,
) -> Result<pb::AttainmentRating, Status> {
    app.progress(token)
        .await
        .record_attainment(pb::RecordAttainmentRequest {
            rating: Some(pb::AttainmentRating {
                goal_id: goal_id.into(),
                level: level as i32,
                local_date: date.into(),
                ..Default::default()
            }),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn ratings(
    app: &TestApp,
    token: &str,
    goal_id: &str,
) -> Result<Vec<pb::AttainmentRating>, Status> {
    Ok(app
        .progress(token)
        .await
        .list_attainments(pb::ListAttainmentsRequest {
            goal_id: goal_id.into(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .attainment_ratings)
}

/// The attainment of a progress target as of `as_of`.
async fn attainment(
    app: &TestApp,
    token: &str,
    target: pb::get_progress_request::Target,
    as_of: &str,
) -> Option<pb::AttainmentStats> {
    app.progress(token)
        .await
        .get_progress(pb::GetProgressRequest {
            target: Some(target),
            as_of_date: as_of.into(),
        })
        .await
        .expect("progress")
        .into_inner()
        .attainment
}

#[track_caller]
fn assert_t_score(stats: &Option<pb::AttainmentStats>, expected: f64, goals: i32) {
    let stats = stats.as_ref().expect("attainment");
    let t = stats.t_score.expect("a T-score");
    assert!((t - expected).abs() < 1e-6, "T = {t}, expected {expected}");
    assert_eq!(stats.goals_rated, goals);
}

#[tokio::test]
async fn a_goal_carries_an_attainment_scale_edited_through_the_update_mask() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let created = scaled_goal(&app, &client, "Walk more", 0).await;
    let stored = created.attainment_scale.clone().expect("a scale");
    assert_eq!(stored.weight, 1, "0 means the default weight");
    assert_eq!(
        get_goal(&app, &client, &created.id).await.expect("get"),
        created
    );

    let heavier = pb::Goal {
        attainment_scale: Some(scale(3)),
        ..created.clone()
    };
    let updated = update_goal(&app, &client, heavier, &["attainment_scale"])
        .await
        .expect("update");
    assert_eq!(updated.attainment_scale.as_ref().map(|s| s.weight), Some(3));
    let renamed = pb::Goal {
        title: "Walk much more".into(),
        attainment_scale: None,
        ..updated.clone()
    };
    let renamed = update_goal(&app, &client, renamed, &["title"])
        .await
        .expect("update");
    assert_eq!(
        renamed.attainment_scale, updated.attainment_scale,
        "not in the mask"
    );
    let nested = update_goal(&app, &client, renamed.clone(), &["attainment_scale.weight"])
        .await
        .expect_err("a nested path");
    assert_invalid(&nested, &["update_mask"]);
    let cleared = pb::Goal {
        attainment_scale: None,
        ..renamed
    };
    let cleared = update_goal(&app, &client, cleared, &["attainment_scale"])
        .await
        .expect("update");
    assert_eq!(cleared.attainment_scale, None);
}

#[tokio::test]
async fn a_bad_attainment_scale_names_every_bad_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let bad = pb::AttainmentScale {
        expected: " ".into(),
        much_more_than_expected: "WALKS FIVE TIMES".into(),
        weight: 101,
        baseline_level: Expected as i32,
        ..scale(1)
    };
    let error = try_create_goal(
        &app,
        &client,
        pb::Goal {
            attainment_scale: Some(bad),
            ..goal("Walk more")
        },
    )
    .await
    .expect_err("refused");
    assert_invalid(
        &error,
        &[
            "goal.attainment_scale.expected",
            "goal.attainment_scale.much_more_than_expected",
            "goal.attainment_scale.weight",
            "goal.attainment_scale.baseline_level",
        ],
    );
    let unset = pb::AttainmentScale {
        baseline_level: 0,
        ..scale(1)
    };
    let unknown = pb::AttainmentScale {
        baseline_level: 9,
        ..scale(1)
    };
    for scale in [unset, unknown] {
        let error = try_create_goal(
            &app,
            &client,
            pb::Goal {
                attainment_scale: Some(scale),
                ..goal("Walk more")
            },
        )
        .await
        .expect_err("refused");
        assert_invalid(&error, &["goal.attainment_scale.baseline_level"]);
    }
    assert_eq!(list_goals(&app, &client).await, []);
}

#[tokio::test]
async fn the_gas_t_score_over_rated_goals_matches_hand_computed_values() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let a = scaled_goal(&app, &client, "Walk", 2).await;
    let b = scaled_goal(&app, &client, "Sleep", 1).await;
    let c = scaled_goal(&app, &client, "Call friends", 3).await;
    // Scaled but never rated, and not scaled at all: both left out.
    scaled_goal(&app, &client, "Read", 5).await;
    create_goal(&app, &client, "Cook").await;
    rate(&app, &client, &a.id, LessThanExpected, "2026-03-01")
        .await
        .expect("rate");
    rate(&app, &client, &a.id, MoreThanExpected, "2026-04-01")
        .await
        .expect("rate");
    rate(&app, &client, &b.id, LessThanExpected, "2026-04-01")
        .await
        .expect("rate");
    rate(&app, &client, &c.id, MuchMoreThanExpected, "2026-04-02")
        .await
        .expect("rate");
    let me = current_account(&app, &client).await.expect("me").id;
    use pb::get_progress_request::Target;

    // w = (2, 1, 3), x = (+1, −1, +2): Σwx = 7, Σw² = 14, (Σw)² = 36;
    // √(0.7·14 + 0.3·36) = √20.6 = 4.5387223; T = 50 + 70 / 4.5387223.
    let now = attainment(&app, &client, Target::ClientId(me.clone()), "2026-04-10").await;
    assert_t_score(&now, 65.422843, 3);
    // On 03-15 only a's −1 of 03-01 counts: one goal scores 50 + 10x.
    let then = attainment(&app, &client, Target::ClientId(me.clone()), "2026-03-15").await;
    assert_t_score(&then, 40.0, 1);
    let before = attainment(&app, &client, Target::ClientId(me.clone()), "2026-02-01")
        .await
        .expect("attainment");
    assert_eq!((before.t_score, before.goals_rated), (None, 0));
    // A goal by itself: +2 is 70.
    let goal_c = attainment(&app, &client, Target::GoalId(c.id.clone()), "2026-04-10").await;
    assert_t_score(&goal_c, 70.0, 1);
    let step = create_step(&app, &client, &a.id, "Walk to the park").await;
    assert_eq!(
        attainment(&app, &client, Target::ActionStepId(step.id), "2026-04-10").await,
        None
    );

    // A later rating of the same day supersedes: a at +2 on 04-01.
    rate(&app, &client, &a.id, MuchMoreThanExpected, "2026-04-01")
        .await
        .expect("rate");
    // Σwx = 4 − 1 + 6 = 9: T = 50 + 90 / 4.5387223 = 69.829369.
    let now = attainment(&app, &client, Target::ClientId(me.clone()), "2026-04-10").await;
    assert_t_score(&now, 69.829369, 3);

    // Without its scale, c's ratings no longer count: w = (2, 1),
    // x = (+2, −1): Σwx = 3, Σw² = 5, (Σw)² = 9; √(3.5 + 2.7) = √6.2 =
    // 2.4899799; T = 50 + 30 / 2.4899799 = 62.048289.
    let unscaled = pb::Goal {
        attainment_scale: None,
        ..get_goal(&app, &client, &c.id).await.expect("get")
    };
    update_goal(&app, &client, unscaled, &["attainment_scale"])
        .await
        .expect("update");
    let now = attainment(&app, &client, Target::ClientId(me), "2026-04-10").await;
    assert_t_score(&now, 62.048289, 2);
}

#[tokio::test]
async fn rating_a_goal_without_a_scale_or_with_a_bad_level_writes_nothing() {
    // 2026-06-01, 08:00 UTC.
    let clock = std::sync::Arc::new(stepwise::domain::ManualClock::starting_at(
        1_780_300_800_000_000,
    ));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock)).await;
    let client = app.new_client("Ada").await;
    let plain = create_goal(&app, &client, "Cook").await;
    let error = rate(&app, &client, &plain.id, Expected, "")
        .await
        .expect_err("no scale");
    assert_status(&error, Code::FailedPrecondition, "NO_ATTAINMENT_SCALE");
    let scaled = scaled_goal(&app, &client, "Walk", 1).await;
    let error = rate(
        &app,
        &client,
        &scaled.id,
        pb::AttainmentLevel::Unspecified,
        "",
    )
    .await
    .expect_err("no level");
    assert_invalid(&error, &["rating.level"]);
    let error = rate(&app, &client, &new_id(), Expected, "2026-13-01")
        .await
        .expect_err("no such goal, no such day");
    assert_invalid(&error, &["rating.local_date"]);
    let error = rate(&app, &client, &new_id(), Expected, "")
        .await
        .expect_err("no such goal");
    assert_invalid(&error, &["rating.goal_id"]);
    assert_eq!(ratings(&app, &client, &plain.id).await.expect("list"), []);
    assert_eq!(ratings(&app, &client, &scaled.id).await.expect("list"), []);

    // Without a date, the rating is for today in the client's time zone.
    let today = rate(&app, &client, &scaled.id, MuchLessThanExpected, "")
        .await
        .expect("rate");
    assert_eq!(today.local_date, "2026-06-01", "the admin made Ada in UTC");
}

#[tokio::test]
async fn a_linked_therapist_rates_attainment_and_a_stranger_cannot() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        therapist_id,
        client,
        ..
    } = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let walk = scaled_goal(&app, &client, "Walk", 1).await;
    let rated = rate(&app, &therapist, &walk.id, Expected, "2026-04-01")
        .await
        .expect("a linked therapist rates");
    assert_eq!(rated.created_by, therapist_id);
    assert_eq!(
        ratings(&app, &client, &walk.id).await.expect("list"),
        [rated]
    );
    let error = rate(&app, &stranger, &walk.id, Expected, "2026-04-01")
        .await
        .expect_err("a stranger");
    assert_invalid(&error, &["rating.goal_id"]);
    assert_not_found(
        &ratings(&app, &stranger, &walk.id)
            .await
            .expect_err("a stranger"),
    );
    let methods: Vec<String> = access_events(&app, &client)
        .await
        .into_iter()
        .map(|e| e.method)
        .collect();
    assert!(methods.contains(&"stepwise.v1.ProgressService/RecordAttainment".to_owned()));
}

#[tokio::test]
async fn scales_and_ratings_sync_and_go_with_their_goal() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let walk = scaled_goal(&app, &client, "Walk", 2).await;
    let plain = create_goal(&app, &client, "Cook").await;
    let mut api = sync_api(&app, &client).await;
    let upsert = |id: &str, goal_id: &str, date: &str| pb::Mutation {
        mutation_id: id.into(),
        base_version: 0,
        op: Some(pb::mutation::Op::UpsertAttainmentRating(
            pb::AttainmentRating {
                goal_id: goal_id.into(),
                level: MoreThanExpected as i32,
                local_date: date.into(),
                ..Default::default()
            },
        )),
    };
    let mutations = vec![
        upsert("undated", &walk.id, ""),
        upsert("unscaled", &plain.id, "2026-04-01"),
        upsert("good", &walk.id, "2026-04-01"),
    ];
    let (outcomes, _) = push_outcomes(&mut api, mutations).await;
    assert_eq!(
        outcomes,
        [
            (pb::Outcome::Rejected, "INVALID_FIELDS".to_owned()),
            (pb::Outcome::Rejected, "NO_ATTAINMENT_SCALE".to_owned()),
            (pb::Outcome::Applied, String::new()),
        ]
    );
    let (changes, cursor) = pull_everything(&mut api).await;
    let scale_pulled = changes.iter().any(|c| {
        matches!(&c.entity, Some(pb::change::Entity::Goal(g)) if g.id == walk.id && g.attainment_scale == walk.attainment_scale)
    });
    assert!(scale_pulled, "the goal comes with its scale");
    let rating = changes
        .iter()
        .find_map(|c| match &c.entity {
            Some(pb::change::Entity::AttainmentRating(r)) => Some(r.clone()),
            _ => None,
        })
        .expect("the rating");
    assert_eq!(
        (rating.goal_id.as_str(), rating.local_date.as_str()),
        (walk.id.as_str(), "2026-04-01")
    );

    delete_goal(&app, &client, &walk.id, 0)
        .await
        .expect("delete");
    let (after, _) = crate::devices::pull_from(&mut api, &cursor, 0).await;
    let gone: Vec<(i32, &str)> = after
        .iter()
        .filter_map(|c| match &c.entity {
            Some(pb::change::Entity::Tombstone(t)) => Some((t.entity_type, t.id.as_str())),
            _ => None,
        })
        .collect();
    assert!(gone.contains(&(pb::EntityType::AttainmentRating as i32, rating.id.as_str())));
    assert_not_found(&ratings(&app, &client, &walk.id).await.expect_err("gone"));
}
