//! Offline-first sync: pull, push and subscribe.

use prost::Message;
use stepwise::domain::Cursor;
use stepwise::pb;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::devices::*;
use crate::helpers::*;

fn goal_of(change: &Option<pb::Change>) -> pb::Goal {
    match change.as_ref().and_then(|c| c.entity.clone()) {
        Some(pb::change::Entity::Goal(goal)) => goal,
        other => panic!("expected a goal, got {other:?}"),
    }
}

pub(crate) fn goal_titled(id: &str, title: &str) -> pb::Goal {
    pb::Goal {
        id: id.into(),
        title: title.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn replaying_a_push_returns_the_same_results_and_applies_nothing_twice() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let goal_id = new_id();
    let request = push(
        "phone",
        vec![
            upsert_goal("m1", 0, goal_titled(&goal_id, "Sleep by 11")),
            upsert_goal("m2", 0, goal_titled(&new_id(), "")),
        ],
    );

    let first = api.push(request.clone()).await.expect("push").into_inner();
    let replay = api.push(request).await.expect("replayed push").into_inner();

    assert_eq!(first, replay);
    assert_eq!(outcome(&first.results[0]), pb::Outcome::Applied);
    assert_eq!(outcome(&first.results[1]), pb::Outcome::Rejected);
    assert_eq!(first.results[1].field_violations[0].field, "goal.title");
    let goals = list_goals(&app, &token).await;
    assert_eq!(goals.len(), 1, "one goal, no duplicate");
    assert_eq!(
        goals[0].version,
        goal_of(&first.results[0].current).version,
        "one version bump"
    );
}

#[tokio::test]
async fn a_replay_after_other_devices_edited_gets_its_first_result_as_it_was() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let goal = create_goal(&app, &token, "Walk daily").await;
    let mut phone = sync_api(&app, &token).await;
    let edit = |title: &str| goal_titled(&goal.id, title);
    let from_phone = push(
        "phone",
        vec![upsert_goal("p1", goal.version, edit("from phone"))],
    );
    let first = phone
        .push(from_phone.clone())
        .await
        .expect("phone push")
        .into_inner();
    let applied = goal_of(&first.results[0].current);
    assert_eq!(applied.title, "from phone");

    // The phone never got that answer; meanwhile a tablet edits three times.
    let mut tablet = sync_api(&app, &token).await;
    let mut base = applied.version;
    for n in 0..3 {
        let answer = tablet
            .push(push(
                "tablet",
                vec![upsert_goal(
                    &format!("t{n}"),
                    base,
                    edit(&format!("from tablet {n}")),
                )],
            ))
            .await
            .expect("tablet push")
            .into_inner();
        base = goal_of(&answer.results[0].current).version;
    }

    let replay = phone.push(from_phone).await.expect("replay").into_inner();
    assert_eq!(
        replay, first,
        "the first result as it was: outcome, version and title"
    );

    // So the phone's next edit, made on the version its push produced,
    // conflicts instead of overwriting the tablet's edits.
    let next = phone
        .push(push(
            "phone",
            vec![upsert_goal("p2", applied.version, edit("phone again"))],
        ))
        .await
        .expect("next push")
        .into_inner();
    assert_eq!(outcome(&next.results[0]), pb::Outcome::Conflict);
    assert_eq!(goal_of(&next.results[0].current).title, "from tablet 2");
    assert_eq!(
        get_goal(&app, &token, &goal.id).await.expect("goal").title,
        "from tablet 2"
    );
}

#[tokio::test]
async fn two_devices_editing_the_same_goal_get_one_applied_and_one_conflict() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let goal = create_goal(&app, &token, "Walk daily").await;
    let mut api = sync_api(&app, &token).await;

    let edit = |title: &str| goal_titled(&goal.id, title);
    let phone = api
        .push(push(
            "phone",
            vec![upsert_goal("p1", goal.version, edit("Walk 20 minutes"))],
        ))
        .await
        .expect("phone push")
        .into_inner();
    let tablet = api
        .push(push(
            "tablet",
            vec![upsert_goal("t1", goal.version, edit("Walk 30 minutes"))],
        ))
        .await
        .expect("tablet push")
        .into_inner();

    assert_eq!(outcome(&phone.results[0]), pb::Outcome::Applied);
    assert_eq!(outcome(&tablet.results[0]), pb::Outcome::Conflict);
    let server_copy = goal_of(&tablet.results[0].current);
    assert_eq!(
        server_copy.title, "Walk 20 minutes",
        "the conflict carries the server's copy"
    );

    let retry = api
        .push(push(
            "tablet",
            vec![upsert_goal(
                "t2",
                server_copy.version,
                edit("Walk 30 minutes"),
            )],
        ))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(outcome(&retry.results[0]), pb::Outcome::Applied);
    assert_eq!(
        get_goal(&app, &token, &goal.id).await.expect("goal").title,
        "Walk 30 minutes"
    );
}

#[tokio::test]
async fn an_edit_of_a_goal_deleted_elsewhere_is_gone_and_an_old_cursor_pulls_the_tombstone() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let goal = create_goal(&app, &token, "Journal").await;
    let mut api = sync_api(&app, &token).await;
    let (_, old_cursor) = pull_everything(&mut api).await;

    delete_goal(&app, &token, &goal.id, goal.version)
        .await
        .expect("delete");
    let offline_edit = api
        .push(push(
            "tablet",
            vec![upsert_goal(
                "t1",
                goal.version,
                goal_titled(&goal.id, "Journal nightly"),
            )],
        ))
        .await
        .expect("push")
        .into_inner();
    let recreate = api
        .push(push(
            "tablet",
            vec![upsert_goal("t2", 0, goal_titled(&goal.id, "Journal again"))],
        ))
        .await
        .expect("push")
        .into_inner();

    assert_eq!(outcome(&offline_edit.results[0]), pb::Outcome::Gone);
    assert_eq!(
        outcome(&recreate.results[0]),
        pb::Outcome::Gone,
        "a delete is final"
    );
    let (changes, _) = pull_from(&mut api, &old_cursor, 0).await;
    let tombstones: Vec<_> = changes
        .iter()
        .filter_map(|c| match &c.entity {
            Some(pb::change::Entity::Tombstone(t)) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(tombstones.len(), 1);
    assert_eq!(tombstones[0].id, goal.id);
    assert_eq!(tombstones[0].entity_type, pb::EntityType::Goal as i32);
    assert_eq!(
        get_goal(&app, &token, &goal.id).await.unwrap_err().code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn paging_while_another_writer_updates_records_misses_nothing() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let goals = create_goals(&app, &token, 10).await;
    let mut api = sync_api(&app, &token).await;

    let mut seen = std::collections::BTreeMap::new();
    let mut cursor = String::new();
    let mut round = 0;
    loop {
        let page = api
            .pull(pb::PullRequest {
                cursor: cursor.clone(),
                page_size: 3,
                ..Default::default()
            })
            .await
            .expect("pull")
            .into_inner();
        for change in page.changes {
            let goal = goal_of(&Some(change));
            seen.insert(goal.id.clone(), goal);
        }
        cursor = page.next_cursor;
        // Between pages, another device edits one record already pulled and
        // one not yet pulled.
        if round < 3 {
            for goal in [&goals[round], &goals[9 - round]] {
                let current = get_goal(&app, &token, &goal.id).await.expect("goal");
                let edit = pb::Goal {
                    version: current.version,
                    ..goal_titled(&goal.id, &format!("edit {round}"))
                };
                update_goal(&app, &token, edit, &["title"])
                    .await
                    .expect("edit");
            }
        }
        round += 1;
        if !page.has_more {
            break;
        }
    }
    let (rest, _) = pull_from(&mut api, &cursor, 3).await;
    for change in rest {
        let goal = goal_of(&Some(change));
        seen.insert(goal.id.clone(), goal);
    }

    let server: std::collections::BTreeMap<_, _> = list_goals(&app, &token)
        .await
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
    assert_eq!(seen, server);
}

#[tokio::test]
async fn a_goal_updated_fifty_times_is_pulled_once_at_its_latest_version() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut goal = create_goal(&app, &token, "Breathe").await;
    for n in 0..50 {
        let edit = pb::Goal {
            version: goal.version,
            ..goal_titled(&goal.id, &format!("Breathe {n}"))
        };
        goal = update_goal(&app, &token, edit, &["title"])
            .await
            .expect("update");
    }
    let mut api = sync_api(&app, &token).await;
    let (changes, _) = pull_everything(&mut api).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(goal_of(&Some(changes[0].clone())), goal);
}

#[tokio::test]
async fn cursors_from_another_store_or_ahead_of_the_store_require_a_resync() {
    let app = TestApp::spawn().await;
    let other_store = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let other_token = other_store.new_client("Ada").await;
    create_goal(&app, &token, "Stretch").await;
    let (_, foreign_cursor) =
        pull_everything(&mut sync_api(&other_store, &other_token).await).await;
    let (_, cursor) = pull_everything(&mut sync_api(&app, &token).await).await;
    let mut ahead = Cursor::decode(&cursor).expect("our cursor decodes");
    ahead.seq += 100;

    for stale in [foreign_cursor, ahead.encode()] {
        let status = sync_api(&app, &token)
            .await
            .pull(pb::PullRequest {
                cursor: stale,
                ..Default::default()
            })
            .await
            .expect_err("stale cursor");
        assert_status(&status, Code::FailedPrecondition, "RESYNC_REQUIRED");
    }
    let malformed = sync_api(&app, &token)
        .await
        .pull(pb::PullRequest {
            cursor: "garbage".into(),
            ..Default::default()
        })
        .await
        .expect_err("malformed cursor");
    assert_invalid(&malformed, &["cursor"]);
}

#[tokio::test]
async fn unary_calls_and_sync_see_one_truth() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let created = create_goal(&app, &token, "Made by CreateGoal").await;
    let mut api = sync_api(&app, &token).await;
    let pushed_id = new_id();
    api.push(push(
        "phone",
        vec![upsert_goal(
            "m1",
            0,
            goal_titled(&pushed_id, "Made by Push"),
        )],
    ))
    .await
    .expect("push");

    let (changes, _) = pull_everything(&mut api).await;
    let pulled: Vec<_> = changes.into_iter().map(|c| goal_of(&Some(c))).collect();
    assert!(pulled.contains(&created));
    let pushed = get_goal(&app, &token, &pushed_id)
        .await
        .expect("pushed goal is visible to GetGoal");
    assert!(pulled.contains(&pushed));
    assert_ne!(
        created.version, pushed.version,
        "both took numbers from one sequence"
    );
}

#[tokio::test]
async fn a_second_device_checking_in_the_same_step_and_day_gets_a_conflict() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let (_, step) = goal_with_step(&app, &token).await;
    let existing = log_check_in(&app, &token, &step.id, "2026-11-20", pb::CheckInState::Done)
        .await
        .expect("first check-in");
    let mut api = sync_api(&app, &token).await;
    let result = api
        .push(push(
            "tablet",
            vec![pb::Mutation {
                mutation_id: "t1".into(),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertCheckIn(check_in(
                    &step.id,
                    "2026-11-20",
                    pb::CheckInState::Skipped,
                ))),
            }],
        ))
        .await
        .expect("push")
        .into_inner();
    assert_eq!(outcome(&result.results[0]), pb::Outcome::Conflict);
    assert_eq!(
        result.results[0]
            .current
            .as_ref()
            .and_then(|c| c.entity.clone()),
        Some(pb::change::Entity::CheckIn(existing))
    );
}

#[tokio::test]
async fn a_subscriber_sees_another_devices_change_and_resumes_without_a_gap() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let first = create_goal(&app, &token, "Before subscribing").await;
    let mut api = sync_api(&app, &token).await;
    let mut stream = api
        .subscribe(pb::SubscribeRequest::default())
        .await
        .expect("subscribe")
        .into_inner();
    let next_change = |event: pb::SubscribeResponse| match event.event {
        Some(pb::subscribe_response::Event::Change(change)) => {
            Some((goal_of(&Some(change)), event.cursor))
        }
        _ => None,
    };

    let mut backlog = None;
    while backlog.is_none() {
        backlog = next_change(stream.next().await.expect("event").expect("ok"));
    }
    assert_eq!(
        backlog.as_ref().map(|(g, _)| g.id.clone()),
        Some(first.id.clone())
    );
    let second = create_goal(&app, &token, "From another device").await;
    let mut live = None;
    while live.is_none() {
        live = next_change(stream.next().await.expect("event").expect("ok"));
    }
    let (live_goal, cursor) = live.expect("live change");
    assert_eq!(live_goal, second);
    drop(stream);

    // Changes made while disconnected arrive after resuming.
    let third = create_goal(&app, &token, "While offline").await;
    let mut resumed = api
        .subscribe(pb::SubscribeRequest {
            cursor,
            ..Default::default()
        })
        .await
        .expect("resubscribe")
        .into_inner();
    let mut after = None;
    while after.is_none() {
        after = next_change(resumed.next().await.expect("event").expect("ok"));
    }
    assert_eq!(after.map(|(g, _)| g), Some(third));
}

#[tokio::test]
async fn a_device_resumes_from_its_state_file_and_retries_a_push_whose_response_was_lost() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let state_dir = tempfile::tempdir().expect("temp dir");
    let state_file = state_dir.path().join("phone.state");

    let mut phone = Device::with_state(&app, &token, "phone", Some(&state_file)).await;
    let id = phone
        .client
        .save(pb::change::Entity::Goal(goal("Drink water")))
        .expect("save");
    phone.lose_next_response();
    assert!(
        phone.client.sync().await.is_err(),
        "the push's response was lost"
    );
    drop(phone);

    // The app restarts: the pending edit is still queued and is replayed.
    let mut phone = Device::with_state(&app, &token, "phone", Some(&state_file)).await;
    assert_eq!(phone.client.pending().len(), 1);
    let report = phone.client.sync().await.expect("sync");
    assert_eq!(report.applied.len(), 1);
    assert!(phone.client.pending().is_empty());
    let goals = list_goals(&app, &token).await;
    assert_eq!(goals.len(), 1, "applied once");
    assert_eq!(goals[0].id, id);
    assert_eq!(phone.client.records().len(), 1);
}

#[tokio::test]
async fn an_idle_subscription_gets_heartbeats_carrying_its_cursor() {
    let app = TestApp::spawn_with(|config| config.heartbeat_ms = 20).await;
    let token = app.new_client("Ada").await;
    create_goal(&app, &token, "Rest").await;
    let mut api = sync_api(&app, &token).await;
    let (_, cursor) = pull_everything(&mut api).await;
    let mut stream = api
        .subscribe(pb::SubscribeRequest {
            cursor: cursor.clone(),
            ..Default::default()
        })
        .await
        .expect("subscribe")
        .into_inner();

    let event = stream.next().await.expect("an event").expect("ok");
    assert!(matches!(
        event.event,
        Some(pb::subscribe_response::Event::Heartbeat(_))
    ));
    assert_eq!(event.cursor, cursor, "nothing new since the pull");
}

#[tokio::test]
async fn stopping_the_server_ends_open_subscriptions_so_shutdown_completes() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut stream = sync_api(&app, &token)
        .await
        .subscribe(pb::SubscribeRequest::default())
        .await
        .expect("subscribe")
        .into_inner();

    // A hang here would be the bug; the bound only turns it into a failure.
    tokio::time::timeout(std::time::Duration::from_secs(60), app.stop())
        .await
        .expect("graceful shutdown finishes despite the open stream");
    let ending = stream.next().await;
    match ending {
        Some(Err(status)) => assert_status(&status, Code::Unavailable, "SHUTTING_DOWN"),
        other => panic!("expected UNAVAILABLE, got {other:?}"),
    }
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_catches_up_on_every_change_in_order() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut stream = sync_api(&app, &token)
        .await
        .subscribe(pb::SubscribeRequest::default())
        .await
        .expect("subscribe")
        .into_inner();

    // Far more changes than the stream buffers, while nobody reads it.
    let goals = create_goals(&app, &token, 300).await;

    let mut received = Vec::new();
    while received.len() < goals.len() {
        let event = stream.next().await.expect("event").expect("ok");
        if let Some(pb::subscribe_response::Event::Change(change)) = event.event {
            received.push(goal_of(&Some(change)));
        }
    }
    let versions: Vec<i64> = received.iter().map(|goal| goal.version).collect();
    let expected: Vec<i64> = (1..=300).collect();
    assert_eq!(
        versions, expected,
        "every change exactly once, in strictly increasing version order, none missing"
    );
    assert_eq!(received, goals, "each change as it was committed");
}

#[tokio::test]
async fn a_pull_page_stops_before_two_mebibytes_however_large_the_page_size() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let long_why = "w".repeat(4000);
    let mut api = sync_api(&app, &token).await;
    // 600 goals of about 4 kB each: more than 2 MiB in all.
    for batch in 0..2 {
        let mutations = (0..300)
            .map(|n| {
                let goal = pb::Goal {
                    why: long_why.clone(),
                    ..goal_titled(&new_id(), &format!("goal {batch}-{n}"))
                };
                upsert_goal(&format!("m{batch}-{n}"), 0, goal)
            })
            .collect();
        api.push(push("phone", mutations)).await.expect("push");
    }

    let first = api
        .pull(pb::PullRequest {
            page_size: 5000,
            ..Default::default()
        })
        .await
        .expect("pull")
        .into_inner();
    assert!(first.has_more, "the byte bound ended the page early");
    assert!(first.changes.len() < 600);
    assert!(
        prost::Message::encoded_len(&first) < 4 * 1024 * 1024,
        "fits a gRPC message"
    );
    let (rest, _) = pull_from(&mut api, &first.next_cursor, 5000).await;
    assert_eq!(
        first.changes.len() + rest.len(),
        600,
        "nothing lost at the page boundary"
    );
}

#[tokio::test]
async fn a_push_of_more_than_500_mutations_is_refused_whole() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mutations = (0..501)
        .map(|n| upsert_goal(&format!("m{n}"), 0, goal_titled(&new_id(), "Too many")))
        .collect();
    let status = sync_api(&app, &token)
        .await
        .push(push("phone", mutations))
        .await
        .expect_err("too many mutations");
    assert_invalid(&status, &["mutations"]);
    assert!(list_goals(&app, &token).await.is_empty(), "nothing applied");
}

#[tokio::test]
async fn a_mutation_id_reused_for_a_different_edit_is_rejected_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let goal_id = new_id();
    let original = upsert_goal("m1", 0, goal_titled(&goal_id, "Sleep by 11"));
    let first = api
        .push(push("phone", vec![original.clone()]))
        .await
        .expect("push")
        .into_inner();
    assert_eq!(outcome(&first.results[0]), pb::Outcome::Applied);
    let applied = goal_of(&first.results[0].current);

    let delete = pb::Mutation {
        mutation_id: "m1".into(),
        base_version: applied.version,
        op: Some(pb::mutation::Op::Delete(pb::EntityRef {
            entity_type: pb::EntityType::Goal as i32,
            id: goal_id.clone(),
        })),
    };
    let reuses = [
        (
            "another title",
            upsert_goal("m1", 0, goal_titled(&goal_id, "Sleep by 10")),
        ),
        (
            "another base version",
            upsert_goal("m1", applied.version, goal_titled(&goal_id, "Sleep by 11")),
        ),
        ("another kind of edit", delete),
    ];
    for (what, reuse) in reuses {
        let answer = api
            .push(push("tablet", vec![reuse]))
            .await
            .expect("push")
            .into_inner();
        let result = &answer.results[0];
        assert_eq!(outcome(result), pb::Outcome::Rejected, "{what}");
        assert_eq!(result.reason, "MUTATION_ID_REUSED", "{what}");
        assert_eq!(result.mutation_id, "m1", "{what}");
        assert!(
            result.error.contains("new mutation id"),
            "{what}: the error tells the device what to do: {:?}",
            result.error
        );
        assert_eq!(result.current, None, "{what}");
    }

    let (changes, _) = pull_everything(&mut api).await;
    let pulled: Vec<pb::Goal> = changes.into_iter().map(|c| goal_of(&Some(c))).collect();
    assert_eq!(pulled, [applied], "only the first edit, applied once");
    let replay = api
        .push(push("phone", vec![original]))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(
        replay, first,
        "a faithful replay still gets the first result"
    );
}

/// A `PushRequest` whose mutations are sent as ready-made bytes, as another
/// client library might encode them.
#[derive(Clone, PartialEq, prost::Message)]
struct PushOfEncodedMutations {
    #[prost(string, tag = "1")]
    device_id: String,
    #[prost(bytes = "vec", repeated, tag = "2")]
    mutations: Vec<Vec<u8>>,
}

/// The fields of a goal upsert up to its op, with the base version written
/// out even when 0 and a field the server does not know.
#[derive(Clone, PartialEq, prost::Message)]
struct UpsertGoalBody {
    #[prost(int64, optional, tag = "2")]
    base_version: Option<i64>,
    #[prost(message, optional, tag = "3")]
    upsert_goal: Option<pb::Goal>,
    #[prost(string, tag = "99")]
    unknown_to_the_server: String,
}

/// Just a mutation id, to append after the other fields.
#[derive(Clone, PartialEq, prost::Message)]
struct MutationIdOnly {
    #[prost(string, tag = "1")]
    mutation_id: String,
}

#[tokio::test]
async fn a_replay_encoded_differently_by_another_client_library_gets_the_first_result() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let goal = goal_titled(&new_id(), "Stretch at 8");
    let first = sync_api(&app, &token)
        .await
        .push(push("phone", vec![upsert_goal("m1", 0, goal.clone())]))
        .await
        .expect("push")
        .into_inner();

    // The same edit, with the id last, the default base version written out
    // and an extra field: protobuf parses it as the same mutation.
    let mut scrambled = UpsertGoalBody {
        base_version: Some(0),
        upsert_goal: Some(goal),
        unknown_to_the_server: "from a newer app".into(),
    }
    .encode_to_vec();
    scrambled.extend(
        MutationIdOnly {
            mutation_id: "m1".into(),
        }
        .encode_to_vec(),
    );
    let request = PushOfEncodedMutations {
        device_id: "phone".into(),
        mutations: vec![scrambled],
    };
    let mut grpc = tonic::client::Grpc::new(app.authed(&token).await);
    grpc.ready().await.expect("ready");
    let replay: pb::PushResponse = grpc
        .unary(
            tonic::Request::new(request),
            http::uri::PathAndQuery::from_static("/stepwise.v1.SyncService/Push"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .expect("replayed push")
        .into_inner();

    assert_eq!(replay, first);
    assert_eq!(list_goals(&app, &token).await.len(), 1, "applied once");
}

#[tokio::test]
async fn skills_practices_and_thought_records_round_trip_through_push_and_pull() {
    use pb::mutation::Op;
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let mut api = sync_api(&app, &token).await;
    let (skill_id, practice_id, record_id) = (new_id(), new_id(), new_id());
    let skill = pb::Skill {
        id: skill_id.clone(),
        ..crate::skills::skill("", "Box breathing", pb::SkillCategory::Breathing)
    };
    let practice = pb::SkillPractice {
        id: practice_id.clone(),
        duration_minutes: 4,
        note: "On the bus".into(),
        private_note: true,
        ..crate::skills::practice(&skill_id, "2026-03-01", 70, 35)
    };
    let record = pb::ThoughtRecord {
        id: record_id.clone(),
        emotions: vec![pb::Emotion {
            name: "anxious".into(),
            intensity_before: 80,
            intensity_after: Some(30),
        }],
        distortions: vec![pb::CognitiveDistortion::EmotionalReasoning as i32],
        belief_before: Some(90),
        private_record: true,
        ..crate::thought_records::thought("2026-03-01", "I feel it, so it's true")
    };
    let mutation = |id: &str, base_version, op| pb::Mutation {
        mutation_id: id.into(),
        base_version,
        op: Some(op),
    };
    // Made offline, in order: the practice after its skill.
    let created = api
        .push(push(
            "phone",
            vec![
                mutation("m1", 0, Op::UpsertSkill(skill.clone())),
                mutation("m2", 0, Op::UpsertSkillPractice(practice.clone())),
                mutation("m3", 0, Op::UpsertThoughtRecord(record.clone())),
            ],
        ))
        .await
        .expect("push")
        .into_inner();
    assert!(
        created
            .results
            .iter()
            .all(|r| outcome(r) == pb::Outcome::Applied),
        "{created:?}"
    );
    let current: Vec<pb::Change> = created
        .results
        .into_iter()
        .map(|r| r.current.expect("current"))
        .collect();

    // Another device pulls exactly what the first one was told.
    let (pulled, cursor) = pull_everything(&mut sync_api(&app, &token).await).await;
    assert_eq!(pulled, current);
    match &pulled[2].entity {
        Some(pb::change::Entity::ThoughtRecord(pulled)) => assert_eq!(
            (
                &pulled.emotions,
                &pulled.distortions,
                pulled.belief_before,
                pulled.private_record
            ),
            (&record.emotions, &record.distortions, Some(90), true)
        ),
        other => panic!("expected the thought record, got {other:?}"),
    }
    let version_of = stepwise::client::change_version;

    // Edits: the record re-rated, the skill renamed; a practice cannot be
    // changed (delete it and log it again).
    let edited = api
        .push(push(
            "phone",
            vec![
                mutation(
                    "m4",
                    version_of(&current[2]),
                    Op::UpsertThoughtRecord(pb::ThoughtRecord {
                        belief_after: Some(40),
                        ..record.clone()
                    }),
                ),
                mutation(
                    "m5",
                    version_of(&current[0]),
                    Op::UpsertSkill(pb::Skill {
                        title: "4-4-4-4 breathing".into(),
                        ..skill.clone()
                    }),
                ),
                mutation(
                    "m6",
                    version_of(&current[1]),
                    Op::UpsertSkillPractice(pb::SkillPractice {
                        distress_after: 20,
                        ..practice.clone()
                    }),
                ),
            ],
        ))
        .await
        .expect("push")
        .into_inner();
    let outcomes: Vec<pb::Outcome> = edited.results.iter().map(outcome).collect();
    assert_eq!(
        outcomes,
        [
            pb::Outcome::Applied,
            pb::Outcome::Applied,
            pb::Outcome::Rejected
        ]
    );
    assert_eq!(
        edited.results[2].field_violations[0].field,
        "skill_practice"
    );

    // Deleting the skill takes its practice with it.
    let deleted = api
        .push(push(
            "phone",
            vec![pb::Mutation {
                mutation_id: "m7".into(),
                base_version: version_of(edited.results[1].current.as_ref().expect("renamed")),
                op: Some(Op::Delete(pb::EntityRef {
                    entity_type: pb::EntityType::Skill as i32,
                    id: skill_id.clone(),
                })),
            }],
        ))
        .await
        .expect("push")
        .into_inner();
    assert_eq!(outcome(&deleted.results[0]), pb::Outcome::Applied);
    let (after, _) = pull_from(&mut sync_api(&app, &token).await, &cursor, 0).await;
    let summary: Vec<(String, &str)> = after
        .iter()
        .map(|c| match &c.entity {
            Some(pb::change::Entity::ThoughtRecord(r)) => {
                assert_eq!(r.belief_after, Some(40));
                (r.id.clone(), "thought record")
            }
            Some(pb::change::Entity::Tombstone(t)) => (
                t.id.clone(),
                match pb::EntityType::try_from(t.entity_type) {
                    Ok(pb::EntityType::Skill) => "skill deleted",
                    Ok(pb::EntityType::SkillPractice) => "practice deleted",
                    other => panic!("unexpected tombstone of {other:?}"),
                },
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        summary,
        [
            (record_id, "thought record"),
            (practice_id, "practice deleted"),
            (skill_id, "skill deleted"),
        ]
    );
}

/// The kinds the contract (`Mutation.delete` in sync_service.proto) says a
/// push may delete, and those it says it cannot, each as its comment names
/// it.
const DELETABLE: [(&str, pb::EntityType); 8] = [
    ("check-in", pb::EntityType::CheckIn),
    ("efficacy rating", pb::EntityType::EfficacyRating),
    ("comment", pb::EntityType::Comment),
    ("skill practice", pb::EntityType::SkillPractice),
    ("thought record", pb::EntityType::ThoughtRecord),
    ("action step", pb::EntityType::ActionStep),
    ("skill", pb::EntityType::Skill),
    ("goal", pb::EntityType::Goal),
];
const NOT_DELETABLE: [(&str, pb::EntityType); 5] = [
    ("assignment", pb::EntityType::Assignment),
    ("assessment result", pb::EntityType::AssessmentResult),
    ("attainment rating", pb::EntityType::AttainmentRating),
    ("safety plan", pb::EntityType::SafetyPlan),
    ("risk alert", pb::EntityType::RiskAlert),
];

/// The comment on `Mutation.delete`, as one line.
fn delete_contract() -> String {
    let proto = include_str!("../../proto/stepwise/v1/sync_service.proto");
    let at = proto.find("EntityRef delete = ").expect("the delete op");
    let comment: Vec<&str> = proto[..at]
        .lines()
        .rev()
        .skip(1)
        .map(str::trim)
        .take_while(|line| line.starts_with("//"))
        .collect();
    comment
        .into_iter()
        .rev()
        .map(|line| line.trim_start_matches("//").trim())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[tokio::test]
async fn a_push_deletes_exactly_the_kinds_its_contract_names_and_refuses_the_others() {
    use crate::assessments::{PHQ9, assign, submitted};
    use crate::attainment::{rate, scaled_goal};
    use pb::comment::Target;

    let app = TestApp::spawn().await;
    let team = crate::care::team(&app).await;
    let client = &team.client;
    let goal = scaled_goal(&app, client, "Walk daily", 2).await;
    let step = create_step(&app, client, &goal.id, "Walk 20 minutes").await;
    let check_in = log_check_in(&app, client, &step.id, "2026-03-02", pb::CheckInState::Done)
        .await
        .expect("check-in");
    let rating = record_rating(&app, client, rating(&Rated::Step(step.id.clone()), 60))
        .await
        .expect("rating");
    let comment = crate::comments::comment(&app, client, Target::GoalId(goal.id.clone()), "Go")
        .await
        .expect("comment");
    let skill = crate::skills::create_skill(&app, client, "Box breathing").await;
    let practice = crate::skills::log_practice(
        &app,
        client,
        crate::skills::practice(&skill.id, "2026-03-02", 60, 30),
    )
    .await
    .expect("practice");
    let record = crate::thought_records::try_create(
        &app,
        client,
        crate::thought_records::thought("2026-03-02", "I always fail"),
    )
    .await
    .expect("thought record");
    let assignment = assign(&app, &team.therapist, &team.client_id, PHQ9, (7, ""))
        .await
        .expect("assignment");
    let result = submitted(&app, client, PHQ9, "2026-03-02", &[1; 9]).await;
    let attainment = rate(
        &app,
        client,
        &goal.id,
        pb::AttainmentLevel::Expected,
        "2026-03-02",
    )
    .await
    .expect("attainment rating");
    let plan = crate::safety_plan::save(
        &app,
        client,
        crate::safety_plan::first_plan("Feeling trapped"),
        &[],
    )
    .await
    .expect("safety plan");
    // The self-harm answer above opened a risk alert.
    let (changes, _) = pull_everything(&mut sync_api(&app, client).await).await;
    let alert = changes
        .into_iter()
        .find_map(|change| match change.entity {
            Some(pb::change::Entity::RiskAlert(alert)) => Some(alert),
            _ => None,
        })
        .expect("a risk alert");
    let versions = [
        (check_in.id, check_in.version),
        (rating.id, rating.version),
        (comment.id, comment.version),
        (practice.id, practice.version),
        (record.id, record.version),
        (step.id, step.version),
        (skill.id, skill.version),
        (goal.id, goal.version),
    ];
    let refused = [
        (assignment.id, assignment.version),
        (result.id, result.version),
        (attainment.id, attainment.version),
        (plan.id, plan.version),
        (alert.id, alert.version),
    ];

    // The refusals first: deleting the goal takes its attainment rating.
    let mutations = NOT_DELETABLE
        .iter()
        .zip(&refused)
        .chain(DELETABLE.iter().zip(&versions))
        .map(|((noun, kind), (id, version))| {
            delete_of(&format!("delete {noun}"), *version, *kind, id)
        })
        .collect();
    let (outcomes, _) = push_outcomes(&mut sync_api(&app, client).await, mutations).await;

    let contract = delete_contract();
    for ((noun, _), (outcome, reason)) in NOT_DELETABLE.iter().zip(&outcomes) {
        assert_eq!(
            (*outcome, reason.as_str()),
            (pb::Outcome::Rejected, "PERMISSION_DENIED"),
            "a push cannot delete a {noun}"
        );
        assert!(
            contract.contains(noun),
            "the contract says a {noun} cannot be deleted: {contract}"
        );
    }
    for ((noun, _), (outcome, _)) in DELETABLE.iter().zip(&outcomes[NOT_DELETABLE.len()..]) {
        assert_eq!(*outcome, pb::Outcome::Applied, "a push deletes a {noun}");
        assert!(
            contract.contains(noun),
            "the contract names {noun}s as deletable: {contract}"
        );
    }
    let (changes, _) = pull_everything(&mut sync_api(&app, client).await).await;
    let live: Vec<&str> = changes.iter().map(|change| kind_and_id(change).0).collect();
    assert_eq!(
        live,
        [
            "assignment",
            "assessment result",
            "risk alert",
            "safety plan"
        ],
        "what is left after deleting the goal (and its attainment rating with it)"
    );
}
