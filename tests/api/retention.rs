//! Retention: push results and tombstones are kept for the sync window (90
//! days), expired invites 30 days, the audit trails six years. A device
//! whose cursor is older than what was removed is told RESYNC_REQUIRED,
//! never answered from what the server no longer knows. The server's clock
//! is injected; each test runs a retention pass when the time has come.

use std::sync::Arc;
use std::time::Duration;

use stepwise::config::ServeConfig;
use stepwise::domain::{Expiring, ManualClock};
use stepwise::pb;
use stepwise::pb::change::Entity;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::admin::admin_events;
use crate::care::{accept, access_events, invite, team};
use crate::devices::*;
use crate::helpers::*;
use crate::sync::goal_titled;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn days(n: u32) -> Duration {
    DAY * n
}

/// A server whose clock moves only when the test moves it.
async fn app_with_clock(adjust: impl FnOnce(&mut ServeConfig)) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| {
        config.clock = Some(clock.clone());
        adjust(config);
    })
    .await;
    (app, clock)
}

/// A push from a device whose cursor is `cursor`.
fn push_at(cursor: &str, mutations: Vec<pb::Mutation>) -> pb::PushRequest {
    pb::PushRequest {
        cursor: cursor.into(),
        ..push("phone", mutations)
    }
}

fn pull_at(cursor: &str) -> pb::PullRequest {
    pb::PullRequest {
        cursor: cursor.into(),
        ..Default::default()
    }
}

fn version_of(change: &Option<pb::Change>) -> i64 {
    match change.as_ref().and_then(|c| c.entity.as_ref()) {
        Some(Entity::Goal(goal)) => goal.version,
        Some(Entity::Tombstone(tombstone)) => tombstone.version,
        other => panic!("expected a goal or tombstone, got {other:?}"),
    }
}

/// The id of a change's goal or tombstone, marked when it is a tombstone.
fn id_of(change: &pb::Change) -> (String, bool) {
    match change.entity.as_ref() {
        Some(Entity::Goal(goal)) => (goal.id.clone(), false),
        Some(Entity::Tombstone(tombstone)) => (tombstone.id.clone(), true),
        other => panic!("expected a goal or tombstone, got {other:?}"),
    }
}

fn ids(changes: &[pb::Change]) -> Vec<(String, bool)> {
    changes.iter().map(id_of).collect()
}

#[tokio::test]
async fn a_push_replayed_inside_the_sync_window_gets_its_first_result() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let (_, cursor) = pull_everything(&mut api).await;
    let request = push_at(
        &cursor,
        vec![upsert_goal("m1", 0, goal_titled(&new_id(), "Sleep by 11"))],
    );
    let first = api.push(request.clone()).await.expect("push").into_inner();

    clock.advance(days(89));
    let report = app.run_retention().await;
    let replay = api.push(request).await.expect("replay").into_inner();

    assert_eq!(report.removed(Expiring::Replays), 0);
    assert_eq!(replay, first, "the first result, as it was");
    assert_eq!(outcome(&replay.results[0]), pb::Outcome::Applied);
    assert_eq!(list_goals(&app, &token).await.len(), 1, "applied once");
}

#[tokio::test]
async fn after_the_sync_window_a_stale_device_must_resync_and_its_push_applies_nothing() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let (_, stale) = pull_everything(&mut api).await;
    // Applied, but the answer never reached the device, which went away.
    let sent = upsert_goal("m1", 0, goal_titled(&new_id(), "Sleep by 11"));
    let first = api
        .push(push_at(&stale, vec![sent.clone()]))
        .await
        .expect("push")
        .into_inner();
    let applied_version = version_of(&first.results[0].current);

    clock.advance(days(91));
    let report = app.run_retention().await;
    assert_eq!(report.removed(Expiring::Replays), 1);

    let new_goal = upsert_goal("m2", 0, goal_titled(&new_id(), "Walk daily"));
    let refused = api
        .push(push_at(&stale, vec![sent.clone(), new_goal.clone()]))
        .await
        .expect_err("the device's cursor is older than the forgotten result");
    assert_status(&refused, Code::FailedPrecondition, "RESYNC_REQUIRED");
    let never_pulled = api
        .push(push_at("", vec![new_goal.clone()]))
        .await
        .expect_err("a device that never pulled is as old as can be");
    assert_status(&never_pulled, Code::FailedPrecondition, "RESYNC_REQUIRED");
    let goals = list_goals(&app, &token).await;
    assert_eq!(goals.len(), 1, "nothing of the refused pushes was applied");
    assert_eq!(goals[0].version, applied_version);

    // As the protocol says: pull from scratch, then push again.
    let (changes, fresh) = pull_everything(&mut api).await;
    assert_eq!(changes.len(), 1);
    let results = api
        .push(push_at(&fresh, vec![sent, new_goal]))
        .await
        .expect("a push with a fresh cursor")
        .into_inner()
        .results;
    // The forgotten mutation meets the record it made and applies nothing.
    assert_eq!(outcome(&results[0]), pb::Outcome::Conflict);
    assert_eq!(version_of(&results[0].current), applied_version);
    assert_eq!(outcome(&results[1]), pb::Outcome::Applied);
    assert_eq!(list_goals(&app, &token).await.len(), 2);
}

#[tokio::test]
async fn a_pull_from_before_compacted_tombstones_must_resync_while_a_current_cursor_works() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let old = create_goal(&app, &token, "Old habit").await;
    let kept = create_goal(&app, &token, "Keep going").await;
    let (_, before_deletion) = pull_everything(&mut api).await;
    delete_goal(&app, &token, &old.id, 0).await.expect("delete");
    let (changes, after_deletion) = pull_from(&mut api, &before_deletion, 0).await;
    assert_eq!(ids(&changes), vec![(old.id.clone(), true)]);

    clock.advance(days(60));
    let later = create_goal(&app, &token, "Later").await;
    delete_goal(&app, &token, &later.id, 0)
        .await
        .expect("delete");
    clock.advance(days(31));
    let report = app.run_retention().await;
    assert_eq!(
        report.removed(Expiring::Tombstones),
        1,
        "only the deletion older than 90 days"
    );

    let stale = api
        .pull(pull_at(&before_deletion))
        .await
        .expect_err("the cursor predates a compacted deletion");
    assert_status(&stale, Code::FailedPrecondition, "RESYNC_REQUIRED");
    let stale = api
        .subscribe(pb::SubscribeRequest {
            client_id: String::new(),
            cursor: before_deletion,
        })
        .await
        .expect_err("Subscribe refuses it too, before sending anything");
    assert_status(&stale, Code::FailedPrecondition, "RESYNC_REQUIRED");

    let (changes, _) = pull_from(&mut api, &after_deletion, 0).await;
    assert_eq!(
        ids(&changes),
        vec![(later.id.clone(), true)],
        "a cursor after the compacted deletion still gets the younger one"
    );
    let mut live = api
        .subscribe(pb::SubscribeRequest {
            client_id: String::new(),
            cursor: after_deletion,
        })
        .await
        .expect("subscribe")
        .into_inner();
    let first = live.next().await.expect("an event").expect("no error");
    match first.event {
        Some(pb::subscribe_response::Event::Change(change)) => {
            assert_eq!(id_of(&change), (later.id.clone(), true));
        }
        other => panic!("expected the younger deletion, got {other:?}"),
    }
    let (changes, _) = pull_everything(&mut api).await;
    assert_eq!(ids(&changes), vec![(kept.id.clone(), false)]);

    // The deleted goal's id stays taken, and an edit of it stays GONE.
    let taken = try_create_goal(&app, &token, goal_titled(&old.id, "Old habit"))
        .await
        .expect_err("ids are never reused");
    assert_status(&taken, Code::AlreadyExists, "ALREADY_EXISTS");
    let (_, fresh) = pull_everything(&mut api).await;
    let results = api
        .push(push_at(
            &fresh,
            vec![upsert_goal(
                "m1",
                old.version,
                goal_titled(&old.id, "Revived"),
            )],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&results[0]), pb::Outcome::Gone);
}

#[tokio::test]
async fn a_device_away_longer_than_the_sync_window_resyncs_and_keeps_its_pending_edits() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let token = app.new_client("Ada").await;
    let mut phone = Device::new(&app, &token, "phone").await;
    let mut tablet = Device::new(&app, &token, "tablet").await;
    let read = phone
        .client
        .save(Entity::Goal(goal_titled("", "Read more")))
        .expect("save");
    phone.client.sync().await.expect("phone syncs");
    tablet.client.sync().await.expect("tablet syncs");
    tablet
        .client
        .delete(pb::EntityType::Goal, &read)
        .expect("delete");
    tablet.client.sync().await.expect("tablet syncs");

    // The phone stays away for four months, then is used offline again.
    clock.advance(days(120));
    app.run_retention().await;
    let walk = phone
        .client
        .save(Entity::Goal(goal_titled("", "Walk daily")))
        .expect("save");
    let report = phone.client.sync().await.expect("phone syncs");

    assert!(report.resynced, "the phone had to start afresh");
    assert_eq!(report.applied.len(), 1, "its pending edit was kept");
    let confirmed: Vec<String> = phone.client.confirmed().into_keys().collect();
    assert_eq!(
        confirmed,
        vec![walk],
        "the deleted goal is gone from the phone"
    );
}

#[tokio::test]
async fn many_deletions_are_compacted_in_batches() {
    const GOALS: usize = 1200;
    let (app, clock) = app_with_clock(|_| {}).await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let mut created = Vec::new();
    for _ in 0..GOALS / 400 {
        let creates = (0..400)
            .map(|n| {
                upsert_goal(
                    &format!("c-{n}-{}", new_id()),
                    0,
                    goal_titled(&new_id(), "Goal"),
                )
            })
            .collect();
        let results = api
            .push(push("phone", creates))
            .await
            .expect("creates")
            .into_inner()
            .results;
        created.extend(results.into_iter().map(|result| {
            assert_eq!(outcome(&result), pb::Outcome::Applied);
            let (id, _) = id_of(result.current.as_ref().expect("the goal"));
            (id, version_of(&result.current))
        }));
    }
    let (_, before) = pull_everything(&mut api).await;
    for chunk in created.chunks(400) {
        let deletes = chunk
            .iter()
            .map(|(id, version)| pb::Mutation {
                mutation_id: format!("d-{id}"),
                base_version: *version,
                op: Some(pb::mutation::Op::Delete(pb::EntityRef {
                    entity_type: pb::EntityType::Goal as i32,
                    id: id.clone(),
                })),
            })
            .collect();
        let results = api
            .push(push_at(&before, deletes))
            .await
            .expect("deletes")
            .into_inner()
            .results;
        assert!(results.iter().all(|r| outcome(r) == pb::Outcome::Applied));
    }

    clock.advance(days(91));
    let report = app.run_retention().await;

    assert_eq!(report.removed(Expiring::Tombstones), GOALS as u64);
    assert_eq!(report.removed(Expiring::Replays), 2 * GOALS as u64);
    let stale = api.pull(pull_at(&before)).await.expect_err("stale");
    assert_status(&stale, Code::FailedPrecondition, "RESYNC_REQUIRED");
    let (changes, _) = pull_everything(&mut api).await;
    assert!(changes.is_empty());
    assert_eq!(
        app.run_retention().await.removed(Expiring::Tombstones),
        0,
        "nothing left"
    );
}

#[tokio::test]
async fn invites_are_deleted_30_days_after_they_expired_and_younger_ones_stay() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let old = invite(&app, &therapist).await.code;
    clock.advance(days(7 + 30) + Duration::from_secs(3600));
    let recent = invite(&app, &therapist).await.code;
    clock.advance(days(8));
    let fresh = invite(&app, &therapist).await.code;
    let client = app.new_client("Ada").await;
    let expired = accept(&app, &client, &old).await.expect_err("expired");
    assert_status(&expired, Code::FailedPrecondition, "INVITE_EXPIRED");

    let report = app.run_retention().await;

    assert_eq!(report.removed(Expiring::Invites), 1);
    let gone = accept(&app, &client, &old).await.expect_err("deleted");
    assert_status(&gone, Code::NotFound, "INVITE_NOT_FOUND");
    let expired = accept(&app, &client, &recent)
        .await
        .expect_err("expired a day ago");
    assert_status(&expired, Code::FailedPrecondition, "INVITE_EXPIRED");
    accept(&app, &client, &fresh)
        .await
        .expect("a valid invite stays valid");
}

fn seconds(time: &Option<prost_types::Timestamp>) -> i64 {
    time.as_ref().expect("time").seconds
}

#[tokio::test]
async fn audit_events_are_kept_six_years_by_default_then_deleted() {
    let (app, clock) = app_with_clock(|_| {}).await;
    let team = team(&app).await;
    let goal = create_goal(&app, &team.client, "Sleep better").await;
    get_goal(&app, &team.therapist, &goal.id)
        .await
        .expect("a look now");
    clock.advance(days(1000));
    get_goal(&app, &team.therapist, &goal.id)
        .await
        .expect("a look 1000 days later");
    app.create_account(pb::Role::Therapist, "Dr. Lee").await;
    let later = seconds(&access_events(&app, &team.client).await[1].time);

    // Six years (2192 days) after the first events, they are still kept...
    clock.advance(days(2192 - 1000));
    let report = app.run_retention().await;
    assert_eq!(report.removed(Expiring::AccessEvents), 0);
    assert_eq!(report.removed(Expiring::AdminEvents), 0);
    assert_eq!(access_events(&app, &team.client).await.len(), 2);

    // ... and a second later, deleted; the younger ones stay.
    clock.advance(Duration::from_secs(1));
    let report = app.run_retention().await;

    assert_eq!(report.removed(Expiring::AccessEvents), 1);
    for token in [&team.client, &team.therapist] {
        let events = access_events(&app, token).await;
        let times: Vec<i64> = events.iter().map(|e| seconds(&e.time)).collect();
        assert_eq!(
            times,
            vec![later],
            "in the client's and the therapist's view"
        );
    }
    let admin = admin_events(&app, &app.admin_token)
        .await
        .expect("admin events");
    assert_eq!(admin.len(), 1, "only the account created 1000 days in");
    assert_eq!(seconds(&admin[0].time), later);
}

#[tokio::test]
async fn retention_windows_follow_their_flags() {
    let (app, clock) = app_with_clock(|config| {
        config.sync_retention_days = 7;
        config.audit_retention_days = 30;
        config.invite_retention_days = 0;
    })
    .await;
    let team = team(&app).await;
    let token = &team.client;
    let mut api = sync_api(&app, token).await;
    let goal = create_goal(&app, token, "Short-lived").await;
    get_goal(&app, &team.therapist, &goal.id)
        .await
        .expect("a look");
    let (_, before) = pull_everything(&mut api).await;
    delete_goal(&app, token, &goal.id, 0).await.expect("delete");
    let code = invite(&app, &team.therapist).await.code;

    clock.advance(days(6));
    let report = app.run_retention().await;
    assert_eq!(report.removed(Expiring::Tombstones), 0);
    pull_from(&mut api, &before, 0).await;

    clock.advance(days(25));
    let report = app.run_retention().await;
    assert_eq!(report.removed(Expiring::Tombstones), 1, "past 7 days");
    assert_eq!(
        report.removed(Expiring::Invites),
        2,
        "expired, at once: the team's and the new one"
    );
    assert_eq!(report.removed(Expiring::AccessEvents), 1, "past 30 days");
    let stale = api.pull(pull_at(&before)).await.expect_err("stale");
    assert_status(&stale, Code::FailedPrecondition, "RESYNC_REQUIRED");
    let gone = accept(&app, token, &code).await.expect_err("deleted");
    assert_status(&gone, Code::NotFound, "INVITE_NOT_FOUND");
}

#[test]
fn retention_defaults_to_90_days_of_sync_six_years_of_audit_and_30_days_of_expired_invites() {
    let config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), "unused");
    assert_eq!(
        (
            config.sync_retention_days,
            config.audit_retention_days,
            config.invite_retention_days
        ),
        (90, 2192, 30)
    );
}
