//! Online backup and offline restore: everything comes back, and devices
//! holding cursors of the old store are told to resync.

use std::collections::BTreeMap;

use stepwise::backup::{BackupConfig, BackupError, RestoreConfig, backup, restore_store};
use stepwise::pb;
use tonic::Code;

use crate::devices::{pull_everything, sync_api};
use crate::helpers::*;

/// Takes a backup of `app` into `to` with `stepwise backup`'s code, as the
/// holder of `token`; returns its entries.
pub async fn take_backup(
    app: &TestApp,
    to: &std::path::Path,
    token: &str,
) -> Result<usize, BackupError> {
    backup_from(app.addr, to, token).await
}

/// Takes a backup of the server at `addr` (plaintext) into `to`, as the
/// holder of `token`; returns its entries.
pub async fn backup_from(
    addr: std::net::SocketAddr,
    to: &std::path::Path,
    token: &str,
) -> Result<usize, BackupError> {
    backup(&BackupConfig {
        to: to.to_path_buf(),
        server: addr,
        admin_token: token.to_owned(),
    })
    .await
}

/// Every non-empty tree of a stopped store: name → key → value (an empty
/// tree is the same as none: the server opens its trees on start).
fn contents(dir: &std::path::Path) -> BTreeMap<Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>> {
    let db = sled::open(dir).expect("open stopped store");
    db.tree_names()
        .into_iter()
        .map(|name| {
            let tree = db.open_tree(&name).expect("tree");
            let entries = tree
                .iter()
                .map(|e| e.expect("entry"))
                .map(|(k, v)| (k.to_vec(), v.to_vec()))
                .collect();
            (name.to_vec(), entries)
        })
        .filter(|(_, entries): &(Vec<u8>, BTreeMap<Vec<u8>, Vec<u8>>)| !entries.is_empty())
        .collect()
}

#[tokio::test]
async fn a_backup_restores_everything_with_a_new_epoch() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    // Ada joins with the therapist's invite: a care link to carry over.
    let code =
        stepwise::pb::care_service_client::CareServiceClient::new(app.authed(&therapist).await)
            .create_invite(pb::CreateInviteRequest {})
            .await
            .expect("invite")
            .into_inner()
            .code;
    let client = app
        .accounts("")
        .await
        .sign_up_with_invite(pb::SignUpWithInviteRequest {
            code,
            display_name: "Ada".into(),
            time_zone: String::new(),
        })
        .await
        .expect("sign up")
        .into_inner()
        .token;
    let (goal, step) = goal_with_step(&app, &client).await;
    log_check_in(
        &app,
        &client,
        &step.id,
        "2026-11-20",
        pb::CheckInState::Done,
    )
    .await
    .expect("log");
    let gone = create_goal(&app, &client, "Deleted later").await;
    delete_goal(&app, &client, &gone.id, 0)
        .await
        .expect("delete");
    let (_, old_cursor) = pull_everything(&mut sync_api(&app, &client).await).await;
    let file_dir = tempfile::tempdir().expect("temp dir");
    let file = file_dir.path().join("stepwise.backup");

    let refused = take_backup(&app, &file, &therapist)
        .await
        .expect_err("only administrators");
    assert!(matches!(refused, BackupError::Rpc(ref s) if s.code() == Code::PermissionDenied));
    let entries = take_backup(&app, &file, &app.admin_token)
        .await
        .expect("backup");
    assert!(entries > 0);

    let original = app.stop().await;
    let restored = tempfile::tempdir().expect("temp dir");
    restore_store(&RestoreConfig {
        from: file.clone(),
        data_dir: restored.path().to_path_buf(),
    })
    .expect("restore");
    let (mut before, mut after) = (contents(original.path()), contents(restored.path()));
    let epoch_before = before.remove(b"meta".as_slice()).expect("meta");
    let epoch_after = after.remove(b"meta".as_slice()).expect("meta");
    // The backup's own audit event is written once its snapshot is
    // complete, so only the original store has it (the latest event).
    let admin_events = before
        .get_mut(b"admin_events".as_slice())
        .expect("admin events");
    admin_events.pop_last().expect("the backup's own event");
    assert_eq!(
        before, after,
        "every record, token hash, index, tombstone and audit event"
    );
    assert_ne!(
        epoch_before, epoch_after,
        "a restored store has a new epoch"
    );

    let app = TestApp::spawn_on(restored).await;
    assert_eq!(
        get_goal(&app, &client, &goal.id)
            .await
            .expect("the old token works"),
        goal
    );
    assert_not_found(
        &get_goal(&app, &client, &gone.id)
            .await
            .expect_err("still deleted"),
    );
    let status = sync_api(&app, &client)
        .await
        .pull(pb::PullRequest {
            cursor: old_cursor,
            ..Default::default()
        })
        .await
        .expect_err("old cursor");
    assert_status(&status, Code::FailedPrecondition, "RESYNC_REQUIRED");
}

#[tokio::test]
async fn a_damaged_backup_is_refused_and_restore_never_overwrites() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("stepwise.backup");
    take_backup(&app, &file, &app.admin_token)
        .await
        .expect("backup");
    let mut bytes = std::fs::read(&file).expect("read");
    bytes.truncate(bytes.len() - 10);
    let damaged = dir.path().join("damaged.backup");
    std::fs::write(&damaged, bytes).expect("write");

    let target = tempfile::tempdir().expect("temp dir");
    let restore_into = |from: &std::path::Path, dir: &std::path::Path| {
        restore_store(&RestoreConfig {
            from: from.to_path_buf(),
            data_dir: dir.to_path_buf(),
        })
    };
    assert!(restore_into(&damaged, target.path()).is_err(), "truncated");
    assert!(
        restore_into(&file, app.data_dir()).is_err(),
        "an existing store is never overwritten"
    );
}
