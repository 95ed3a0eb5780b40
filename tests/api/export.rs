//! ExportData and `stepwise export`: a client takes everything they have
//! with them, each record exactly once, checked by the trailer; nobody
//! else can.

use std::collections::BTreeMap;

use stepwise::pb;
use stepwise::pb::export_data_response::Item;
use stepwise::service::convert::ExportDigest;
use tokio_stream::StreamExt;
use tonic::{Code, Status};

use crate::binary::STEPWISE;
use crate::care::team;
use crate::devices::{pull_everything, sync_api};
use crate::helpers::*;

/// Every message of the export of `account_id` as the holder of `token`.
async fn export(
    app: &TestApp,
    token: &str,
    account_id: &str,
) -> Result<Vec<pb::ExportDataResponse>, Status> {
    let mut stream = app
        .accounts(token)
        .await
        .export_data(pb::ExportDataRequest {
            account_id: account_id.into(),
        })
        .await?
        .into_inner();
    let mut messages = Vec::new();
    while let Some(message) = stream.next().await {
        messages.push(message?);
    }
    Ok(messages)
}

/// Ids of a client's records by kind, and how often each occurs.
type Census = BTreeMap<(String, String), usize>;

fn census<'a>(changes: impl IntoIterator<Item = &'a pb::Change>) -> Census {
    let mut counts = Census::new();
    for change in changes {
        let (kind, id) = kind_and_id(change);
        *counts.entry((kind.into(), id.into())).or_default() += 1;
    }
    counts
}

/// What a client has: a plan with a private note, more goals, one of them
/// deleted, a therapist who looked at it.
async fn client_with_history(app: &TestApp) -> (crate::care::Team, String) {
    let team = team(app).await;
    let plan = seed_plan(app, &team.client).await;
    log(
        app,
        &team.client,
        pb::CheckIn {
            note: "Only for me".into(),
            private_note: true,
            ..check_in(&plan.step.id, "2026-03-03", pb::CheckInState::Partial)
        },
    )
    .await
    .expect("private note");
    create_goals(app, &team.client, 12).await;
    let gone = create_goal(app, &team.client, "Deleted").await;
    delete_goal(app, &team.client, &gone.id, 0)
        .await
        .expect("delete");
    get_goal(app, &team.therapist, &plan.goal.id)
        .await
        .expect("a look");
    (team, gone.id)
}

#[tokio::test]
async fn an_export_holds_every_record_of_the_client_exactly_once_and_checks_out() {
    let app = TestApp::spawn().await;
    let (team, deleted) = client_with_history(&app).await;
    let (pulled, _) = pull_everything(&mut sync_api(&app, &team.client).await).await;

    let messages = export(&app, &team.client, "").await.expect("export");

    let (trailer, items) = messages.split_last().expect("messages");
    let Some(Item::Trailer(trailer)) = &trailer.item else {
        panic!("the trailer comes last: {trailer:?}");
    };
    let mut digest = ExportDigest::default();
    items.iter().for_each(|item| digest.add(item));
    assert_eq!(&digest.trailer(), trailer, "count and SHA-256 check out");
    assert_eq!(trailer.item_count, items.len() as i64);
    let Some(Item::Account(account)) = &items[0].item else {
        panic!("the account comes first");
    };
    assert_eq!(account.id, team.client_id);
    let records: Vec<&pb::Change> = items
        .iter()
        .filter_map(|item| match &item.item {
            Some(Item::Record(change)) => Some(change),
            _ => None,
        })
        .collect();
    let exported = census(records.iter().copied());
    assert_eq!(exported, census(&pulled), "every record, once");
    assert!(exported.values().all(|count| *count == 1));
    assert!(
        !exported.keys().any(|(_, id)| *id == deleted),
        "not the deleted goal"
    );
    assert!(
        records.iter().any(|change| matches!(&change.entity,
            Some(pb::change::Entity::CheckIn(c)) if c.private_note && c.note == "Only for me")),
        "private notes included"
    );
    let links: Vec<_> = items
        .iter()
        .filter_map(|item| match &item.item {
            Some(Item::CareLink(link)) => Some(link),
            _ => None,
        })
        .collect();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].therapist_id, team.therapist_id);
    assert_eq!(links[0].therapist_display_name, "Dr. Ruth");
    assert!(items.iter().any(|item| matches!(&item.item,
        Some(Item::AccessEvent(event)) if event.therapist_id == team.therapist_id)));
}

#[tokio::test]
async fn nobody_exports_someone_elses_data() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    create_goal(&app, &team.client, "Walk more").await;
    let (bea, bea_token) = app.create_account(pb::Role::Client, "Bea").await;

    let refused = export(&app, &bea_token, &team.client_id)
        .await
        .expect_err("Ada's data");
    assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
    for token in [&team.therapist, &app.admin_token] {
        let refused = export(&app, token, &team.client_id)
            .await
            .expect_err("not a client");
        assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    let bad = export(&app, &bea_token, "Ada")
        .await
        .expect_err("not an id");
    assert_invalid(&bad, &["account_id"]);
    let own = export(&app, &bea_token, &bea.id)
        .await
        .expect("her own, by id");
    assert_eq!(own.len(), 2, "Bea's account and the trailer: none of Ada's");
}

/// Runs `stepwise export` against `app` into `to` with `args` and `env`;
/// its exit status and error output.
async fn run_export(
    app: &TestApp,
    to: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String) {
    let mut command = tokio::process::Command::new(STEPWISE);
    command
        .arg("export")
        .arg("--to")
        .arg(to)
        .args(["--server", &format!("http://{}", app.addr)])
        .args(args)
        .env_remove("STEPWISE_TOKEN")
        .env_remove("STEPWISE_TOKEN_FILE");
    for (key, value) in env {
        command.env(key, value);
    }
    let run = command.output().await.expect("stepwise export runs");
    (
        run.status.success(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
    )
}

#[tokio::test]
async fn stepwise_export_writes_one_json_object_per_line_then_the_trailer() {
    let app = TestApp::spawn().await;
    let (team, _) = client_with_history(&app).await;
    let (pulled, _) = pull_everything(&mut sync_api(&app, &team.client).await).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ada.jsonl");

    let (ok, stderr) = run_export(&app, &file, &[], &[("STEPWISE_TOKEN", &team.client)]).await;

    assert!(ok, "stepwise export failed: {stderr}");
    let text = std::fs::read_to_string(&file).expect("the file");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let (trailer, items) = lines.split_last().expect("lines");
    assert_eq!(trailer["trailer"]["itemCount"], items.len().to_string());
    assert_eq!(
        trailer["trailer"]["sha256"].as_str().map(str::len),
        Some(64)
    );
    assert_eq!(items[0]["account"]["id"], team.client_id);
    assert_eq!(items[0]["account"]["state"], "ACCOUNT_STATE_ACTIVE");
    let mut exported = Census::new();
    for item in items {
        let Some(record) = item.get("record").and_then(|r| r.as_object()) else {
            continue;
        };
        let (kind, body) = record.iter().next().expect("one kind");
        let kind = match kind.as_str() {
            "goal" => "goal",
            "actionStep" => "action step",
            "checkIn" => "check-in",
            "efficacyRating" => "rating",
            other => panic!("unexpected kind {other}"),
        };
        let id = body["id"].as_str().expect("id").to_owned();
        *exported.entry((kind.into(), id)).or_default() += 1;
    }
    assert_eq!(exported, census(&pulled), "every record in the file, once");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "health data, for the client's eyes");
    }
}

#[tokio::test]
async fn stepwise_export_reads_the_token_from_a_file_and_says_where_to_put_one() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ada.jsonl");

    let (ok, message) = run_export(&app, &file, &[], &[]).await;
    assert!(!ok, "no token");
    assert!(
        message.contains("STEPWISE_TOKEN") && message.contains("--token-file"),
        "{message}"
    );
    assert!(!file.exists());

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{client}\n")).expect("write token");
    let token_arg = token_file.to_str().expect("utf-8");
    let (ok, stderr) = run_export(&app, &file, &["--token-file", token_arg], &[]).await;
    assert!(ok, "{stderr}");
    let (ok, message) = run_export(&app, &file, &[], &[("STEPWISE_TOKEN", "sw_nonsense")]).await;
    assert!(!ok && message.contains("token"), "{message}");
}

#[tokio::test]
async fn stepwise_export_takes_a_token_pasted_with_its_bearer_prefix_or_as_the_whole_header() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("ada.jsonl");

    let with_scheme = format!("Bearer {client}");
    let (ok, stderr) = run_export(&app, &file, &[], &[("STEPWISE_TOKEN", &with_scheme)]).await;
    assert!(
        ok,
        "`Bearer <token>` is the token after `Bearer `: {stderr}"
    );

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("authorization: Bearer {client}\n")).expect("write");
    let token_arg = token_file.to_str().expect("utf-8");
    let (ok, stderr) = run_export(&app, &file, &["--token-file", token_arg], &[]).await;
    assert!(ok, "the whole header, as grpcurl's -H takes it: {stderr}");

    // Anything else that is not one bare token says what to put there.
    for pasted in ["Bearer", &format!("{client} {client}")] {
        let (ok, message) = run_export(&app, &file, &[], &[("STEPWISE_TOKEN", pasted)]).await;
        assert!(!ok, "{pasted:?} is not a token");
        assert!(
            message.contains("STEPWISE_TOKEN") && message.contains("only the token"),
            "{message}"
        );
    }
}
