//! Thought records: writing and revising them, insight statistics against
//! values computed by hand, bad input, and privacy: a private record (and
//! a practice's private note) never reaches a therapist on any path.

use std::sync::Arc;

use base64::Engine;
use stepwise::domain::ManualClock;
use stepwise::pb;
use stepwise::pb::CognitiveDistortion::{
    JumpingToConclusions, Labelling, MentalFilter, Personalisation, ShouldStatements,
};
use stepwise::pb::watch_clients_response::Event;
use tokio_stream::StreamExt;
use tonic::{Code, Response, Status, Streaming};

use crate::care::{care, team};
use crate::devices::{pull_from_client, sync_api};
use crate::helpers::*;
use crate::skills::{create_skill, list_practices, log_practice, practice};

/// Text only a private record holds: it must appear in nothing a therapist
/// receives.
const SECRET: &str = "SECRET-never-for-the-therapist";

/// A thought record on `date` with an automatic thought.
pub(crate) fn thought(date: &str, automatic_thought: &str) -> pb::ThoughtRecord {
    pb::ThoughtRecord {
        local_date: date.into(),
        situation: "Team meeting".into(),
        automatic_thought: automatic_thought.into(),
        ..Default::default()
    }
}

/// An emotion rated `before` and, if re-rated, `after`.
fn emotion(name: &str, before: i32, after: Option<i32>) -> pb::Emotion {
    pb::Emotion {
        name: name.into(),
        intensity_before: before,
        intensity_after: after,
    }
}

/// Creates `record` as `token`.
pub(crate) async fn try_create(
    app: &TestApp,
    token: &str,
    record: pb::ThoughtRecord,
) -> Result<pb::ThoughtRecord, Status> {
    app.insights(token)
        .await
        .create_thought_record(pb::CreateThoughtRecordRequest {
            thought_record: Some(record),
        })
        .await
        .map(Response::into_inner)
}

async fn get(app: &TestApp, token: &str, id: &str) -> Result<pb::ThoughtRecord, Status> {
    app.insights(token)
        .await
        .get_thought_record(pb::GetThoughtRecordRequest { id: id.into() })
        .await
        .map(Response::into_inner)
}

/// A page of a client's records as `token` sees them.
async fn list_page(
    app: &TestApp,
    token: &str,
    client_id: &str,
    (start, end): (&str, &str),
    (page_size, page_token): (i32, &str),
) -> Result<pb::ListThoughtRecordsResponse, Status> {
    app.insights(token)
        .await
        .list_thought_records(pb::ListThoughtRecordsRequest {
            client_id: client_id.into(),
            start_date: start.into(),
            end_date: end.into(),
            page_size,
            page_token: page_token.into(),
        })
        .await
        .map(Response::into_inner)
}

/// All of a client's records as `token` sees them.
async fn list(app: &TestApp, token: &str, client_id: &str) -> Vec<pb::ThoughtRecord> {
    let page = list_page(app, token, client_id, ("", ""), (1000, ""))
        .await
        .expect("list");
    assert!(page.next_page_token.is_empty());
    page.thought_records
}

async fn update(
    app: &TestApp,
    token: &str,
    record: pb::ThoughtRecord,
    paths: &[&str],
) -> Result<pb::ThoughtRecord, Status> {
    app.insights(token)
        .await
        .update_thought_record(pb::UpdateThoughtRecordRequest {
            thought_record: Some(record),
            update_mask: mask(paths),
        })
        .await
        .map(Response::into_inner)
}

async fn delete(app: &TestApp, token: &str, id: &str) -> Result<(), Status> {
    app.insights(token)
        .await
        .delete_thought_record(pb::DeleteThoughtRecordRequest {
            id: id.into(),
            version: 0,
        })
        .await
        .map(Response::into_inner)
}

async fn insight_stats(
    app: &TestApp,
    token: &str,
    client_id: &str,
    (start, end): (&str, &str),
) -> Result<pb::InsightStats, Status> {
    app.insights(token)
        .await
        .get_insight_stats(pb::GetInsightStatsRequest {
            client_id: client_id.into(),
            start_date: start.into(),
            end_date: end.into(),
        })
        .await
        .map(Response::into_inner)
}

fn counts(stats: &pb::InsightStats) -> Vec<(i32, i32)> {
    stats
        .distortions
        .iter()
        .map(|d| (d.distortion, d.count))
        .collect()
}

#[tokio::test]
async fn a_client_writes_a_thought_record_in_stages_and_revises_it() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let first = try_create(
        &app,
        &ada,
        pb::ThoughtRecord {
            emotions: vec![emotion(" anxious ", 80, None)],
            distortions: vec![
                Labelling as i32,
                JumpingToConclusions as i32,
                Labelling as i32,
            ],
            belief_before: Some(90),
            ..thought("2026-05-02", "They think I'm useless")
        },
    )
    .await
    .expect("create");
    assert_eq!(first.emotions, [emotion("anxious", 80, None)], "trimmed");
    assert_eq!(
        first.distortions,
        [JumpingToConclusions as i32, Labelling as i32],
        "each once, in the enum's order"
    );
    assert_eq!((first.belief_before, first.belief_after), (Some(90), None));

    // Later: the balanced thought, and the re-ratings.
    let revised = update(
        &app,
        &ada,
        pb::ThoughtRecord {
            id: first.id.clone(),
            version: first.version,
            balanced_thought: "One meeting went badly; my reviews are good".into(),
            emotions: vec![emotion("anxious", 80, Some(40))],
            belief_after: Some(50),
            ..Default::default()
        },
        &["balanced_thought", "emotions", "belief_after"],
    )
    .await
    .expect("update");
    assert_eq!(
        revised.automatic_thought, first.automatic_thought,
        "untouched"
    );
    assert_eq!(revised.emotions, [emotion("anxious", 80, Some(40))]);
    assert_eq!(
        (revised.belief_before, revised.belief_after),
        (Some(90), Some(50))
    );

    // Moving it to another day moves it in date-bounded lists too.
    let moved = update(
        &app,
        &ada,
        pb::ThoughtRecord {
            id: first.id.clone(),
            local_date: "2026-05-09".into(),
            ..Default::default()
        },
        &["local_date"],
    )
    .await
    .expect("move");
    let in_range = |start, end| {
        let app = &app;
        let ada = &ada;
        async move {
            list_page(app, ada, "", (start, end), (0, ""))
                .await
                .expect("list")
                .thought_records
                .len()
        }
    };
    assert_eq!(in_range("2026-05-01", "2026-05-03").await, 0);
    assert_eq!(in_range("2026-05-09", "2026-05-09").await, 1);
    assert_eq!(get(&app, &ada, &first.id).await.expect("get"), moved);

    let stale = update(
        &app,
        &ada,
        pb::ThoughtRecord {
            version: first.version,
            ..moved.clone()
        },
        &[],
    )
    .await
    .expect_err("stale");
    assert_status(&stale, Code::Aborted, "VERSION_MISMATCH");
    delete(&app, &ada, &first.id).await.expect("delete");
    assert_not_found(&get(&app, &ada, &first.id).await.expect_err("deleted"));
}

#[tokio::test]
async fn only_the_client_writes_thought_records_and_other_therapists_find_none() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let record = try_create(&app, &team.client, thought("2026-05-02", "I always fail"))
        .await
        .expect("create");
    for refused in [
        try_create(
            &app,
            &team.therapist,
            thought("2026-05-02", "For the client"),
        )
        .await,
        update(
            &app,
            &team.therapist,
            record.clone(),
            &["automatic_thought"],
        )
        .await,
    ] {
        assert_status(
            &refused.expect_err("refused"),
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        );
    }
    assert_status(
        &delete(&app, &team.therapist, &record.id)
            .await
            .expect_err("refused"),
        Code::PermissionDenied,
        "PERMISSION_DENIED",
    );
    assert_eq!(
        get(&app, &team.therapist, &record.id)
            .await
            .expect("linked"),
        record
    );

    assert_not_found(
        &get(&app, &stranger, &record.id)
            .await
            .expect_err("not linked"),
    );
    for status in [
        list_page(&app, &stranger, &team.client_id, ("", ""), (0, ""))
            .await
            .expect_err("not linked"),
        insight_stats(&app, &stranger, &team.client_id, ("", ""))
            .await
            .expect_err("not linked"),
    ] {
        assert_not_found(&status);
    }
}

#[tokio::test]
async fn insight_statistics_match_values_computed_by_hand() {
    // 2026-05-31, 12:00 UTC: today in Berlin is 2026-05-31.
    let clock = Arc::new(ManualClock::starting_at(1_780_228_800_000_000));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let team = team(&app).await;
    for record in [
        // 2026-05-03 is the first day of the default 28-day window; this is
        // the day before.
        pb::ThoughtRecord {
            emotions: vec![emotion("sad", 90, Some(10))],
            distortions: vec![Labelling as i32],
            belief_before: Some(100),
            belief_after: Some(0),
            ..thought("2026-05-02", "Outside the window")
        },
        // Anxious 80 → 50 (−30), ashamed 60 → 40 (−20); belief 90 → 60 (−30).
        pb::ThoughtRecord {
            emotions: vec![
                emotion("anxious", 80, Some(50)),
                emotion("ashamed", 60, Some(40)),
            ],
            distortions: vec![JumpingToConclusions as i32, Labelling as i32],
            belief_before: Some(90),
            belief_after: Some(60),
            ..thought("2026-05-03", "They think I'm useless")
        },
        // Angry 70, not re-rated; belief before only.
        pb::ThoughtRecord {
            emotions: vec![emotion("angry", 70, None)],
            distortions: vec![ShouldStatements as i32, JumpingToConclusions as i32],
            belief_before: Some(80),
            ..thought("2026-05-09", "He should have called")
        },
        // Sad 50 → 60 (+10); belief 70 → 50 (−20).
        pb::ThoughtRecord {
            emotions: vec![emotion("sad", 50, Some(60))],
            distortions: vec![Labelling as i32, MentalFilter as i32],
            belief_before: Some(70),
            belief_after: Some(50),
            ..thought("2026-05-20", "Nothing ever works")
        },
        // Private: lonely 90 → 30 (−60); belief 100 → 20 (−80).
        pb::ThoughtRecord {
            emotions: vec![emotion("lonely", 90, Some(30))],
            distortions: vec![Personalisation as i32],
            belief_before: Some(100),
            belief_after: Some(20),
            private_record: true,
            ..thought("2026-05-31", SECRET)
        },
    ] {
        try_create(&app, &team.client, record)
            .await
            .expect("create");
    }

    let mine = insight_stats(&app, &team.client, "", ("", ""))
        .await
        .expect("stats");
    assert_eq!(
        (mine.start_date.as_str(), mine.end_date.as_str()),
        ("2026-05-04", "2026-05-31"),
        "28 days up to today"
    );
    // 05-04 starts the window: the 05-03 record is out too.
    assert_eq!(mine.records, 3);

    let mine = insight_stats(&app, &team.client, "", ("2026-05-03", ""))
        .await
        .expect("stats");
    assert_eq!(mine.records, 4);
    // Emotions re-rated: −30, −20, +10, −60 → −100 / 4.
    assert_eq!(mine.mean_emotion_change, Some(-25.0));
    // Beliefs with both ratings: −30, −20, −80 → −130 / 3.
    let belief = mine.mean_belief_change.expect("rated");
    assert!((belief - -130.0 / 3.0).abs() < 1e-9, "{belief}");
    // Jumping to conclusions and labelling twice each (a tie, in the
    // enum's order), then the rest once each, in the enum's order.
    assert_eq!(
        counts(&mine),
        [
            (JumpingToConclusions as i32, 2),
            (Labelling as i32, 2),
            (MentalFilter as i32, 1),
            (ShouldStatements as i32, 1),
            (Personalisation as i32, 1),
        ]
    );

    // The therapist's figures leave the private record out entirely.
    let theirs = insight_stats(&app, &team.therapist, &team.client_id, ("2026-05-03", ""))
        .await
        .expect("stats");
    assert_eq!(theirs.records, 3);
    let emotion = theirs.mean_emotion_change.expect("rated");
    assert!((emotion - -40.0 / 3.0).abs() < 1e-9, "{emotion}");
    assert_eq!(theirs.mean_belief_change, Some(-25.0));
    assert!(!counts(&theirs).contains(&(Personalisation as i32, 1)));

    // An explicit window, and an empty one.
    let may_2 = insight_stats(&app, &team.client, "", ("2026-05-02", "2026-05-02"))
        .await
        .expect("stats");
    assert_eq!((may_2.records, may_2.mean_belief_change), (1, Some(-100.0)));
    let june = insight_stats(&app, &team.client, "", ("2026-06-01", "2026-06-30"))
        .await
        .expect("stats");
    assert_eq!(
        (
            june.records,
            june.mean_emotion_change,
            june.mean_belief_change
        ),
        (0, None, None)
    );
    let backwards = insight_stats(&app, &team.client, "", ("2026-05-31", "2026-05-01"))
        .await
        .expect_err("start after end");
    assert_invalid(&backwards, &["start_date"]);
}

#[tokio::test]
async fn a_bad_thought_record_is_refused_with_every_bad_field_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bad = try_create(
        &app,
        &ada,
        pb::ThoughtRecord {
            local_date: "2026-13-01".into(),
            situation: "x".repeat(4001),
            emotions: vec![
                emotion("anxious", 80, Some(101)),
                emotion("Anxious", 50, None),
                emotion(" ", -1, None),
            ],
            distortions: vec![MentalFilter as i32, 0, 42],
            belief_before: Some(120),
            belief_after: Some(50),
            ..Default::default()
        },
    )
    .await
    .expect_err("invalid");
    assert_invalid(
        &bad,
        &[
            "thought_record.local_date",
            "thought_record.situation",
            "thought_record.emotions[0].intensity_after",
            "thought_record.emotions[1].name",
            "thought_record.emotions[2].name",
            "thought_record.emotions[2].intensity_before",
            "thought_record.distortions[1]",
            "thought_record.distortions[2]",
            "thought_record.belief_before",
        ],
    );
    let many = try_create(
        &app,
        &ada,
        pb::ThoughtRecord {
            emotions: (0..11)
                .map(|i| emotion(&format!("e{i}"), 50, None))
                .collect(),
            ..thought("2026-05-02", "Too much")
        },
    )
    .await
    .expect_err("too many emotions");
    assert_invalid(&many, &["thought_record.emotions"]);
    let missing_date = try_create(&app, &ada, thought("", "No day"))
        .await
        .expect_err("no date");
    assert_invalid(&missing_date, &["thought_record.local_date"]);
    assert!(list(&app, &ada, "").await.is_empty());

    let record = try_create(&app, &ada, thought("2026-05-02", "I always fail"))
        .await
        .expect("create");
    let bad_update = update(
        &app,
        &ada,
        pb::ThoughtRecord {
            id: record.id.clone(),
            belief_after: Some(-5),
            emotions: vec![emotion("sad", 50, None), emotion("SAD", 50, None)],
            ..Default::default()
        },
        &["belief_after", "emotions"],
    )
    .await
    .expect_err("invalid");
    assert_invalid(
        &bad_update,
        &[
            "thought_record.belief_after",
            "thought_record.emotions[1].name",
        ],
    );
    assert_eq!(list(&app, &ada, "").await, [record]);
}

#[tokio::test]
async fn a_shared_record_cannot_become_private_again_but_a_private_one_can_be_shared() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let shared = try_create(&app, &team.client, thought("2026-05-02", "I always fail"))
        .await
        .expect("create");
    let hiding = update(
        &app,
        &team.client,
        pb::ThoughtRecord {
            private_record: true,
            ..shared.clone()
        },
        &["private_record"],
    )
    .await
    .expect_err("the therapist may have seen it");
    assert_invalid(&hiding, &["thought_record.private_record"]);
    assert!(
        !get(&app, &team.client, &shared.id)
            .await
            .expect("get")
            .private_record
    );

    // Through sync the same.
    let mutation = pb::Mutation {
        mutation_id: new_id(),
        base_version: shared.version,
        op: Some(pb::mutation::Op::UpsertThoughtRecord(pb::ThoughtRecord {
            private_record: true,
            ..shared.clone()
        })),
    };
    let result = sync_api(&app, &team.client)
        .await
        .push(crate::devices::push("phone", vec![mutation]))
        .await
        .expect("push")
        .into_inner()
        .results
        .remove(0);
    assert_eq!(result.outcome, pb::Outcome::Rejected as i32);
    let fields: Vec<&str> = result
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["thought_record.private_record"]);

    // A private record shared later reaches the therapist then.
    let private = try_create(
        &app,
        &team.client,
        pb::ThoughtRecord {
            private_record: true,
            ..thought("2026-05-03", "Not yet")
        },
    )
    .await
    .expect("create");
    assert_not_found(
        &get(&app, &team.therapist, &private.id)
            .await
            .expect_err("private"),
    );
    let (_, cursor) = pull_from_client(&app, &team.therapist, &team.client_id).await;
    let now_shared = update(
        &app,
        &team.client,
        pb::ThoughtRecord {
            private_record: false,
            ..private.clone()
        },
        &["private_record"],
    )
    .await
    .expect("share");
    assert_eq!(
        get(&app, &team.therapist, &private.id)
            .await
            .expect("shared"),
        now_shared
    );
    let pulled = sync_api(&app, &team.therapist)
        .await
        .pull(pb::PullRequest {
            client_id: team.client_id.clone(),
            cursor,
            page_size: 0,
        })
        .await
        .expect("pull")
        .into_inner();
    assert_eq!(
        pulled.changes,
        [pb::Change {
            entity: Some(pb::change::Entity::ThoughtRecord(now_shared)),
        }]
    );
}

#[tokio::test]
async fn paging_as_a_therapist_skips_private_records_without_a_trace() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let mut records = Vec::new();
    for (date, private) in [
        ("2026-05-01", false),
        ("2026-05-02", true),
        ("2026-05-03", true),
        ("2026-05-04", false),
        ("2026-05-05", true),
    ] {
        let record = pb::ThoughtRecord {
            private_record: private,
            ..thought(date, SECRET)
        };
        records.push(
            try_create(&app, &team.client, record)
                .await
                .expect("create"),
        );
    }
    let hidden: Vec<uuid::Uuid> = records
        .iter()
        .filter(|r| r.private_record)
        .map(|r| r.id.parse().expect("uuid"))
        .collect();
    let pages = all_pages(|token| {
        let (app, team, hidden) = (&app, &team, &hidden);
        async move {
            let page = list_page(app, &team.therapist, &team.client_id, ("", ""), (1, &token))
                .await
                .expect("list");
            // A token names the last item of its page: never a hidden one.
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&page.next_page_token)
                .expect("base64");
            for id in hidden {
                let id = id.as_bytes();
                assert!(
                    !bytes.windows(16).any(|w| w == id),
                    "a private id in a token"
                );
            }
            (page.thought_records, page.next_page_token)
        }
    })
    .await;
    let dates: Vec<Vec<&str>> = pages
        .iter()
        .map(|page| page.iter().map(|r| r.local_date.as_str()).collect())
        .collect();
    assert_eq!(
        dates,
        [vec!["2026-05-01"], vec!["2026-05-04"]],
        "two pages, and no empty third page hinting at what follows"
    );
    assert_eq!(
        list(&app, &team.client, "").await.len(),
        5,
        "the client has all"
    );
}

/// A therapist's open stream of a client's changes.
enum Stream {
    Subscription(Streaming<pb::SubscribeResponse>),
    Watch(Streaming<pb::WatchClientsResponse>),
}

impl Stream {
    /// The next change, heartbeats and link events skipped.
    async fn next_change(&mut self) -> Option<pb::Change> {
        match self {
            Stream::Subscription(s) => match s.next().await.expect("event").expect("ok").event {
                Some(pb::subscribe_response::Event::Change(change)) => Some(change),
                _ => None,
            },
            Stream::Watch(w) => match w.next().await.expect("event").expect("ok").event {
                Some(Event::Change(change)) => Some(change),
                _ => None,
            },
        }
    }

    /// The changes up to and including the goal titled `marker`.
    async fn changes_until(&mut self, marker: &str) -> Vec<pb::Change> {
        let mut changes = Vec::new();
        loop {
            let Some(change) = self.next_change().await else {
                continue;
            };
            let done =
                matches!(&change.entity, Some(pb::change::Entity::Goal(g)) if g.title == marker);
            changes.push(change);
            if done {
                return changes;
            }
        }
    }
}

/// Whatever a therapist received, as text: the private record's text and
/// id must not be in it, and a practice's private note neither.
#[track_caller]
fn assert_nothing_private(received: &impl std::fmt::Debug, private_id: &str) {
    let text = format!("{received:?}");
    assert!(
        !text.contains(SECRET),
        "private text reached the therapist: {text}"
    );
    assert!(
        !text.contains(private_id),
        "a private record's id reached the therapist: {text}"
    );
}

#[tokio::test]
async fn private_records_and_notes_never_reach_a_therapist_on_any_path() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    // The therapist's dashboard is open: a watch and a subscription.
    let watch = care(&app, &team.therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner();
    let subscription = sync_api(&app, &team.therapist)
        .await
        .subscribe(pb::SubscribeRequest {
            client_id: team.client_id.clone(),
            cursor: String::new(),
        })
        .await
        .expect("subscribe")
        .into_inner();
    let mut streams = [
        ("Subscribe", Stream::Subscription(subscription)),
        ("WatchClients", Stream::Watch(watch)),
    ];

    // The client writes a shared record, a private one and a practice with
    // a private note, then a goal that marks the end.
    let shared = try_create(
        &app,
        &team.client,
        pb::ThoughtRecord {
            distortions: vec![Labelling as i32],
            ..thought("2026-03-02", "I always fail")
        },
    )
    .await
    .expect("create");
    let private = try_create(
        &app,
        &team.client,
        pb::ThoughtRecord {
            private_record: true,
            situation: SECRET.into(),
            distortions: vec![Personalisation as i32],
            ..thought("2026-03-03", SECRET)
        },
    )
    .await
    .expect("create");
    let skill = create_skill(&app, &team.client, "Box breathing").await;
    log_practice(
        &app,
        &team.client,
        pb::SkillPractice {
            note: SECRET.into(),
            private_note: true,
            ..practice(&skill.id, "2026-03-03", 70, 40)
        },
    )
    .await
    .expect("log");
    create_goal(&app, &team.client, "Marker").await;

    // Streams: everything up to the marker, nothing private.
    for (path, stream) in &mut streams {
        let received = stream.changes_until("Marker").await;
        assert_nothing_private(&received, &private.id);
        let kinds: Vec<&str> = received
            .iter()
            .map(|c| match &c.entity {
                Some(pb::change::Entity::ThoughtRecord(_)) => "thought record",
                Some(pb::change::Entity::Skill(_)) => "skill",
                Some(pb::change::Entity::SkillPractice(p)) => {
                    assert_eq!((p.note.as_str(), p.private_note), ("", true), "{path}");
                    "practice"
                }
                Some(pb::change::Entity::Goal(_)) => "goal",
                other => panic!("{path}: unexpected {other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            ["thought record", "skill", "practice", "goal"],
            "{path}"
        );
    }

    // Unary reads.
    assert_not_found(
        &get(&app, &team.therapist, &private.id)
            .await
            .expect_err("private"),
    );
    let listed = list(&app, &team.therapist, &team.client_id).await;
    assert_eq!(listed, std::slice::from_ref(&shared));
    let practices = list_practices(&app, &team.therapist, &skill.id, ("", ""))
        .await
        .expect("list");
    assert_eq!(
        (practices[0].note.as_str(), practices[0].private_note),
        ("", true)
    );
    let stats = insight_stats(
        &app,
        &team.therapist,
        &team.client_id,
        ("2026-03-01", "2026-03-31"),
    )
    .await
    .expect("stats");
    assert_eq!(
        (stats.records, counts(&stats)),
        (1, vec![(Labelling as i32, 1)])
    );
    // Pull from scratch.
    let (pulled, cursor) = pull_from_client(&app, &team.therapist, &team.client_id).await;
    assert_nothing_private(&pulled, &private.id);
    assert_eq!(pulled.len(), 4);
    // The digest.
    let digest = care(&app, &team.therapist)
        .await
        .get_session_digest(pb::GetSessionDigestRequest {
            client_id: team.client_id.clone(),
            since_time: None,
        })
        .await
        .expect("digest")
        .into_inner();
    assert_nothing_private(&digest, &private.id);
    assert_eq!(digest.thought_records, std::slice::from_ref(&shared));
    assert_eq!(digest.skill_practices[0].note, "");
    assert_eq!(
        digest.distortions.len(),
        1,
        "the private record's are not counted"
    );
    // The dashboard's summary counts only the shared record.
    let summaries = care(&app, &team.therapist)
        .await
        .list_client_summaries(pb::ListClientSummariesRequest {
            as_of_date: "2026-03-04".into(),
            ..Default::default()
        })
        .await
        .expect("summaries")
        .into_inner();
    assert_nothing_private(&summaries, &private.id);
    let summary = &summaries.client_summaries[0];
    assert_eq!(
        (summary.thought_records_7d, summary.skill_practices_7d),
        (1, 1)
    );

    // Deleting the private record leaves no tombstone for therapists: they
    // never knew it. The client's own devices get it.
    let (_, client_cursor) = pull_from_client(&app, &team.client, &team.client_id).await;
    delete(&app, &team.client, &private.id)
        .await
        .expect("delete");
    delete(&app, &team.client, &shared.id)
        .await
        .expect("delete");
    create_goal(&app, &team.client, "Second marker").await;
    for (_, stream) in &mut streams {
        let received = stream.changes_until("Second marker").await;
        assert_nothing_private(&received, &private.id);
        assert_eq!(
            received.len(),
            2,
            "the shared record's tombstone and the goal"
        );
        assert!(
            matches!(&received[0].entity, Some(pb::change::Entity::Tombstone(t)) if t.id == shared.id)
        );
    }
    let pulled = sync_api(&app, &team.therapist)
        .await
        .pull(pb::PullRequest {
            client_id: team.client_id.clone(),
            cursor,
            page_size: 0,
        })
        .await
        .expect("pull")
        .into_inner();
    assert_nothing_private(&pulled, &private.id);
    assert_eq!(pulled.changes.len(), 2);
    let mine = sync_api(&app, &team.client)
        .await
        .pull(pb::PullRequest {
            client_id: String::new(),
            cursor: client_cursor,
            page_size: 0,
        })
        .await
        .expect("pull")
        .into_inner();
    let tombstones: Vec<&str> = mine
        .changes
        .iter()
        .filter_map(|c| match &c.entity {
            Some(pb::change::Entity::Tombstone(t)) => Some(t.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(tombstones, [private.id.as_str(), shared.id.as_str()]);
}
