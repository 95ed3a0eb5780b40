//! Safety plans (Stanley & Brown's Safety Planning Intervention), a kind
//! added by following docs/adding-a-record-kind.md, with a history: the
//! client and their therapist write one plan together, every saved version
//! is kept, and a save that another came before is a conflict, never an
//! overwrite (by the API and by two devices offline). Bad input, privacy
//! and audit, sync and export; erasure: erasure.rs.

use stepwise::pb;
use stepwise::pb::safety_plan_service_client::SafetyPlanServiceClient;
use stepwise::pb::watch_clients_response::Event;
use tokio_stream::StreamExt;
use tonic::{Code, Response, Status};

use crate::care::{access_events, care, links, team};
use crate::devices::{outcome, pull_from_client, push, sync_api};
use crate::helpers::*;

async fn plans(app: &TestApp, token: &str) -> SafetyPlanServiceClient<Authed> {
    SafetyPlanServiceClient::new(app.authed(token).await)
}

pub(crate) async fn get(
    app: &TestApp,
    token: &str,
    client_id: &str,
) -> Result<pb::SafetyPlan, Status> {
    plans(app, token)
        .await
        .get_safety_plan(pb::GetSafetyPlanRequest {
            client_id: client_id.into(),
        })
        .await
        .map(Response::into_inner)
}

/// Saves `plan` (its `client_id` and base `revision` set) with the
/// sections of `paths` changed.
pub(crate) async fn save(
    app: &TestApp,
    token: &str,
    plan: pb::SafetyPlan,
    paths: &[&str],
) -> Result<pb::SafetyPlan, Status> {
    plans(app, token)
        .await
        .update_safety_plan(pb::UpdateSafetyPlanRequest {
            safety_plan: Some(plan),
            update_mask: mask(paths),
        })
        .await
        .map(Response::into_inner)
}

async fn versions(app: &TestApp, token: &str, client_id: &str) -> Vec<pb::SafetyPlan> {
    let page = plans(app, token)
        .await
        .list_safety_plan_versions(pb::ListSafetyPlanVersionsRequest {
            client_id: client_id.into(),
            ..Default::default()
        })
        .await
        .expect("list versions")
        .into_inner();
    assert!(page.next_page_token.is_empty());
    page.safety_plans
}

fn texts(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn contact(name: &str, phone: &str) -> pb::SafetyPlanContact {
    pb::SafetyPlanContact {
        name: name.into(),
        phone: phone.into(),
    }
}

/// A first plan with every section filled in, as a client and therapist
/// would write it in a session.
pub(crate) fn first_plan(warning_sign: &str) -> pb::SafetyPlan {
    pb::SafetyPlan {
        warning_signs: texts(&[warning_sign, "Not sleeping"]),
        coping_strategies: texts(&["Go for a run", "Play the guitar"]),
        distractions: vec![
            contact("Coffee shop on Main Street", ""),
            contact("Sam", "555-0101"),
        ],
        people_to_ask: vec![contact("My sister Mia", "+1 (555) 010-2020")],
        professionals: vec![pb::SafetyPlanAgency {
            name: "988 Suicide & Crisis Lifeline".into(),
            phone: "988".into(),
            hours: "24/7".into(),
        }],
        safe_environment: texts(&["Give the pills to Mia to keep"]),
        reasons_for_living: texts(&["My daughter"]),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_client_and_their_therapist_write_one_plan_together_and_every_version_is_kept() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    assert_not_found(&get(&app, &team.client, "").await.expect_err("no plan yet"));

    let first = save(&app, &team.client, first_plan("  Feeling trapped  "), &[])
        .await
        .expect("first plan");
    assert_eq!(first.revision, 1);
    assert_eq!(
        first.warning_signs,
        texts(&["Feeling trapped", "Not sleeping"]),
        "trimmed"
    );
    assert_eq!(first.client_id, team.client_id);
    assert_eq!(first.saved_by, team.client_id);
    assert_eq!(
        get(&app, &team.therapist, &team.client_id)
            .await
            .expect("get"),
        first
    );

    // In the next session the therapist adds a reason for living; the rest
    // of the plan stays as the client wrote it.
    let second = save(
        &app,
        &team.therapist,
        pb::SafetyPlan {
            client_id: team.client_id.clone(),
            revision: first.revision,
            reasons_for_living: texts(&["My daughter", "Finishing my degree"]),
            warning_signs: texts(&["not in the mask"]),
            ..Default::default()
        },
        &["reasons_for_living"],
    )
    .await
    .expect("therapist edits");
    assert_eq!(second.revision, 2);
    assert_eq!(second.saved_by, team.therapist_id);
    assert_ne!(second.id, first.id);
    assert_eq!(
        second,
        pb::SafetyPlan {
            reasons_for_living: texts(&["My daughter", "Finishing my degree"]),
            id: second.id.clone(),
            revision: 2,
            saved_by: team.therapist_id.clone(),
            save_time: second.save_time,
            version: second.version,
            ..first.clone()
        }
    );
    assert_eq!(get(&app, &team.client, "").await.expect("current"), second);
    assert_eq!(
        versions(&app, &team.client, "").await,
        vec![second.clone(), first.clone()],
        "newest first, each with who saved it"
    );

    // The client edits the plan they read before the therapist's save: a
    // conflict, and the therapist's version stays current.
    let stale = save(
        &app,
        &team.client,
        pb::SafetyPlan {
            revision: first.revision,
            coping_strategies: texts(&["Call Mia"]),
            ..Default::default()
        },
        &["coping_strategies"],
    )
    .await
    .expect_err("stale revision");
    assert_eq!(stale.code(), Code::Aborted);
    let again_first = save(
        &app,
        &team.therapist,
        pb::SafetyPlan {
            client_id: team.client_id.clone(),
            ..first_plan("another first plan")
        },
        &[],
    )
    .await
    .expect_err("a second first plan");
    assert_eq!(again_first.code(), Code::Aborted);
    assert_eq!(get(&app, &team.client, "").await.expect("current"), second);
    assert_eq!(
        versions(&app, &team.therapist, &team.client_id).await.len(),
        2
    );
}

#[tokio::test]
async fn a_bad_plan_names_every_bad_entry_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let error = save(
        &app,
        &client,
        pb::SafetyPlan {
            warning_signs: texts(&["Feeling trapped", "   "]),
            coping_strategies: vec!["x".into(); 11],
            people_to_ask: vec![contact("Mia", &"5".repeat(33)), contact("", "555")],
            professionals: vec![pb::SafetyPlanAgency {
                name: "Clinic".into(),
                phone: "call the front desk".into(),
                hours: "h".repeat(101),
            }],
            reasons_for_living: vec!["ü".repeat(301)],
            revision: -1,
            ..first_plan("x")
        },
        &[
            "warning_signs",
            "coping_strategies",
            "people_to_ask",
            "professionals",
            "reasons_for_living",
            "mood",
        ],
    )
    .await
    .expect_err("bad plan");
    assert_invalid(
        &error,
        &[
            "safety_plan.revision",
            "safety_plan.warning_signs[1]",
            "safety_plan.coping_strategies",
            "safety_plan.people_to_ask[0].phone",
            "safety_plan.people_to_ask[1].name",
            "safety_plan.professionals[0].phone",
            "safety_plan.professionals[0].hours",
            "safety_plan.reasons_for_living[0]",
            "update_mask",
        ],
    );
    assert_not_found(&get(&app, &client, "").await.expect_err("nothing saved"));
    let phone_too_long = save(
        &app,
        &client,
        pb::SafetyPlan {
            professionals: vec![pb::SafetyPlanAgency {
                name: "Crisis line".into(),
                phone: "1".repeat(33),
                hours: String::new(),
            }],
            ..first_plan("x")
        },
        &[],
    )
    .await
    .expect_err("phone over its limit");
    assert_invalid(&phone_too_long, &["safety_plan.professionals[0].phone"]);
    assert!(versions(&app, &client, "").await.is_empty());
}

#[tokio::test]
async fn only_the_client_and_linked_therapists_see_or_write_the_plan_and_each_therapist_read_is_audited()
 {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let plan = save(&app, &team.client, first_plan("Feeling trapped"), &[])
        .await
        .expect("plan");
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    assert_not_found(
        &get(&app, &stranger, &team.client_id)
            .await
            .expect_err("unlinked"),
    );
    let refused = save(
        &app,
        &stranger,
        pb::SafetyPlan {
            client_id: team.client_id.clone(),
            revision: 1,
            ..first_plan("x")
        },
        &[],
    )
    .await
    .expect_err("unlinked writes nothing");
    assert_not_found(&refused);

    // The therapist receives the plan whole on every path.
    let mut watch = care(&app, &team.therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner();
    get(&app, &team.therapist, &team.client_id)
        .await
        .expect("get");
    versions(&app, &team.therapist, &team.client_id).await;
    let (pulled, _) = pull_from_client(&app, &team.therapist, &team.client_id).await;
    let pulled: Vec<_> = pulled
        .into_iter()
        .filter_map(|change| match change.entity {
            Some(pb::change::Entity::SafetyPlan(plan)) => Some(plan),
            _ => None,
        })
        .collect();
    assert_eq!(pulled, vec![plan.clone()]);
    let second = save(
        &app,
        &team.client,
        pb::SafetyPlan {
            revision: 1,
            warning_signs: texts(&["Drinking alone"]),
            ..Default::default()
        },
        &["warning_signs"],
    )
    .await
    .expect("second");
    let delivered = loop {
        let event = watch.next().await.expect("event").expect("ok");
        if let Some(Event::Change(pb::Change {
            entity: Some(pb::change::Entity::SafetyPlan(plan)),
        })) = event.event
        {
            break plan;
        }
    };
    assert_eq!(delivered, second);

    let methods: Vec<String> = access_events(&app, &team.client)
        .await
        .into_iter()
        .filter(|e| e.therapist_id == team.therapist_id)
        .map(|e| e.method)
        .collect();
    for read in [
        "stepwise.v1.SafetyPlanService/GetSafetyPlan",
        "stepwise.v1.SafetyPlanService/ListSafetyPlanVersions",
        "stepwise.v1.SyncService/Pull",
    ] {
        assert!(methods.iter().any(|m| m == read), "{read} in {methods:?}");
    }

    // A revoked link ends it.
    let link = links(&app, &team.client).await.remove(0);
    care(&app, &team.client)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest { id: link.id })
        .await
        .expect("revoke");
    assert_not_found(
        &get(&app, &team.therapist, &team.client_id)
            .await
            .expect_err("revoked"),
    );
}

fn upsert(mutation_id: &str, plan: pb::SafetyPlan) -> pb::Mutation {
    pb::Mutation {
        mutation_id: mutation_id.into(),
        base_version: 0,
        op: Some(pb::mutation::Op::UpsertSafetyPlan(plan)),
    }
}

#[tokio::test]
async fn two_devices_creating_a_plan_offline_conflict_instead_of_making_two_plans() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let mut phone = sync_api(&app, &client).await;
    let mut tablet = sync_api(&app, &client).await;
    let on_phone = upsert(
        "phone-1",
        pb::SafetyPlan {
            id: "0199a000-0000-7000-8000-0000000000a1".into(),
            revision: 1,
            ..first_plan("Written on the phone")
        },
    );
    let applied = phone
        .push(push("phone", vec![on_phone.clone()]))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&applied[0]), pb::Outcome::Applied);

    let on_tablet = upsert(
        "tablet-1",
        pb::SafetyPlan {
            id: "0199a000-0000-7000-8000-0000000000b1".into(),
            revision: 1,
            ..first_plan("Written on the tablet")
        },
    );
    let conflict = tablet
        .push(push("tablet", vec![on_tablet.clone()]))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&conflict[0]), pb::Outcome::Conflict);
    match &conflict[0].current {
        Some(pb::Change {
            entity: Some(pb::change::Entity::SafetyPlan(current)),
        }) => assert_eq!(current.warning_signs[0], "Written on the phone"),
        other => panic!("expected the phone's plan, got {other:?}"),
    }
    // A replay answers the same; the server still has one plan.
    let replayed = tablet
        .push(push("tablet", vec![on_tablet]))
        .await
        .expect("replay")
        .into_inner()
        .results;
    assert_eq!(replayed, conflict);
    let again = phone
        .push(push("phone", vec![on_phone]))
        .await
        .expect("replay")
        .into_inner()
        .results;
    assert_eq!(again, applied);
    let kept = versions(&app, &client, "").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].warning_signs[0], "Written on the phone");

    // The tablet merges its edit into the phone's plan and saves revision 2.
    let merged = tablet
        .push(push(
            "tablet",
            vec![upsert(
                "tablet-2",
                pb::SafetyPlan {
                    id: "0199a000-0000-7000-8000-0000000000b2".into(),
                    revision: 2,
                    ..first_plan("Written on the tablet")
                },
            )],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&merged[0]), pb::Outcome::Applied);
    // A saved version never changes, and bad entries are rejected by name.
    let changed = phone
        .push(push(
            "phone",
            vec![pb::Mutation {
                base_version: kept[0].version,
                ..upsert(
                    "phone-2",
                    pb::SafetyPlan {
                        id: kept[0].id.clone(),
                        revision: 1,
                        ..first_plan("Rewritten")
                    },
                )
            }],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&changed[0]), pb::Outcome::Rejected);
    let bad = phone
        .push(push(
            "phone",
            vec![upsert(
                "phone-3",
                pb::SafetyPlan {
                    revision: 3,
                    people_to_ask: vec![contact("Mia", &"5".repeat(40))],
                    ..first_plan("")
                },
            )],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&bad[0]), pb::Outcome::Rejected);
    let no_revision = phone
        .push(push(
            "phone",
            vec![upsert(
                "phone-4",
                pb::SafetyPlan {
                    revision: 0,
                    ..first_plan("x")
                },
            )],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&no_revision[0]), pb::Outcome::Rejected);
    assert_eq!(
        no_revision[0].field_violations[0].field,
        "safety_plan.revision"
    );
    let mut fields: Vec<&str> = bad[0]
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "safety_plan.people_to_ask[0].phone",
            "safety_plan.warning_signs[0]"
        ]
    );

    // A pull from scratch brings every version; the current is the highest
    // revision.
    let (pulled, _) = pull_from_client(&app, &client, "").await;
    let mut revisions: Vec<(i64, String)> = pulled
        .into_iter()
        .filter_map(|change| match change.entity {
            Some(pb::change::Entity::SafetyPlan(plan)) => {
                Some((plan.revision, plan.warning_signs[0].clone()))
            }
            _ => None,
        })
        .collect();
    revisions.sort();
    assert_eq!(
        revisions,
        [
            (1, "Written on the phone".to_owned()),
            (2, "Written on the tablet".to_owned())
        ]
    );
    assert_eq!(get(&app, &client, "").await.expect("current").revision, 2);
}

#[tokio::test]
async fn a_clients_export_holds_every_version_of_their_plan() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let first = save(&app, &client, first_plan("Feeling trapped"), &[])
        .await
        .expect("first");
    let second = save(
        &app,
        &client,
        pb::SafetyPlan {
            revision: 1,
            safe_environment: texts(&["No car keys after midnight"]),
            ..Default::default()
        },
        &["safe_environment"],
    )
    .await
    .expect("second");
    let account = current_account(&app, &client).await.expect("me");
    let mut stream = app
        .accounts(&client)
        .await
        .export_data(pb::ExportDataRequest {
            account_id: account.id,
        })
        .await
        .expect("export")
        .into_inner();
    let mut exported = Vec::new();
    while let Some(message) = stream.next().await {
        if let Some(pb::export_data_response::Item::Record(change)) = message.expect("item").item {
            exported.push(change);
        }
    }
    let mut ids: Vec<_> = exported.iter().map(kind_and_id).collect();
    ids.sort();
    let mut expected = vec![
        ("safety plan", first.id.as_str()),
        ("safety plan", second.id.as_str()),
    ];
    expected.sort();
    assert_eq!(ids, expected);
}
