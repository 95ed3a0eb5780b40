//! The backend under test: sled in the data dir (the default), or
//! PostgreSQL when `STEPWISE_TEST_DATABASE_URL` names a database the tests
//! may create databases through (`.ci/run` starts a throw-away cluster and
//! sets it). Then every data dir gets a fresh database of its own, so a
//! restart on the same data dir finds its data again. The databases are
//! never dropped (a server of the test may still hold connections when the
//! test ends): the cluster is meant to be thrown away after the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The variable that selects PostgreSQL.
pub const DATABASE_URL_VAR: &str = "STEPWISE_TEST_DATABASE_URL";

/// The URL through which test databases are created, when testing on
/// PostgreSQL.
fn admin_url() -> Option<String> {
    std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    admin_url().is_some()
}

/// For a test about sled itself (its files, cache, log, backups, size on
/// disk): true, after saying so, when the tests run on PostgreSQL, so that
/// the test returns at once. docs/development.md ("Tests on PostgreSQL")
/// lists these tests.
pub fn sled_only(reason: &str) -> bool {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: {reason}");
        return true;
    }
    false
}

/// For a test that only PostgreSQL can run (several servers on one
/// database, its table): such a test is `#[ignore]`d, so that `cargo test`
/// lists it as not run, and `.ci/run` runs it on PostgreSQL with
/// `--include-ignored`. Run that way without a database, it fails here,
/// saying why: passing would claim a check that was never made.
#[track_caller]
pub fn postgres_only(reason: &str) {
    assert!(
        on_postgres(),
        "this test runs only on PostgreSQL ({reason}): set {DATABASE_URL_VAR} to a database \
         it may create databases through (see .ci/run), or leave it ignored"
    );
}

/// The database of `data_dir` (made on first use), when testing on
/// PostgreSQL.
pub fn database_for(data_dir: &Path) -> Option<String> {
    let admin = admin_url()?;
    let url = databases()
        .entry(data_dir.to_owned())
        .or_insert_with(|| create_database(&admin))
        .clone();
    Some(url)
}

/// Makes the database of `data_dir` also that of `other` (a second server
/// on the same database).
pub fn share_database(data_dir: &Path, other: &Path) {
    if let Some(url) = database_for(data_dir) {
        databases().insert(other.to_owned(), url);
    }
}

/// The databases by data dir.
fn databases() -> MutexGuard<'static, HashMap<PathBuf, String>> {
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    DATABASES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every key and value in the database of `data_dir` (testing on
/// PostgreSQL), as a database administrator sees them.
pub async fn stored_entries(data_dir: &Path) -> Vec<(Vec<u8>, Vec<u8>)> {
    let url = database_for(data_dir).expect("testing on PostgreSQL");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to the test database");
    tokio::spawn(connection);
    client
        .query("SELECT key, value FROM kv", &[])
        .await
        .expect("read the store's table")
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// Creates a new, empty database through `admin` and returns its URL. Runs
/// on a thread of its own, so that it can be called from any runtime.
fn create_database(admin: &str) -> String {
    let name = format!("stepwise_test_{}", uuid::Uuid::new_v4().simple());
    let (admin_owned, create) = (admin.to_owned(), format!("CREATE DATABASE {name}"));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(&admin_owned, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("{DATABASE_URL_VAR} cannot be reached: {e}"));
            tokio::spawn(connection);
            client
                .batch_execute(&create)
                .await
                .expect("create database");
        });
    })
    .join()
    .expect("database created");
    with_database(admin, &name)
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_end = base.find("://").map_or(0, |at| at + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}
