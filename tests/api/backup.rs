//! Online backup and offline restore: everything comes back, and devices
//! holding cursors of the old store are told to resync.

use std::collections::BTreeMap;

use stepwise::backup::{BackupConfig, BackupError, RestoreConfig, backup, restore_store};
use stepwise::pb;
use tonic::Code;

use crate::binary::STEPWISE;
use crate::devices::{pull_everything, sync_api};
use crate::helpers::*;
use crate::tls::tls_app;

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
        admin_token: Some(token.to_owned()),
        ..config(&format!("http://{addr}"), to)
    })
    .await
}

/// Settings of a backup of the server at `server` into `to`, without a
/// token or a CA.
fn config(server: &str, to: &std::path::Path) -> BackupConfig {
    BackupConfig {
        to: to.to_path_buf(),
        server: server.parse().expect("server URL"),
        tls_ca: None,
        admin_token_file: None,
        admin_token: None,
    }
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

#[tokio::test]
async fn a_backup_over_tls_trusts_a_private_ca_and_reads_the_token_from_a_file() {
    let (app, cert_pem, _certs) = tls_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert_pem).expect("write CA");
    let file = dir.path().join("stepwise.backup");

    let entries = backup(&BackupConfig {
        tls_ca: Some(ca),
        admin_token_file: Some(app.data_dir().join("admin.token")),
        ..config(&format!("https://localhost:{}", app.addr.port()), &file)
    })
    .await
    .expect("backup over TLS");

    let restored = tempfile::tempdir().expect("temp dir");
    let count = restore_store(&RestoreConfig {
        from: file,
        data_dir: restored.path().to_path_buf(),
    })
    .expect("restore");
    assert_eq!(count, entries as u64);
    let admin_token = app.admin_token.clone();
    let app = TestApp::spawn_on(restored).await;
    let admin = app
        .accounts(&admin_token)
        .await
        .get_current_account(pb::GetCurrentAccountRequest {})
        .await
        .expect("the administrator's token works on the restored store")
        .into_inner();
    assert_eq!(admin.role(), pb::Role::Admin);
}

#[tokio::test]
async fn a_backup_over_tls_refuses_a_certificate_nobody_trusts() {
    let (app, _, _certs) = tls_app().await;
    let dir = tempfile::tempdir().expect("temp dir");

    let error = backup(&BackupConfig {
        admin_token: Some(app.admin_token.clone()),
        ..config(
            &format!("https://localhost:{}", app.addr.port()),
            &dir.path().join("stepwise.backup"),
        )
    })
    .await
    .expect_err("a self-signed certificate is not in the system's roots");

    assert!(matches!(error, BackupError::Connect(_)), "{error}");
    assert!(!dir.path().join("stepwise.backup").exists());
}

#[tokio::test]
async fn stepwise_backup_takes_the_token_from_the_environment() {
    let (app, cert_pem, _certs) = tls_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert_pem).expect("write CA");
    let file = dir.path().join("stepwise.backup");

    let run = tokio::process::Command::new(STEPWISE)
        .arg("backup")
        .arg("--to")
        .arg(&file)
        .arg("--server")
        .arg(format!("https://localhost:{}", app.addr.port()))
        .arg("--tls-ca")
        .arg(&ca)
        .env("STEPWISE_ADMIN_TOKEN", &app.admin_token)
        .output()
        .await
        .expect("stepwise backup runs");

    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "stepwise backup failed: {stderr}");
    let restored = tempfile::tempdir().expect("temp dir");
    restore_store(&RestoreConfig {
        from: file,
        data_dir: restored.path().to_path_buf(),
    })
    .expect("the file restores");
}

#[tokio::test]
async fn a_backup_without_a_token_says_where_to_put_one() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");

    let error = backup(&config(
        &format!("http://{}", app.addr),
        &dir.path().join("stepwise.backup"),
    ))
    .await
    .expect_err("no token");

    let message = error.to_string();
    assert!(
        message.contains("STEPWISE_ADMIN_TOKEN") && message.contains("--admin-token-file"),
        "{message}"
    );
}
