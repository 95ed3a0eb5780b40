//! Online backup and offline restore: everything comes back, and devices
//! holding cursors of the old store are told to resync.

use std::collections::BTreeMap;

use stepwise::client::{self, ConnectError, backup::BackupError};
use stepwise::pb;
use tonic::Code;

use crate::binary::STEPWISE;
use crate::devices::{pull_everything, sync_api};
use crate::helpers::*;
use crate::tls::tls_app;

/// Takes a backup of `app` into `to` with the public client, as the
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
    let server = format!("http://{addr}").parse().expect("server URL");
    let channel = client::connect(&server, None).await.expect("connect");
    client::backup::download(channel, token, to).await
}

/// Rebuilds a store from `from` in `data_dir`, with the master key of the
/// server whose data dir was `source`.
pub fn restore_store(
    from: &std::path::Path,
    data_dir: &std::path::Path,
    source: &std::path::Path,
) -> stepwise::error::Result<u64> {
    let key = source.join(stepwise::store::kv::seal::MASTER_KEY_FILE);
    stepwise::store::kv::restore::restore(from, data_dir, Some(&key))
}

/// Every entry of a stopped store: key → value.
fn contents(dir: &std::path::Path) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let db = stepwise::store::kv::sled::open_db(dir, 1 << 20).expect("open stopped store");
    db.iter()
        .map(|e| e.expect("entry"))
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect()
}

/// Runs `stepwise backup` with `args` and `env`; its exit status and error
/// output.
async fn run_backup(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = tokio::process::Command::new(STEPWISE);
    command
        .arg("backup")
        .args(args)
        .env_remove("STEPWISE_ADMIN_TOKEN");
    for (key, value) in env {
        command.env(key, value);
    }
    let run = command.output().await.expect("stepwise backup runs");
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_backup_restores_everything_with_a_new_epoch() {
    if sled_only("`stepwise backup`/`restore` copy sled") {
        return;
    }
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
    let client = crate::care::sign_up(&app, &code, "Ada")
        .await
        .expect("sign up")
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
    restore_store(&file, restored.path(), original.path()).expect("restore");
    let (mut before, mut after) = (contents(original.path()), contents(restored.path()));
    let epoch_before = before.remove(b"0epoch".as_slice()).expect("epoch");
    let epoch_after = after.remove(b"0epoch".as_slice()).expect("epoch");
    // The backup's own audit event is written once its snapshot is
    // complete, so only the original store has it (the latest event).
    let own_event = before
        .keys()
        .rfind(|key| key.first() == Some(&b'D'))
        .cloned()
        .expect("the backup's own event");
    before.remove(&own_event);
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
    if sled_only("`stepwise restore` writes a sled data dir") {
        return;
    }
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
    let restore_into = |from, into| restore_store(from, into, app.data_dir());
    assert!(restore_into(&damaged, target.path()).is_err(), "truncated");
    assert!(
        restore_into(&file, app.data_dir()).is_err(),
        "an existing store is never overwritten"
    );
}

#[tokio::test]
async fn a_backup_over_tls_trusts_a_private_ca_and_reads_the_token_from_a_file() {
    if sled_only("`stepwise backup` copies sled") {
        return;
    }
    let (app, cert_pem, _certs) = tls_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert_pem).expect("write CA");
    let file = dir.path().join("stepwise.backup");

    let server = format!("https://localhost:{}", app.addr.port());
    let token_file = app.data_dir().join("admin.token");
    let (ok, stderr) = run_backup(
        &[
            "--to".as_ref(),
            file.as_os_str(),
            "--server".as_ref(),
            server.as_ref(),
            "--tls-ca".as_ref(),
            ca.as_os_str(),
            "--admin-token-file".as_ref(),
            token_file.as_os_str(),
        ],
        &[],
    )
    .await;
    assert!(ok, "stepwise backup over TLS failed: {stderr}");

    let restored = tempfile::tempdir().expect("temp dir");
    let count = restore_store(&file, restored.path(), app.data_dir()).expect("restore");
    assert!(count > 0);
    let admin_token = app.admin_token.clone();
    let app = TestApp::spawn_on(restored).await;
    let admin = current_account(&app, &admin_token)
        .await
        .expect("the administrator's token works on the restored store");
    assert_eq!(admin.role(), pb::Role::Admin);
}

#[tokio::test]
async fn a_backup_over_tls_refuses_a_certificate_nobody_trusts() {
    let (app, _, _certs) = tls_app().await;
    let dir = tempfile::tempdir().expect("temp dir");

    let server = format!("https://localhost:{}", app.addr.port())
        .parse()
        .expect("server URL");
    let error = client::connect(&server, None)
        .await
        .expect_err("a self-signed certificate is not in the system's roots");

    assert!(matches!(error, ConnectError::Transport(_)), "{error}");
    assert!(!dir.path().join("stepwise.backup").exists());
}

#[tokio::test]
async fn stepwise_backup_takes_the_token_from_the_environment() {
    if sled_only("`stepwise backup` copies sled") {
        return;
    }
    let (app, cert_pem, _certs) = tls_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert_pem).expect("write CA");
    let file = dir.path().join("stepwise.backup");

    let server = format!("https://localhost:{}", app.addr.port());
    let (ok, stderr) = run_backup(
        &[
            "--to".as_ref(),
            file.as_os_str(),
            "--server".as_ref(),
            server.as_ref(),
            "--tls-ca".as_ref(),
            ca.as_os_str(),
        ],
        &[("STEPWISE_ADMIN_TOKEN", &app.admin_token)],
    )
    .await;
    assert!(ok, "stepwise backup failed: {stderr}");
    let restored = tempfile::tempdir().expect("temp dir");
    restore_store(&file, restored.path(), app.data_dir()).expect("the file restores");
}

#[tokio::test]
async fn a_backup_without_a_token_says_where_to_put_one() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");

    let server = format!("http://{}", app.addr);
    let file = dir.path().join("stepwise.backup");
    let (ok, message) = run_backup(
        &[
            "--to".as_ref(),
            file.as_os_str(),
            "--server".as_ref(),
            server.as_ref(),
        ],
        &[],
    )
    .await;

    assert!(!ok, "no token");
    assert!(
        message.contains("STEPWISE_ADMIN_TOKEN") && message.contains("--admin-token-file"),
        "{message}"
    );
}

#[tokio::test]
async fn a_backup_that_cannot_be_put_in_place_leaves_no_file_behind() {
    if sled_only("`stepwise backup` copies sled") {
        return;
    }
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // The backup is downloaded and checked, but a directory is in the way.
    let to = dir.path().join("stepwise.backup");
    std::fs::create_dir(&to).expect("a directory where the file should go");

    let failed = take_backup(&app, &to, &app.admin_token)
        .await
        .expect_err("a directory is not replaced");
    assert!(matches!(failed, BackupError::Io(_)), "{failed:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["stepwise.backup"], "nothing but what was there");
    assert!(to.is_dir());
}

#[tokio::test]
async fn a_backup_file_is_readable_by_its_owner_only_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    if sled_only("`stepwise backup` copies sled") {
        return;
    }
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let to = dir.path().join("stepwise.backup");
    // An operator's usual umask, not the test process's (a server in it
    // made that private).
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 022 && exec "$0" backup --to "$1" --server "$2""#)
        .arg(crate::binary::STEPWISE)
        .arg(&to)
        .arg(format!("http://{}", app.addr))
        .env("STEPWISE_ADMIN_TOKEN", &app.admin_token)
        .output()
        .await
        .expect("stepwise backup runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mode = std::fs::metadata(&to)
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[tokio::test]
async fn stepwise_backup_takes_a_token_pasted_as_the_whole_header() {
    if sled_only("`stepwise backup` copies sled") {
        return;
    }
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("stepwise.backup");
    let server = format!("http://{}", app.addr);

    let header = format!("authorization: Bearer {}", app.admin_token);
    let (ok, stderr) = run_backup(
        &[
            "--to".as_ref(),
            file.as_os_str(),
            "--server".as_ref(),
            server.as_ref(),
        ],
        &[("STEPWISE_ADMIN_TOKEN", &header)],
    )
    .await;

    assert!(ok, "the token is taken out of the header: {stderr}");
    assert!(file.exists());
}

/// Runs `stepwise restore` from `backup` into `data_dir` with the master key
/// of the server whose data dir was `source`, under an operator's usual
/// umask (022, not the test process's, which a server in it made private);
/// whether it succeeded, and what it printed.
async fn run_restore(
    backup: &std::path::Path,
    data_dir: &std::path::Path,
    source: &std::path::Path,
) -> (bool, String) {
    let run = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(r#"umask 022 && exec "$0" restore --from "$1" --data-dir "$2" --master-key-file "$3""#)
        .arg(STEPWISE)
        .arg(backup)
        .arg(data_dir)
        .arg(source.join(stepwise::store::kv::seal::MASTER_KEY_FILE))
        .env_remove("STEPWISE_MASTER_KEY_FILE")
        .output()
        .await
        .expect("stepwise restore runs");
    let printed = [run.stdout, run.stderr].concat();
    (
        run.status.success(),
        String::from_utf8_lossy(&printed).into_owned(),
    )
}

/// A backup of a server where Ada keeps a goal, in a new temp dir; returns
/// the server, the dir and the file.
async fn backed_up_app() -> (TestApp, tempfile::TempDir, std::path::PathBuf) {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    create_goal(&app, &client, "Sleep better").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("stepwise.backup");
    take_backup(&app, &file, &app.admin_token)
        .await
        .expect("backup");
    (app, dir, file)
}

#[tokio::test]
async fn stepwise_restore_writes_a_private_data_dir_whatever_the_umask() {
    if sled_only("`stepwise restore` writes a sled data dir") {
        return;
    }
    let (app, dir, file) = backed_up_app().await;
    let restored = dir.path().join("restored-data");

    let (ok, printed) = run_restore(&file, &restored, app.data_dir()).await;

    assert!(ok, "{printed}");
    let loose = crate::files::not_private(&restored);
    assert!(
        loose.is_empty(),
        "health data, before its first serve too; not private:\n{}",
        loose.join("\n")
    );
}

#[tokio::test]
async fn stepwise_restore_says_what_it_restored_and_how_to_serve_it() {
    if sled_only("`stepwise restore` writes a sled data dir") {
        return;
    }
    let (app, dir, file) = backed_up_app().await;
    let restored = tempfile::tempdir_in(dir.path()).expect("an empty dir");

    let (ok, printed) = run_restore(&file, restored.path(), app.data_dir()).await;

    assert!(ok, "{printed}");
    let restored_name = restored.path().display().to_string();
    for expected in [
        restored_name.as_str(),
        "entries",
        // No token file: the store keeps only hashes, and the old tokens work.
        "no admin.token",
        "administrator's token",
        // The server backed up may still hold the default port.
        &format!("serve --data-dir {restored_name} --listen"),
    ] {
        assert!(printed.contains(expected), "{expected:?} in:\n{printed}");
    }
    assert!(!restored.path().join("admin.token").exists());
    let admin_token = app.admin_token.clone();
    let restored_app = TestApp::spawn_on(restored).await;
    current_account(&restored_app, &admin_token)
        .await
        .expect("the administrator's old token works, as it says");
}
