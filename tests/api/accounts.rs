//! AccountService: administrators create accounts; everyone reads their own.

use stepwise::pb;
use stepwise::pb::Role;

use crate::helpers::*;

/// An account the admin created and its holder set up, with a token.
#[derive(Debug)]
struct Created {
    account: Option<pb::Account>,
    token: String,
}

/// Asks the admin to create `account`, and sets it up.
async fn create_account(app: &TestApp, account: pb::Account) -> Result<Created, tonic::Status> {
    let (account, token) = app.create_account_by(&app.admin_token, account).await?;
    Ok(Created {
        account: Some(account),
        token,
    })
}

fn account(role: Role, display_name: &str) -> pb::Account {
    pb::Account {
        role: role as i32,
        display_name: display_name.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_admin_creates_a_client_who_sets_up_the_account_and_is_signed_in() {
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

    let (_, token) = app
        .create_account_by(&second.token, account(Role::Client, "Ada"))
        .await
        .expect("the second admin creates a client");

    let current = current_account(&app, &token).await.expect("token works");
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

/// Changes the profile of the holder of `token`: the fields of `account`
/// named in `paths`.
async fn update_profile(
    app: &TestApp,
    token: &str,
    account: pb::Account,
    paths: &[&str],
) -> Result<pb::Account, tonic::Status> {
    app.accounts(token)
        .await
        .update_current_account(pb::UpdateCurrentAccountRequest {
            account: Some(account),
            update_mask: mask(paths),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Today, as `GetProgress` counts it for the holder of `token`.
async fn progress_today(app: &TestApp, token: &str, client_id: &str) -> String {
    app.progress(token)
        .await
        .get_progress(pb::GetProgressRequest {
            target: Some(pb::get_progress_request::Target::ClientId(client_id.into())),
            as_of_date: String::new(),
        })
        .await
        .expect("progress")
        .into_inner()
        .as_of_date
}

#[tokio::test]
async fn a_client_who_moves_changes_their_time_zone_and_keeps_their_days() {
    // 23:30 in Lisbon and London on 2026-11-25, already the 26th in Berlin.
    let evening = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
        .and_then(|day| day.and_hms_opt(23, 30, 0))
        .expect("time")
        .and_utc()
        .timestamp_micros();
    let clock = std::sync::Arc::new(stepwise::domain::ManualClock::starting_at(evening));
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let created = create_account(
        &app,
        pb::Account {
            time_zone: "Europe/Berlin".into(),
            ..account(Role::Client, "Ada")
        },
    )
    .await
    .expect("create");
    let (ada, token) = (created.account.expect("account"), created.token);
    let (_, step) = goal_with_step(&app, &token).await;
    log_check_in(&app, &token, &step.id, "2026-11-26", pb::CheckInState::Done)
        .await
        .expect("check in, Berlin's today");
    assert_eq!(progress_today(&app, &token, &ada.id).await, "2026-11-26");

    let moved = update_profile(
        &app,
        &token,
        pb::Account {
            time_zone: "Europe/Lisbon".into(),
            ..Default::default()
        },
        &["time_zone"],
    )
    .await
    .expect("move to Lisbon");

    assert_eq!(moved.time_zone, "Europe/Lisbon");
    assert_eq!(moved.display_name, "Ada", "not in the mask, unchanged");
    assert!(moved.version > ada.version);
    assert_eq!(current_account(&app, &token).await.expect("read"), moved);
    assert_eq!(
        progress_today(&app, &token, &ada.id).await,
        "2026-11-25",
        "today is counted in the new zone"
    );
    let check_ins = list_check_ins(&app, &token, &step.id, "", "")
        .await
        .expect("check-ins");
    assert_eq!(
        check_ins[0].local_date, "2026-11-26",
        "a day keeps its date"
    );
}

#[tokio::test]
async fn a_new_display_name_with_an_empty_mask_changes_both_fields() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;

    let changed = update_profile(
        &app,
        &token,
        pb::Account {
            display_name: "Ada L.".into(),
            time_zone: "America/Sao_Paulo".into(),
            ..Default::default()
        },
        &[],
    )
    .await
    .expect("update");

    assert_eq!(
        (changed.display_name.as_str(), changed.time_zone.as_str()),
        ("Ada L.", "America/Sao_Paulo")
    );
}

#[tokio::test]
async fn an_unknown_time_zone_or_field_is_refused_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let token = app.new_client("Ada").await;
    let before = current_account(&app, &token).await.expect("read");
    let bad = pb::Account {
        display_name: " ".into(),
        time_zone: "Mars/Olympus".into(),
        ..Default::default()
    };

    let error = update_profile(&app, &token, bad.clone(), &[])
        .await
        .expect_err("bad values");
    assert_invalid(&error, &["account.display_name", "account.time_zone"]);
    let error = update_profile(&app, &token, bad, &["role"])
        .await
        .expect_err("role is not the caller's to change");
    assert_invalid(&error, &["update_mask"]);
    let empty_zone = pb::Account::default();
    let error = update_profile(&app, &token, empty_zone, &["time_zone"])
        .await
        .expect_err("an empty time zone");
    assert_invalid(&error, &["account.time_zone"]);
    let stale = pb::Account {
        display_name: "Ada L.".into(),
        version: before.version + 5,
        ..Default::default()
    };
    let error = update_profile(&app, &token, stale, &["display_name"])
        .await
        .expect_err("stale version");
    assert_status(&error, tonic::Code::Aborted, "VERSION_MISMATCH");

    assert_eq!(current_account(&app, &token).await.expect("read"), before);
}
