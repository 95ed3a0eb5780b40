//! Reminders on action steps: kept and synced with the step, refused when
//! malformed, and listed as the instants they fire at in the client's time
//! zone, through the days the clocks change. Every expected instant below
//! was worked out by hand from the zone's rules.

use std::sync::Arc;

use chrono::NaiveDateTime;
use stepwise::domain::ManualClock;
use stepwise::pb;
use stepwise::pb::DayOfWeek;
use tonic::Status;

use crate::care::team;
use crate::devices::{outcome, pull_from_client, push, sync_api};
use crate::helpers::*;

const EVERY_DAY: [DayOfWeek; 7] = [
    DayOfWeek::Monday,
    DayOfWeek::Tuesday,
    DayOfWeek::Wednesday,
    DayOfWeek::Thursday,
    DayOfWeek::Friday,
    DayOfWeek::Saturday,
    DayOfWeek::Sunday,
];

/// Microseconds since the Unix epoch of "YYYY-MM-DD HH:MM" in UTC.
fn utc_us(at: &str) -> i64 {
    NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M")
        .expect("a time")
        .and_utc()
        .timestamp_micros()
}

/// The timestamp of "YYYY-MM-DD HH:MM" in UTC.
fn utc(at: &str) -> Option<prost_types::Timestamp> {
    let us = utc_us(at);
    Some(prost_types::Timestamp {
        seconds: us / 1_000_000,
        nanos: 0,
    })
}

/// A reminder at `time` on `days`.
fn on(time: &str, days: &[DayOfWeek]) -> pb::Reminder {
    pb::Reminder {
        time: time.into(),
        days: days.iter().map(|d| *d as i32).collect(),
        every_days: 0,
    }
}

/// A reminder at `time` every `every_days` days.
fn every(time: &str, every_days: u32) -> pb::Reminder {
    pb::Reminder {
        time: time.into(),
        days: Vec::new(),
        every_days,
    }
}

/// A server whose clock reads `now` (UTC), and a client living in `zone`.
async fn client_in(zone: &str, now: &str) -> (TestApp, String) {
    let clock = Arc::new(ManualClock::starting_at(utc_us(now)));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock)).await;
    let client = pb::Account {
        role: pb::Role::Client as i32,
        display_name: "Ada".into(),
        time_zone: zone.into(),
        ..Default::default()
    };
    let (_, token) = app
        .create_account_by(&app.admin_token, client)
        .await
        .expect("create client");
    (app, token)
}

/// A new step of the holder of `token` with `reminders`.
async fn step_with(
    app: &TestApp,
    token: &str,
    reminders: Vec<pb::Reminder>,
    quiet_hours: Option<pb::QuietHours>,
) -> Result<pb::ActionStep, Status> {
    let goal = create_goal(app, token, "Sleep better").await;
    let step = pb::ActionStep {
        reminders,
        quiet_hours,
        ..step(&goal.id, "Wind down")
    };
    try_create_step(app, token, step).await
}

/// ListUpcomingReminders of `client_id` ("" for the caller).
async fn upcoming(
    app: &TestApp,
    token: &str,
    request: pb::ListUpcomingRemindersRequest,
) -> Result<pb::ListUpcomingRemindersResponse, Status> {
    app.progress(token)
        .await
        .list_upcoming_reminders(request)
        .await
        .map(tonic::Response::into_inner)
}

/// The next `count` firings of the caller's reminders from `from` (UTC),
/// each as (UTC "YYYY-MM-DD HH:MM", local "YYYY-MM-DDTHH:MM").
async fn next(app: &TestApp, token: &str, from: &str, count: i32) -> Vec<(String, String)> {
    let answer = upcoming(
        app,
        token,
        pb::ListUpcomingRemindersRequest {
            start_time: utc(from),
            max_results: count,
            ..Default::default()
        },
    )
    .await
    .expect("upcoming reminders");
    firings(&answer)
}

fn firings(answer: &pb::ListUpcomingRemindersResponse) -> Vec<(String, String)> {
    answer
        .upcoming_reminders
        .iter()
        .map(|r| {
            let at = chrono::DateTime::from_timestamp_micros(micros(&r.fire_time)).expect("time");
            (
                at.format("%Y-%m-%d %H:%M").to_string(),
                r.local_time.clone(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(utc, local)| ((*utc).to_owned(), (*local).to_owned()))
        .collect()
}

#[tokio::test]
async fn reminders_are_kept_changed_and_synced_with_their_step() {
    let (app, ada) = client_in("Europe/Berlin", "2026-01-05 12:00").await;
    let quiet = pb::QuietHours {
        start: "22:00".into(),
        end: "07:00".into(),
    };
    let reminders = vec![
        on("07:30", &[DayOfWeek::Sunday, DayOfWeek::Monday]),
        every("21:00", 3),
    ];

    let created = step_with(&app, &ada, reminders, Some(quiet.clone()))
        .await
        .expect("create");

    assert_eq!(
        created.reminders[0].days,
        [DayOfWeek::Monday as i32, DayOfWeek::Sunday as i32],
        "days come back Monday first"
    );
    assert_eq!(created.reminders[1], every("21:00", 3));
    assert_eq!(created.quiet_hours, Some(quiet));
    assert_eq!(
        get_step(&app, &ada, &created.id).await.expect("get"),
        created
    );

    let changed = update_step(
        &app,
        &ada,
        pb::ActionStep {
            reminders: vec![on("08:00", &[DayOfWeek::Friday])],
            quiet_hours: None,
            ..created.clone()
        },
        &["reminders", "quiet_hours"],
    )
    .await
    .expect("update");
    assert_eq!(changed.reminders, [on("08:00", &[DayOfWeek::Friday])]);
    assert_eq!(changed.quiet_hours, None);
    assert_eq!(changed.title, created.title);

    let (changes, _) = pull_from_client(&app, &ada, "").await;
    let pulled = changes
        .iter()
        .find_map(|change| match &change.entity {
            Some(pb::change::Entity::ActionStep(step)) => Some(step),
            _ => None,
        })
        .expect("the step is pulled");
    assert_eq!(pulled, &changed, "every device gets the same reminders");
}

#[tokio::test]
async fn a_pushed_step_carries_its_reminders() {
    let (app, ada) = client_in("UTC", "2026-01-05 12:00").await;
    let goal = create_goal(&app, &ada, "Sleep better").await;
    let step = pb::ActionStep {
        id: new_id(),
        reminders: vec![every("06:45", 2)],
        ..step(&goal.id, "Stretch")
    };

    let results = sync_api(&app, &ada)
        .await
        .push(push(
            "phone",
            vec![pb::Mutation {
                mutation_id: "m1".into(),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertActionStep(step.clone())),
            }],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;

    assert_eq!(outcome(&results[0]), pb::Outcome::Applied);
    let stored = get_step(&app, &ada, &step.id).await.expect("get");
    assert_eq!(stored.reminders, [every("06:45", 2)]);
}

#[tokio::test]
async fn a_malformed_reminder_is_refused_naming_the_field_and_nothing_is_written() {
    let (app, ada) = client_in("UTC", "2026-01-05 12:00").await;
    let goal = create_goal(&app, &ada, "Sleep better").await;
    let bad = pb::ActionStep {
        reminders: vec![
            on("24:00", &[DayOfWeek::Monday]),
            pb::Reminder {
                days: vec![9],
                ..on("08:00", &[])
            },
            every("08:00", 1),
            every("08:00", 366),
            on("08:00", &[]),
            pb::Reminder {
                every_days: 2,
                ..on("08:00", &[DayOfWeek::Monday])
            },
        ],
        quiet_hours: Some(pb::QuietHours {
            start: "7:00".into(),
            end: "07:00".into(),
        }),
        ..step(&goal.id, "Wind down")
    };

    let refused = try_create_step(&app, &ada, bad).await.expect_err("refused");

    assert_invalid(
        &refused,
        &[
            "action_step.reminders",
            "action_step.reminders[0].time",
            "action_step.reminders[1].days[0]",
            "action_step.reminders[2].every_days",
            "action_step.reminders[3].every_days",
            "action_step.reminders[4].days",
            "action_step.reminders[5].every_days",
            "action_step.quiet_hours.start",
        ],
    );
    assert!(
        list_steps(&app, &ada, &goal.id)
            .await
            .expect("list")
            .is_empty(),
        "nothing written"
    );

    let six = vec![on("08:00", &[DayOfWeek::Monday]); 6];
    let refused = step_with(&app, &ada, six, None).await.expect_err("six");
    assert_invalid(&refused, &["action_step.reminders"]);
    let same = pb::QuietHours {
        start: "07:00".into(),
        end: "07:00".into(),
    };
    let refused = step_with(&app, &ada, vec![], Some(same))
        .await
        .expect_err("empty quiet hours");
    assert_invalid(&refused, &["action_step.quiet_hours"]);
}

#[tokio::test]
async fn in_berlin_a_reminder_the_spring_gap_skips_fires_at_three() {
    // 2026-03-29: at 02:00 CET the clocks go to 03:00 CEST.
    let (app, ada) = client_in("Europe/Berlin", "2026-03-20 12:00").await;
    step_with(&app, &ada, vec![on("02:30", &EVERY_DAY)], None)
        .await
        .expect("create");

    assert_eq!(
        next(&app, &ada, "2026-03-28 00:00", 3).await,
        pairs(&[
            ("2026-03-28 01:30", "2026-03-28T02:30"),
            ("2026-03-29 01:00", "2026-03-29T03:00"),
            ("2026-03-30 00:30", "2026-03-30T02:30"),
        ])
    );
}

#[tokio::test]
async fn in_berlin_a_reminder_in_the_repeated_autumn_hour_fires_once_at_the_first() {
    // 2026-10-25: at 03:00 CEST the clocks go back to 02:00 CET.
    let (app, ada) = client_in("Europe/Berlin", "2026-10-01 12:00").await;
    step_with(&app, &ada, vec![on("02:30", &EVERY_DAY)], None)
        .await
        .expect("create");

    assert_eq!(
        next(&app, &ada, "2026-10-24 00:00", 3).await,
        pairs(&[
            ("2026-10-24 00:30", "2026-10-24T02:30"),
            ("2026-10-25 00:30", "2026-10-25T02:30"),
            ("2026-10-26 01:30", "2026-10-26T02:30"),
        ])
    );
}

#[tokio::test]
async fn in_new_york_the_clock_changes_move_sunday_reminders_as_they_should() {
    // 2026-03-08 02:00 EST becomes 03:00 EDT; 2026-11-01 02:00 EDT becomes
    // 01:00 EST, so 01:30 happens twice that night.
    let (app, ada) = client_in("America/New_York", "2026-03-01 12:00").await;
    step_with(
        &app,
        &ada,
        vec![
            on("02:15", &[DayOfWeek::Sunday]),
            on("01:30", &[DayOfWeek::Sunday]),
        ],
        None,
    )
    .await
    .expect("create");

    assert_eq!(
        next(&app, &ada, "2026-03-08 00:00", 3).await,
        pairs(&[
            ("2026-03-08 06:30", "2026-03-08T01:30"),
            ("2026-03-08 07:00", "2026-03-08T03:00"),
            ("2026-03-15 05:30", "2026-03-15T01:30"),
        ])
    );
    assert_eq!(
        next(&app, &ada, "2026-10-25 00:00", 6).await,
        pairs(&[
            ("2026-10-25 05:30", "2026-10-25T01:30"),
            ("2026-10-25 06:15", "2026-10-25T02:15"),
            ("2026-11-01 05:30", "2026-11-01T01:30"),
            ("2026-11-01 07:15", "2026-11-01T02:15"),
            ("2026-11-08 06:30", "2026-11-08T01:30"),
            ("2026-11-08 07:15", "2026-11-08T02:15"),
        ])
    );
}

#[tokio::test]
async fn on_kiritimati_reminders_fire_the_day_before_in_utc_and_count_days_locally() {
    // UTC+14 all year: the step is made at 02:00 on Friday 2026-01-02
    // local time, still Thursday in UTC; every other day counts from the
    // local Friday.
    let (app, ada) = client_in("Pacific/Kiritimati", "2026-01-01 12:00").await;
    step_with(
        &app,
        &ada,
        vec![on("08:00", &[DayOfWeek::Monday]), every("09:00", 2)],
        None,
    )
    .await
    .expect("create");

    let answer = upcoming(
        &app,
        &ada,
        pb::ListUpcomingRemindersRequest {
            max_results: 4,
            ..Default::default()
        },
    )
    .await
    .expect("from now");

    assert_eq!(answer.time_zone, "Pacific/Kiritimati");
    assert_eq!(
        firings(&answer),
        pairs(&[
            ("2026-01-01 19:00", "2026-01-02T09:00"),
            ("2026-01-03 19:00", "2026-01-04T09:00"),
            ("2026-01-04 18:00", "2026-01-05T08:00"),
            ("2026-01-05 19:00", "2026-01-06T09:00"),
        ])
    );
    let indices: Vec<i32> = answer
        .upcoming_reminders
        .iter()
        .map(|r| r.reminder_index)
        .collect();
    assert_eq!(indices, [1, 1, 0, 1]);
}

#[tokio::test]
async fn quiet_hours_hold_a_reminder_until_they_end() {
    let (app, ada) = client_in("UTC", "2026-01-05 12:00").await;
    let night = pb::QuietHours {
        start: "22:00".into(),
        end: "07:00".into(),
    };
    step_with(
        &app,
        &ada,
        vec![
            on("23:00", &[DayOfWeek::Monday]),
            on("06:00", &[DayOfWeek::Tuesday]),
        ],
        Some(night),
    )
    .await
    .expect("create");

    assert_eq!(
        next(&app, &ada, "2026-01-05 00:00", 2).await,
        pairs(&[
            ("2026-01-06 07:00", "2026-01-06T07:00"),
            ("2026-01-13 07:00", "2026-01-13T07:00"),
        ]),
        "two reminders held to the same minute fire once"
    );
}

#[tokio::test]
async fn a_client_who_moves_gets_their_reminders_at_the_same_local_time() {
    let (app, ada) = client_in("Europe/Berlin", "2026-01-05 12:00").await;
    step_with(&app, &ada, vec![on("09:00", &EVERY_DAY)], None)
        .await
        .expect("create");
    assert_eq!(
        next(&app, &ada, "2026-01-06 00:00", 1).await,
        pairs(&[("2026-01-06 08:00", "2026-01-06T09:00")])
    );

    app.accounts(&ada)
        .await
        .update_current_account(pb::UpdateCurrentAccountRequest {
            account: Some(pb::Account {
                time_zone: "America/New_York".into(),
                ..Default::default()
            }),
            update_mask: mask(&["time_zone"]),
        })
        .await
        .expect("move");

    assert_eq!(
        next(&app, &ada, "2026-01-06 00:00", 1).await,
        pairs(&[("2026-01-06 14:00", "2026-01-06T09:00")])
    );
}

#[tokio::test]
async fn a_listing_ends_at_its_end_and_a_paused_step_reminds_nobody() {
    let (app, ada) = client_in("UTC", "2026-01-05 12:00").await;
    let walking = step_with(&app, &ada, vec![on("08:00", &EVERY_DAY)], None)
        .await
        .expect("create");
    let paused = step_with(&app, &ada, vec![on("09:00", &EVERY_DAY)], None)
        .await
        .expect("create");
    update_step(
        &app,
        &ada,
        pb::ActionStep {
            status: pb::ActionStepStatus::Paused as i32,
            ..paused
        },
        &["status"],
    )
    .await
    .expect("pause");

    let answer = upcoming(
        &app,
        &ada,
        pb::ListUpcomingRemindersRequest {
            start_time: utc("2026-01-06 08:00"),
            end_time: utc("2026-01-08 08:00"),
            ..Default::default()
        },
    )
    .await
    .expect("upcoming");

    assert_eq!(
        firings(&answer),
        pairs(&[
            ("2026-01-06 08:00", "2026-01-06T08:00"),
            ("2026-01-07 08:00", "2026-01-07T08:00"),
        ]),
        "from the start, inclusive, to the end, exclusive"
    );
    assert!(
        answer
            .upcoming_reminders
            .iter()
            .all(|r| r.action_step_id == walking.id)
    );

    let times = ["06:00", "07:00", "10:00", "12:00", "18:00"];
    step_with(&app, &ada, times.map(|t| on(t, &EVERY_DAY)).into(), None)
        .await
        .expect("five a day");
    let all_of_them = upcoming(
        &app,
        &ada,
        pb::ListUpcomingRemindersRequest {
            max_results: 100_000,
            ..Default::default()
        },
    )
    .await
    .expect("capped");
    assert_eq!(all_of_them.upcoming_reminders.len(), 500, "at most 500");
}

#[tokio::test]
async fn a_bad_listing_is_refused_naming_each_field() {
    let (app, ada) = client_in("UTC", "2026-01-05 12:00").await;

    let refused = upcoming(
        &app,
        &ada,
        pb::ListUpcomingRemindersRequest {
            client_id: "not an id".into(),
            start_time: utc("2026-01-06 08:00"),
            end_time: utc("2027-01-08 08:00"),
            max_results: -1,
        },
    )
    .await
    .expect_err("refused");

    assert_invalid(&refused, &["client_id", "end_time", "max_results"]);
    let backwards = upcoming(
        &app,
        &ada,
        pb::ListUpcomingRemindersRequest {
            start_time: utc("2026-01-06 08:00"),
            end_time: utc("2026-01-06 07:00"),
            ..Default::default()
        },
    )
    .await
    .expect_err("end before start");
    assert_invalid(&backwards, &["end_time"]);
}

#[tokio::test]
async fn a_linked_therapist_sees_a_clients_reminders_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    step_with(&app, &team.client, vec![on("08:00", &EVERY_DAY)], None)
        .await
        .expect("create");
    let for_client = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        let client_id = team.client_id.clone();
        async move {
            upcoming(
                app,
                &token,
                pb::ListUpcomingRemindersRequest {
                    client_id,
                    max_results: 3,
                    ..Default::default()
                },
            )
            .await
        }
    };

    let seen = for_client(&team.therapist).await.expect("linked therapist");
    assert_eq!(seen.upcoming_reminders.len(), 3);
    let stranger = app.create_account(pb::Role::Therapist, "Dr. No").await.1;
    assert_not_found(&for_client(&stranger).await.expect_err("unlinked"));
    let other_client = app.new_client("Bo").await;
    assert_not_found(&for_client(&other_client).await.expect_err("other client"));
}
