//! On-disk formats: before 1.0 the format may change, and a data dir or a
//! backup of another format is refused with a message naming both formats,
//! never migrated and never overwritten.

use std::path::Path;

use sha2::{Digest, Sha256};
use stepwise::config::ServeConfig;
use stepwise::server::Server;

use crate::helpers::*;

/// Why the server refuses to start on `data_dir`.
async fn start_refused(data_dir: &Path) -> String {
    let config = ServeConfig::new("127.0.0.1:0".parse().expect("address"), data_dir);
    match Server::build(&config).await {
        Ok(_) => panic!("the server started on a store of another format"),
        Err(error) => error.to_string(),
    }
}

/// A sled database in `dir` holding `entries` in its default tree and
/// `trees` (name, key, value) in trees of their own.
fn sled_store(dir: &Path, entries: &[(&[u8], &[u8])], trees: &[(&str, &[u8], &[u8])]) {
    let db = sled::open(dir).expect("open sled");
    for (key, value) in entries {
        db.insert(key, *value).expect("insert");
    }
    for (tree, key, value) in trees {
        db.open_tree(tree)
            .expect("tree")
            .insert(key, *value)
            .expect("insert");
    }
    db.flush().expect("flush");
}

fn assert_names_both_formats(message: &str, found: u32) {
    let current = stepwise::store::kv::format::CURRENT;
    assert!(
        message.contains(&format!("format {found}"))
            && message.contains(&format!("reads format {current} only")),
        "names format {found} and this version's format {current}: {message}"
    );
}

#[tokio::test]
async fn a_data_dir_of_the_first_layout_is_refused_naming_both_formats() {
    if sled_only("opens a sled data dir of the first layout") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    sled_store(dir.path(), &[], &[("entities", b"some id", b"a record")]);

    let refusal = start_refused(dir.path()).await;

    assert_names_both_formats(&refusal, 1);
    assert!(refusal.contains("new, empty data dir"), "{refusal}");
}

#[tokio::test]
async fn a_store_without_a_format_mark_or_of_a_newer_format_is_refused() {
    if sled_only("writes a sled data dir by hand") {
        return;
    }
    let unmarked = tempfile::tempdir().expect("temp dir");
    sled_store(unmarked.path(), &[(b"A-an-account", b"an account")], &[]);
    assert_names_both_formats(&start_refused(unmarked.path()).await, 2);

    let newer = tempfile::tempdir().expect("temp dir");
    sled_store(newer.path(), &[(b"0format", &5u32.to_be_bytes())], &[]);
    assert_names_both_formats(&start_refused(newer.path()).await, 5);
}

#[tokio::test]
async fn a_store_or_backup_of_the_hand_written_codec_is_refused() {
    // Format 3: the layout of today's keys with values in the hand-written
    // codec that the declared encoding replaced.
    if sled_only("writes a sled data dir by hand") {
        return;
    }
    let store = tempfile::tempdir().expect("temp dir");
    sled_store(store.path(), &[(b"0format", &3u32.to_be_bytes())], &[]);
    assert_names_both_formats(&start_refused(store.path()).await, 3);

    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("format-3.backup");
    backup_file(
        &backup,
        b"STEPWISE-BACKUP2",
        &[(None, b"0format", &3u32.to_be_bytes())],
    );
    assert_names_both_formats(&restore_refused(&backup), 3);
}

/// A backup file: `magic`, the entries, their end and the SHA-256 of all
/// before it; entries of the first layout name their tree.
fn backup_file(path: &Path, magic: &[u8; 16], entries: &[(Option<&str>, &[u8], &[u8])]) {
    let mut bytes = magic.to_vec();
    for (tree, key, value) in entries {
        bytes.push(1);
        if let Some(tree) = tree {
            bytes.extend_from_slice(&(tree.len() as u16).to_be_bytes());
            bytes.extend_from_slice(tree.as_bytes());
        }
        for part in [key, value] {
            bytes.extend_from_slice(&(part.len() as u32).to_be_bytes());
            bytes.extend_from_slice(part);
        }
    }
    bytes.push(0xFF);
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    std::fs::write(path, bytes).expect("write backup");
}

/// Why restoring `backup` is refused; the data dir stays empty.
fn restore_refused(backup: &Path) -> String {
    let target = tempfile::tempdir().expect("temp dir");
    let data_dir = target.path().join("restored");
    let refusal = stepwise::store::kv::restore::restore(backup, &data_dir, None)
        .expect_err("a backup of another format is refused");
    assert!(
        !data_dir.exists() || std::fs::read_dir(&data_dir).expect("dir").next().is_none(),
        "nothing restored"
    );
    refusal.to_string()
}

#[tokio::test]
async fn a_backup_of_an_older_format_is_refused_naming_both_formats() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first_layout = dir.path().join("first.backup");
    backup_file(
        &first_layout,
        b"STEPWISE-BACKUP1",
        &[(Some("entities"), b"some id", b"a record")],
    );
    let refusal = restore_refused(&first_layout);
    assert_names_both_formats(&refusal, 1);
    assert!(refusal.contains("backup"), "{refusal}");

    let unmarked = dir.path().join("unmarked.backup");
    backup_file(
        &unmarked,
        b"STEPWISE-BACKUP2",
        &[(None, b"A-an-account", b"an account")],
    );
    assert_names_both_formats(&restore_refused(&unmarked), 2);
}
