//! Questionnaires: the built-in PHQ-9 and GAD-7, therapists' own
//! instruments, assignments with due and overdue dates, results with their
//! scores, bands and change, the self-harm flag, and who may do what.

use std::sync::Arc;
use std::time::Duration;

use stepwise::domain::ManualClock;
use stepwise::pb;
use stepwise::pb::watch_clients_response::Event;
use tokio_stream::StreamExt;
use tonic::{Code, Status};

use crate::care::{Team, access_events, care, invite, team};
use crate::devices::{delete_of, pull_everything, pull_from_client, push_outcomes, sync_api};
use crate::helpers::*;

pub(crate) const PHQ9: &str = "00000000-0000-0000-0000-000000000009";
pub(crate) const GAD7: &str = "00000000-0000-0000-0000-000000000007";

/// Answers to `instrument` on `date`.
pub(crate) fn answers(instrument: &str, date: &str, answers: &[i32]) -> pb::AssessmentResult {
    pb::AssessmentResult {
        instrument_id: instrument.into(),
        local_date: date.into(),
        answers: answers.to_vec(),
        ..Default::default()
    }
}

/// Submits `result` as `token`.
pub(crate) async fn submit(
    app: &TestApp,
    token: &str,
    result: pb::AssessmentResult,
) -> Result<pb::AssessmentResult, Status> {
    app.assessments(token)
        .await
        .submit_assessment(pb::SubmitAssessmentRequest {
            result: Some(result),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Submits answers to `instrument` on `date` as `token`, which must succeed.
pub(crate) async fn submitted(
    app: &TestApp,
    token: &str,
    instrument: &str,
    date: &str,
    given: &[i32],
) -> pb::AssessmentResult {
    submit(app, token, answers(instrument, date, given))
        .await
        .expect("submit")
}

/// Every result of `client_id` ("" for the caller) as `token` sees them.
async fn results(
    app: &TestApp,
    token: &str,
    client_id: &str,
) -> Result<Vec<pb::AssessmentResult>, Status> {
    let response = app
        .assessments(token)
        .await
        .list_assessment_results(pb::ListAssessmentResultsRequest {
            client_id: client_id.into(),
            page_size: 1000,
            ..Default::default()
        })
        .await?
        .into_inner();
    assert!(response.next_page_token.is_empty());
    Ok(response.assessment_results)
}

/// Assigns `instrument` to `client_id` every `every_days` from `start`
/// ("" for the client's today).
pub(crate) async fn assign(
    app: &TestApp,
    therapist: &str,
    client_id: &str,
    instrument: &str,
    (every_days, start): (i32, &str),
) -> Result<pb::Assignment, Status> {
    app.assessments(therapist)
        .await
        .assign_assessment(pb::AssignAssessmentRequest {
            assignment: Some(pb::Assignment {
                client_id: client_id.into(),
                instrument_id: instrument.into(),
                every_days,
                start_date: start.into(),
                ..Default::default()
            }),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// What `client_id` ("" for the caller) has to answer as of `as_of` ("" for
/// the client's today).
async fn due(
    app: &TestApp,
    token: &str,
    client_id: &str,
    as_of: &str,
) -> Result<pb::ListDueAssessmentsResponse, Status> {
    app.assessments(token)
        .await
        .list_due_assessments(pb::ListDueAssessmentsRequest {
            client_id: client_id.into(),
            as_of_date: as_of.into(),
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The therapist's only client summary, as of `as_of` ("" for today).
async fn summary(app: &TestApp, therapist: &str, as_of: &str) -> pb::ClientSummary {
    let mut summaries = care(app, therapist)
        .await
        .list_client_summaries(pb::ListClientSummariesRequest {
            as_of_date: as_of.into(),
            ..Default::default()
        })
        .await
        .expect("summaries")
        .into_inner()
        .client_summaries;
    assert_eq!(summaries.len(), 1);
    summaries.remove(0)
}

/// Answers to the first `items` items summing to `total`, filled from the
/// first item (so PHQ-9 item 9 stays 0 for totals up to 24).
fn totalling(items: usize, total: i32) -> Vec<i32> {
    let mut left = total;
    (0..items)
        .map(|_| {
            let answer = left.min(3);
            left -= answer;
            answer
        })
        .collect()
}

/// Answers to the PHQ-9 summing to `total` (at most 24), item 9 at 0.
fn phq9_totalling(total: i32) -> Vec<i32> {
    assert!(total <= 24, "item 9 stays 0");
    totalling(9, total)
}

fn flags(result: &pb::AssessmentResult) -> Vec<pb::AssessmentFlag> {
    result
        .flags
        .iter()
        .map(|f| pb::AssessmentFlag::try_from(*f).expect("known flag"))
        .collect()
}

fn band(result: &pb::AssessmentResult) -> (String, i32) {
    let band = result.severity.as_ref().expect("a band");
    (band.label.clone(), band.rank)
}

#[tokio::test]
async fn the_phq9_and_gad7_are_built_in_and_cacheable_by_id_and_version() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let listed = app
        .assessments(&client)
        .await
        .list_instruments(pb::ListInstrumentsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .instruments;
    let ids: Vec<&str> = listed.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [GAD7, PHQ9], "built-in ones first, by id");

    let phq9 = app
        .assessments(&client)
        .await
        .get_instrument(pb::GetInstrumentRequest {
            id: PHQ9.into(),
            version: 1,
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((phq9.short_name.as_str(), phq9.version), ("PHQ-9", 1));
    assert!(phq9.built_in);
    assert_eq!(phq9.items.len(), 9);
    assert_eq!(
        phq9.items[8].text,
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    );
    let labels: Vec<(i32, &str)> = phq9.items[0]
        .labels
        .iter()
        .map(|l| (l.value, l.label.as_str()))
        .collect();
    assert_eq!(
        labels,
        [
            (0, "Not at all"),
            (1, "Several days"),
            (2, "More than half the days"),
            (3, "Nearly every day")
        ]
    );
    let bands: Vec<(i32, i32, &str)> = phq9
        .bands
        .iter()
        .map(|b| (b.min_score, b.max_score, b.label.as_str()))
        .collect();
    assert_eq!(
        bands,
        [
            (0, 4, "Minimal"),
            (5, 9, "Mild"),
            (10, 14, "Moderate"),
            (15, 19, "Moderately severe"),
            (20, 27, "Severe")
        ]
    );
    let rules = phq9.change_rules.expect("rules");
    assert_eq!((rules.reliable_change, rules.remission_below), (6, 5));
    assert_eq!(phq9.self_harm_item, Some(8));
    assert_eq!(listed[1], phq9, "a list shows what a get shows");

    let gad7 = &listed[0];
    assert_eq!((gad7.items.len(), gad7.bands.len()), (7, 4));
    assert_eq!(gad7.change_rules.expect("rules").reliable_change, 4);
    assert_eq!(gad7.self_harm_item, None);

    let missing = app
        .assessments(&client)
        .await
        .get_instrument(pb::GetInstrumentRequest {
            id: PHQ9.into(),
            version: 2,
        })
        .await
        .expect_err("no version 2");
    assert_not_found(&missing);
}

#[tokio::test]
async fn phq9_results_are_scored_banded_and_compared_with_the_first_by_date() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    // Submitted out of date order: the first result is the earliest day.
    // 2+2+1+1+2+1+1+2+0 = 12 on 03-16, then 3+3+2·6+0 = 18 on 03-02.
    let second = submitted(
        &app,
        &client,
        PHQ9,
        "2026-03-16",
        &[2, 2, 1, 1, 2, 1, 1, 2, 0],
    )
    .await;
    assert_eq!(second.total, 12);
    assert_eq!(band(&second), ("Moderate".into(), 2));
    assert_eq!(second.change, None, "the only result is its own first");
    let first = submitted(
        &app,
        &client,
        PHQ9,
        "2026-03-02",
        &[3, 3, 2, 2, 2, 2, 2, 2, 0],
    )
    .await;
    assert_eq!(first.total, 18);
    assert_eq!(band(&first), ("Moderately severe".into(), 3));
    // 1·7 + 2 + 0 = 9 on 03-30, 1+1+1+0+0+0+1+0+0 = 4 on 04-13.
    let third = submitted(
        &app,
        &client,
        PHQ9,
        "2026-03-30",
        &[1, 1, 1, 1, 1, 1, 1, 2, 0],
    )
    .await;
    let fourth = submitted(
        &app,
        &client,
        PHQ9,
        "2026-04-13",
        &[1, 1, 1, 0, 0, 0, 1, 0, 0],
    )
    .await;
    assert_eq!((third.total, fourth.total), (9, 4));

    let listed = results(&app, &client, "").await.expect("list");
    let totals: Vec<i32> = listed.iter().map(|r| r.total).collect();
    assert_eq!(totals, [18, 12, 9, 4], "by local date");
    assert_eq!(listed[0].change, None);
    let change = |r: &pb::AssessmentResult| {
        let c = r.change.clone().expect("a change");
        assert_eq!(
            (c.first_result_id.as_str(), c.first_total),
            (first.id.as_str(), 18)
        );
        (
            c.difference,
            pb::ReliableChange::try_from(c.reliable_change).expect("known"),
            c.response,
            c.remission,
        )
    };
    use pb::ReliableChange::Improvement;
    // 18 → 12: −6 is reliable; 2·6 = 12 < 18 is no response; 12 ≥ 5.
    assert_eq!(
        change(&listed[1]),
        (-6, Improvement, Some(false), Some(false))
    );
    // 18 → 9: 2·9 = 18 ≥ 18, exactly half, is a response; 9 ≥ 5.
    assert_eq!(
        change(&listed[2]),
        (-9, Improvement, Some(true), Some(false))
    );
    // 18 → 4: below 5 is remission.
    assert_eq!(
        change(&listed[3]),
        (-14, Improvement, Some(true), Some(true))
    );
    assert_eq!(band(&listed[3]), ("Minimal".into(), 0));
    assert!(listed.iter().all(|r| r.flags.is_empty()));
}

#[tokio::test]
async fn severity_bands_follow_the_published_cut_offs() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let phq9: &[(i32, &str)] = &[
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (24, "Severe"),
    ];
    let gad7: &[(i32, &str)] = &[
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ];
    for (instrument, items, cases) in [(PHQ9, 9, phq9), (GAD7, 7, gad7)] {
        for (total, label) in cases {
            let answered = answers(instrument, "2026-03-02", &totalling(items, *total));
            let result = submit(&app, &client, answered).await.expect("submit");
            assert_eq!((result.total, band(&result).0.as_str()), (*total, *label));
        }
    }
}

#[tokio::test]
async fn a_gad7_rise_of_four_points_is_a_reliable_deterioration() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    // 1·6 + 2 = 8, then 1·3... : 11 (+3) and 12 (+4).
    submitted(&app, &client, GAD7, "2026-03-02", &[1, 1, 1, 1, 1, 1, 2]).await;
    let within = submitted(&app, &client, GAD7, "2026-03-09", &[2, 2, 2, 2, 1, 1, 1]).await;
    let worse = submitted(&app, &client, GAD7, "2026-03-16", &[2, 2, 2, 2, 2, 1, 1]).await;
    assert_eq!((within.total, worse.total), (11, 12));
    let reliable = |r: &pb::AssessmentResult| r.change.as_ref().expect("change").reliable_change;
    assert_eq!(reliable(&within), pb::ReliableChange::None as i32);
    assert_eq!(reliable(&worse), pb::ReliableChange::Deterioration as i32);
    assert!(flags(&within).is_empty());
    assert_eq!(flags(&worse), [pb::AssessmentFlag::ReliableDeterioration]);
    let change = worse.change.expect("change");
    // A rise is no response; 12 is not below 5.
    assert_eq!(
        (change.response, change.remission),
        (Some(false), Some(false))
    );
}

#[tokio::test]
async fn every_bad_answer_is_named_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    // Item 2 answers 4, item 4 answers −1, items 8 and 9 are missing.
    let error = submit(
        &app,
        &client,
        answers(PHQ9, "2026-03-02", &[0, 4, 1, -1, 0, 0, 0]),
    )
    .await
    .expect_err("refused");
    assert_invalid(
        &error,
        &[
            "result.answers[1]",
            "result.answers[3]",
            "result.answers[7]",
            "result.answers[8]",
        ],
    );
    assert!(
        error
            .message()
            .contains("result.answers[1]: item 2 must be answered from 0 to 3, got 4"),
        "{error:?}"
    );
    // Answers beyond the last item are named too.
    let error = submit(&app, &client, answers(GAD7, "2026-03-02", &[0; 9]))
        .await
        .expect_err("refused");
    assert_invalid(&error, &["result.answers[7]", "result.answers[8]"]);
    // No instrument, no day, a day out of range, an unknown instrument.
    let error = submit(&app, &client, answers("", "", &[0; 9]))
        .await
        .expect_err("refused");
    assert_invalid(&error, &["result.instrument_id", "result.local_date"]);
    let error = submit(&app, &client, answers(PHQ9, "1999-12-31", &[0; 9]))
        .await
        .expect_err("refused");
    assert_invalid(&error, &["result.local_date"]);
    let error = submit(&app, &client, answers(&new_id(), "2026-03-02", &[0; 9]))
        .await
        .expect_err("refused");
    assert_invalid(&error, &["result.instrument_id"]);
    // An answer to another version of the instrument.
    let error = submit(
        &app,
        &client,
        pb::AssessmentResult {
            instrument_version: 2,
            ..answers(PHQ9, "2026-03-02", &[0; 9])
        },
    )
    .await
    .expect_err("refused");
    assert_status(&error, Code::FailedPrecondition, "INSTRUMENT_CHANGED");

    assert_eq!(results(&app, &client, "").await.expect("list"), []);
    let (changes, _) = pull_everything(&mut sync_api(&app, &client).await).await;
    assert_eq!(changes, [], "nothing was written");
}

/// A therapist watching their clients, and the next event that is not a
/// heartbeat.
async fn next_change(
    watch: &mut tonic::Streaming<pb::WatchClientsResponse>,
) -> pb::WatchClientsResponse {
    loop {
        let event = watch.next().await.expect("event").expect("ok");
        if !matches!(event.event, Some(Event::Heartbeat(_))) {
            return event;
        }
    }
}

#[tokio::test]
async fn a_self_harm_answer_reaches_the_watching_therapist_and_tops_the_dashboard() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    let mut watch = care(&app, &therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner();
    // Item 9, "thoughts that you would be better off dead", several days.
    let answered = submitted(
        &app,
        &client,
        PHQ9,
        "2026-03-02",
        &[1, 1, 1, 1, 1, 1, 1, 1, 1],
    )
    .await;
    assert_eq!(flags(&answered), [pb::AssessmentFlag::SelfHarmRisk]);

    let event = next_change(&mut watch).await;
    assert_eq!(event.client_id, client_id);
    let Some(Event::Change(pb::Change {
        entity: Some(pb::change::Entity::AssessmentResult(delivered)),
    })) = event.event
    else {
        panic!("expected the result, got {event:?}");
    };
    assert_eq!(delivered.id, answered.id);
    assert_eq!(delivered.total, 9);
    assert_eq!(flags(&delivered), [pb::AssessmentFlag::SelfHarmRisk]);

    let flagged = summary(&app, &therapist, "2026-03-02").await;
    assert_eq!(
        flagged.flags[0],
        pb::Flag::SelfHarmRisk as i32,
        "most severe first"
    );
    assert_eq!(flagged.severity, pb::SummarySeverity::Critical as i32);
    let phq9 = &flagged.instruments[0];
    assert_eq!(
        (phq9.short_name.as_str(), phq9.latest_total),
        ("PHQ-9", Some(9))
    );
    assert_eq!(phq9.flags, [pb::AssessmentFlag::SelfHarmRisk as i32]);

    // A later PHQ-9 answering item 9 with 0 does not close the risk: only
    // a therapist's acknowledgement does (see risk.rs).
    submitted(
        &app,
        &client,
        PHQ9,
        "2026-03-16",
        &[1, 1, 1, 1, 1, 1, 1, 1, 0],
    )
    .await;
    let later = summary(&app, &therapist, "2026-03-16").await;
    assert_eq!(later.flags[0], pb::Flag::SelfHarmRisk as i32);
    assert_eq!(later.severity, pb::SummarySeverity::Critical as i32);
    assert_eq!(
        later.instruments[0].flags,
        Vec::<i32>::new(),
        "the latest result itself is calm"
    );
    care(&app, &therapist)
        .await
        .acknowledge_risk(pb::AcknowledgeRiskRequest {
            client_id: client_id.clone(),
            action: pb::RiskAction::ContactedClient.into(),
            note: "Called Ada; she is safe and has an appointment on Monday.".into(),
        })
        .await
        .expect("acknowledge");
    let acknowledged = summary(&app, &therapist, "2026-03-16").await;
    assert!(
        !acknowledged
            .flags
            .contains(&(pb::Flag::SelfHarmRisk as i32))
    );
    assert_ne!(acknowledged.severity, pb::SummarySeverity::Critical as i32);
}

#[tokio::test]
async fn a_reliable_deterioration_ranks_the_client_high_on_the_dashboard() {
    let app = TestApp::spawn().await;
    let Team {
        therapist, client, ..
    } = team(&app).await;
    submitted(&app, &client, PHQ9, "2026-03-02", &phq9_totalling(6)).await;
    // +5 is within measurement error for the PHQ-9; +6 is not.
    let within = submitted(&app, &client, PHQ9, "2026-03-09", &phq9_totalling(11)).await;
    assert_eq!(
        within.change.expect("change").reliable_change,
        pb::ReliableChange::None as i32
    );
    assert_ne!(
        summary(&app, &therapist, "2026-03-09").await.severity,
        pb::SummarySeverity::High as i32
    );
    submitted(&app, &client, PHQ9, "2026-03-16", &phq9_totalling(12)).await;
    let summary = summary(&app, &therapist, "2026-03-16").await;
    assert_eq!(summary.flags[0], pb::Flag::ReliableDeterioration as i32);
    assert_eq!(summary.severity, pb::SummarySeverity::High as i32);
    let phq9 = &summary.instruments[0];
    let change = phq9.change.as_ref().expect("change");
    assert_eq!((change.first_total, change.difference), (6, 6));
    assert_eq!(
        phq9.severity.as_ref().map(|b| b.label.as_str()),
        Some("Moderate")
    );
}

#[tokio::test]
async fn an_assignment_falls_due_goes_overdue_after_two_days_and_stops_when_cancelled() {
    // Monday 2026-06-01, 10:00 in Berlin.
    let clock = Arc::new(ManualClock::starting_at(1_780_300_800_000_000));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    let day = Duration::from_secs(24 * 3600);
    let assignment = assign(&app, &therapist, &client_id, PHQ9, (7, ""))
        .await
        .expect("assign");
    assert_eq!(assignment.start_date, "2026-06-01", "today in Berlin");
    assert_eq!(assignment.state, pb::AssignmentState::Active as i32);

    let today = due(&app, &client, "", "").await.expect("due");
    assert_eq!(today.as_of_date, "2026-06-01");
    assert_eq!(today.due_assessments.len(), 1);
    let first_due = &today.due_assessments[0];
    assert_eq!(
        (
            first_due.due_date.as_str(),
            first_due.overdue,
            first_due.instrument_version
        ),
        ("2026-06-01", false, 1)
    );

    // Answered on Wednesday: nothing is due until next Monday.
    clock.advance(2 * day);
    submitted(&app, &client, PHQ9, "2026-06-03", &phq9_totalling(7)).await;
    assert_eq!(
        due(&app, &client, "", "")
            .await
            .expect("due")
            .due_assessments,
        []
    );
    clock.advance(5 * day);
    let monday = due(&app, &client, "", "").await.expect("due");
    assert_eq!(monday.as_of_date, "2026-06-08");
    assert!(!monday.due_assessments[0].overdue);
    // Two days later it is still only due; on the third it is overdue.
    clock.advance(2 * day);
    assert!(
        !due(&app, &client, "", "")
            .await
            .expect("due")
            .due_assessments[0]
            .overdue
    );
    assert!(
        !summary(&app, &therapist, "")
            .await
            .flags
            .contains(&(pb::Flag::AssessmentOverdue as i32))
    );
    clock.advance(day);
    let thursday = due(&app, &therapist, &client_id, "").await.expect("due");
    assert_eq!(thursday.as_of_date, "2026-06-11");
    assert_eq!(
        (
            thursday.due_assessments[0].due_date.as_str(),
            thursday.due_assessments[0].overdue
        ),
        ("2026-06-08", true)
    );
    let overdue = summary(&app, &therapist, "").await;
    assert!(
        overdue
            .flags
            .contains(&(pb::Flag::AssessmentOverdue as i32))
    );
    assert!(overdue.instruments[0].overdue);

    let cancelled = app
        .assessments(&therapist)
        .await
        .cancel_assignment(pb::CancelAssignmentRequest {
            id: assignment.id.clone(),
            version: assignment.version,
        })
        .await
        .expect("cancel")
        .into_inner();
    assert_eq!(
        (cancelled.state, cancelled.cancel_date.as_str()),
        (pb::AssignmentState::Cancelled as i32, "2026-06-11")
    );
    assert_eq!(
        due(&app, &client, "", "")
            .await
            .expect("due")
            .due_assessments,
        []
    );
    assert!(
        !summary(&app, &therapist, "")
            .await
            .flags
            .contains(&(pb::Flag::AssessmentOverdue as i32))
    );
    // Cancelling again changes nothing; a stale version is refused.
    let again = app
        .assessments(&therapist)
        .await
        .cancel_assignment(pb::CancelAssignmentRequest {
            id: assignment.id.clone(),
            version: 0,
        })
        .await
        .expect("cancel again")
        .into_inner();
    assert_eq!(again.version, cancelled.version);
    let stale = app
        .assessments(&therapist)
        .await
        .cancel_assignment(pb::CancelAssignmentRequest {
            id: assignment.id.clone(),
            version: assignment.version,
        })
        .await
        .expect_err("stale");
    assert_status(&stale, Code::Aborted, "VERSION_MISMATCH");
    // Cancelled assignments are listed only when asked for.
    let list = |show_cancelled| {
        let app = &app;
        let client = client.clone();
        async move {
            app.assessments(&client)
                .await
                .list_assignments(pb::ListAssignmentsRequest {
                    show_cancelled,
                    ..Default::default()
                })
                .await
                .expect("list")
                .into_inner()
                .assignments
        }
    };
    assert_eq!(list(false).await, []);
    assert_eq!(list(true).await, [cancelled]);
}

/// A small custom instrument: two items 0–4, bands 0–3 and 4–8.
fn sleep_check() -> pb::Instrument {
    let item = |text: &str| pb::InstrumentItem {
        text: text.into(),
        min_value: 0,
        max_value: 4,
        labels: vec![
            pb::AnswerLabel {
                value: 0,
                label: "Never".into(),
            },
            pb::AnswerLabel {
                value: 4,
                label: "Every night".into(),
            },
        ],
    };
    let band = |min_score, max_score, label: &str| pb::SeverityBand {
        min_score,
        max_score,
        label: label.into(),
        rank: 0,
    };
    pb::Instrument {
        short_name: "SLEEP-2".into(),
        title: "Sleep check".into(),
        instructions: "In the last week, how often:".into(),
        items: vec![item("Did you lie awake?"), item("Did you wake too early?")],
        bands: vec![band(0, 3, "Fine"), band(4, 8, "Poor")],
        ..Default::default()
    }
}

async fn create_instrument(
    app: &TestApp,
    token: &str,
    instrument: pb::Instrument,
) -> Result<pb::Instrument, Status> {
    app.assessments(token)
        .await
        .create_instrument(pb::CreateInstrumentRequest {
            instrument: Some(instrument),
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn get_instrument(app: &TestApp, token: &str, id: &str) -> Result<pb::Instrument, Status> {
    app.assessments(token)
        .await
        .get_instrument(pb::GetInstrumentRequest {
            id: id.into(),
            version: 0,
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_custom_instrument_belongs_to_its_therapist_and_reaches_clients_by_assignment() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        therapist_id,
        client,
        client_id,
    } = team(&app).await;
    let (_, colleague) = app.create_account(pb::Role::Therapist, "Dr. Lee").await;
    let custom = create_instrument(&app, &therapist, sleep_check())
        .await
        .expect("create");
    assert_eq!((custom.version, custom.built_in), (1, false));
    assert_eq!(custom.created_by, therapist_id);
    assert_eq!(
        custom.bands.iter().map(|b| b.rank).collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(
        get_instrument(&app, &therapist, &custom.id)
            .await
            .expect("own"),
        custom
    );

    // Nobody else sees or uses it before it is assigned.
    assert_not_found(
        &get_instrument(&app, &colleague, &custom.id)
            .await
            .expect_err("hidden"),
    );
    assert_not_found(
        &get_instrument(&app, &client, &custom.id)
            .await
            .expect_err("hidden"),
    );
    let not_assigned = submit(&app, &client, answers(&custom.id, "2026-03-02", &[1, 1]))
        .await
        .expect_err("not assigned");
    assert_invalid(&not_assigned, &["result.instrument_id"]);
    let code = invite(&app, &colleague).await.code;
    crate::care::accept(&app, &client, &code)
        .await
        .expect("second therapist");
    let foreign = assign(&app, &colleague, &client_id, &custom.id, (7, ""))
        .await
        .expect_err("another therapist's instrument");
    assert_invalid(&foreign, &["assignment.instrument_id"]);

    assign(&app, &therapist, &client_id, &custom.id, (7, "2026-03-02"))
        .await
        .expect("assign");
    let listed = app
        .assessments(&client)
        .await
        .list_instruments(pb::ListInstrumentsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .instruments;
    assert_eq!(
        listed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        [GAD7, PHQ9, custom.id.as_str()]
    );
    assert_eq!(
        get_instrument(&app, &client, &custom.id)
            .await
            .expect("assigned"),
        custom
    );

    // 1 + 2 = 3: "Fine"; 4 + 3 = 7: "Poor", only the difference as change.
    let out_of_range = submit(&app, &client, answers(&custom.id, "2026-03-02", &[5, 1]))
        .await
        .expect_err("item 1 goes to 4");
    assert_invalid(&out_of_range, &["result.answers[0]"]);
    let first = submitted(&app, &client, &custom.id, "2026-03-02", &[1, 2]).await;
    assert_eq!((first.total, band(&first)), (3, ("Fine".into(), 0)));
    let later = submitted(&app, &client, &custom.id, "2026-03-09", &[4, 3]).await;
    assert_eq!(band(&later), ("Poor".into(), 1));
    let change = later.change.expect("change");
    assert_eq!(
        (
            change.difference,
            change.reliable_change,
            change.response,
            change.remission
        ),
        (4, pb::ReliableChange::Unspecified as i32, None, None)
    );
    assert!(later.flags.is_empty());
    let summary = summary(&app, &therapist, "2026-03-09").await;
    assert_eq!(summary.instruments[0].short_name, "SLEEP-2");
}

#[tokio::test]
async fn a_bad_custom_instrument_is_refused_naming_every_bad_field() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let client = app.new_client("Ada").await;
    let mut bad = sleep_check();
    bad.short_name = String::new();
    bad.items[1].max_value = 11;
    bad.items[0].labels[1].value = 3; // 4 is left unlabelled
    bad.bands[1].min_score = 3; // overlaps the first band
    let error = create_instrument(&app, &therapist, bad)
        .await
        .expect_err("refused");
    assert_invalid(
        &error,
        &[
            "instrument.short_name",
            "instrument.items[0].labels",
            "instrument.items[1].max_value",
        ],
    );
    let mut overlapping = sleep_check();
    overlapping.bands[1].min_score = 3;
    let error = create_instrument(&app, &therapist, overlapping)
        .await
        .expect_err("refused");
    assert_invalid(&error, &["instrument.bands[1].min_score"]);
    let reserved = pb::Instrument {
        id: "00000000-0000-0000-0000-000000000042".into(),
        ..sleep_check()
    };
    let error = create_instrument(&app, &therapist, reserved)
        .await
        .expect_err("a built-in id");
    assert_invalid(&error, &["instrument.id"]);
    let error = create_instrument(&app, &client, sleep_check())
        .await
        .expect_err("clients do not write instruments");
    assert_eq!(error.code(), Code::PermissionDenied);
    let listed = app
        .assessments(&therapist)
        .await
        .list_instruments(pb::ListInstrumentsRequest::default())
        .await
        .expect("list")
        .into_inner()
        .instruments;
    assert_eq!(listed.len(), 2, "only the built-in ones");
    // An id may be used once.
    let id = new_id();
    let with_id = pb::Instrument {
        id: id.clone(),
        ..sleep_check()
    };
    create_instrument(&app, &therapist, with_id.clone())
        .await
        .expect("create");
    let error = create_instrument(&app, &therapist, with_id)
        .await
        .expect_err("taken");
    assert_status(&error, Code::AlreadyExists, "ALREADY_EXISTS");
}

#[tokio::test]
async fn therapists_of_other_clients_and_the_wrong_roles_are_refused() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let assignment = assign(&app, &therapist, &client_id, PHQ9, (7, "2026-03-02"))
        .await
        .expect("assign");
    submitted(&app, &client, PHQ9, "2026-03-02", &[0; 9]).await;

    assert_not_found(
        &results(&app, &stranger, &client_id)
            .await
            .expect_err("stranger"),
    );
    assert_not_found(
        &due(&app, &stranger, &client_id, "")
            .await
            .expect_err("stranger"),
    );
    assert_not_found(
        &assign(&app, &stranger, &client_id, PHQ9, (7, ""))
            .await
            .expect_err("stranger"),
    );
    let cancel = app
        .assessments(&stranger)
        .await
        .cancel_assignment(pb::CancelAssignmentRequest {
            id: assignment.id.clone(),
            version: 0,
        })
        .await
        .expect_err("stranger");
    assert_not_found(&cancel);
    let listed = app
        .assessments(&stranger)
        .await
        .list_assignments(pb::ListAssignmentsRequest {
            client_id: client_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("stranger");
    assert_not_found(&listed);

    // Clients answer, therapists assign.
    let error = assign(&app, &client, &client_id, PHQ9, (7, ""))
        .await
        .expect_err("a client");
    assert_eq!(error.code(), Code::PermissionDenied);
    let error = submit(&app, &therapist, answers(PHQ9, "2026-03-02", &[0; 9]))
        .await
        .expect_err("a therapist");
    assert_eq!(error.code(), Code::PermissionDenied);
    let error = app
        .assessments(&client)
        .await
        .cancel_assignment(pb::CancelAssignmentRequest {
            id: assignment.id,
            version: 0,
        })
        .await
        .expect_err("a client");
    assert_eq!(error.code(), Code::PermissionDenied);
    let error = app
        .assessments(&app.admin_token)
        .await
        .list_instruments(pb::ListInstrumentsRequest::default())
        .await
        .expect_err("an administrator");
    assert_eq!(error.code(), Code::PermissionDenied);
    let error = assign(&app, &therapist, &client_id, PHQ9, (0, ""))
        .await
        .expect_err("every 0 days");
    assert_invalid(&error, &["assignment.every_days"]);
}

#[tokio::test]
async fn a_therapist_reading_results_and_due_dates_is_audited() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    submitted(&app, &client, PHQ9, "2026-03-02", &[0; 9]).await;
    assert_eq!(
        results(&app, &therapist, &client_id)
            .await
            .expect("read")
            .len(),
        1
    );
    due(&app, &therapist, &client_id, "").await.expect("due");
    let methods: Vec<String> = access_events(&app, &client)
        .await
        .into_iter()
        .map(|e| e.method)
        .collect();
    for method in [
        "stepwise.v1.AssessmentService/ListAssessmentResults",
        "stepwise.v1.AssessmentService/ListDueAssessments",
    ] {
        assert!(
            methods.iter().any(|m| m == method),
            "{method} in {methods:?}"
        );
    }
}

#[tokio::test]
async fn results_and_assignments_sync_to_devices_and_answers_are_checked_on_push() {
    let app = TestApp::spawn().await;
    let Team {
        therapist,
        client,
        client_id,
        ..
    } = team(&app).await;
    let assignment = assign(&app, &therapist, &client_id, GAD7, (14, "2026-03-02"))
        .await
        .expect("assign");
    let mut api = sync_api(&app, &client).await;
    let mutation = |id: &str, result: pb::AssessmentResult| pb::Mutation {
        mutation_id: id.into(),
        base_version: 0,
        op: Some(pb::mutation::Op::SubmitAssessmentResult(result)),
    };
    let offline_id = new_id();
    let (outcomes, pushed) = push_outcomes(
        &mut api,
        vec![
            mutation("bad", answers(GAD7, "2026-03-02", &[3, 3, 3, 3, 3, 3, 9])),
            mutation(
                "good",
                pb::AssessmentResult {
                    id: offline_id.clone(),
                    ..answers(GAD7, "2026-03-02", &[1, 1, 1, 1, 1, 1, 1])
                },
            ),
        ],
    )
    .await;
    assert_eq!(
        outcomes,
        [
            (pb::Outcome::Rejected, "INVALID_FIELDS".to_owned()),
            (pb::Outcome::Applied, String::new())
        ]
    );
    let fields: Vec<&str> = pushed[0]
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["result.answers[6]"]);
    let Some(pb::change::Entity::AssessmentResult(stored)) =
        pushed[1].current.as_ref().and_then(|c| c.entity.clone())
    else {
        panic!("the stored result");
    };
    assert_eq!((stored.id.as_str(), stored.total), (offline_id.as_str(), 7));
    assert_eq!(band(&stored), ("Mild".into(), 1));

    // Results cannot be changed, nor deleted.
    let change = pb::Mutation {
        base_version: stored.version,
        ..mutation("change", stored.clone())
    };
    let delete = delete_of(
        "delete",
        stored.version,
        pb::EntityType::AssessmentResult,
        &stored.id,
    );
    let (outcomes, _) = push_outcomes(&mut api, vec![change, delete]).await;
    assert_eq!(
        outcomes,
        [
            (pb::Outcome::Rejected, "INVALID_FIELDS".to_owned()),
            (pb::Outcome::Rejected, "PERMISSION_DENIED".to_owned())
        ]
    );

    let (changes, _) = pull_everything(&mut api).await;
    let kinds: Vec<&str> = changes
        .iter()
        .map(|c| match &c.entity {
            Some(pb::change::Entity::Assignment(a)) => {
                assert_eq!(a.id, assignment.id);
                "assignment"
            }
            Some(pb::change::Entity::AssessmentResult(r)) => {
                assert_eq!(r, &stored);
                "result"
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["assignment", "result"]);
    // The therapist's dashboard pulls the same.
    let (theirs, _) = pull_from_client(&app, &therapist, &client_id).await;
    assert_eq!(theirs, changes);
}

#[tokio::test]
async fn instruments_are_listed_in_pages_of_at_most_ten_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let mut written = Vec::new();
    for _ in 0..12 {
        let created = create_instrument(&app, &therapist, sleep_check())
            .await
            .expect("create");
        written.push(created.id);
    }
    written.sort();
    let list = |size: i32, token: String| {
        let app = &app;
        let therapist = therapist.clone();
        async move {
            let page = app
                .assessments(&therapist)
                .await
                .list_instruments(pb::ListInstrumentsRequest {
                    page_size: size,
                    page_token: token,
                })
                .await
                .expect("list")
                .into_inner();
            let ids: Vec<String> = page.instruments.into_iter().map(|i| i.id).collect();
            (ids, page.next_page_token)
        }
    };
    for size in [0, 3, 1000] {
        let pages = all_pages(|token| list(size, token)).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        let expected = match size {
            3 => vec![3, 3, 3, 3, 2],
            _ => vec![10, 4],
        };
        assert_eq!(sizes, expected, "page_size {size}");
        let ids: Vec<String> = pages.concat();
        assert_eq!(&ids[..2], [GAD7, PHQ9]);
        assert_eq!(ids[2..], written[..], "then the therapist's own, by id");
    }
}
