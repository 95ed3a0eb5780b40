//! The use cases over the in-memory store: they need nothing of sled, and
//! the rules hold on any implementation of [`crate::store::Store`].

use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use super::{App, NewAccount, PageRequest, Principal, ProgressTarget};
use crate::domain::{
    Account, ActionStep, CheckIn, CheckInState, Goal, Kind, ManualClock, Meta, Mutation,
    MutationOp, Outcome, Role, Schedule,
};
use crate::error::Error;
use crate::store::Store;
use crate::store::kv::memory::MemoryKv;
use crate::store::kv::seal::MasterKey;

const FIRST_PAGE: PageRequest<'static> = PageRequest {
    size: 100,
    token: "",
};

fn app() -> App {
    let clock = Arc::new(ManualClock::starting_at(1_800_000_000_000_000));
    let store = Store::open(MemoryKv::default(), clock.clone(), MasterKey::generate())
        .expect("store opens");
    App::new(Arc::new(store), std::time::Duration::from_secs(3600), clock)
}

/// A new account of `role`, stored directly, calling as if it had a second
/// factor (which therapists need to read clients' data).
async fn account(app: &App, role: Role) -> Principal {
    let account = app.new_account(NewAccount {
        role,
        display_name: "Someone".into(),
        time_zone: chrono_tz::Europe::Berlin,
    });
    let stored = account.clone();
    app.store
        .write(account.id, move |tx| tx.put_account(&stored))
        .await
        .expect("account stored");
    Principal::of(&account).with_second_factor(true)
}

fn goal(client: &Principal, title: &str) -> Goal {
    Goal {
        meta: Meta::new(Uuid::now_v7(), client.account_id),
        title: title.into(),
        ..Goal::default()
    }
}

fn step(goal: &Goal) -> ActionStep {
    ActionStep {
        meta: Meta::new(Uuid::now_v7(), Uuid::nil()),
        goal_id: goal.meta.id,
        title: "Walk".into(),
        schedule: Schedule {
            times: 1,
            period_days: 1,
        },
        ..ActionStep::default()
    }
}

/// A stored goal of `client` with one daily step under it.
async fn goal_with_step(app: &App, client: &Principal) -> (Goal, ActionStep) {
    let goal = app
        .create_goal(client, goal(client, "Move"))
        .await
        .expect("goal");
    let step = app
        .create_action_step(client, step(&goal))
        .await
        .expect("step");
    (goal, step)
}

fn check_in(step: &ActionStep, day: &str) -> CheckIn {
    CheckIn {
        meta: Meta::new(Uuid::now_v7(), Uuid::nil()),
        action_step_id: step.meta.id,
        local_date: day.parse::<NaiveDate>().expect("date"),
        state: CheckInState::Done,
        ..CheckIn::default()
    }
}

#[tokio::test]
async fn a_plan_is_kept_and_progress_is_computed_from_it() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    let (_, step) = goal_with_step(&app, &ada).await;
    for day in ["2027-01-01", "2027-01-02", "2027-01-03"] {
        app.log_check_in(&ada, check_in(&step, day), 0)
            .await
            .expect("check-in");
    }
    let as_of = "2027-01-03".parse().ok();
    let report = app
        .get_progress(&ada, ProgressTarget::Client(ada.account_id), as_of)
        .await
        .expect("progress");
    assert_eq!(report.steps.len(), 1);
    assert_eq!(report.stats.current_streak, 3);
    assert_eq!(report.stats.adherence_7d, Some(1.0));
}

#[tokio::test]
async fn a_deleted_goal_takes_its_steps_and_check_ins_with_it() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    let (goal, step) = goal_with_step(&app, &ada).await;
    let logged = app
        .log_check_in(&ada, check_in(&step, "2027-01-01"), 0)
        .await
        .expect("check-in");

    app.delete(&ada, Kind::Goal, goal.meta.id, 0)
        .await
        .expect("delete");

    for (id, kind) in [
        (goal.meta.id, Kind::Goal),
        (step.meta.id, Kind::ActionStep),
        (logged.meta.id, Kind::CheckIn),
    ] {
        let stored = app.store.entity(id).await.expect("read").expect("kept");
        assert!(stored.is_deleted(), "{kind:?} left a tombstone");
    }
    let page = app
        .pull(&ada, ada.account_id, None, 100)
        .await
        .expect("pull");
    assert!(
        page.changes.is_empty(),
        "an initial sync leaves out tombstones"
    );
    let head = app.store.head(ada.account_id).await.expect("head");
    let changes = app
        .store
        .changes(ada.account_id, (0, head), (100, usize::MAX), false)
        .await
        .expect("changes");
    assert_eq!(
        changes.entities.len(),
        3,
        "each record once, as a tombstone"
    );
}

#[tokio::test]
async fn a_replayed_push_applies_nothing_and_a_reused_id_is_refused() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    let upsert = |title: &str, digest: u8| Mutation {
        mutation_id: "m1".into(),
        base_version: 0,
        payload_digest: [digest; 32],
        op: Ok(MutationOp::upsert(goal(&ada, title))),
    };
    let first = app
        .push(&ada, None, vec![upsert("Move", 1)])
        .await
        .expect("push");
    assert_eq!(first[0].outcome, Outcome::Applied);
    let replay = app
        .push(&ada, None, vec![upsert("Move", 1)])
        .await
        .expect("push");
    assert_eq!(replay[0].outcome, Outcome::Applied);
    assert_eq!(replay[0].current, first[0].current, "the same record");
    let reused = app
        .push(&ada, None, vec![upsert("Other", 2)])
        .await
        .expect("push");
    assert_eq!(reused[0].outcome, Outcome::Rejected);
    let goals = app
        .list_goals(&ada, ada.account_id, FIRST_PAGE)
        .await
        .expect("list");
    assert_eq!(goals.items.len(), 1, "applied once");
}

#[tokio::test]
async fn a_therapist_sees_a_client_only_while_linked() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    let ruth = account(&app, Role::Therapist).await;
    let goal = app
        .create_goal(&ada, goal(&ada, "Move"))
        .await
        .expect("goal");
    assert!(matches!(
        app.get_goal(&ruth, goal.meta.id).await,
        Err(Error::NotFound(_))
    ));

    let invite = app.create_invite(&ruth).await.expect("invite");
    let link = app
        .accept_invite(&ada, &invite.code, None)
        .await
        .expect("linked");
    assert_eq!(
        app.get_goal(&ruth, goal.meta.id).await.expect("visible"),
        goal
    );

    app.revoke_care_link(&ada, link.id).await.expect("revoked");
    assert!(matches!(
        app.get_goal(&ruth, goal.meta.id).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_check_in_for_a_taken_day_updates_the_one_there() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    let (_, step) = goal_with_step(&app, &ada).await;
    let first = app
        .log_check_in(&ada, check_in(&step, "2027-01-01"), 0)
        .await
        .expect("first");
    let again = CheckIn {
        state: CheckInState::Partial,
        ..check_in(&step, "2027-01-01")
    };
    let second = app.log_check_in(&ada, again, 0).await.expect("second");
    assert_eq!(second.meta.id, first.meta.id);
    assert_eq!(second.state, CheckInState::Partial);
    assert!(second.meta.version > first.meta.version);
}

#[tokio::test]
async fn accounts_and_tokens_round_trip_through_the_store() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    let stored: Account = app
        .store
        .account(ada.account_id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.time_zone, chrono_tz::Europe::Berlin);
}

#[tokio::test]
async fn a_custom_instrument_is_kept_under_its_therapist() {
    use crate::domain::instruments::{CustomInstrumentDraft, ItemDraft};
    let app = app();
    let ruth = account(&app, Role::Therapist).await;
    let ada = account(&app, Role::Client).await;
    let draft = CustomInstrumentDraft {
        short_name: "MOOD".into(),
        title: "Mood".into(),
        instructions: String::new(),
        items: vec![ItemDraft {
            text: "How low?".into(),
            min_value: 0,
            max_value: 10,
            labels: vec![(0, "Not".into()), (10, "Very".into())],
        }],
        bands: Vec::new(),
    };
    let instrument = draft.check(Uuid::now_v7()).expect("valid");
    let refused = app.create_instrument(&ada, instrument.clone()).await;
    assert!(matches!(refused, Err(Error::PermissionDenied(_))));
    let created = app
        .create_instrument(&ruth, instrument.clone())
        .await
        .expect("created");
    let kept = app
        .store
        .instrument(instrument.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept, created);
    assert_eq!(kept.owner, ruth.account_id);
    let ids = app
        .store
        .instrument_ids(ruth.account_id)
        .await
        .expect("ids");
    assert_eq!(ids, [instrument.id]);
    let none: Vec<Uuid> = app.store.instrument_ids(ada.account_id).await.expect("ids");
    assert!(none.is_empty());
    let again = app.create_instrument(&ruth, instrument).await;
    assert!(matches!(again, Err(Error::AlreadyExists("instrument"))));
}

#[tokio::test]
async fn a_submitted_result_and_an_offline_one_reach_the_clients_aggregate() {
    use crate::domain::assessment::ResultDraft;
    use crate::domain::instruments::PHQ9_ID;
    let app = app();
    let ada = account(&app, Role::Client).await;
    let draft = |answers: Vec<i32>| ResultDraft {
        id: Uuid::now_v7(),
        instrument_id: PHQ9_ID,
        instrument_version: 0,
        local_date: "2027-01-01".parse().expect("date"),
        answers,
        violations: Vec::new(),
    };
    let first = app
        .submit_assessment(&ada, draft(vec![3; 8].into_iter().chain([0]).collect()))
        .await
        .expect("submitted");
    assert_eq!(first.result.total(), 24);
    let offline = draft(vec![1; 9]);
    let pushed = app
        .push(
            &ada,
            None,
            vec![Mutation {
                mutation_id: "m1".into(),
                base_version: 0,
                payload_digest: [1; 32],
                op: Ok(MutationOp::Submit(offline.clone())),
            }],
        )
        .await
        .expect("pushed");
    assert_eq!(pushed[0].outcome, Outcome::Applied);
    let track = app.store.client_track(ada.account_id).await.expect("track");
    let kept = track.results.get(&offline.id).expect("in the aggregate");
    assert_eq!((kept.total, kept.self_harm), (9, true));
    assert!(!track.results[&first.result.meta.id].self_harm);
}

#[tokio::test]
async fn a_call_that_began_before_an_erasure_leaves_no_record_behind() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    app.create_goal(&ada, goal(&ada, "Move"))
        .await
        .expect("goal");

    app.delete_account(&ada, None, Some(ada.account_id))
        .await
        .expect("erased");
    // Ada's principal was made before: a call already past authentication.
    let late = app.create_goal(&ada, goal(&ada, "Late")).await;

    assert!(matches!(late, Err(Error::NotFound("client"))), "{late:?}");
    assert_eq!(app.store.head(ada.account_id).await.expect("head"), 0);
}

#[tokio::test(start_paused = true)]
async fn the_first_retention_pass_runs_minutes_after_the_start_not_an_hour() {
    use crate::domain::{AdminAction, AdminEvent};
    let app = app();
    // An administrator's event from 1970, far older than any audit window.
    let ancient = AdminEvent {
        actor_id: Uuid::now_v7(),
        action: AdminAction::AccountCreated,
        target_id: Uuid::now_v7(),
        size_bytes: 0,
        sha256: None,
        time_us: 1,
    };
    app.store
        .write(Uuid::nil(), move |tx| tx.append_admin_event(&ancient))
        .await
        .expect("kept");
    let mut passes = app.retention().passes();
    let started = tokio::time::Instant::now();

    app.spawn_retention();
    tokio::time::sleep(super::FIRST_PASS_DELAY - std::time::Duration::from_secs(1)).await;
    assert_eq!(*passes.borrow(), 0, "no pass during start-up");
    // Paused time moves on by itself while every task waits.
    passes.wait_for(|done| *done >= 1).await.expect("a pass");

    let first = started.elapsed();
    assert!(
        first < super::FIRST_PASS_DELAY + std::time::Duration::from_secs(60),
        "the first pass ran {first:?} after the start: a server restarted more often \
         would never purge"
    );
    let page = PageRequest {
        size: 10,
        token: "",
    };
    let events = app.store.admin_events(page.into()).await.expect("events");
    assert!(events.items.is_empty(), "the first pass removed it");
    app.begin_shutdown();
    app.streams_ended().await;
}

/// A PHQ-9 answered 1 on every item: item 9 opens a risk alert.
fn self_harm_answer() -> crate::domain::assessment::ResultDraft {
    crate::domain::assessment::ResultDraft {
        id: Uuid::now_v7(),
        instrument_id: crate::domain::instruments::PHQ9_ID,
        instrument_version: 0,
        local_date: "2027-01-01".parse().expect("date"),
        answers: vec![1; 9],
        violations: Vec::new(),
    }
}

#[tokio::test]
async fn a_claimed_alert_delivery_waits_for_its_lease_then_another_server_takes_it_over() {
    use crate::domain::Backoff;
    use std::time::Duration;
    let clock = Arc::new(ManualClock::starting_at(1_800_000_000_000_000));
    let store = Store::open_with_outbox(
        MemoryKv::default(),
        clock.clone(),
        MasterKey::generate(),
        true,
    )
    .expect("store opens");
    let app = App::new(Arc::new(store), Duration::from_secs(3600), clock.clone());
    let ada = account(&app, Role::Client).await;
    app.submit_assessment(&ada, self_harm_answer())
        .await
        .expect("submitted");
    let (dying, survivor) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let lease = Duration::from_secs(60);

    // The first server claims it, then dies mid-send: nobody else sends it
    // while its lease runs.
    let claimed = app
        .claim_alert_deliveries(dying, lease)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].client_id, ada.account_id);
    let none = app
        .claim_alert_deliveries(survivor, lease)
        .await
        .expect("claim");
    assert!(none.is_empty());
    clock.advance(lease);
    let taken = app
        .claim_alert_deliveries(survivor, lease)
        .await
        .expect("claim");
    assert_eq!(taken.len(), 1);
    // The dead server's late outcome changes nothing of the new claim.
    let backoff = Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(8),
    };
    app.alert_delivery_failed(taken[0].alert_id, dying, backoff)
        .await
        .expect("ignored");
    let queued = app.store.alert_deliveries(10).await.expect("outbox");
    assert_eq!(queued[0].lease.map(|l| l.node_id), Some(survivor));
    // A failure is due again after the backoff; a delivery leaves the outbox.
    app.alert_delivery_failed(taken[0].alert_id, survivor, backoff)
        .await
        .expect("failed");
    assert!(
        app.claim_alert_deliveries(survivor, lease)
            .await
            .expect("claim")
            .is_empty()
    );
    clock.advance(backoff.base);
    let again = app
        .claim_alert_deliveries(survivor, lease)
        .await
        .expect("claim");
    assert_eq!(again[0].attempts, 1);
    app.alert_delivered(again[0].alert_id)
        .await
        .expect("delivered");
    assert!(
        app.store
            .alert_deliveries(10)
            .await
            .expect("outbox")
            .is_empty()
    );
}

#[tokio::test]
async fn without_a_webhook_no_alert_is_queued() {
    let app = app();
    let ada = account(&app, Role::Client).await;
    app.submit_assessment(&ada, self_harm_answer())
        .await
        .expect("submitted");
    assert!(
        app.store
            .alert_deliveries(10)
            .await
            .expect("outbox")
            .is_empty()
    );
}
