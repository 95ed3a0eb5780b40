//! AdminService: administrators cannot read clients' data through the API,
//! but what they can do with it (backups) and the accounts they create are
//! recorded where every administrator sees them.

use sha2::{Digest, Sha256};
use stepwise::pb;
use stepwise::pb::admin_service_client::AdminServiceClient;
use tonic::{Code, Status};

use crate::backup::take_backup;
use crate::helpers::*;

/// Every administrators' event, as the holder of `token` sees them.
async fn admin_events(app: &TestApp, token: &str) -> Result<Vec<pb::AdminEvent>, Status> {
    let mut api = AdminServiceClient::new(app.authed(token).await);
    let mut events = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = api
            .list_admin_events(pb::ListAdminEventsRequest {
                page_size: 1,
                page_token,
            })
            .await?
            .into_inner();
        events.extend(page.admin_events);
        if page.next_page_token.is_empty() {
            return Ok(events);
        }
        page_token = page.next_page_token;
    }
}

/// The account id behind `token`.
async fn account_id(app: &TestApp, token: &str) -> String {
    app.accounts(token)
        .await
        .get_current_account(pb::GetCurrentAccountRequest {})
        .await
        .expect("current account")
        .into_inner()
        .id
}

#[tokio::test]
async fn a_backup_is_recorded_with_its_size_and_hash() {
    let app = TestApp::spawn().await;
    let client = app.new_client("Ada").await;
    create_goal(&app, &client, "Sleep better").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("stepwise.backup");
    let before = now_micros();

    take_backup(&app, &file, &app.admin_token)
        .await
        .expect("backup");

    let after = now_micros();
    let bytes = std::fs::read(&file).expect("read backup");
    let backups: Vec<_> = admin_events(&app, &app.admin_token)
        .await
        .expect("admin lists events")
        .into_iter()
        .filter(|e| e.action == pb::AdminAction::BackupCreated as i32)
        .collect();
    let [event] = backups.as_slice() else {
        panic!("one backup event, got {backups:?}");
    };
    assert_eq!(event.actor_id, account_id(&app, &app.admin_token).await);
    assert_eq!(event.size_bytes, bytes.len() as i64);
    let sha256: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        event.sha256, sha256,
        "the file's SHA-256, as sha256sum prints it"
    );
    assert!(!event.target_id.is_empty(), "the backup has an id");
    assert!((before..=after).contains(&micros(&event.time)));
}

#[tokio::test]
async fn creating_an_account_is_recorded() {
    let app = TestApp::spawn().await;

    let (account, _) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;

    let events = admin_events(&app, &app.admin_token)
        .await
        .expect("admin lists events");
    let created: Vec<_> = events
        .iter()
        .filter(|e| e.action == pb::AdminAction::AccountCreated as i32)
        .collect();
    let [event] = created.as_slice() else {
        panic!("one account event, got {events:?}");
    };
    assert_eq!(event.target_id, account.id);
    assert_eq!(event.actor_id, account_id(&app, &app.admin_token).await);
    assert_eq!((event.size_bytes, event.sha256.as_str()), (0, ""));
    assert_eq!(micros(&event.time), micros(&account.create_time));
}

#[tokio::test]
async fn events_are_listed_oldest_first() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, _) = app.create_account(pb::Role::Client, "Ada").await;
    take_backup(&app, &dir.path().join("stepwise.backup"), &app.admin_token)
        .await
        .expect("backup");
    let (last, _) = app.create_account(pb::Role::Client, "Ben").await;

    let events = admin_events(&app, &app.admin_token)
        .await
        .expect("admin lists events");

    let actions: Vec<_> = events.iter().map(|e| e.action()).collect();
    assert_eq!(
        actions,
        [
            pb::AdminAction::AccountCreated,
            pb::AdminAction::BackupCreated,
            pb::AdminAction::AccountCreated
        ]
    );
    assert_eq!(events[0].target_id, first.id);
    assert_eq!(events[2].target_id, last.id);
}

#[tokio::test]
async fn only_administrators_see_the_events() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let client = app.new_client("Ada").await;

    for token in [therapist, client] {
        let status = admin_events(&app, &token)
            .await
            .expect_err("not an administrator");
        assert_status(&status, Code::PermissionDenied, "PERMISSION_DENIED");
    }
}
