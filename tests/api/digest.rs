//! Sessions and the pre-session digest: a therapist notes sessions, and
//! before the next one sees what changed since, on the injected clock.

use std::sync::Arc;
use std::time::Duration;

use stepwise::domain::ManualClock;
use stepwise::pb;
use stepwise::pb::CognitiveDistortion::{Labelling, MentalFilter};
use tonic::{Code, Response, Status};

use crate::care::{accept, access_events, care, invite, team};
use crate::devices::pull_from_client;
use crate::helpers::*;
use crate::skills::{create_skill, log_practice, practice};
use crate::thought_records::{thought, try_create};

/// 2026-03-02, 09:00 UTC: 10:00 in Berlin (UTC+1 until the end of March).
const MONDAY_9_UTC: i64 = 1_772_442_000;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

async fn record_session(
    app: &TestApp,
    token: &str,
    session: pb::Session,
) -> Result<pb::Session, Status> {
    care(app, token)
        .await
        .record_session(pb::RecordSessionRequest {
            session: Some(session),
        })
        .await
        .map(Response::into_inner)
}

async fn sessions(app: &TestApp, token: &str, client_id: &str) -> Result<Vec<pb::Session>, Status> {
    care(app, token)
        .await
        .list_sessions(pb::ListSessionsRequest {
            client_id: client_id.into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner().sessions)
}

pub(crate) async fn digest(
    app: &TestApp,
    token: &str,
    client_id: &str,
    since: Option<prost_types::Timestamp>,
) -> Result<pb::SessionDigest, Status> {
    care(app, token)
        .await
        .get_session_digest(pb::GetSessionDigestRequest {
            client_id: client_id.into(),
            since_time: since,
        })
        .await
        .map(Response::into_inner)
}

fn session(client_id: &str, seconds: i64, note: &str) -> pb::Session {
    pb::Session {
        client_id: client_id.into(),
        session_time: at(seconds),
        note: note.into(),
        ..Default::default()
    }
}

fn daily(goal_id: &str, title: &str) -> pb::ActionStep {
    pb::ActionStep {
        schedule: Some(pb::Schedule {
            times: 1,
            period_days: 1,
        }),
        ..step(goal_id, title)
    }
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    let mut ids: Vec<String> = items.iter().map(|i| id(i).to_owned()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_digest_tells_the_therapist_what_changed_since_the_last_session() {
    let clock = Arc::new(ManualClock::starting_at(MONDAY_9_UTC * 1_000_000));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let team = team(&app).await;
    let (client, therapist) = (&team.client, &team.therapist);

    // Monday before the session: a plan, a rating and the day's check-in.
    let sleep = create_goal(&app, client, "Sleep better").await;
    let screens = try_create_step(&app, client, daily(&sleep.id, "Screens off at 22:00"))
        .await
        .expect("step");
    let run = create_goal(&app, client, "Run 5k").await;
    record_rating(&app, client, rating(&Rated::Goal(sleep.id.clone()), 40))
        .await
        .expect("rate");
    log_check_in(
        &app,
        client,
        &screens.id,
        "2026-03-02",
        pb::CheckInState::Done,
    )
    .await
    .expect("check in");

    // The session at 10:00 UTC.
    clock.advance(Duration::from_secs(HOUR));
    let monday = record_session(
        &app,
        therapist,
        session(&team.client_id, MONDAY_9_UTC + HOUR as i64, "Sleep hygiene"),
    )
    .await
    .expect("record");

    // Friday: the week's work.
    clock.advance(Duration::from_secs(4 * DAY));
    for (date, state) in [
        ("2026-03-03", pb::CheckInState::Done),
        ("2026-03-04", pb::CheckInState::Done),
        ("2026-03-05", pb::CheckInState::Partial),
        ("2026-03-06", pb::CheckInState::Skipped),
    ] {
        log_check_in(&app, client, &screens.id, date, state)
            .await
            .expect("check in");
    }
    let achieved = update_goal(
        &app,
        client,
        pb::Goal {
            status: pb::GoalStatus::Achieved as i32,
            ..run.clone()
        },
        &["status"],
    )
    .await
    .expect("achieved");
    let friends = create_goal(&app, client, "See friends").await;
    let call = create_step(&app, client, &friends.id, "Call one friend").await;
    let call = update_step(
        &app,
        client,
        pb::ActionStep {
            status: pb::ActionStepStatus::Archived as i32,
            ..call
        },
        &["status"],
    )
    .await
    .expect("archived");
    let sleep_rating = record_rating(&app, client, rating(&Rated::Goal(sleep.id.clone()), 70))
        .await
        .expect("rate");
    let friends_rating = record_rating(&app, client, rating(&Rated::Goal(friends.id.clone()), 55))
        .await
        .expect("rate");
    let skill = create_skill(&app, client, "Box breathing").await;
    let calmer = log_practice(&app, client, practice(&skill.id, "2026-03-06", 70, 40))
        .await
        .expect("log");
    let little = log_practice(&app, client, practice(&skill.id, "2026-03-06", 60, 50))
        .await
        .expect("log");
    let shared = try_create(
        &app,
        client,
        pb::ThoughtRecord {
            distortions: vec![Labelling as i32, MentalFilter as i32],
            ..thought("2026-03-05", "I'm hopeless at this")
        },
    )
    .await
    .expect("create");
    try_create(
        &app,
        client,
        pb::ThoughtRecord {
            private_record: true,
            distortions: vec![Labelling as i32],
            ..thought("2026-03-05", "Only for me")
        },
    )
    .await
    .expect("create");

    // Monday after, 09:00 UTC: the therapist prepares.
    clock.advance(Duration::from_secs(3 * DAY - HOUR));
    let d = digest(&app, therapist, &team.client_id, None)
        .await
        .expect("digest");
    assert_eq!(d.since_session_id, monday.id);
    assert_eq!(d.since_time, monday.session_time);
    assert_eq!(d.until_time, at(MONDAY_9_UTC + 7 * DAY as i64));

    assert_eq!(
        d.goals_created,
        std::slice::from_ref(&friends),
        "made before the session: no"
    );
    assert_eq!(d.goals_achieved, [achieved]);
    assert!(d.goals_archived.is_empty());
    assert_eq!(
        ids(&d.steps_created, |s| &s.id),
        std::slice::from_ref(&call.id)
    );
    assert_eq!(d.steps_archived, [call]);

    assert_eq!(d.efficacy_ratings, [sleep_rating, friends_rating]);
    let mut changes: Vec<(String, Option<i32>, i32)> = d
        .efficacy_changes
        .iter()
        .map(|c| match &c.target {
            Some(pb::efficacy_change::Target::GoalId(id)) => {
                (id.clone(), c.score_then, c.score_now)
            }
            other => panic!("a goal, not {other:?}"),
        })
        .collect();
    changes.sort();
    let mut expected = vec![
        (sleep.id.clone(), Some(40), 70),
        (friends.id.clone(), None, 55),
    ];
    expected.sort();
    assert_eq!(changes, expected);

    assert_eq!(d.skill_practices, [calmer, little]);
    // Drops 30 and 10.
    assert_close(d.mean_distress_drop, 20.0);
    assert_eq!(d.thought_records, [shared], "not the private one");
    let distortions: Vec<(i32, i32)> = d
        .distortions
        .iter()
        .map(|c| (c.distortion, c.count))
        .collect();
    assert_eq!(
        distortions,
        [(MentalFilter as i32, 1), (Labelling as i32, 1)]
    );
    assert!(!d.truncated);

    // Progress of the one active (daily) step, m = 0.5^(1/13) per day.
    let m = 0.5f64.powf(1.0 / 13.0);
    let then = d.progress_then.expect("then");
    assert_eq!(then.as_of_date, "2026-03-02");
    // Its first day, done.
    assert_close(then.adherence_7d, 1.0);
    assert_close(then.adherence_28d, 1.0);
    assert!((then.habit_strength - (1.0 - m)).abs() < 1e-9);
    let now = d.progress_now.expect("now");
    assert_eq!(now.as_of_date, "2026-03-09");
    // 03-03..03-09 without the skipped 03-06: 1 + 1 + 0.5 over 6 days;
    // since the first day 03-02: 3.5 over 7.
    assert_close(now.adherence_7d, 2.5 / 6.0);
    assert_close(now.adherence_28d, 0.5);
    let mut strength = 0.0;
    for value in [1.0, 1.0, 1.0, 0.5, f64::NAN, 0.0, 0.0, 0.0] {
        if !value.is_nan() {
            strength = m * strength + (1.0 - m) * value;
        }
    }
    assert!((now.habit_strength - strength).abs() < 1e-9);

    // A later start leaves out what came before it.
    let friday_noon = MONDAY_9_UTC + 4 * DAY as i64 + 3 * HOUR as i64;
    let since_friday_noon = digest(&app, therapist, &team.client_id, at(friday_noon))
        .await
        .expect("digest");
    assert!(since_friday_noon.since_session_id.is_empty());
    assert!(since_friday_noon.goals_created.is_empty());
    assert!(since_friday_noon.skill_practices.is_empty());

    let methods: Vec<String> = access_events(&app, client)
        .await
        .into_iter()
        .map(|e| e.method)
        .collect();
    assert_eq!(
        methods,
        [
            "stepwise.v1.CareService/GetSessionDigest",
            "stepwise.v1.CareService/GetSessionDigest",
        ],
        "recording a session reads nothing of the client's"
    );
}

#[tokio::test]
async fn a_session_and_its_note_belong_to_the_therapist_who_recorded_it() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, other_therapist) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let code = invite(&app, &other_therapist).await.code;
    accept(&app, &team.client, &code)
        .await
        .expect("second therapist");
    let now = now_micros() / 1_000_000;
    let earlier = record_session(
        &app,
        &team.therapist,
        session(&team.client_id, now - 7 * DAY as i64, "NOTE-1"),
    )
    .await
    .expect("record");
    let later = record_session(
        &app,
        &team.therapist,
        session(&team.client_id, now - 60, "NOTE-2"),
    )
    .await
    .expect("record");
    assert_eq!(later.therapist_id, team.therapist_id);
    assert_eq!(
        sessions(&app, &team.therapist, &team.client_id)
            .await
            .expect("list"),
        [later.clone(), earlier.clone()],
        "newest first"
    );
    // An app's retry after a lost answer does not make a second session.
    let again = record_session(&app, &team.therapist, later.clone())
        .await
        .expect_err("same id");
    assert_status(&again, Code::AlreadyExists, "ALREADY_EXISTS");

    // The other therapist sees none of it, and their digest starts when
    // their own link was made.
    assert!(
        sessions(&app, &other_therapist, &team.client_id)
            .await
            .expect("list")
            .is_empty()
    );
    let theirs = digest(&app, &other_therapist, &team.client_id, None)
        .await
        .expect("digest");
    assert!(theirs.since_session_id.is_empty());
    let own = digest(&app, &team.therapist, &team.client_id, None)
        .await
        .expect("digest");
    assert_eq!(own.since_session_id, later.id);

    // The client neither lists nor reads them, and its sync holds none.
    for refused in [
        sessions(&app, &team.client, &team.client_id)
            .await
            .map(drop),
        record_session(&app, &team.client, session(&team.client_id, now, ""))
            .await
            .map(drop),
        digest(&app, &team.client, &team.client_id, None)
            .await
            .map(drop),
    ] {
        assert_status(
            &refused.expect_err("client"),
            Code::PermissionDenied,
            "PERMISSION_DENIED",
        );
    }
    for token in [&team.client, &other_therapist] {
        let (changes, _) = pull_from_client(&app, token, &team.client_id).await;
        let text = format!("{changes:?}");
        assert!(!text.contains("NOTE-"), "a note in a pull");
    }

    // After the client revokes, the notes stay the therapist's; the
    // digest, which reads the client's data, is over.
    let link = crate::care::links(&app, &team.client)
        .await
        .into_iter()
        .find(|l| l.therapist_id == team.therapist_id)
        .expect("link");
    care(&app, &team.client)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest { id: link.id })
        .await
        .expect("revoke");
    assert_eq!(
        sessions(&app, &team.therapist, &team.client_id)
            .await
            .expect("list")
            .len(),
        2
    );
    assert_not_found(
        &digest(&app, &team.therapist, &team.client_id, None)
            .await
            .expect_err("revoked"),
    );
    let refused = record_session(&app, &team.therapist, session(&team.client_id, now, ""))
        .await
        .expect_err("revoked");
    assert_invalid(&refused, &["session.client_id"]);
}

#[tokio::test]
async fn bad_sessions_and_digest_requests_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let two_days_ahead = now_micros() / 1_000_000 + 2 * DAY as i64;
    let bad = record_session(
        &app,
        &team.therapist,
        pb::Session {
            id: "nope".into(),
            client_id: String::new(),
            session_time: None,
            note: "x".repeat(4001),
            ..Default::default()
        },
    )
    .await
    .expect_err("invalid");
    assert_invalid(
        &bad,
        &[
            "session.id",
            "session.client_id",
            "session.session_time",
            "session.note",
        ],
    );
    for seconds in [two_days_ahead, 946_684_799] {
        let bad = record_session(&app, &team.therapist, session(&team.client_id, seconds, ""))
            .await
            .expect_err("out of range");
        assert_invalid(&bad, &["session.session_time"]);
    }
    let unlinked = record_session(
        &app,
        &stranger,
        session(
            &team.client_id,
            now_micros() / 1_000_000,
            "About someone else's client",
        ),
    )
    .await
    .expect_err("not linked");
    assert_invalid(&unlinked, &["session.client_id"]);
    assert!(
        sessions(&app, &team.therapist, &team.client_id)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        sessions(&app, &stranger, &team.client_id)
            .await
            .expect("list")
            .is_empty()
    );

    for since in [at(two_days_ahead), at(946_684_799)] {
        let bad = digest(&app, &team.therapist, &team.client_id, since)
            .await
            .expect_err("out of range");
        assert_invalid(&bad, &["since_time"]);
    }
    assert_invalid(
        &digest(&app, &team.therapist, "", None)
            .await
            .expect_err("no client"),
        &["client_id"],
    );
    assert_not_found(
        &digest(&app, &stranger, &team.client_id, None)
            .await
            .expect_err("not linked"),
    );
    assert!(access_events(&app, &team.client).await.is_empty());
}

#[tokio::test]
async fn the_digest_lists_questionnaires_attainment_ratings_and_comments_since_the_session() {
    use crate::assessments::{GAD7, PHQ9, submitted};
    use pb::comment::Target;
    let clock = Arc::new(ManualClock::starting_at(MONDAY_9_UTC * 1_000_000));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let team = team(&app).await;
    let (client, therapist) = (&team.client, &team.therapist);

    // Before the session: a PHQ-9, a rating and a comment the digest leaves out.
    let before = submitted(&app, client, PHQ9, "2026-03-02", &[1; 9]).await;
    let goal = crate::attainment::scaled_goal(&app, client, "Sleep better", 1).await;
    let rate = |level, date| crate::attainment::rate(&app, therapist, &goal.id, level, date);
    rate(pb::AttainmentLevel::LessThanExpected, "2026-03-02")
        .await
        .expect("rate");
    let on_goal = Target::GoalId(goal.id.clone());
    crate::comments::comment(&app, client, on_goal.clone(), "Before")
        .await
        .expect("comment");
    clock.advance(Duration::from_secs(HOUR));
    record_session(
        &app,
        therapist,
        session(
            &team.client_id,
            MONDAY_9_UTC + HOUR as i64,
            "GAS levels agreed",
        ),
    )
    .await
    .expect("record");

    // The week after.
    clock.advance(Duration::from_secs(4 * DAY));
    let gad7 = submitted(&app, client, GAD7, "2026-03-06", &[3, 3, 3, 3, 3, 3, 3]).await;
    let rated = rate(pb::AttainmentLevel::Expected, "2026-03-06")
        .await
        .expect("rate");
    let theirs = crate::comments::comment(&app, client, on_goal.clone(), "Slept well twice")
        .await
        .expect("comment");
    let reply = crate::comments::comment(&app, therapist, on_goal, "Well done")
        .await
        .expect("comment");
    // A comment on a private note is its author's alone.
    let (_, step) = goal_with_step(&app, client).await;
    let private = log(
        &app,
        client,
        pb::CheckIn {
            note: "Only for me".into(),
            private_note: true,
            ..check_in(&step.id, "2026-03-06", pb::CheckInState::Done)
        },
    )
    .await
    .expect("log");
    crate::comments::comment(&app, client, Target::CheckInId(private.id), "About that")
        .await
        .expect("comment");

    let digest = digest(&app, therapist, &team.client_id, None)
        .await
        .expect("digest");
    let results: Vec<_> = digest
        .assessment_results
        .iter()
        .map(|r| (r.id.clone(), r.total))
        .collect();
    assert_eq!(results, [(gad7.id.clone(), 21)], "not {}", before.id);
    let severity = digest.assessment_results[0].severity.as_ref();
    assert_eq!(severity.map(|s| s.label.as_str()), Some("Severe"));
    assert_eq!(ids(&digest.attainment_ratings, |r| &r.id), [rated.id]);
    let mut expected = vec![theirs.id.clone(), reply.id.clone()];
    expected.sort();
    assert_eq!(ids(&digest.comments, |c| &c.id), expected);
    assert!(!digest.truncated);
}
