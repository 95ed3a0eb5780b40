//! AdminService and the administrators' side of AccountService:
//! administrators cannot read clients' data through the API, but what they
//! can do with it (backups) and to accounts (create, disable, enable,
//! delete) is recorded where every administrator sees them.

use sha2::{Digest, Sha256};
use stepwise::pb;
use stepwise::pb::admin_service_client::AdminServiceClient;
use tonic::{Code, Status};

use crate::backup::take_backup;
use crate::helpers::*;

/// Every administrators' event, as the holder of `token` sees them.
pub async fn admin_events(app: &TestApp, token: &str) -> Result<Vec<pb::AdminEvent>, Status> {
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
    current_account(app, token)
        .await
        .expect("current account")
        .id
}

#[tokio::test]
async fn a_backup_is_recorded_with_its_size_and_hash() {
    if sled_only("CreateBackup copies sled; on PostgreSQL it is pg_dump") {
        return;
    }
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
    if sled_only("its events are backups, which copy sled") {
        return;
    }
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

/// Every account, as the holder of `token` lists them, `page_size` at a
/// time; with the number of pages.
pub async fn all_accounts(
    app: &TestApp,
    token: &str,
    page_size: i32,
) -> Result<(Vec<pb::Account>, usize), Status> {
    let mut api = app.accounts(token).await;
    let mut accounts = Vec::new();
    let (mut page_token, mut pages) = (String::new(), 0);
    loop {
        let page = api
            .list_accounts(pb::ListAccountsRequest {
                page_size,
                page_token,
            })
            .await?
            .into_inner();
        accounts.extend(page.accounts);
        pages += 1;
        if page.next_page_token.is_empty() {
            return Ok((accounts, pages));
        }
        page_token = page.next_page_token;
    }
}

/// Disables (`enabled` false) or enables the account `id` as the holder of
/// `token`.
async fn set_enabled(
    app: &TestApp,
    token: &str,
    id: &str,
    enabled: bool,
) -> Result<pb::Account, Status> {
    let mut api = app.accounts(token).await;
    let answer = if enabled {
        api.enable_account(pb::EnableAccountRequest { id: id.into() })
            .await
    } else {
        api.disable_account(pb::DisableAccountRequest { id: id.into() })
            .await
    };
    answer.map(tonic::Response::into_inner)
}

#[tokio::test]
async fn an_administrator_lists_every_account_page_by_page() {
    let app = TestApp::spawn().await;
    let mut made = vec![account_id(&app, &app.admin_token).await];
    for name in ["Ada", "Bea", "Cem", "Dana"] {
        made.push(app.create_account(pb::Role::Client, name).await.0.id);
    }
    made.push(
        app.create_account(pb::Role::Therapist, "Dr. Ruth")
            .await
            .0
            .id,
    );

    let (listed, pages) = all_accounts(&app, &app.admin_token, 2).await.expect("list");

    assert_eq!(pages, 3);
    let ids: Vec<&str> = listed.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, made, "each once, oldest first");
    assert!(listed.iter().all(|a| a.state() == pb::AccountState::Active));
    let client = app.new_client("Eve").await;
    let refused = all_accounts(&app, &client, 0).await.expect_err("a client");
    assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
}

#[tokio::test]
async fn a_disabled_accounts_tokens_stop_at_once_and_its_data_stays() {
    let app = TestApp::spawn().await;
    let (ada, token) = app.create_account(pb::Role::Client, "Ada").await;
    let goal = create_goal(&app, &token, "Walk more").await;
    let mut stream = crate::tokens::own_subscription(&app, &token).await;

    let disabled = set_enabled(&app, &app.admin_token, &ada.id, false)
        .await
        .expect("disable");

    assert_eq!(disabled.state(), pb::AccountState::Disabled);
    let ended = crate::tokens::stream_end(&mut stream).await;
    assert_status(&ended, Code::Unauthenticated, "ACCOUNT_DISABLED");
    let refused = get_goal(&app, &token, &goal.id)
        .await
        .expect_err("disabled");
    assert_status(&refused, Code::Unauthenticated, "ACCOUNT_DISABLED");
    set_enabled(&app, &app.admin_token, &ada.id, false)
        .await
        .expect("disabling again changes nothing");

    let enabled = set_enabled(&app, &app.admin_token, &ada.id, true)
        .await
        .expect("enable");

    assert_eq!(enabled.state(), pb::AccountState::Active);
    assert_eq!(get_goal(&app, &token, &goal.id).await.expect("back"), goal);
    let admin_id = account_id(&app, &app.admin_token).await;
    let events = admin_events(&app, &app.admin_token).await.expect("events");
    let about_ada: Vec<(pb::AdminAction, &str)> = events
        .iter()
        .filter(|e| e.target_id == ada.id && e.actor_id == admin_id)
        .map(|e| (e.action(), e.target_id.as_str()))
        .collect();
    assert_eq!(
        about_ada,
        [
            (pb::AdminAction::AccountCreated, ada.id.as_str()),
            (pb::AdminAction::AccountDisabled, ada.id.as_str()),
            (pb::AdminAction::AccountEnabled, ada.id.as_str()),
        ],
        "one event per change of state"
    );
}

#[tokio::test]
async fn only_administrators_disable_accounts_and_never_their_own() {
    let app = TestApp::spawn().await;
    let (ada, client) = app.create_account(pb::Role::Client, "Ada").await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let admin_id = account_id(&app, &app.admin_token).await;

    for token in [&client, &therapist] {
        let refused = set_enabled(&app, token, &ada.id, false)
            .await
            .expect_err("not an administrator");
        assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    let own = set_enabled(&app, &app.admin_token, &admin_id, false)
        .await
        .expect_err("their own");
    assert_status(&own, Code::FailedPrecondition, "OWN_ACCOUNT");
    let unknown = uuid::Uuid::new_v4().to_string();
    let missing = set_enabled(&app, &app.admin_token, &unknown, false)
        .await
        .expect_err("no such account");
    assert_not_found(&missing);
    let bad = set_enabled(&app, &app.admin_token, "Ada", true)
        .await
        .expect_err("not an id");
    assert_invalid(&bad, &["id"]);

    current_account(&app, &client).await.expect("Ada unchanged");
    current_account(&app, &app.admin_token)
        .await
        .expect("the administrator too");
}
