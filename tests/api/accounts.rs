//! AccountService: administrators create accounts; everyone reads their own.

use stepwise::pb;
use stepwise::pb::Role;

use crate::helpers::*;

/// Asks the admin to create `account`.
async fn create_account(
    app: &TestApp,
    account: pb::Account,
) -> Result<pb::CreateAccountResponse, tonic::Status> {
    app.accounts(&app.admin_token)
        .await
        .create_account(pb::CreateAccountRequest {
            account: Some(account),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The account of `token`.
async fn current_account(app: &TestApp, token: &str) -> Result<pb::Account, tonic::Status> {
    app.accounts(token)
        .await
        .get_current_account(pb::GetCurrentAccountRequest {})
        .await
        .map(tonic::Response::into_inner)
}

fn account(role: Role, display_name: &str) -> pb::Account {
    pb::Account {
        role: role as i32,
        display_name: display_name.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_admin_creates_a_client_whose_token_works_right_away() {
    let app = TestApp::spawn().await;

    let created = create_account(&app, account(Role::Client, "Ada"))
        .await
        .expect("create account");

    let ada = created.account.expect("the created account");
    assert!(
        uuid::Uuid::parse_str(&ada.id).is_ok(),
        "server-assigned UUID: {}",
        ada.id
    );
    assert_eq!(ada.role, Role::Client as i32);
    assert_eq!(ada.display_name, "Ada");
    assert_eq!(ada.time_zone, "UTC", "the time zone defaults to UTC");
    assert!(ada.version > 0);
    assert!(ada.create_time.is_some());
    assert!(!created.token.is_empty());
    assert_eq!(
        current_account(&app, &created.token)
            .await
            .expect("token works"),
        ada
    );
}

#[tokio::test]
async fn a_new_account_keeps_the_time_zone_it_was_given() {
    let app = TestApp::spawn().await;
    let berliner = pb::Account {
        time_zone: "Europe/Berlin".into(),
        ..account(Role::Client, "Bea")
    };

    let created = create_account(&app, berliner)
        .await
        .expect("create account");

    let current = current_account(&app, &created.token)
        .await
        .expect("get current account");
    assert_eq!(current.time_zone, "Europe/Berlin");
}

#[tokio::test]
async fn an_admin_can_create_therapists_and_other_admins() {
    let app = TestApp::spawn().await;

    for role in [Role::Therapist, Role::Admin] {
        let created = create_account(&app, account(role, "Dr. Kim"))
            .await
            .expect("create account");
        let current = current_account(&app, &created.token)
            .await
            .expect("get current account");
        assert_eq!(current.role, role as i32);
        assert_eq!(current.display_name, "Dr. Kim");
    }
}

#[tokio::test]
async fn a_second_admin_can_create_accounts_too() {
    let app = TestApp::spawn().await;
    let second = create_account(&app, account(Role::Admin, "Ops"))
        .await
        .expect("create admin");

    let created = app
        .accounts(&second.token)
        .await
        .create_account(pb::CreateAccountRequest {
            account: Some(account(Role::Client, "Ada")),
        })
        .await
        .expect("the second admin creates a client")
        .into_inner();

    let current = current_account(&app, &created.token)
        .await
        .expect("token works");
    assert_eq!(current.role, Role::Client as i32);
}

#[tokio::test]
async fn the_first_administrator_is_created_with_the_server() {
    let app = TestApp::spawn().await;

    let admin = current_account(&app, &app.admin_token)
        .await
        .expect("admin token works");

    assert_eq!(admin.role, Role::Admin as i32);
    assert!(!admin.display_name.is_empty());
    assert_eq!(admin.time_zone, "UTC");
}

#[tokio::test]
async fn every_account_has_its_own_id_and_token() {
    let app = TestApp::spawn().await;
    let (ada, ada_token) = app.create_account(Role::Client, "Ada").await;
    let (bea, bea_token) = app.create_account(Role::Client, "Bea").await;

    assert_ne!(ada.id, bea.id);
    assert_ne!(ada_token, bea_token);
    assert_eq!(
        current_account(&app, &ada_token).await.expect("Ada").id,
        ada.id
    );
    assert_eq!(
        current_account(&app, &bea_token).await.expect("Bea").id,
        bea.id
    );
}

#[tokio::test]
async fn an_account_needs_a_role_a_display_name_and_a_known_time_zone() {
    let app = TestApp::spawn().await;
    let bad = pb::Account {
        role: Role::Unspecified as i32,
        display_name: String::new(),
        time_zone: "Mars/Olympus".into(),
        ..Default::default()
    };

    let error = create_account(&app, bad).await.expect_err("bad account");

    assert_invalid(
        &error,
        &["account.role", "account.display_name", "account.time_zone"],
    );
}

#[tokio::test]
async fn an_account_role_must_be_a_known_value() {
    let app = TestApp::spawn().await;
    let bad = pb::Account {
        role: 99,
        ..account(Role::Client, "Ada")
    };

    let error = create_account(&app, bad).await.expect_err("role 99");

    assert_invalid(&error, &["account.role"]);
}

#[tokio::test]
async fn a_display_name_may_have_at_most_100_characters() {
    let app = TestApp::spawn().await;

    let error = create_account(&app, account(Role::Client, &"ß".repeat(101)))
        .await
        .expect_err("too long");
    assert_invalid(&error, &["account.display_name"]);

    create_account(&app, account(Role::Client, &"ß".repeat(100)))
        .await
        .expect("100 chars");
}

#[tokio::test]
async fn a_create_account_request_without_an_account_is_rejected() {
    let app = TestApp::spawn().await;

    let error = app
        .accounts(&app.admin_token)
        .await
        .create_account(pb::CreateAccountRequest { account: None })
        .await
        .expect_err("no account");

    assert_invalid(&error, &["account"]);
}
