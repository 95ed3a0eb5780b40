//! The risk workflow: a PHQ-9 answered above 0 on item 9 opens a risk
//! alert, whatever day it is for, by the API or a push; it stays on every
//! linked therapist's summaries (with FLAG_NO_SAFETY_PLAN while the client
//! has no plan) until one of them acknowledges it, across a revoked link;
//! the client's copy of the acknowledgement has no note.

use stepwise::pb;
use tokio_stream::StreamExt;
use tonic::{Code, Response, Status};

use crate::assessments::{PHQ9, answers, submitted};
use crate::care::{accept, access_events, care, invite, links, team};
use crate::devices::{outcome, pull_from_client, push, sync_api};
use crate::helpers::*;

/// Item 9, "thoughts that you would be better off dead", several days.
const AT_RISK: [i32; 9] = [1, 1, 1, 1, 1, 1, 1, 1, 1];
const CALM: [i32; 9] = [1, 1, 1, 1, 1, 1, 1, 1, 0];
const NOTE: &str = "Called Ada: safe tonight, plan reviewed, seen on Monday.";

async fn acknowledge(
    app: &TestApp,
    token: &str,
    client_id: &str,
    action: pb::RiskAction,
    note: &str,
) -> Result<Vec<pb::RiskAlert>, Status> {
    care(app, token)
        .await
        .acknowledge_risk(pb::AcknowledgeRiskRequest {
            client_id: client_id.into(),
            action: action.into(),
            note: note.into(),
        })
        .await
        .map(Response::into_inner)
        .map(|answer| answer.risk_alerts)
}

/// The risk flags of `client_id` on `therapist`'s dashboard (the others,
/// such as FLAG_INACTIVE, are other tests' business), and its severity.
async fn flags_of(
    app: &TestApp,
    therapist: &str,
    client_id: &str,
) -> (Vec<pb::Flag>, pb::SummarySeverity) {
    let summaries = care(app, therapist)
        .await
        .list_client_summaries(pb::ListClientSummariesRequest::default())
        .await
        .expect("summaries")
        .into_inner()
        .client_summaries;
    let summary = summaries
        .into_iter()
        .find(|s| s.client_id == client_id)
        .expect("the client is on the dashboard");
    (
        summary
            .flags
            .iter()
            .map(|f| pb::Flag::try_from(*f).expect("known"))
            .filter(|f| matches!(f, pb::Flag::SelfHarmRisk | pb::Flag::NoSafetyPlan))
            .collect(),
        pb::SummarySeverity::try_from(summary.severity).expect("known"),
    )
}

/// The risk alerts among a pull from scratch of `client_id` as `token`.
async fn pulled_alerts(app: &TestApp, token: &str, client_id: &str) -> Vec<pb::RiskAlert> {
    let (changes, _) = pull_from_client(app, token, client_id).await;
    changes
        .into_iter()
        .filter_map(|change| match change.entity {
            Some(pb::change::Entity::RiskAlert(alert)) => Some(alert),
            _ => None,
        })
        .collect()
}

async fn link_another_therapist(app: &TestApp, client: &str, name: &str) -> (String, String) {
    let (account, therapist) = app.create_account(pb::Role::Therapist, name).await;
    let code = invite(app, &therapist).await.code;
    accept(app, client, &code).await.expect("accept");
    (account.id, therapist)
}

#[tokio::test]
async fn a_late_backdated_self_harm_answer_stays_on_every_dashboard_until_a_therapist_acknowledges_it()
 {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (second_id, second) = link_another_therapist(&app, &team.client, "Dr. Bo").await;
    // A calm answer for today, then, late, one about last week that reports
    // thoughts of self-harm: the latest result by date is the calm one.
    submitted(&app, &team.client, PHQ9, "2026-03-16", &CALM).await;
    let late = submitted(&app, &team.client, PHQ9, "2026-03-09", &AT_RISK).await;
    for therapist in [&team.therapist, &second] {
        assert_eq!(
            flags_of(&app, therapist, &team.client_id).await,
            (
                vec![pb::Flag::SelfHarmRisk, pb::Flag::NoSafetyPlan],
                pb::SummarySeverity::Critical
            )
        );
    }
    // Another calm answer later closes nothing.
    submitted(&app, &team.client, PHQ9, "2026-03-23", &CALM).await;
    // A safety plan takes FLAG_NO_SAFETY_PLAN away, not the risk.
    crate::safety_plan::save(
        &app,
        &team.therapist,
        pb::SafetyPlan {
            client_id: team.client_id.clone(),
            ..crate::safety_plan::first_plan("Feeling trapped")
        },
        &[],
    )
    .await
    .expect("plan");
    assert_eq!(
        flags_of(&app, &second, &team.client_id).await,
        (vec![pb::Flag::SelfHarmRisk], pb::SummarySeverity::Critical)
    );

    let closed = acknowledge(
        &app,
        &team.therapist,
        &team.client_id,
        pb::RiskAction::ReviewedSafetyPlan,
        &format!("  {NOTE}  "),
    )
    .await
    .expect("acknowledge");
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].result_id, late.id);
    assert_eq!(closed[0].result_date, "2026-03-09");
    let acknowledgement = closed[0].acknowledgement.clone().expect("acknowledged");
    assert_eq!(
        (
            acknowledgement.therapist_id.as_str(),
            acknowledgement.action,
            acknowledgement.note.as_str()
        ),
        (
            team.therapist_id.as_str(),
            pb::RiskAction::ReviewedSafetyPlan as i32,
            NOTE
        )
    );
    assert!(acknowledgement.acknowledge_time.is_some());
    // One acknowledgement closes it for both therapists.
    for therapist in [&team.therapist, &second] {
        let (flags, severity) = flags_of(&app, therapist, &team.client_id).await;
        assert!(!flags.contains(&pb::Flag::SelfHarmRisk), "{flags:?}");
        assert_ne!(severity, pb::SummarySeverity::Critical);
    }
    let again = acknowledge(
        &app,
        &second,
        &team.client_id,
        pb::RiskAction::ContactedClient,
        "",
    )
    .await
    .expect_err("nothing open");
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(reason(&again), "NO_OPEN_RISK_ALERT");

    // Therapists' replicas carry the note; the client's copy does not.
    let theirs = pulled_alerts(&app, &second, &team.client_id).await;
    assert_eq!(theirs, closed);
    let own = pulled_alerts(&app, &team.client, "").await;
    assert_eq!(own.len(), 1);
    let own_acknowledgement = own[0].acknowledgement.clone().expect("acknowledged");
    assert_eq!(own_acknowledgement.note, "");
    assert_eq!(
        own_acknowledgement.action,
        pb::RiskAction::ReviewedSafetyPlan as i32
    );
    assert!(!format!("{own:?}").contains(NOTE));
    let mut export = app
        .accounts(&team.client)
        .await
        .export_data(pb::ExportDataRequest {
            account_id: team.client_id.clone(),
        })
        .await
        .expect("export")
        .into_inner();
    let mut exported = Vec::new();
    while let Some(item) = export.next().await {
        exported.push(item.expect("item"));
    }
    assert!(
        exported.iter().any(|item| matches!(
            &item.item,
            Some(pb::export_data_response::Item::Record(pb::Change {
                entity: Some(pb::change::Entity::RiskAlert(_))
            }))
        )),
        "the export holds the alert"
    );
    assert!(!format!("{exported:?}").contains(NOTE), "but not the note");
    // The acknowledgement is in the client's audit trail
    let acknowledged_by: Vec<String> = access_events(&app, &team.client)
        .await
        .into_iter()
        .filter(|e| e.method == "stepwise.v1.CareService/AcknowledgeRisk")
        .map(|e| e.therapist_id)
        .collect();
    // (the second therapist's attempt too: it told them no alert was open).
    assert_eq!(acknowledged_by, [team.therapist_id.clone(), second_id]);

    // A new answer above 0 opens a new alert.
    submitted(&app, &team.client, PHQ9, "2026-03-30", &AT_RISK).await;
    assert_eq!(
        flags_of(&app, &team.therapist, &team.client_id).await.0[0],
        pb::Flag::SelfHarmRisk
    );
}

#[tokio::test]
async fn only_a_linked_therapist_acknowledges_and_an_alert_outlives_a_revoked_link() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    assert_eq!(
        acknowledge(
            &app,
            &team.therapist,
            &team.client_id,
            pb::RiskAction::Escalated,
            ""
        )
        .await
        .expect_err("no alert")
        .code(),
        Code::FailedPrecondition
    );
    submitted(&app, &team.client, PHQ9, "2026-03-02", &AT_RISK).await;
    for (who, token) in [
        ("the client", &team.client),
        ("an unlinked therapist", &stranger),
    ] {
        let refused = acknowledge(&app, token, &team.client_id, pb::RiskAction::Escalated, "")
            .await
            .expect_err(who);
        assert_eq!(refused.code(), Code::PermissionDenied, "{who}");
    }
    // Bad input names its fields and closes nothing.
    let bad = acknowledge(
        &app,
        &team.therapist,
        &team.client_id,
        pb::RiskAction::Unspecified,
        &"x".repeat(2001),
    )
    .await
    .expect_err("bad");
    assert_invalid(&bad, &["action", "note"]);

    // The client leaves this therapist before anyone acknowledged it.
    let link = links(&app, &team.client).await.remove(0);
    care(&app, &team.client)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest { id: link.id })
        .await
        .expect("revoke");
    let revoked = acknowledge(
        &app,
        &team.therapist,
        &team.client_id,
        pb::RiskAction::Escalated,
        "",
    )
    .await
    .expect_err("revoked");
    assert_eq!(revoked.code(), Code::PermissionDenied);
    // The next therapist sees it, and closes it.
    let (_, next) = link_another_therapist(&app, &team.client, "Dr. Bo").await;
    assert_eq!(
        flags_of(&app, &next, &team.client_id).await.1,
        pb::SummarySeverity::Critical
    );
    let closed = acknowledge(
        &app,
        &next,
        &team.client_id,
        pb::RiskAction::ContactedClient,
        "",
    )
    .await
    .expect("acknowledge");
    assert_eq!(closed.len(), 1);
    assert_ne!(
        flags_of(&app, &next, &team.client_id).await.1,
        pb::SummarySeverity::Critical
    );
}

#[tokio::test]
async fn a_self_harm_answer_pushed_from_a_device_opens_an_alert_too() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let mut watch = care(&app, &team.therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner();
    let mut phone = sync_api(&app, &team.client).await;
    let results = phone
        .push(push(
            "phone",
            vec![pb::Mutation {
                mutation_id: "phq9-offline".into(),
                base_version: 0,
                op: Some(pb::mutation::Op::SubmitAssessmentResult(answers(
                    PHQ9,
                    "2026-03-02",
                    &AT_RISK,
                ))),
            }],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&results[0]), pb::Outcome::Applied);
    // The watching dashboard receives the alert as it opens.
    let delivered = loop {
        let event = watch.next().await.expect("event").expect("ok");
        if let Some(pb::watch_clients_response::Event::Change(pb::Change {
            entity: Some(pb::change::Entity::RiskAlert(alert)),
        })) = event.event
        {
            break alert;
        }
    };
    let alerts = pulled_alerts(&app, &team.therapist, &team.client_id).await;
    assert_eq!(alerts, vec![delivered]);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].acknowledgement.is_none());
    assert_eq!(
        flags_of(&app, &team.therapist, &team.client_id).await.0[0],
        pb::Flag::SelfHarmRisk
    );
    // Nobody deletes an alert, not even the client's device.
    let deleted = phone
        .push(push(
            "phone",
            vec![crate::devices::delete_of(
                "drop-alert",
                alerts[0].version,
                pb::EntityType::RiskAlert,
                &alerts[0].id,
            )],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&deleted[0]), pb::Outcome::Rejected);
    assert_eq!(pulled_alerts(&app, &team.client, "").await.len(), 1);
}
