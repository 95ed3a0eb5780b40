//! Tokens per device: each device its own, listed without secrets, revoked
//! one by one (a lost phone), expiring by the server's clock, and streams
//! that end when their token stops working.

use std::sync::Arc;
use std::time::Duration;

use prost::Message;
use stepwise::domain::{Clock, ManualClock};
use stepwise::pb;
use tokio_stream::StreamExt;
use tonic::{Code, Status, Streaming};

use crate::devices::sync_api;
use crate::helpers::*;

/// Makes a token as the holder of `token`.
pub async fn try_create_token(
    app: &TestApp,
    token: &str,
    request: pb::CreateTokenRequest,
) -> Result<pb::CreateTokenResponse, Status> {
    app.accounts(token)
        .await
        .create_token(request)
        .await
        .map(tonic::Response::into_inner)
}

/// A new token labelled `label` for the holder of `token`: its id and
/// secret.
pub async fn device_token(app: &TestApp, token: &str, label: &str) -> (String, String) {
    let created = try_create_token(
        app,
        token,
        pb::CreateTokenRequest {
            label: label.into(),
            expire_time: None,
        },
    )
    .await
    .expect("create token");
    (created.token.expect("token").id, created.secret)
}

/// The tokens of the holder of `token`, in one page.
pub async fn tokens(app: &TestApp, token: &str) -> Result<pb::ListTokensResponse, Status> {
    app.accounts(token)
        .await
        .list_tokens(pb::ListTokensRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Revokes the token `id` as the holder of `token`.
pub async fn revoke(app: &TestApp, token: &str, id: &str) -> Result<pb::Token, Status> {
    app.accounts(token)
        .await
        .revoke_token(pb::RevokeTokenRequest { id: id.into() })
        .await
        .map(tonic::Response::into_inner)
}

/// A subscription to the data of `client_id` ("" for the caller's own),
/// as the holder of `token`.
pub async fn subscription(
    app: &TestApp,
    token: &str,
    client_id: &str,
) -> Streaming<pb::SubscribeResponse> {
    sync_api(app, token)
        .await
        .subscribe(pb::SubscribeRequest {
            client_id: client_id.into(),
            ..Default::default()
        })
        .await
        .expect("subscribe")
        .into_inner()
}

/// The client's own subscription, as the holder of `token`.
pub async fn own_subscription(app: &TestApp, token: &str) -> Streaming<pb::SubscribeResponse> {
    subscription(app, token, "").await
}

/// How a stream ends: its first error, after any number of events; a
/// stream that ends without one, or not at all, fails the test.
pub async fn stream_end<T>(stream: &mut Streaming<T>) -> Status {
    let end = async {
        loop {
            match stream.next().await {
                Some(Ok(_)) => {}
                Some(Err(status)) => return status,
                None => panic!("the stream ended without an error"),
            }
        }
    };
    // A guard against a hang, not a timing assertion.
    tokio::time::timeout(Duration::from_secs(30), end)
        .await
        .expect("the stream did not end")
}

#[tokio::test]
async fn each_device_gets_its_own_token_and_the_list_never_shows_a_secret() {
    let app = TestApp::spawn().await;
    let first = app.new_client("Ada").await;
    let before = now_micros();
    let (phone_id, phone) = device_token(&app, &first, "Ada's iPhone").await;
    let (_, laptop) = device_token(&app, &first, "Ada's laptop").await;

    for token in [&first, &phone, &laptop] {
        current_account(&app, token)
            .await
            .expect("each token works");
    }
    let listed = tokens(&app, &phone).await.expect("list");
    let labels: Vec<&str> = listed.tokens.iter().map(|t| t.label.as_str()).collect();
    assert_eq!(labels, ["first token", "Ada's iPhone", "Ada's laptop"]);
    for token in &listed.tokens {
        assert_eq!(token.state(), pb::TokenState::Active);
        assert!(token.revoke_time.is_none());
        assert_eq!(token.current, token.id == phone_id, "{}", token.label);
    }
    let phone_token = &listed.tokens[1];
    assert_eq!(
        micros(&phone_token.expire_time) - micros(&phone_token.create_time),
        90 * 24 * 3600 * 1_000_000,
        "a token made without an expiry works for 90 days"
    );
    assert!(micros(&listed.tokens[1].create_time) >= before);
    let bytes = listed.encode_to_vec();
    for secret in [&first, &phone, &laptop] {
        let secret = secret.as_bytes();
        assert!(
            !bytes.windows(secret.len()).any(|window| window == secret),
            "a secret in the list"
        );
    }
}

#[tokio::test]
async fn a_lost_phones_token_is_refused_at_its_next_call_and_the_others_keep_working() {
    let app = TestApp::spawn().await;
    let laptop = app.new_client("Ada").await;
    let (phone_id, phone) = device_token(&app, &laptop, "Ada's iPhone").await;
    create_goal(&app, &phone, "Walk more").await;

    let revoked = revoke(&app, &laptop, &phone_id).await.expect("revoke");

    assert_eq!(revoked.state(), pb::TokenState::Revoked);
    assert!(revoked.revoke_time.is_some());
    let refused = current_account(&app, &phone).await.expect_err("revoked");
    assert_status(&refused, Code::Unauthenticated, "TOKEN_REVOKED");
    assert_eq!(list_goals(&app, &laptop).await.len(), 1, "the data stays");
    let again = revoke(&app, &laptop, &phone_id).await.expect("again");
    assert_eq!(again.revoke_time, revoked.revoke_time, "nothing changes");
    let listed = tokens(&app, &laptop).await.expect("list").tokens;
    assert_eq!(
        listed.iter().map(|t| t.state()).collect::<Vec<_>>(),
        [pb::TokenState::Active, pb::TokenState::Revoked]
    );
}

#[tokio::test]
async fn a_device_signs_itself_out_by_revoking_its_own_token() {
    let app = TestApp::spawn().await;
    let first = app.new_client("Ada").await;
    let listed = tokens(&app, &first).await.expect("list").tokens;

    revoke(&app, &first, &listed[0].id).await.expect("sign out");

    let refused = current_account(&app, &first).await.expect_err("signed out");
    assert_status(&refused, Code::Unauthenticated, "TOKEN_REVOKED");
}

#[tokio::test]
async fn nobody_revokes_or_sees_someone_elses_tokens() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bea = app.new_client("Bea").await;
    let (bea_phone_id, bea_phone) = device_token(&app, &bea, "Bea's phone").await;

    let refused = revoke(&app, &ada, &bea_phone_id)
        .await
        .expect_err("Bea's token");
    assert_not_found(&refused);
    let admin_refused = revoke(&app, &app.admin_token, &bea_phone_id)
        .await
        .expect_err("not even an administrator");
    assert_not_found(&admin_refused);
    current_account(&app, &bea_phone)
        .await
        .expect("Bea's token still works");
    let ada_sees = tokens(&app, &ada).await.expect("list").tokens;
    assert_eq!(ada_sees.len(), 1, "only her own");
    let bad = revoke(&app, &ada, "not-an-id").await.expect_err("bad id");
    assert_invalid(&bad, &["id"]);
}

#[tokio::test]
async fn a_token_needs_a_label_and_an_expiry_in_the_next_ten_years() {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let ada = app.new_client("Ada").await;
    let now_s = clock.now_micros() / 1_000_000;

    let past = try_create_token(
        &app,
        &ada,
        pb::CreateTokenRequest {
            label: " ".into(),
            expire_time: at(now_s - 1),
        },
    )
    .await
    .expect_err("no label, expired");
    assert_invalid(&past, &["label", "expire_time"]);
    let far = try_create_token(
        &app,
        &ada,
        pb::CreateTokenRequest {
            label: "x".repeat(101),
            expire_time: at(now_s + 11 * 366 * 24 * 3600),
        },
    )
    .await
    .expect_err("too long, too far");
    assert_invalid(&far, &["label", "expire_time"]);

    assert_eq!(tokens(&app, &ada).await.expect("list").tokens.len(), 1);
}

#[tokio::test]
async fn a_token_expires_at_its_expiry_time_by_the_servers_clock() {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let ada = app.new_client("Ada").await;
    let in_an_hour = clock.now_micros() / 1_000_000 + 3600;
    let created = try_create_token(
        &app,
        &ada,
        pb::CreateTokenRequest {
            label: "Shared tablet".into(),
            expire_time: at(in_an_hour),
        },
    )
    .await
    .expect("create");
    let tablet = created.secret;
    assert_eq!(created.token.expect("token").expire_time, at(in_an_hour));

    clock.advance(Duration::from_secs(3599));
    current_account(&app, &tablet).await.expect("still works");
    clock.advance(Duration::from_secs(1));

    let refused = current_account(&app, &tablet).await.expect_err("expired");
    assert_status(&refused, Code::Unauthenticated, "TOKEN_EXPIRED");
    let listed = tokens(&app, &ada).await.expect("list").tokens;
    assert_eq!(listed[1].state(), pb::TokenState::Expired);
}

#[tokio::test]
async fn a_tokens_last_use_is_recorded_at_most_once_a_minute() {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let ada = app.new_client("Ada").await;
    let (_, phone) = device_token(&app, &ada, "Ada's iPhone").await;
    let last_use = |listed: &pb::ListTokensResponse| listed.tokens[1].last_use_time;
    // Listing is a use of the listing token (the first), not of the phone's.
    assert_eq!(last_use(&tokens(&app, &ada).await.expect("list")), None);

    let first_use = clock.now_micros();
    current_account(&app, &phone).await.expect("use");
    let seen = last_use(&tokens(&app, &ada).await.expect("list"));
    assert_eq!(micros(&seen), first_use);

    clock.advance(Duration::from_secs(59));
    current_account(&app, &phone)
        .await
        .expect("use within the minute");
    assert_eq!(last_use(&tokens(&app, &ada).await.expect("list")), seen);

    clock.advance(Duration::from_secs(1));
    current_account(&app, &phone)
        .await
        .expect("use a minute later");
    let later = last_use(&tokens(&app, &ada).await.expect("list"));
    assert_eq!(micros(&later), first_use + 60_000_000);
}

#[tokio::test]
async fn a_revoked_tokens_open_stream_ends_at_once() {
    let app = TestApp::spawn().await;
    let laptop = app.new_client("Ada").await;
    let (phone_id, phone) = device_token(&app, &laptop, "Ada's iPhone").await;
    let mut phone_stream = own_subscription(&app, &phone).await;
    let mut laptop_stream = own_subscription(&app, &laptop).await;

    revoke(&app, &laptop, &phone_id).await.expect("revoke");

    let ended = stream_end(&mut phone_stream).await;
    assert_status(&ended, Code::Unauthenticated, "TOKEN_REVOKED");
    let goal = create_goal(&app, &laptop, "Walk more").await;
    let delivered = loop {
        let event = laptop_stream.next().await.expect("event").expect("ok");
        if let Some(pb::subscribe_response::Event::Change(change)) = event.event {
            break change;
        }
    };
    assert!(
        matches!(delivered.entity, Some(pb::change::Entity::Goal(g)) if g.id == goal.id),
        "the other device's stream goes on"
    );
}

#[tokio::test]
async fn an_expired_tokens_open_stream_ends_within_a_heartbeat() {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| {
        config.clock = Some(clock.clone());
        config.heartbeat_ms = 20;
    })
    .await;
    let ada = app.new_client("Ada").await;
    let created = try_create_token(
        &app,
        &ada,
        pb::CreateTokenRequest {
            label: "Kiosk".into(),
            expire_time: at(clock.now_micros() / 1_000_000 + 60),
        },
    )
    .await
    .expect("create");
    let mut stream = own_subscription(&app, &created.secret).await;
    let heartbeat = stream.next().await.expect("event").expect("alive");
    assert!(heartbeat.event.is_some());

    clock.advance(Duration::from_secs(61));

    let ended = stream_end(&mut stream).await;
    assert_status(&ended, Code::Unauthenticated, "TOKEN_EXPIRED");
}
