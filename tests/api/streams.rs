//! Live streams (`Subscribe`, `WatchClients`): how many one account may
//! hold open.

use std::time::Duration;

use stepwise::limits::MAX_STREAMS_PER_ACCOUNT;
use stepwise::pb;
use stepwise::pb::care_service_client::CareServiceClient;
use tonic::Code;
use tonic::codec::Streaming;

use crate::care::team;
use crate::devices::sync_api;
use crate::helpers::*;

/// Opens a subscription to the caller's own changes.
async fn subscribe(
    app: &TestApp,
    token: &str,
) -> Result<Streaming<pb::SubscribeResponse>, tonic::Status> {
    sync_api(app, token)
        .await
        .subscribe(pb::SubscribeRequest::default())
        .await
        .map(tonic::Response::into_inner)
}

/// Asserts that a stream was refused for being one too many.
#[track_caller]
fn assert_too_many(outcome: Result<impl Sized, tonic::Status>) {
    let Err(status) = outcome else {
        panic!("a stream past the limit of {MAX_STREAMS_PER_ACCOUNT} was opened");
    };
    assert_status(&status, Code::ResourceExhausted, "TOO_MANY_STREAMS");
    assert!(
        status
            .message()
            .contains(&MAX_STREAMS_PER_ACCOUNT.to_string()),
        "the message names the limit: {status:?}"
    );
}

#[tokio::test]
async fn an_account_may_hold_a_limited_number_of_subscriptions_open() {
    let app = TestApp::spawn().await;
    let ada = app.new_client("Ada").await;
    let bo = app.new_client("Bo").await;

    let mut open = Vec::new();
    for _ in 0..MAX_STREAMS_PER_ACCOUNT {
        open.push(
            subscribe(&app, &ada)
                .await
                .expect("a stream within the limit"),
        );
    }
    assert_too_many(subscribe(&app, &ada).await);

    // Another account is not affected.
    let _bos = subscribe(&app, &bo).await.expect("Bo's stream opens");

    // Closing a stream makes room. The server learns of the close a moment
    // later, so opening is retried: each refused try is a round trip that
    // gives the server time to notice.
    drop(open.pop());
    let reopened = tokio::time::timeout(Duration::from_secs(10), async {
        for _ in 0..10_000 {
            match subscribe(&app, &ada).await {
                Ok(stream) => return stream,
                Err(status) => assert_status(&status, Code::ResourceExhausted, "TOO_MANY_STREAMS"),
            }
        }
        panic!("the closed stream's place never came back");
    })
    .await
    .expect("the closed stream's place comes back");
    open.push(reopened);
    assert_too_many(subscribe(&app, &ada).await);
}

#[tokio::test]
async fn a_therapists_watches_and_subscriptions_count_toward_one_limit() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let care = CareServiceClient::new(app.authed(&team.therapist).await);
    let watch = || {
        let mut care = care.clone();
        async move { care.watch_clients(pb::WatchClientsRequest {}).await }
    };
    let follow_client = || async {
        sync_api(&app, &team.therapist)
            .await
            .subscribe(pb::SubscribeRequest {
                client_id: team.client_id.clone(),
                ..Default::default()
            })
            .await
    };

    let mut open = Vec::new();
    for _ in 0..MAX_STREAMS_PER_ACCOUNT / 2 {
        open.push(
            watch()
                .await
                .expect("a watch within the limit")
                .into_inner(),
        );
    }
    let mut followed = Vec::new();
    for _ in MAX_STREAMS_PER_ACCOUNT / 2..MAX_STREAMS_PER_ACCOUNT {
        followed.push(
            follow_client()
                .await
                .expect("a subscription within the limit"),
        );
    }

    assert_too_many(watch().await);
    assert_too_many(follow_client().await);
    // The client's own streams are theirs to count.
    let _own = subscribe(&app, &team.client)
        .await
        .expect("the client's stream opens");
}
