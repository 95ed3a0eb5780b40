//! AuthService: an account set up with its setup code, signing in with an
//! email and a password per device, refreshing a device's tokens (reuse
//! detection and the grace window), signing out, ending another device's
//! session, the brakes on guessing, and the security events the account's
//! holder reads.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use stepwise::domain::{Clock, ManualClock};
use stepwise::pb;
use stepwise::pb::auth_service_client::AuthServiceClient;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic::transport::{Channel, Endpoint};
use tonic_types::StatusExt;

use crate::helpers::*;
use crate::tokens::{own_subscription, stream_end};

const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
const GRACE: Duration = Duration::from_secs(10 * 60);

/// AuthService as the holder of `token` ("" sends none).
async fn auth(app: &TestApp, token: &str) -> AuthServiceClient<Authed> {
    AuthServiceClient::new(app.authed(token).await)
}

/// A channel to the server from the local address `from` (any 127.x.y.z
/// address is this machine's), so that a test can call from two addresses.
async fn channel_from(app: &TestApp, from: &str) -> Channel {
    let from: IpAddr = from.parse().expect("address");
    Endpoint::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .local_address(Some(from))
        .connect()
        .await
        .expect("connect")
}

/// A server whose clock the test moves.
async fn app_with_clock() -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| {
        config.clock = Some(clock.clone());
        config.heartbeat_ms = 20;
    })
    .await;
    (app, clock)
}

/// A new account's setup code, made by the administrator.
async fn setup_code(app: &TestApp, role: pb::Role) -> pb::CreateAccountResponse {
    app.accounts(&app.admin_token)
        .await
        .create_account(pb::CreateAccountRequest {
            account: Some(pb::Account {
                role: role as i32,
                display_name: "Dr. Ruth".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("create account")
        .into_inner()
}

async fn complete_setup(
    app: &TestApp,
    code: &str,
    email: &str,
    password: &str,
) -> Result<pb::CompleteAccountSetupResponse, tonic::Status> {
    auth(app, "")
        .await
        .complete_account_setup(pb::CompleteAccountSetupRequest {
            setup_code: code.into(),
            email: email.into(),
            password: password.into(),
            device_label: "Office PC".into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

fn sign_in_request(email: &str, password: &str, device: &str) -> pb::SignInRequest {
    pb::SignInRequest {
        email: email.into(),
        password: password.into(),
        device_label: device.into(),
        second_factor_code: String::new(),
    }
}

async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    device: &str,
) -> Result<pb::SessionTokens, tonic::Status> {
    auth(app, "")
        .await
        .sign_in(sign_in_request(email, password, device))
        .await
        .map(|response| response.into_inner().tokens.expect("tokens"))
}

/// A therapist set up with `email` and [`PASSWORD`].
async fn therapist_with_email(app: &TestApp, email: &str) -> pb::SessionTokens {
    let created = setup_code(app, pb::Role::Therapist).await;
    complete_setup(app, &created.setup_code, email, PASSWORD)
        .await
        .expect("set up")
        .tokens
        .expect("tokens")
}

/// A client signed up with an invite of a new therapist, with `email` and
/// [`PASSWORD`].
async fn client_with_email(app: &TestApp, email: &str) -> pb::SessionTokens {
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let code = crate::care::invite(app, &therapist).await.code;
    app.accounts("")
        .await
        .sign_up_with_invite(pb::SignUpWithInviteRequest {
            code,
            display_name: "Ada".into(),
            time_zone: String::new(),
            email: email.into(),
            password: PASSWORD.into(),
            device_label: "Phone".into(),
        })
        .await
        .expect("sign up")
        .into_inner()
        .tokens
        .expect("tokens")
}

async fn refresh(
    app: &TestApp,
    session_id: &str,
    refresh_token: &str,
) -> Result<pb::SessionTokens, tonic::Status> {
    auth(app, "")
        .await
        .refresh_session(pb::RefreshSessionRequest {
            session_id: session_id.into(),
            refresh_token: refresh_token.into(),
        })
        .await
        .map(|response| response.into_inner().tokens.expect("tokens"))
}

fn session_id(tokens: &pb::SessionTokens) -> String {
    tokens.session.as_ref().expect("session").id.clone()
}

async fn sessions(app: &TestApp, token: &str) -> Vec<pb::DeviceSession> {
    auth(app, token)
        .await
        .list_sessions(pb::AuthServiceListSessionsRequest::default())
        .await
        .expect("list sessions")
        .into_inner()
        .sessions
}

async fn security_events(app: &TestApp, token: &str) -> Vec<pb::SecurityEventType> {
    auth(app, token)
        .await
        .list_security_events(pb::ListSecurityEventsRequest::default())
        .await
        .expect("security events")
        .into_inner()
        .events
        .iter()
        .map(pb::SecurityEvent::r#type)
        .collect()
}

#[tokio::test]
async fn a_new_therapist_sets_up_the_account_and_signs_in_on_another_device() {
    let app = TestApp::spawn().await;
    let created = setup_code(&app, pb::Role::Therapist).await;
    assert!(created.setup_code.starts_with("sw_"));
    let lifetime = micros(&created.setup_code_expire_time)
        - micros(&created.account.as_ref().expect("account").create_time);
    assert_eq!(lifetime, 72 * 3600 * 1_000_000);

    let set_up = complete_setup(&app, &created.setup_code, " Ruth@Example.org ", PASSWORD)
        .await
        .expect("set up");
    let office = set_up.tokens.expect("tokens");
    assert_eq!(
        current_account(&app, &office.access_token)
            .await
            .expect("the access token works")
            .id,
        created.account.expect("account").id
    );

    // The email is compared without regard to case.
    let laptop = sign_in(&app, "RUTH@example.ORG", PASSWORD, "Laptop")
        .await
        .expect("sign in");
    let listed = sessions(&app, &laptop.access_token).await;
    let labels: Vec<(&str, bool)> = listed
        .iter()
        .map(|s| (s.device_label.as_str(), s.current))
        .collect();
    assert_eq!(labels, [("Office PC", false), ("Laptop", true)]);
    assert!(
        listed
            .iter()
            .all(|s| s.state() == pb::DeviceSessionState::Active)
    );
    assert_eq!(
        security_events(&app, &laptop.access_token).await,
        [
            pb::SecurityEventType::SignedIn,
            pb::SecurityEventType::SignedIn,
            pb::SecurityEventType::PasswordSet,
        ],
        "newest first"
    );
    // The setup code worked once.
    let again = complete_setup(&app, &created.setup_code, "other@example.org", PASSWORD)
        .await
        .expect_err("used");
    assert_status(&again, Code::NotFound, "SETUP_CODE_NOT_FOUND");
}

#[tokio::test]
async fn a_setup_code_expires_after_72_hours_and_changes_nothing() {
    let (app, clock) = app_with_clock().await;
    let created = setup_code(&app, pb::Role::Therapist).await;
    clock.advance(Duration::from_secs(72 * 3600));
    let expired = complete_setup(&app, &created.setup_code, "ruth@example.org", PASSWORD)
        .await
        .expect_err("expired");
    assert_status(&expired, Code::FailedPrecondition, "SETUP_CODE_EXPIRED");
    let status = sign_in(&app, "ruth@example.org", PASSWORD, "Laptop")
        .await
        .expect_err("no email was set");
    assert_status(&status, Code::Unauthenticated, "SIGN_IN_FAILED");
}

#[tokio::test]
async fn weak_common_and_overlong_passwords_are_refused_naming_password() {
    let app = TestApp::spawn().await;
    let created = setup_code(&app, pb::Role::Therapist).await;
    for (password, why) in [
        ("short pass", "at least 12 characters"),
        ("PasswordPassword", "most commonly used"),
        (&"x".repeat(129), "at most 128 characters"),
    ] {
        let status = complete_setup(&app, &created.setup_code, "ruth@example.org", password)
            .await
            .expect_err("refused");
        assert_invalid(&status, &["password"]);
        let violation = status.get_details_bad_request().expect("bad request");
        assert!(
            violation.field_violations[0].description.contains(why),
            "{status:?}"
        );
    }
    let status = complete_setup(&app, "", "not an email", "")
        .await
        .expect_err("refused");
    assert_invalid(&status, &["setup_code", "email", "password"]);
    // Nothing was used up: the code still sets the account up.
    complete_setup(&app, &created.setup_code, "ruth@example.org", PASSWORD)
        .await
        .expect("set up");
}

#[tokio::test]
async fn a_client_signs_up_with_an_invite_and_an_email_in_use_or_a_weak_password_makes_nothing() {
    let app = TestApp::spawn().await;
    let ruth = therapist_with_email(&app, "ruth@example.org").await;
    let code = crate::care::invite(&app, &ruth.access_token).await.code;
    let mut accounts = app.accounts("").await;
    let request = |email: &str, password: &str| pb::SignUpWithInviteRequest {
        code: code.clone(),
        display_name: "Ada".into(),
        time_zone: String::new(),
        email: email.into(),
        password: password.into(),
        device_label: "Ada's phone".into(),
    };

    let weak = accounts
        .sign_up_with_invite(request("ada@example.org", "123456789012"))
        .await
        .expect_err("common password");
    assert_invalid(&weak, &["password"]);
    let taken = accounts
        .sign_up_with_invite(request("RUTH@example.org", PASSWORD))
        .await
        .expect_err("email in use");
    assert_status(&taken, Code::AlreadyExists, "EMAIL_IN_USE");

    let signed_up = accounts
        .sign_up_with_invite(request("ada@example.org", PASSWORD))
        .await
        .expect("the invite still works")
        .into_inner();
    let tokens = signed_up.tokens.expect("tokens");
    let me = current_account(&app, &tokens.access_token)
        .await
        .expect("signed in");
    assert_eq!(me.role, pb::Role::Client as i32);
    sign_in(&app, "ada@example.org", PASSWORD, "Tablet")
        .await
        .expect("signs in again");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let ruth = therapist_with_email(&app, "ruth@example.org").await;
    let wrong = sign_in(&app, "ruth@example.org", "not her password", "Laptop")
        .await
        .expect_err("wrong password");
    let unknown = sign_in(&app, "nobody@example.org", PASSWORD, "Laptop")
        .await
        .expect_err("unknown email");
    for status in [&wrong, &unknown] {
        assert_status(status, Code::Unauthenticated, "SIGN_IN_FAILED");
    }
    assert_eq!(wrong.message(), unknown.message());
    assert!(!wrong.message().contains("ruth"));

    let events = security_events(&app, &ruth.access_token).await;
    assert_eq!(events[0], pb::SecurityEventType::SignInFailed);
}

#[tokio::test]
async fn a_device_refreshes_its_tokens_and_a_lost_answer_gets_the_same_successor() {
    let (app, clock) = app_with_clock().await;
    let first = therapist_with_email(&app, "ruth@example.org").await;
    let id = session_id(&first);
    assert_eq!(
        micros(&first.access_token_expire_time),
        clock.now_micros() + ACCESS_TTL.as_micros() as i64
    );

    clock.advance(ACCESS_TTL);
    let expired = current_account(&app, &first.access_token)
        .await
        .expect_err("expired");
    assert_status(&expired, Code::Unauthenticated, "ACCESS_TOKEN_EXPIRED");

    let second = refresh(&app, &id, &first.refresh_token)
        .await
        .expect("refresh");
    assert_ne!(second.refresh_token, first.refresh_token);
    current_account(&app, &second.access_token)
        .await
        .expect("the new access token works");

    // The answer was lost: the phone presents the replaced token again.
    clock.advance(GRACE - Duration::from_secs(1));
    let repeated = refresh(&app, &id, &first.refresh_token)
        .await
        .expect("within the grace window");
    assert_eq!(repeated.refresh_token, second.refresh_token);
    current_account(&app, &repeated.access_token)
        .await
        .expect("works");

    let third = refresh(&app, &id, &repeated.refresh_token)
        .await
        .expect("the successor rotates as usual");
    assert_ne!(third.refresh_token, second.refresh_token);
}

#[tokio::test]
async fn a_replaced_refresh_token_presented_again_ends_the_whole_session() {
    let (app, clock) = app_with_clock().await;
    let first = client_with_email(&app, "ada@example.org").await;
    let laptop = sign_in(&app, "ada@example.org", PASSWORD, "Laptop")
        .await
        .expect("sign in");
    let id = session_id(&first);
    let second = refresh(&app, &id, &first.refresh_token)
        .await
        .expect("refresh");
    let third = refresh(&app, &id, &second.refresh_token)
        .await
        .expect("refresh");
    let mut stream = own_subscription(&app, &third.access_token).await;
    stream.next().await.expect("event").expect("alive");

    // A copy of the first token, older than the one just replaced.
    let reused = refresh(&app, &id, &first.refresh_token)
        .await
        .expect_err("reused");
    assert_status(&reused, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");
    let ended = current_account(&app, &third.access_token)
        .await
        .expect_err("the session ended");
    assert_status(&ended, Code::Unauthenticated, "SESSION_ENDED");
    let ended = refresh(&app, &id, &third.refresh_token)
        .await
        .expect_err("the latest refresh token too");
    assert_status(&ended, Code::Unauthenticated, "SESSION_ENDED");
    assert_status(
        &stream_end(&mut stream).await,
        Code::Unauthenticated,
        "SESSION_ENDED",
    );

    // The replaced token after the grace window counts as reused too.
    refresh(&app, &session_id(&laptop), &laptop.refresh_token)
        .await
        .expect("the other device refreshes");
    clock.advance(GRACE);
    let late = refresh(&app, &session_id(&laptop), &laptop.refresh_token)
        .await
        .expect_err("after the grace window");
    assert_status(&late, Code::Unauthenticated, "REFRESH_TOKEN_REUSED");

    // Ada signs in again and sees what happened.
    clock.advance(Duration::from_secs(1));
    let again = sign_in(&app, "ada@example.org", PASSWORD, "Laptop")
        .await
        .expect("sign in");
    let listed = sessions(&app, &again.access_token).await;
    let states: Vec<pb::DeviceSessionState> = listed.iter().map(|s| s.state()).collect();
    assert_eq!(
        states,
        [
            pb::DeviceSessionState::RefreshReused,
            pb::DeviceSessionState::RefreshReused,
            pb::DeviceSessionState::Active,
        ]
    );
    let events = security_events(&app, &again.access_token).await;
    assert_eq!(
        events[..2],
        [
            pb::SecurityEventType::SignedIn,
            pb::SecurityEventType::RefreshReused,
        ]
    );
    let reuses = events
        .iter()
        .filter(|&&event| event == pb::SecurityEventType::RefreshReused)
        .count();
    assert_eq!(reuses, 2, "one for each ended session: {events:?}");
}

#[tokio::test]
async fn a_refresh_token_of_another_device_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let office = therapist_with_email(&app, "ruth@example.org").await;
    let laptop = sign_in(&app, "ruth@example.org", PASSWORD, "Laptop")
        .await
        .expect("sign in");
    let status = refresh(&app, &session_id(&office), &laptop.refresh_token)
        .await
        .expect_err("another device's token");
    assert_status(
        &status,
        Code::Unauthenticated,
        "REFRESH_TOKEN_OF_ANOTHER_SESSION",
    );
    for tokens in [&office, &laptop] {
        let next = refresh(&app, &session_id(tokens), &tokens.refresh_token)
            .await
            .expect("each device's own token still works");
        current_account(&app, &next.access_token)
            .await
            .expect("works");
    }
    let status = refresh(&app, "not an id", "")
        .await
        .expect_err("bad request");
    assert_invalid(&status, &["session_id", "refresh_token"]);
}

#[tokio::test]
async fn a_stream_lives_as_long_as_its_session_and_ends_when_the_device_signs_out() {
    let (app, clock) = app_with_clock().await;
    let ruth = therapist_with_email(&app, "ruth@example.org").await;
    let signed_up = {
        let code = crate::care::invite(&app, &ruth.access_token).await.code;
        crate::care::sign_up(&app, &code, "Ada")
            .await
            .expect("sign up")
    };
    let ada = signed_up.tokens;
    let mut stream = own_subscription(&app, &ada.access_token).await;
    stream.next().await.expect("event").expect("alive");

    // The access token expires; the stream goes on while its session lasts.
    clock.advance(ACCESS_TTL + Duration::from_secs(60));
    let refreshed = refresh(&app, &session_id(&ada), &ada.refresh_token)
        .await
        .expect("refresh");
    let goal = create_goal(&app, &refreshed.access_token, "Sleep better").await;
    let delivered = loop {
        match stream.next().await.expect("event").expect("alive").event {
            Some(pb::subscribe_response::Event::Change(change)) => break change,
            _ => continue,
        }
    };
    assert!(matches!(delivered.entity, Some(pb::change::Entity::Goal(g)) if g.id == goal.id));

    let signed_out = auth(&app, &refreshed.access_token)
        .await
        .sign_out(pb::SignOutRequest {})
        .await
        .expect("sign out")
        .into_inner()
        .session
        .expect("session");
    assert_eq!(signed_out.state(), pb::DeviceSessionState::SignedOut);
    assert_status(
        &stream_end(&mut stream).await,
        Code::Unauthenticated,
        "SESSION_ENDED",
    );
    let status = refresh(&app, &session_id(&ada), &refreshed.refresh_token)
        .await
        .expect_err("signed out");
    assert_status(&status, Code::Unauthenticated, "SESSION_ENDED");

    // A personal access token is revoked, not signed out.
    let status = auth(&app, &signed_up.token)
        .await
        .sign_out(pb::SignOutRequest {})
        .await
        .expect_err("not a device session");
    assert_status(&status, Code::FailedPrecondition, "NOT_A_DEVICE_SESSION");
}

#[tokio::test]
async fn a_lost_phones_session_is_ended_from_another_device_and_strangers_find_nothing() {
    let app = TestApp::spawn().await;
    let phone = therapist_with_email(&app, "ruth@example.org").await;
    let laptop = sign_in(&app, "ruth@example.org", PASSWORD, "Laptop")
        .await
        .expect("sign in");
    let stranger = therapist_with_email(&app, "kim@example.org").await;

    let status = auth(&app, &stranger.access_token)
        .await
        .revoke_session(pb::RevokeSessionRequest {
            id: session_id(&phone),
        })
        .await
        .expect_err("another account's session");
    assert_not_found(&status);
    current_account(&app, &phone.access_token)
        .await
        .expect("the phone still works");

    let revoked = auth(&app, &laptop.access_token)
        .await
        .revoke_session(pb::RevokeSessionRequest {
            id: session_id(&phone),
        })
        .await
        .expect("revoke")
        .into_inner();
    assert_eq!(revoked.state(), pb::DeviceSessionState::Revoked);
    assert!(revoked.end_time.is_some());
    let status = current_account(&app, &phone.access_token)
        .await
        .expect_err("revoked");
    assert_status(&status, Code::Unauthenticated, "SESSION_ENDED");
    current_account(&app, &laptop.access_token)
        .await
        .expect("the laptop goes on");
    assert_eq!(
        security_events(&app, &laptop.access_token).await[0],
        pb::SecurityEventType::SessionRevoked
    );
}

#[tokio::test]
async fn failed_sign_ins_are_slowed_down_but_never_from_another_address() {
    let (app, clock) = app_with_clock().await;
    let office = therapist_with_email(&app, "ruth@example.org").await;
    let mut here = AuthServiceClient::new(channel_from(&app, "127.0.0.1").await);
    for _ in 0..5 {
        let status = here
            .sign_in(sign_in_request("ruth@example.org", "a guess at it", "x"))
            .await
            .expect_err("wrong");
        assert_status(&status, Code::Unauthenticated, "SIGN_IN_FAILED");
    }
    // The guesser waits, even with the right password.
    let status = here
        .sign_in(sign_in_request("ruth@example.org", PASSWORD, "x"))
        .await
        .expect_err("throttled");
    assert_status(&status, Code::ResourceExhausted, "SIGN_IN_THROTTLED");
    let retry = status.get_details_retry_info().expect("RetryInfo");
    assert_eq!(retry.retry_delay, Some(Duration::from_secs(1)));

    // Ruth, from another address, signs in; her session was never touched.
    let mut elsewhere = AuthServiceClient::new(channel_from(&app, "127.0.0.2").await);
    elsewhere
        .sign_in(sign_in_request("ruth@example.org", PASSWORD, "Phone"))
        .await
        .expect("another address is not slowed");
    current_account(&app, &office.access_token)
        .await
        .expect("the valid session goes on");

    // After the wait, one more guess; the next wait is twice as long.
    clock.advance(Duration::from_secs(1));
    here.sign_in(sign_in_request("ruth@example.org", "another guess", "x"))
        .await
        .expect_err("wrong");
    let status = here
        .sign_in(sign_in_request("ruth@example.org", "and another", "x"))
        .await
        .expect_err("throttled");
    let retry = status.get_details_retry_info().expect("RetryInfo");
    assert_eq!(retry.retry_delay, Some(Duration::from_secs(2)));
    clock.advance(Duration::from_secs(2));
    here.sign_in(sign_in_request("ruth@example.org", PASSWORD, "Laptop"))
        .await
        .expect("the right password, after the wait");
}

#[tokio::test]
async fn security_events_come_in_pages_and_go_with_the_account() {
    let app = TestApp::spawn().await;
    let ruth = therapist_with_email(&app, "ruth@example.org").await;
    let code = crate::care::invite(&app, &ruth.access_token).await.code;
    let ada = crate::care::sign_up(&app, &code, "Ada")
        .await
        .expect("sign up");
    for n in 0..3 {
        sign_in(
            &app,
            "ruth@example.org",
            &format!("wrong password {n}"),
            "x",
        )
        .await
        .expect_err("wrong");
    }
    let pages = all_pages(|token| {
        let app = &app;
        let access = ruth.access_token.clone();
        async move {
            let page = auth(app, &access)
                .await
                .list_security_events(pb::ListSecurityEventsRequest {
                    page_size: 2,
                    page_token: token,
                })
                .await
                .expect("page")
                .into_inner();
            (page.events, page.next_page_token)
        }
    })
    .await;
    // Three failures, the sign-in and the password's setting.
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);

    // Ada deletes her account: her sessions and events go with it.
    let ada_id = ada.account.expect("account").id;
    app.accounts(&ada.token)
        .await
        .delete_account(pb::DeleteAccountRequest {
            id: String::new(),
            confirm_account_id: ada_id,
        })
        .await
        .expect("delete");
    let status = current_account(&app, &ada.tokens.access_token)
        .await
        .expect_err("deleted");
    assert_status(&status, Code::Unauthenticated, "ACCOUNT_DELETED");
    let status = refresh(&app, &session_id(&ada.tokens), &ada.tokens.refresh_token)
        .await
        .expect_err("deleted");
    assert_eq!(status.code(), Code::Unauthenticated);
}

/// The code an authenticator app that read `uri` shows at `now_us`.
fn authenticator_code(uri: &str, now_us: i64) -> String {
    let totp = totp_rs::Totp::from_url(uri).expect("an otpauth URI");
    totp.generate(u64::try_from(now_us / 1_000_000).expect("time"))
        .to_string()
}

fn sign_in_with_code(email: &str, device: &str, code: &str) -> pb::SignInRequest {
    pb::SignInRequest {
        second_factor_code: code.into(),
        ..sign_in_request(email, PASSWORD, device)
    }
}

#[tokio::test]
async fn an_authenticator_is_added_with_a_first_code_and_each_code_signs_in_once() {
    let (app, clock) = app_with_clock().await;
    let office = therapist_with_email(&app, "ruth@example.org").await;
    let mut ruth = auth(&app, &office.access_token).await;
    let uri = ruth
        .begin_totp_enrollment(pb::BeginTotpEnrollmentRequest {})
        .await
        .expect("begin")
        .into_inner()
        .provisioning_uri;
    assert!(uri.starts_with("otpauth://totp/Stepwise:ruth%40example.org?secret="));

    let wrong = ruth
        .confirm_totp_enrollment(pb::ConfirmTotpEnrollmentRequest {
            code: "000000".into(),
        })
        .await
        .expect_err("wrong code");
    assert_invalid(&wrong, &["code"]);
    let first_code = authenticator_code(&uri, clock.now_micros());
    let recovery_codes = ruth
        .confirm_totp_enrollment(pb::ConfirmTotpEnrollmentRequest {
            code: first_code.clone(),
        })
        .await
        .expect("confirm")
        .into_inner()
        .recovery_codes;
    assert_eq!(recovery_codes.len(), 10);
    let again = ruth
        .begin_totp_enrollment(pb::BeginTotpEnrollmentRequest {})
        .await
        .expect_err("one factor at a time");
    assert_status(&again, Code::FailedPrecondition, "SECOND_FACTOR_EXISTS");

    let mut anyone = auth(&app, "").await;
    let needed = anyone
        .sign_in(sign_in_request("ruth@example.org", PASSWORD, "Laptop"))
        .await
        .expect_err("no code");
    assert_status(&needed, Code::Unauthenticated, "SECOND_FACTOR_NEEDED");
    let reused = anyone
        .sign_in(sign_in_with_code("ruth@example.org", "Laptop", &first_code))
        .await
        .expect_err("the confirming code was used");
    assert_status(&reused, Code::Unauthenticated, "SECOND_FACTOR_WRONG");

    clock.advance(Duration::from_secs(30));
    let next_code = authenticator_code(&uri, clock.now_micros());
    anyone
        .sign_in(sign_in_with_code("ruth@example.org", "Laptop", &next_code))
        .await
        .expect("the next code signs in");
    let reused = anyone
        .sign_in(sign_in_with_code("ruth@example.org", "Tablet", &next_code))
        .await
        .expect_err("a code works once");
    assert_status(&reused, Code::Unauthenticated, "SECOND_FACTOR_WRONG");

    // The phone is lost: a recovery code works, once.
    let lost = &recovery_codes[0];
    anyone
        .sign_in(sign_in_with_code("ruth@example.org", "New phone", lost))
        .await
        .expect("a recovery code signs in");
    let reused = anyone
        .sign_in(sign_in_with_code("ruth@example.org", "Tablet", lost))
        .await
        .expect_err("used up");
    assert_status(&reused, Code::Unauthenticated, "SECOND_FACTOR_WRONG");
    let events = security_events(&app, &office.access_token).await;
    assert!(events.contains(&pb::SecurityEventType::SecondFactorAdded));
    assert!(events.contains(&pb::SecurityEventType::RecoveryCodeUsed));
}

#[tokio::test]
async fn removing_the_second_factor_asks_for_the_password_again() {
    let (app, clock) = app_with_clock().await;
    let office = therapist_with_email(&app, "ruth@example.org").await;
    let mut ruth = auth(&app, &office.access_token).await;
    let uri = ruth
        .begin_totp_enrollment(pb::BeginTotpEnrollmentRequest {})
        .await
        .expect("begin")
        .into_inner()
        .provisioning_uri;
    ruth.confirm_totp_enrollment(pb::ConfirmTotpEnrollmentRequest {
        code: authenticator_code(&uri, clock.now_micros()),
    })
    .await
    .expect("confirm");

    let wrong = ruth
        .remove_totp(pb::RemoveTotpRequest {
            password: "not my password".into(),
        })
        .await
        .expect_err("wrong password");
    assert_invalid(&wrong, &["password"]);
    let needed = sign_in(&app, "ruth@example.org", PASSWORD, "Laptop")
        .await
        .expect_err("the factor stays");
    assert_status(&needed, Code::Unauthenticated, "SECOND_FACTOR_NEEDED");

    ruth.remove_totp(pb::RemoveTotpRequest {
        password: PASSWORD.into(),
    })
    .await
    .expect("removed");
    sign_in(&app, "ruth@example.org", PASSWORD, "Laptop")
        .await
        .expect("the password alone signs in again");
    assert!(
        security_events(&app, &office.access_token)
            .await
            .contains(&pb::SecurityEventType::SecondFactorRemoved)
    );
}

#[tokio::test]
async fn a_therapist_reads_no_client_data_before_adding_a_second_factor() {
    let (app, clock) = app_with_clock().await;
    let ruth = therapist_with_email(&app, "ruth@example.org").await;
    let code = crate::care::invite(&app, &ruth.access_token).await.code;
    let ada = crate::care::sign_up(&app, &code, "Ada")
        .await
        .expect("sign up");
    let ada_id = ada.account.expect("account").id;
    create_goal(&app, &ada.token, "Sleep better").await;
    // A personal access token made before the factor is held to it too.
    let pat = long_lived_token(&app, &ruth).await;

    for token in [&ruth.access_token, &pat] {
        let status = app
            .goals(token)
            .await
            .list_goals(pb::ListGoalsRequest {
                client_id: ada_id.clone(),
                ..Default::default()
            })
            .await
            .expect_err("no second factor");
        assert_status(&status, Code::FailedPrecondition, "SECOND_FACTOR_REQUIRED");
        let status = crate::care::care(&app, token)
            .await
            .list_client_summaries(pb::ListClientSummariesRequest::default())
            .await
            .expect_err("no second factor");
        assert_status(&status, Code::FailedPrecondition, "SECOND_FACTOR_REQUIRED");
    }
    assert!(
        crate::care::access_events(&app, &ada.token)
            .await
            .is_empty(),
        "nothing was read"
    );

    // The first sign-in without a factor can still add one; then the data
    // is there, for the same session and the token alike.
    let now = u64::try_from(clock.now_micros() / 1_000_000).expect("time");
    stepwise::client::accounts::add_authenticator(&app.channel().await, &ruth.access_token, now)
        .await
        .expect("add an authenticator");
    for token in [&ruth.access_token, &pat] {
        assert_eq!(list_goals_of(&app, token, &ada_id).await.len(), 1);
    }
}

#[tokio::test]
async fn a_new_password_signs_out_every_other_device_and_a_new_email_signs_in() {
    let app = TestApp::spawn().await;
    let office = therapist_with_email(&app, "ruth@example.org").await;
    let laptop = sign_in(&app, "ruth@example.org", PASSWORD, "Laptop")
        .await
        .expect("sign in");
    let mut ruth = auth(&app, &laptop.access_token).await;

    let status = ruth
        .change_password(pb::ChangePasswordRequest {
            current_password: "not my password".into(),
            new_password: "password".into(),
        })
        .await
        .expect_err("bad request");
    assert_invalid(&status, &["new_password"]);
    let status = ruth
        .change_password(pb::ChangePasswordRequest {
            current_password: "not my password".into(),
            new_password: "a brand new passphrase".into(),
        })
        .await
        .expect_err("wrong password");
    assert_invalid(&status, &["current_password"]);

    let changed = ruth
        .change_password(pb::ChangePasswordRequest {
            current_password: PASSWORD.into(),
            new_password: "a brand new passphrase".into(),
        })
        .await
        .expect("changed")
        .into_inner();
    assert_eq!(changed.ended_session_count, 1);
    let status = current_account(&app, &office.access_token)
        .await
        .expect_err("the other device is signed out");
    assert_status(&status, Code::Unauthenticated, "SESSION_ENDED");
    current_account(&app, &laptop.access_token)
        .await
        .expect("this device goes on");
    let status = sign_in(&app, "ruth@example.org", PASSWORD, "Tablet")
        .await
        .expect_err("the old password");
    assert_status(&status, Code::Unauthenticated, "SIGN_IN_FAILED");

    // Another account's email is taken; a new one works at once.
    therapist_with_email(&app, "kim@example.org").await;
    let status = ruth
        .change_email(pb::ChangeEmailRequest {
            password: "a brand new passphrase".into(),
            new_email: "KIM@example.org".into(),
        })
        .await
        .expect_err("in use");
    assert_status(&status, Code::AlreadyExists, "EMAIL_IN_USE");
    ruth.change_email(pb::ChangeEmailRequest {
        password: "a brand new passphrase".into(),
        new_email: "dr.ruth@example.org".into(),
    })
    .await
    .expect("changed");
    sign_in(
        &app,
        "dr.ruth@example.org",
        "a brand new passphrase",
        "Tablet",
    )
    .await
    .expect("the new email signs in");
    let status = sign_in(&app, "ruth@example.org", "a brand new passphrase", "Tablet")
        .await
        .expect_err("the old email is free");
    assert_status(&status, Code::Unauthenticated, "SIGN_IN_FAILED");
    let events = security_events(&app, &laptop.access_token).await;
    assert!(events.contains(&pb::SecurityEventType::PasswordChanged));
    assert!(events.contains(&pb::SecurityEventType::EmailChanged));
}

async fn recover(
    app: &TestApp,
    code: &str,
    password: &str,
) -> Result<pb::RecoverAccountResponse, tonic::Status> {
    auth(app, "")
        .await
        .recover_account(pb::RecoverAccountRequest {
            recovery_code: code.into(),
            new_password: password.into(),
            device_label: "New phone".into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_client_who_lost_every_device_recovers_with_a_code_from_their_therapist() {
    let (app, clock) = app_with_clock().await;
    let team = crate::care::team(&app).await;
    let code = crate::care::invite(&app, &team.therapist).await.code;
    let ada = crate::care::sign_up(&app, &code, "Ada")
        .await
        .expect("sign up");
    let ada_id = ada.account.clone().expect("account").id;
    let (_, stranger) = app.create_account(pb::Role::Therapist, "Dr. Who").await;
    let request = |token: &str| {
        let (app, token, client_id) = (&app, token.to_owned(), ada_id.clone());
        async move {
            auth(app, &token)
                .await
                .create_recovery_code(pb::CreateRecoveryCodeRequest { client_id })
                .await
                .map(tonic::Response::into_inner)
        }
    };
    for outsider in [&stranger, &ada.token] {
        assert_not_found(&request(outsider).await.expect_err("not theirs"));
    }
    let made = request(&team.therapist)
        .await
        .expect("the linked therapist");
    assert_eq!(
        micros(&made.expire_time) - clock.now_micros(),
        24 * 3600 * 1_000_000
    );

    let weak = recover(&app, &made.recovery_code, "short")
        .await
        .expect_err("weak");
    assert_invalid(&weak, &["new_password"]);
    let wrong = recover(&app, "sw_not_a_code", "a fresh start for ada")
        .await
        .expect_err("wrong");
    assert_status(&wrong, Code::NotFound, "RECOVERY_CODE_NOT_FOUND");
    let recovered = recover(&app, &made.recovery_code, "a fresh start for ada")
        .await
        .expect("recovered");
    let tokens = recovered.tokens.expect("tokens");
    current_account(&app, &tokens.access_token)
        .await
        .expect("the new device works");
    let status = current_account(&app, &ada.tokens.access_token)
        .await
        .expect_err("the lost phone is signed out");
    assert_status(&status, Code::Unauthenticated, "SESSION_ENDED");
    let again = recover(&app, &made.recovery_code, "another fresh start")
        .await
        .expect_err("single use");
    assert_status(&again, Code::NotFound, "RECOVERY_CODE_NOT_FOUND");

    // Nothing of it is quiet.
    let events = security_events(&app, &tokens.access_token).await;
    for kind in [
        pb::SecurityEventType::RecoveryCodeCreated,
        pb::SecurityEventType::AccountRecovered,
    ] {
        assert!(events.contains(&kind), "{kind:?} in {events:?}");
    }
    let trail = crate::care::access_events(&app, &tokens.access_token).await;
    assert!(
        trail
            .iter()
            .any(|e| e.method == "stepwise.v1.AuthService/CreateRecoveryCode")
    );
    let actions: Vec<pb::AdminAction> = crate::admin::admin_events(&app, &app.admin_token)
        .await
        .expect("admin events")
        .iter()
        .map(pb::AdminEvent::action)
        .collect();
    assert!(actions.contains(&pb::AdminAction::RecoveryCodeCreated));
    assert!(actions.contains(&pb::AdminAction::AccountRecovered));

    // An administrator's code expires after 24 hours.
    let made = request(&app.admin_token).await.expect("an administrator");
    clock.advance(Duration::from_secs(24 * 3600));
    let expired = recover(&app, &made.recovery_code, "a fresh start for ada")
        .await
        .expect_err("expired");
    assert_status(&expired, Code::FailedPrecondition, "RECOVERY_CODE_EXPIRED");
}
