//! Journal entries, the kind added by following docs/adding-a-record-kind.md:
//! writing and revising them, bad input, privacy (a private entry reaches
//! no therapist on any path, a shared one reaches them everywhere), sync
//! between devices, export (erasure: erasure.rs).

use stepwise::pb;
use stepwise::pb::journal_service_client::JournalServiceClient;
use tokio_stream::StreamExt;
use tonic::{Code, Response, Status};

use crate::care::{care, team};
use crate::devices::{outcome, pull_from_client, push, sync_api};
use crate::helpers::*;

/// Text only a private entry holds: it must appear in nothing a therapist
/// receives.
const SECRET: &str = "SECRET-journal-never-for-the-therapist";

async fn journal(app: &TestApp, token: &str) -> JournalServiceClient<Authed> {
    JournalServiceClient::new(app.authed(token).await)
}

/// An entry on `date` saying `text`.
fn entry(date: &str, text: &str) -> pb::JournalEntry {
    pb::JournalEntry {
        local_date: date.into(),
        text: text.into(),
        ..Default::default()
    }
}

pub(crate) async fn create(
    app: &TestApp,
    token: &str,
    entry: pb::JournalEntry,
) -> Result<pb::JournalEntry, Status> {
    journal(app, token)
        .await
        .create_journal_entry(pb::CreateJournalEntryRequest {
            journal_entry: Some(entry),
        })
        .await
        .map(Response::into_inner)
}

async fn get(app: &TestApp, token: &str, id: &str) -> Result<pb::JournalEntry, Status> {
    journal(app, token)
        .await
        .get_journal_entry(pb::GetJournalEntryRequest { id: id.into() })
        .await
        .map(Response::into_inner)
}

async fn list(
    app: &TestApp,
    token: &str,
    client_id: &str,
    (start, end): (&str, &str),
) -> Vec<pb::JournalEntry> {
    let page = journal(app, token)
        .await
        .list_journal_entries(pb::ListJournalEntriesRequest {
            client_id: client_id.into(),
            start_date: start.into(),
            end_date: end.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_inner();
    assert!(page.next_page_token.is_empty());
    page.journal_entries
}

async fn update(
    app: &TestApp,
    token: &str,
    entry: pb::JournalEntry,
    paths: &[&str],
) -> Result<pb::JournalEntry, Status> {
    journal(app, token)
        .await
        .update_journal_entry(pb::UpdateJournalEntryRequest {
            journal_entry: Some(entry),
            update_mask: mask(paths),
        })
        .await
        .map(Response::into_inner)
}

async fn delete(app: &TestApp, token: &str, id: &str, version: i64) -> Result<(), Status> {
    journal(app, token)
        .await
        .delete_journal_entry(pb::DeleteJournalEntryRequest {
            id: id.into(),
            version,
        })
        .await
        .map(Response::into_inner)
}

#[tokio::test]
async fn a_client_writes_reads_lists_revises_and_deletes_journal_entries() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let first = create(
        &app,
        &client,
        pb::JournalEntry {
            mood: Some(4),
            ..entry("2026-03-02", "  Argued with my sister; felt small.  ")
        },
    )
    .await
    .expect("create");
    assert_eq!(
        (first.text.as_str(), first.mood, first.shared),
        ("Argued with my sister; felt small.", Some(4), false),
        "trimmed, mood kept, private by default"
    );
    assert!(first.version > 0 && !first.id.is_empty());
    let second = create(&app, &client, entry("2026-03-05", "Walked by the river."))
        .await
        .expect("create");
    assert_eq!(second.mood, None);
    assert_eq!(get(&app, &client, &first.id).await.expect("get"), first);
    assert_eq!(
        list(&app, &client, "", ("", "")).await,
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        list(&app, &client, "", ("2026-03-03", "")).await,
        vec![second.clone()]
    );

    let revised = update(
        &app,
        &client,
        pb::JournalEntry {
            mood: Some(6),
            text: "ignored: not in the mask".into(),
            ..first.clone()
        },
        &["mood"],
    )
    .await
    .expect("update");
    assert_eq!(
        (revised.mood, revised.text.as_str()),
        (Some(6), first.text.as_str())
    );
    assert!(revised.version > first.version);
    let stale = update(&app, &client, first.clone(), &["mood"])
        .await
        .expect_err("stale version");
    assert_eq!(stale.code(), Code::Aborted);

    delete(&app, &client, &first.id, revised.version)
        .await
        .expect("delete");
    assert_not_found(&get(&app, &client, &first.id).await.expect_err("gone"));
    assert_eq!(list(&app, &client, "", ("", "")).await, vec![second]);
}

#[tokio::test]
async fn a_bad_entry_names_every_bad_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let error = create(
        &app,
        &client,
        pb::JournalEntry {
            mood: Some(11),
            ..entry("2026-02-30", "   ")
        },
    )
    .await
    .expect_err("bad");
    assert_invalid(
        &error,
        &[
            "journal_entry.local_date",
            "journal_entry.mood",
            "journal_entry.text",
        ],
    );
    let too_long = create(&app, &client, entry("2026-03-01", &"ü".repeat(8001)))
        .await
        .expect_err("too long");
    assert_invalid(&too_long, &["journal_entry.text"]);
    assert!(list(&app, &client, "", ("", "")).await.is_empty());

    let kept = create(&app, &client, entry("2026-03-01", "Fine"))
        .await
        .expect("create");
    let error = update(
        &app,
        &client,
        pb::JournalEntry {
            mood: Some(-1),
            ..kept.clone()
        },
        &["mood", "colour"],
    )
    .await
    .expect_err("bad update");
    assert_invalid(&error, &["journal_entry.mood", "update_mask"]);
    assert_eq!(get(&app, &client, &kept.id).await.expect("get"), kept);
}

#[tokio::test]
async fn a_private_entry_reaches_no_therapist_and_a_shared_one_reaches_them_everywhere() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let private = create(&app, &team.client, entry("2026-03-02", SECRET))
        .await
        .expect("private");
    let shared = create(
        &app,
        &team.client,
        pb::JournalEntry {
            shared: true,
            mood: Some(3),
            ..entry("2026-03-03", "Hard week at work; I want to talk about it.")
        },
    )
    .await
    .expect("shared");

    // Unary reads.
    assert_not_found(
        &get(&app, &team.therapist, &private.id)
            .await
            .expect_err("private"),
    );
    assert_eq!(
        get(&app, &team.therapist, &shared.id)
            .await
            .expect("shared"),
        shared
    );
    assert_eq!(
        list(&app, &team.therapist, &team.client_id, ("", "")).await,
        vec![shared.clone()]
    );
    // A pull from scratch.
    let (pulled, _) = pull_from_client(&app, &team.therapist, &team.client_id).await;
    assert!(!format!("{pulled:?}").contains(SECRET));
    assert_eq!(
        pulled.iter().map(kind_and_id).collect::<Vec<_>>(),
        vec![("journal entry", shared.id.as_str())]
    );
    // The pre-session digest.
    let digest = care(&app, &team.therapist)
        .await
        .get_session_digest(pb::GetSessionDigestRequest {
            client_id: team.client_id.clone(),
            since_time: None,
        })
        .await
        .expect("digest")
        .into_inner();
    assert!(!format!("{digest:?}").contains(SECRET));
    assert_eq!(digest.journal_entries, vec![shared.clone()]);

    // Only the client writes a journal; a shared entry stays shared.
    let refused = create(
        &app,
        &team.therapist,
        entry("2026-03-04", "From the therapist"),
    )
    .await
    .expect_err("therapists write no journal");
    assert_eq!(refused.code(), Code::PermissionDenied);
    let unshared = update(
        &app,
        &team.client,
        pb::JournalEntry {
            shared: false,
            ..shared.clone()
        },
        &["shared"],
    )
    .await
    .expect_err("stays shared");
    assert_invalid(&unshared, &["journal_entry.shared"]);
    // Sharing the private one later hands it to the therapist.
    update(
        &app,
        &team.client,
        pb::JournalEntry {
            shared: true,
            ..private.clone()
        },
        &["shared"],
    )
    .await
    .expect("share");
    assert_eq!(
        list(&app, &team.therapist, &team.client_id, ("", ""))
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_journal_entry_pushed_offline_syncs_once_and_a_replay_answers_the_same() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let mut phone = sync_api(&app, &client).await;
    let mutation = pb::Mutation {
        mutation_id: "m-1".into(),
        base_version: 0,
        op: Some(pb::mutation::Op::UpsertJournalEntry(pb::JournalEntry {
            id: "0199a000-0000-7000-8000-0000000000e1".into(),
            mood: Some(8),
            ..entry("2026-03-06", "Written on the train, offline.")
        })),
    };
    let first = phone
        .push(push("phone", vec![mutation.clone()]))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&first[0]), pb::Outcome::Applied);
    let again = phone
        .push(push("phone", vec![mutation]))
        .await
        .expect("replay")
        .into_inner()
        .results;
    assert_eq!(again, first);
    let listed = list(&app, &client, "", ("", "")).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].mood),
        ("0199a000-0000-7000-8000-0000000000e1", Some(8))
    );
    // Bad content is rejected with its fields, and nothing is written.
    let bad = phone
        .push(push(
            "phone",
            vec![pb::Mutation {
                mutation_id: "m-2".into(),
                base_version: 0,
                op: Some(pb::mutation::Op::UpsertJournalEntry(pb::JournalEntry {
                    mood: Some(12),
                    ..entry("2026-03-07", "x")
                })),
            }],
        ))
        .await
        .expect("push")
        .into_inner()
        .results;
    assert_eq!(outcome(&bad[0]), pb::Outcome::Rejected);
    assert_eq!(
        bad[0]
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect::<Vec<_>>(),
        ["journal_entry.mood"]
    );
    assert_eq!(list(&app, &client, "", ("", "")).await.len(), 1);
}

#[tokio::test]
async fn a_clients_export_holds_their_journal() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let written = create(&app, &team.client, entry("2026-03-02", SECRET))
        .await
        .expect("create");
    let mut stream = app
        .accounts(&team.client)
        .await
        .export_data(pb::ExportDataRequest {
            account_id: team.client_id.clone(),
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
    assert_eq!(
        exported.iter().map(kind_and_id).collect::<Vec<_>>(),
        vec![("journal entry", written.id.as_str())]
    );

    // Erasure takes every kind alike (see erasure.rs, whose client keeps a
    // journal entry too).
}
