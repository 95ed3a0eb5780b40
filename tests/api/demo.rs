//! `stepwise demo`: a new data dir with a fictional caseload that a
//! therapist can look at as soon as the server starts on it, and never on
//! a data dir that is in use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{Days, NaiveDate};
use stepwise::pb;
use stepwise::pb::care_service_client::CareServiceClient;

use crate::binary::{STEPWISE, ServerProcess, authed, spawn_server};
use crate::helpers::TestApp;

/// `stepwise demo --data-dir dir`.
fn demo(dir: &Path) -> Output {
    Command::new(STEPWISE)
        .arg("demo")
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("stepwise demo runs")
}

/// Every file under `dir` and its bytes.
fn contents(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read file");
                files.insert(path, bytes);
            }
        }
    }
    files
}

#[tokio::test]
async fn the_demo_fills_a_new_data_dir_with_a_caseload_active_up_to_today() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let dir = data_dir.path().join("demo-data");
    let made = demo(&dir);
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(made.status.success(), "demo failed: {made:?}");
    let token = said
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("sw_"))
        .unwrap_or_else(|| panic!("the therapist's token on a line of its own: {said}"));
    assert!(said.contains("http://localhost:50051/"), "{said}");
    assert!(
        said.contains("serve"),
        "says how to start the server: {said}"
    );

    // The demo is on sled in the data dir, so the server is too.
    let (child, addr) = spawn_server(
        Command::new(STEPWISE)
            .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--data-dir")
            .arg(&dir),
    );
    let _server = ServerProcess(child);
    let summaries = CareServiceClient::new(authed(addr, token).await)
        .list_client_summaries(pb::ListClientSummariesRequest::default())
        .await
        .expect("the therapist's caseload")
        .into_inner()
        .client_summaries;
    assert!(
        (3..=4).contains(&summaries.len()),
        "a few linked clients: {summaries:?}"
    );
    // The demo's days are Berlin's; two days' slack for a run across midnight.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let recent = today.checked_sub_days(Days::new(2)).expect("date");
    for client in &summaries {
        assert!(
            client.display_name.starts_with("Demo client"),
            "clearly fictional: {}",
            client.display_name
        );
        let last: NaiveDate = client.last_check_in_date.parse().expect("a check-in date");
        assert!(
            last >= recent,
            "{} checked in lately: {last}",
            client.display_name
        );
        assert!(
            !client.flags.contains(&(pb::Flag::Inactive as i32)),
            "{} is not inactive",
            client.display_name
        );
        assert!(
            client.adherence_28d.is_some(),
            "{} has a history",
            client.display_name
        );
        assert!(
            !client.instruments.is_empty(),
            "{} answered a questionnaire",
            client.display_name
        );
    }
}

#[tokio::test]
async fn the_demo_refuses_a_data_dir_with_accounts_and_changes_nothing() {
    let used = TestApp::spawn().await.stop().await;
    let before = contents(used.path());
    assert!(!before.is_empty());
    let refused = demo(used.path());
    assert!(!refused.status.success(), "refused");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("not empty"), "says why: {said}");
    assert!(said.contains("--data-dir"), "says what to do: {said}");
    assert_eq!(contents(used.path()), before, "nothing written");
}
