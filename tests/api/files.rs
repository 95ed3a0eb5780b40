//! Files on disk: the data dir is private to the server's user (directories
//! 0700, files 0600) whatever umask it was started with, and backups leave
//! no temporary files behind, not even after a crash.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use stepwise::pb;
use stepwise::pb::admin_service_client::AdminServiceClient;
use stepwise::pb::backup_service_client::BackupServiceClient;
use tonic::transport::Channel;

use crate::backup::{backup_from, take_backup};
use crate::binary::{STEPWISE, serve_args, spawn_server};
use crate::devices::{push, sync_api, upsert_goal};
use crate::helpers::*;

/// `dir` and everything under it, without following symlinks.
fn walk(dir: &Path) -> Vec<(PathBuf, std::fs::Metadata)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir") {
                pending.push(entry.expect("dir entry").path());
            }
        }
        found.push((path, meta));
    }
    found
}

/// Everything under `dir` that is not private (0700 for a directory, 0600
/// for anything else), as "path: mode".
pub fn not_private(dir: &Path) -> Vec<String> {
    walk(dir)
        .into_iter()
        .filter_map(|(path, meta)| {
            let mode = meta.permissions().mode() & 0o777;
            let private = if meta.is_dir() { 0o700 } else { 0o600 };
            (mode != private).then(|| format!("{}: {mode:o}", path.display()))
        })
        .collect()
}

#[track_caller]
fn assert_private(dir: &Path) {
    let loose = not_private(dir);
    assert!(loose.is_empty(), "not private:\n{}", loose.join("\n"));
}

/// The scratch dir of backups in a data dir.
fn scratch(data_dir: &Path) -> PathBuf {
    data_dir.join("tmp")
}

/// Files in `dir` (none if it does not exist).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.expect("dir entry").path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Files under `dir` that this process (the in-process server) holds open,
/// removed ones included, as the kernel names them.
fn open_files_under(dir: &Path) -> Vec<String> {
    let Ok(dir) = dir.canonicalize() else {
        return Vec::new();
    };
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .map(|target| target.display().to_string())
        .collect()
}

/// Waits until `done`, failing after a generous bound. Only for what the
/// client cannot observe: when the server notices that a stream was
/// dropped.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_data_dir_is_private_even_under_umask_000() {
    if sled_only("sled's files and backups in the data dir") {
        return;
    }
    let root = tempfile::tempdir().expect("temp dir");
    let data_dir = root.path().join("data");
    let mut serve = Command::new("sh");
    serve
        .arg("-c")
        .arg(r#"umask 000; exec "$0" "$@""#)
        .arg(STEPWISE)
        .args(serve_args(&data_dir));
    let (mut server, addr) = spawn_server(&mut serve);
    let token = std::fs::read_to_string(data_dir.join("admin.token")).expect("admin token");

    let backup = backup_from(addr, &root.path().join("stepwise.backup"), token.trim()).await;
    let loose = not_private(&data_dir);
    server.kill().expect("kill server");
    server.wait().expect("server exits");

    backup.expect("backup");
    assert!(loose.is_empty(), "not private:\n{}", loose.join("\n"));
}

#[tokio::test]
async fn a_data_dir_left_open_by_an_older_version_is_made_private_at_start() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    create_goal(&app, &client, "Sleep better").await;
    let data_dir = app.stop().await;
    for (path, meta) in walk(data_dir.path()) {
        let open = if meta.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(open)).expect("chmod");
    }

    let app = TestApp::spawn_on(data_dir).await;

    assert_private(app.data_dir());
}

#[tokio::test]
async fn a_backup_file_left_by_a_crash_is_removed_at_start() {
    let app = TestApp::spawn().await;
    let data_dir = app.stop().await;
    let scratch = scratch(data_dir.path());
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let leftover = scratch.join(format!("stepwise-backup-{}.tmp", new_id()));
    std::fs::write(&leftover, b"half a backup").expect("leftover");

    let app = TestApp::spawn_on(data_dir).await;

    assert!(!leftover.exists(), "{} is still there", leftover.display());
    assert_private(app.data_dir());
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_cancelled_backup_leaves_no_file_behind() {
    if sled_only("backups of sled in the data dir") {
        return;
    }
    let app = TestApp::spawn().await;
    // Over 5 MiB of data: the server sends 1 MiB chunks and is never
    // more than two ahead of the client, so it is still reading the file
    // when the client stops after the first.
    let client = app.new_client("Ada").await;
    let mut sync = sync_api(&app, &client).await;
    for round in 0..3 {
        let mutations = (0..450)
            .map(|n| {
                let goal = pb::Goal {
                    id: new_id(),
                    why: "x".repeat(4000),
                    ..goal(&format!("Goal {round}-{n}"))
                };
                upsert_goal(&new_id(), 0, goal)
            })
            .collect();
        sync.push(push("phone", mutations)).await.expect("push");
    }
    let scratch = scratch(app.data_dir());
    // A small HTTP/2 window, so the server cannot send everything ahead:
    // it waits, the file open, until this client reads more.
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .initial_stream_window_size(64 * 1024)
        .initial_connection_window_size(64 * 1024)
        .connect()
        .await
        .expect("connect");
    let mut api =
        BackupServiceClient::new(stepwise::client::authenticated(channel, &app.admin_token));
    let mut stream = api
        .create_backup(pb::CreateBackupRequest {})
        .await
        .expect("backup starts")
        .into_inner();

    let first = stream.message().await.expect("first chunk").expect("data");
    let size = AdminServiceClient::new(app.authed(&app.admin_token).await)
        .list_admin_events(pb::ListAdminEventsRequest::default())
        .await
        .expect("admin events")
        .into_inner()
        .admin_events
        .last()
        .expect("the backup's event")
        .size_bytes;
    assert!(size > first.data.len() as i64, "the stream is cut half-way");
    assert_eq!(
        open_files_under(&scratch).len(),
        1,
        "the snapshot being sent is in the data dir"
    );
    assert_eq!(
        files_in(&scratch),
        Vec::<PathBuf>::new(),
        "its name is removed once it is open, so a crash leaves nothing"
    );
    drop((stream, api));

    eventually("the server closes the cancelled backup's file", || {
        open_files_under(&scratch).is_empty()
    })
    .await;
    assert_eq!(files_in(&scratch), Vec::<PathBuf>::new());
    // A backup that runs to its end leaves nothing either, by the time its
    // last byte has arrived.
    let dir = tempfile::tempdir().expect("temp dir");
    take_backup(&app, &dir.path().join("stepwise.backup"), &app.admin_token)
        .await
        .expect("backup");
    assert_eq!(files_in(&scratch), Vec::<PathBuf>::new());
    assert_eq!(open_files_under(&scratch), Vec::<String>::new());
}
