//! Clients' text at rest, and erasure: text sealed with a key per client,
//! never on disk in plain nor in backups; DeleteAccount erases everything
//! of a client, ends every device's and therapist's access, and leaves a
//! receipt.

use std::path::{Path, PathBuf};

use stepwise::config::ServeConfig;
use stepwise::pb;
use stepwise::pb::watch_clients_response::Event;
use stepwise::server::Server;
use stepwise::store::kv::seal::MASTER_KEY_FILE;
use tonic::{Code, Status};

use crate::backup::{restore_store, take_backup};
use crate::care::{access_events, team};
use crate::devices::{pull_everything, sync_api};
use crate::helpers::*;
use crate::stream_access::{next_event, watch};
use crate::tokens::{device_token, stream_end, subscription};

/// Text no other test writes, so finding it means finding this test's.
const TITLE_MARKER: &str = "Zebra-crossing-title-7f3a";
const NOTE_MARKER: &str = "Quokka-note-c41e";
const WHY_MARKER: &str = "Narwhal-why-9b2d";

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The files under `dir` (or the file `dir`) whose bytes hold `marker`.
fn files_holding(path: &Path, marker: &str) -> Vec<PathBuf> {
    let files = if path.is_dir() {
        files_under(path)
    } else {
        vec![path.to_owned()]
    };
    files
        .into_iter()
        .filter(|file| {
            let bytes = std::fs::read(file).expect("read file");
            bytes
                .windows(marker.len())
                .any(|window| window == marker.as_bytes())
        })
        .collect()
}

/// A client with a goal whose title, why and check-in note are markers;
/// the goal was also edited by a push, whose kept answer holds them too.
async fn client_with_markers(app: &TestApp) -> (String, pb::Goal, pb::CheckIn) {
    let client = app.new_client("Ada").await;
    let goal = try_create_goal(
        app,
        &client,
        pb::Goal {
            why: WHY_MARKER.into(),
            ..goal(TITLE_MARKER)
        },
    )
    .await
    .expect("create goal");
    crate::journal::create(
        app,
        &client,
        pb::JournalEntry {
            local_date: "2026-03-02".into(),
            text: format!("{NOTE_MARKER} in the journal"),
            ..Default::default()
        },
    )
    .await
    .expect("journal entry");
    // A phone number is text the client wrote too: sealed like the rest.
    crate::safety_plan::save(
        app,
        &client,
        pb::SafetyPlan {
            people_to_ask: vec![pb::SafetyPlanContact {
                name: format!("{NOTE_MARKER} in the safety plan"),
                phone: "555-0199".into(),
            }],
            ..crate::safety_plan::first_plan(&format!("{WHY_MARKER} as a warning sign"))
        },
        &[],
    )
    .await
    .expect("safety plan");
    let step = create_step(app, &client, &goal.id, "Walk").await;
    let check_in = log(
        app,
        &client,
        pb::CheckIn {
            note: NOTE_MARKER.into(),
            ..check_in(&step.id, "2026-03-02", pb::CheckInState::Done)
        },
    )
    .await
    .expect("log check-in");
    let pushed = pb::Goal {
        target_date: "2026-12-31".into(),
        ..goal.clone()
    };
    let answer = sync_api(app, &client)
        .await
        .push(crate::devices::push(
            "phone",
            vec![crate::devices::upsert_goal("m1", goal.version, pushed)],
        ))
        .await
        .expect("push");
    let goal = match answer.into_inner().results[0].current.clone() {
        Some(pb::Change {
            entity: Some(pb::change::Entity::Goal(goal)),
        }) => goal,
        other => panic!("the push applied: {other:?}"),
    };
    (client, goal, check_in)
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn titles_and_notes_never_reach_the_database_in_plain() {
    postgres_only("reads the PostgreSQL store's table");
    let app = TestApp::spawn().await;
    let (client, goal, _) = client_with_markers(&app).await;
    let edited = pb::Goal {
        title: format!("{TITLE_MARKER} again"),
        version: 0,
        ..goal.clone()
    };
    update_goal(&app, &client, edited, &["title"])
        .await
        .expect("update");
    let stored = get_goal(&app, &client, &goal.id).await.expect("goal");
    assert!(stored.title.starts_with(TITLE_MARKER), "the API reads it");

    let entries = crate::helpers::database::stored_entries(app.data_dir()).await;
    assert!(!entries.is_empty(), "the store's table holds the data");
    for marker in [TITLE_MARKER, NOTE_MARKER, WHY_MARKER] {
        let holding = entries
            .iter()
            .filter(|(key, value)| {
                [key, value].iter().any(|bytes| {
                    bytes
                        .windows(marker.len())
                        .any(|window| window == marker.as_bytes())
                })
            })
            .count();
        assert_eq!(holding, 0, "{marker} in plain in the database");
    }
}

#[tokio::test]
async fn titles_and_notes_never_reach_the_disk_or_a_backup_in_plain() {
    if sled_only("reads sled's files and a backup of them") {
        return;
    }
    let app = TestApp::spawn().await;
    let (client, goal, check_in) = client_with_markers(&app).await;
    // Written often, so old versions of the record are in the log too.
    for n in 0..3 {
        let edited = pb::Goal {
            title: format!("{TITLE_MARKER} {n}"),
            version: 0,
            ..goal.clone()
        };
        update_goal(&app, &client, edited, &["title"])
            .await
            .expect("update");
    }
    let backup_dir = tempfile::tempdir().expect("temp dir");
    let backup = backup_dir.path().join("stepwise.backup");
    take_backup(&app, &backup, &app.admin_token)
        .await
        .expect("backup");

    let app = app.restart().await;
    let stored = get_goal(&app, &client, &goal.id).await.expect("goal");
    assert!(
        stored.title.starts_with(TITLE_MARKER),
        "the API still reads it"
    );
    assert_eq!(stored.why, WHY_MARKER);
    let notes = list_check_ins(&app, &client, &check_in.action_step_id, "", "")
        .await
        .expect("check-ins");
    assert_eq!(notes[0].note, NOTE_MARKER);
    let data_dir = app.stop().await;

    for marker in [TITLE_MARKER, NOTE_MARKER, WHY_MARKER] {
        assert_eq!(
            files_holding(data_dir.path(), marker),
            Vec::<PathBuf>::new(),
            "{marker} in plain in the data dir"
        );
        assert!(
            files_holding(&backup, marker).is_empty(),
            "{marker} in plain in the backup"
        );
    }
}

#[tokio::test]
async fn a_backup_restores_only_with_the_master_key_of_its_server() {
    if sled_only("backups and restores of sled") {
        return;
    }
    let app = TestApp::spawn().await;
    let (client, goal, _) = client_with_markers(&app).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("stepwise.backup");
    take_backup(&app, &backup, &app.admin_token)
        .await
        .expect("backup");
    let other = TestApp::spawn().await;

    let refused = tempfile::tempdir().expect("temp dir");
    let error =
        restore_store(&backup, refused.path(), other.data_dir()).expect_err("another server's key");
    assert!(error.to_string().contains("another store's key"), "{error}");
    assert!(
        std::fs::read_dir(refused.path())
            .expect("dir")
            .next()
            .is_none(),
        "nothing written"
    );

    // Restored without a key, the store is there but cannot start alone.
    let keyless = tempfile::tempdir().expect("temp dir");
    stepwise::store::kv::restore::restore(&backup, keyless.path(), None).expect("restore");
    assert!(!keyless.path().join(MASTER_KEY_FILE).exists());
    let config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), keyless.path());
    let error = Server::build(&config)
        .await
        .err()
        .expect("no key, no start");
    assert!(error.to_string().contains("--master-key-file"), "{error}");
    assert!(
        !keyless.path().join(MASTER_KEY_FILE).exists(),
        "no new key is made for sealed data"
    );

    let restored = tempfile::tempdir().expect("temp dir");
    restore_store(&backup, restored.path(), app.data_dir()).expect("restore");
    let app = TestApp::spawn_on(restored).await;
    let read = get_goal(&app, &client, &goal.id).await.expect("readable");
    assert_eq!(read.title, TITLE_MARKER);
}

/// Deletes the account `id` as the holder of `token`, confirming with
/// `confirm`.
async fn delete_account(
    app: &TestApp,
    token: &str,
    id: &str,
    confirm: &str,
) -> Result<pb::Account, Status> {
    app.accounts(token)
        .await
        .delete_account(pb::DeleteAccountRequest {
            id: id.into(),
            confirm_account_id: confirm.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_client_deletes_their_account_and_every_device_and_therapist_lets_go() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let plan = seed_plan(&app, &team.client).await;
    let (_, phone) = device_token(&app, &team.client, "Ada's iPhone").await;
    get_goal(&app, &team.therapist, &plan.goal.id)
        .await
        .expect("the therapist looks");
    let mut dashboard = watch(&app, &team.therapist).await;
    let mut following = subscription(&app, &team.therapist, &team.client_id).await;

    let receipt = delete_account(&app, &phone, "", &team.client_id)
        .await
        .expect("delete");

    assert_eq!(receipt.id, team.client_id);
    assert_eq!(receipt.state(), pb::AccountState::Deleted);
    assert_eq!(receipt.display_name, "", "no name is kept");
    assert!(receipt.delete_time.is_some());
    for token in [&team.client, &phone] {
        let refused = current_account(&app, token).await.expect_err("deleted");
        assert_status(&refused, Code::Unauthenticated, "ACCOUNT_DELETED");
    }
    let ended = stream_end(&mut following).await;
    assert_status(&ended, Code::PermissionDenied, "ACCESS_REVOKED");
    let event = next_event(&mut dashboard).await;
    assert_eq!(event.client_id, team.client_id);
    assert!(
        matches!(event.event, Some(Event::CareLink(ref link)) if link.state() == pb::CareLinkState::Revoked),
        "{event:?}"
    );
    let pulled = sync_api(&app, &team.therapist)
        .await
        .pull(pb::PullRequest {
            client_id: team.client_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("the therapist's copy must go");
    assert_status(&pulled, Code::PermissionDenied, "ACCESS_REVOKED");
    assert_not_found(
        &get_goal(&app, &team.therapist, &plan.goal.id)
            .await
            .expect_err("erased"),
    );
    let looks = access_events(&app, &team.therapist).await;
    assert!(
        looks.iter().any(|event| event.client_id == team.client_id),
        "the therapist's accesses stay on record"
    );
    let (accounts, _) = crate::admin::all_accounts(&app, &app.admin_token, 0)
        .await
        .expect("accounts");
    let listed = accounts
        .iter()
        .find(|account| account.id == team.client_id)
        .expect("the receipt is listed");
    assert_eq!(listed, &receipt);
}

#[tokio::test]
async fn after_an_erasure_a_later_backup_restores_nothing_of_the_client() {
    if sled_only("backups and restores of sled") {
        return;
    }
    let app = TestApp::spawn().await;
    let (ada, _, _) = client_with_markers(&app).await;
    let ada_id = current_account(&app, &ada).await.expect("Ada").id;
    let (ada_records, _) = pull_everything(&mut sync_api(&app, &ada).await).await;
    let bea = app.new_client("Bea").await;
    let beas_goal = create_goal(&app, &bea, "Bea's goal").await;

    delete_account(&app, &ada, &ada_id, &ada_id)
        .await
        .expect("delete");

    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("stepwise.backup");
    take_backup(&app, &backup, &app.admin_token)
        .await
        .expect("backup");
    let restored = tempfile::tempdir().expect("temp dir");
    restore_store(&backup, restored.path(), app.data_dir()).expect("restore");
    let entries = {
        let db = stepwise::store::kv::sled::open_db(restored.path(), 1 << 20)
            .expect("open the restored store");
        let entries: Vec<(Vec<u8>, Vec<u8>)> = db
            .iter()
            .map(|entry| entry.expect("entry"))
            .map(|(key, value)| (key.to_vec(), value.to_vec()))
            .collect();
        entries
    };
    let ada_bytes = *uuid::Uuid::parse_str(&ada_id).expect("id").as_bytes();
    for change in &ada_records {
        let id = record_id(change);
        let record_key = [&b"E"[..], id.as_bytes()].concat();
        assert!(
            !entries.iter().any(|(key, _)| *key == record_key),
            "a record of Ada's"
        );
    }
    for prefix in [b'C', b'P', b'S', b'R', b'K', b'Y'] {
        let owned = [&[prefix][..], &ada_bytes].concat();
        assert!(
            !entries.iter().any(|(key, _)| key.starts_with(&owned)),
            "an entry {} of Ada's",
            prefix as char
        );
    }
    for marker in [TITLE_MARKER, NOTE_MARKER, WHY_MARKER] {
        assert!(files_holding(&backup, marker).is_empty());
    }

    let app = TestApp::spawn_on(restored).await;
    assert_eq!(
        get_goal(&app, &bea, &beas_goal.id).await.expect("Bea's"),
        beas_goal
    );
    let refused = current_account(&app, &ada).await.expect_err("Ada's token");
    assert_status(&refused, Code::Unauthenticated, "ACCOUNT_DELETED");
}

/// The id of a change's record.
fn record_id(change: &pb::Change) -> uuid::Uuid {
    uuid::Uuid::parse_str(kind_and_id(change).1).expect("record id")
}

#[tokio::test]
async fn a_wrong_confirmation_or_someone_elses_account_changes_nothing() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let goal = create_goal(&app, &team.client, "Walk more").await;
    let (bea, bea_token) = app.create_account(pb::Role::Client, "Bea").await;

    let unconfirmed = delete_account(&app, &team.client, "", "")
        .await
        .expect_err("no confirmation");
    assert_invalid(&unconfirmed, &["confirm_account_id"]);
    let wrong = delete_account(&app, &team.client, "", &bea.id)
        .await
        .expect_err("another id as confirmation");
    assert_invalid(&wrong, &["confirm_account_id"]);
    let garbage = delete_account(&app, &team.client, "", "yes")
        .await
        .expect_err("not an id");
    assert_invalid(&garbage, &["confirm_account_id"]);
    let others = delete_account(&app, &team.client, &bea.id, &bea.id)
        .await
        .expect_err("Bea's account");
    assert_status(&others, Code::PermissionDenied, "PERMISSION_DENIED");
    let therapist = delete_account(&app, &team.therapist, &team.client_id, &team.client_id)
        .await
        .expect_err("a therapist");
    assert_status(&therapist, Code::PermissionDenied, "PERMISSION_DENIED");
    let not_a_client = delete_account(&app, &app.admin_token, &team.therapist_id, "")
        .await
        .expect_err("a therapist's account");
    assert_status(
        &not_a_client,
        Code::FailedPrecondition,
        "NOT_A_CLIENT_ACCOUNT",
    );
    let no_id = delete_account(&app, &app.admin_token, "", "")
        .await
        .expect_err("whose?");
    assert_invalid(&no_id, &["id"]);

    assert_eq!(
        get_goal(&app, &team.client, &goal.id).await.expect("kept"),
        goal
    );
    get_goal(&app, &team.therapist, &goal.id)
        .await
        .expect("the link stands");
    current_account(&app, &bea_token)
        .await
        .expect("Bea is there");
}

#[tokio::test]
async fn an_administrator_erases_a_clients_account_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let (ada, token) = app.create_account(pb::Role::Client, "Ada").await;
    create_goal(&app, &token, "Walk more").await;

    let receipt = delete_account(&app, &app.admin_token, &ada.id, "")
        .await
        .expect("delete");

    assert_eq!(receipt.state(), pb::AccountState::Deleted);
    let events = crate::admin::admin_events(&app, &app.admin_token)
        .await
        .expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.action() == pb::AdminAction::AccountDeleted && e.target_id == ada.id)
    );
    let again = delete_account(&app, &app.admin_token, &ada.id, "")
        .await
        .expect_err("once");
    assert_not_found(&again);
    let disable = app
        .accounts(&app.admin_token)
        .await
        .disable_account(pb::DisableAccountRequest { id: ada.id.clone() })
        .await
        .expect_err("nothing changes a receipt");
    assert_status(&disable, Code::FailedPrecondition, "ALREADY_DELETED");
}
