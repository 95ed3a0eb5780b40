//! A therapist's invites: the pending ones listed with their expiry, and
//! cancelled when given to the wrong person.

use std::sync::Arc;
use std::time::Duration;

use stepwise::domain::ManualClock;
use stepwise::pb;
use tonic::{Code, Status};

use crate::care::{care, invite, sign_up};
use crate::helpers::*;

/// The pending invites of the holder of `token`, `page_size` at a time.
async fn pending(app: &TestApp, token: &str, page_size: i32) -> Result<Vec<pb::Invite>, Status> {
    let mut api = care(app, token).await;
    let (mut invites, mut page_token) = (Vec::new(), String::new());
    loop {
        let page = api
            .list_invites(pb::ListInvitesRequest {
                page_size,
                page_token,
            })
            .await?
            .into_inner();
        invites.extend(page.invites);
        if page.next_page_token.is_empty() {
            return Ok(invites);
        }
        page_token = page.next_page_token;
    }
}

async fn cancel(app: &TestApp, token: &str, code: &str) -> Result<(), Status> {
    care(app, token)
        .await
        .cancel_invite(pb::CancelInviteRequest { code: code.into() })
        .await
        .map(tonic::Response::into_inner)
}

fn codes(invites: &[pb::Invite]) -> Vec<&str> {
    invites.iter().map(|i| i.code.as_str()).collect()
}

#[tokio::test]
async fn a_therapist_sees_their_pending_invites_and_cancels_one() {
    let app = TestApp::spawn().await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let used = invite(&app, &therapist).await;
    let kept = invite(&app, &therapist).await;
    let given_wrongly = invite(&app, &therapist).await;
    sign_up(&app, &used.code, "Ada").await.expect("sign up");

    let listed = pending(&app, &therapist, 1).await.expect("list");
    assert_eq!(codes(&listed), [&kept.code, &given_wrongly.code]);
    assert_eq!(listed[0], kept, "with its expiry");

    cancel(&app, &therapist, &given_wrongly.code.to_lowercase())
        .await
        .expect("cancel, typed loosely");

    let refused = sign_up(&app, &given_wrongly.code, "Mallory")
        .await
        .expect_err("a cancelled code");
    assert_status(&refused, Code::NotFound, "INVITE_NOT_FOUND");
    let listed = pending(&app, &therapist, 0).await.expect("list");
    assert_eq!(codes(&listed), [&kept.code]);
    sign_up(&app, &kept.code, "Bea")
        .await
        .expect("the other code still works");
}

#[tokio::test]
async fn expired_invites_are_not_pending() {
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    invite(&app, &therapist).await;
    clock.advance(Duration::from_secs(6 * 24 * 3600));
    let fresh = invite(&app, &therapist).await;
    clock.advance(Duration::from_secs(24 * 3600));

    let listed = pending(&app, &therapist, 0).await.expect("list");

    assert_eq!(codes(&listed), [&fresh.code], "the first one expired");
}

#[tokio::test]
async fn only_the_therapist_cancels_their_own_unused_invites() {
    let app = TestApp::spawn().await;
    let (_, ruth) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let (_, kim) = app.create_account(pb::Role::Therapist, "Dr. Kim").await;
    let ruths = invite(&app, &ruth).await;
    let used = invite(&app, &ruth).await;
    let client = sign_up(&app, &used.code, "Ada")
        .await
        .expect("sign up")
        .token;

    let refused = cancel(&app, &kim, &ruths.code)
        .await
        .expect_err("another therapist's");
    assert_status(&refused, Code::NotFound, "INVITE_NOT_FOUND");
    let refused = cancel(&app, &ruth, &used.code).await.expect_err("used");
    assert_status(&refused, Code::FailedPrecondition, "INVITE_USED");
    for token in [&client, &app.admin_token] {
        let refused = cancel(&app, token, &ruths.code)
            .await
            .expect_err("not a therapist");
        assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
        let refused = pending(&app, token, 0).await.expect_err("not a therapist");
        assert_status(&refused, Code::PermissionDenied, "PERMISSION_DENIED");
    }
    let empty = cancel(&app, &ruth, " ").await.expect_err("no code");
    assert_invalid(&empty, &["code"]);

    assert_eq!(
        codes(&pending(&app, &ruth, 0).await.expect("list")),
        [&ruths.code],
        "nothing changed"
    );
    assert!(pending(&app, &kim, 0).await.expect("list").is_empty());
}
