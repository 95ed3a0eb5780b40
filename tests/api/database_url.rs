//! A `--database-url` that cannot be used: `stepwise serve` stops at once
//! and says which database it tried (host, port, database, user; never the
//! password), why it failed and what to check, as an operator reads it on
//! the terminal.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::binary::{STEPWISE, spawn_server};
use crate::helpers::cluster::{Cluster, free_port};

/// The password every URL here carries; it must never be printed.
const PASSWORD: &str = "correct-horse-battery";

/// The longest a failing start may take before the test gives up on it: a
/// bound against a hang, far above the connect timeouts used here.
const EXIT_BOUND: Duration = Duration::from_secs(60);

/// What `stepwise serve` on `url` printed on stderr; it must exit, with a
/// failure, without ever serving.
pub fn start_fails(url: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let child = Command::new(STEPWISE)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["--database-url", url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start stepwise serve");
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let Ok(out) = finished.recv_timeout(EXIT_BOUND) else {
        let _ = Command::new("kill").arg(pid.to_string()).status();
        panic!("stepwise serve --database-url {url:?} did not stop within {EXIT_BOUND:?}");
    };
    let out = out.expect("wait for stepwise serve");
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "stepwise serve succeeded: {said}");
    said
}

/// `said` names the database at `at` (host:port) with its database and
/// user, says every one of `reasons`, points at `--database-url`, reads as
/// a start-up error about the database, and never shows the password.
fn assert_says(said: &str, at: &str, database: &str, reasons: &[&str]) {
    let target = format!("PostgreSQL at {at} (database \"{database}\", user \"stepwise\")");
    for expected in [target.as_str(), "--database-url"].iter().chain(reasons) {
        assert!(said.contains(expected), "{expected:?} missing from: {said}");
    }
    assert!(!said.contains(PASSWORD), "the password was printed: {said}");
    assert!(
        !said.contains("cannot open the store in"),
        "reads as a failure of the data dir: {said}"
    );
}

#[test]
fn a_closed_port_is_named_and_reported_as_refused() {
    let port = free_port();
    let said = start_fails(&format!(
        "postgres://stepwise:{PASSWORD}@127.0.0.1:{port}/stepwise"
    ));
    assert_says(
        &said,
        &format!("127.0.0.1:{port}"),
        "stepwise",
        &["connection refused", "is PostgreSQL running"],
    );
}

#[test]
fn a_port_that_never_answers_times_out_after_the_urls_connect_timeout() {
    // The kernel completes the TCP handshake of connections waiting in the
    // listener's backlog: connecting works, and nothing is ever written back.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = silent.local_addr().expect("address").port();
    let said = start_fails(&format!(
        "postgres://stepwise:{PASSWORD}@127.0.0.1:{port}/stepwise?connect_timeout=1"
    ));
    assert_says(
        &said,
        &format!("127.0.0.1:{port}"),
        "stepwise",
        &["timed out", "no answer within 1 s"],
    );
    drop(silent);
}

#[test]
fn a_host_name_that_does_not_resolve_is_named() {
    // An empty label: the resolver refuses the name itself, so no query
    // leaves the machine.
    let said = start_fails(&format!(
        "postgres://stepwise:{PASSWORD}@no..such.host:5432/stepwise"
    ));
    assert_says(
        &said,
        "no..such.host:5432",
        "stepwise",
        &["host name \"no..such.host\" does not resolve"],
    );
}

#[tokio::test]
async fn a_password_rule_in_pg_hba_conf_is_reported_as_failed_authentication() {
    let Some(cluster) = Cluster::with_passwords() else {
        return;
    };
    let superuser = cluster.superuser().await;
    // CREATE DATABASE refuses to run in the transaction of a multi-statement
    // batch: one statement at a time.
    for statement in [
        format!("CREATE ROLE stepwise LOGIN PASSWORD '{PASSWORD}'"),
        "CREATE DATABASE stepwise OWNER stepwise".to_owned(),
    ] {
        superuser
            .batch_execute(&statement)
            .await
            .expect("create the role and its database");
    }
    let at = format!("127.0.0.1:{}", cluster.port);

    let said = start_fails(&format!("postgres://stepwise@{at}/stepwise"));
    assert_says(
        &said,
        &at,
        "stepwise",
        &["authentication failed", "asks for a password"],
    );

    let said = start_fails(&format!("postgres://stepwise:not-{PASSWORD}@{at}/stepwise"));
    assert_says(
        &said,
        &at,
        "stepwise",
        &[
            "authentication failed",
            "password authentication failed for user",
        ],
    );

    let said = start_fails(&format!("postgres://stepwise:{PASSWORD}@{at}/nosuch"));
    assert_says(
        &said,
        &at,
        "nosuch",
        &["database \"nosuch\" does not exist"],
    );

    // The right password opens it: the failures above were the password's.
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut server, _) = spawn_server(
        Command::new(STEPWISE)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--database-url")
            .arg(format!("postgres://stepwise:{PASSWORD}@{at}/stepwise")),
    );
    server.kill().expect("stop the server");
    server.wait().expect("server stopped");
}

#[test]
fn a_url_that_cannot_be_used_is_refused_without_showing_its_password() {
    for url in [
        format!("postgres://stepwise:{PASSWORD}@db.internal/stepwise?sslmode=verify-ca"),
        format!("postgres://stepwise:{PASSWORD}@db.internal/stepwise?no_such_option=1"),
    ] {
        let said = start_fails(&url);
        assert!(!said.contains(PASSWORD), "the password was printed: {said}");
        assert!(said.contains("--database-url"), "{said}");
    }
}
