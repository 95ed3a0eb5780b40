//! Clients' text at rest: sealed with a key per client, never on disk in
//! plain, not in backups, and gone for good once the client is erased.

use std::path::{Path, PathBuf};

use stepwise::config::ServeConfig;
use stepwise::pb;
use stepwise::server::Server;
use stepwise::store::kv::seal::MASTER_KEY_FILE;

use crate::backup::{restore_store, take_backup};
use crate::helpers::*;

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

/// A client with a goal whose title, why and check-in note are markers.
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
    (client, goal, check_in)
}

#[tokio::test]
async fn titles_and_notes_never_reach_the_disk_or_a_backup_in_plain() {
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
    stepwise::store::kv::snapshot::restore(&backup, keyless.path(), None).expect("restore");
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
