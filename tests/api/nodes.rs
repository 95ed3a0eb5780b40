//! Several servers on one PostgreSQL database (run when
//! `STEPWISE_TEST_DATABASE_URL` is set): what is written through one
//! reaches the streams held on another, a revocation through one ends
//! access through the other at its next call and ends its streams, and a
//! backup is the database's own tool's job.

use std::time::Duration;

use stepwise::config::ServeConfig;
use stepwise::pb;
use stepwise::pb::backup_service_client::BackupServiceClient;
use stepwise::pb::watch_clients_response::Event;
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

use crate::care::{care, invite, links, sign_up, team};
use crate::devices::sync_api;
use crate::helpers::*;
use crate::stream_access::{next_event, watch};
use crate::tokens::subscription;

/// How often the servers of these tests look for each other's changes.
const POLL_MS: u64 = 20;
/// A guard against a test that would otherwise hang: far longer than a
/// change takes to cross (a few polls).
const GUARD: Duration = Duration::from_secs(20);

/// Two servers on one new database. Their streams' heartbeats (which
/// check the caller's account too) are far apart, so that only noticing the
/// other server's changes can end a stream within the tests' guard.
async fn two_servers() -> (TestApp, TestApp) {
    let settings = |config: &mut ServeConfig| {
        config.poll_ms = POLL_MS;
        config.heartbeat_ms = 600_000;
    };
    let first = TestApp::spawn_with(settings).await;
    let second = first.spawn_beside(settings).await;
    (first, second)
}

/// The title of the next goal a subscription delivers.
async fn next_goal(stream: &mut Streaming<pb::SubscribeResponse>) -> String {
    let wait = async {
        loop {
            let event = stream.next().await.expect("event").expect("ok");
            if let Some(pb::subscribe_response::Event::Change(pb::Change {
                entity: Some(pb::change::Entity::Goal(goal)),
                ..
            })) = event.event
            {
                return goal.title;
            }
        }
    };
    tokio::time::timeout(GUARD, wait)
        .await
        .expect("a goal in time")
}

/// The next event of a watch that is not a heartbeat.
async fn next_watched(watch: &mut Streaming<pb::WatchClientsResponse>) -> pb::WatchClientsResponse {
    tokio::time::timeout(GUARD, next_event(watch))
        .await
        .expect("an event in time")
}

/// How a subscription ends: its error.
async fn end_of(stream: &mut Streaming<pb::SubscribeResponse>) -> tonic::Status {
    let wait = async {
        loop {
            match stream.next().await {
                Some(Ok(_)) => continue,
                Some(Err(status)) => return status,
                None => panic!("the stream ended without an error"),
            }
        }
    };
    tokio::time::timeout(GUARD, wait)
        .await
        .expect("the end in time")
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn a_goal_written_through_one_server_reaches_the_streams_held_on_another() {
    postgres_only("two servers share one database");
    let (first, second) = two_servers().await;
    let team = team(&first).await;
    let mut phone = subscription(&second, &team.client, &team.client_id).await;
    let mut dashboard = watch(&second, &team.therapist).await;

    create_goal(&first, &team.client, "Walk every morning").await;

    assert_eq!(next_goal(&mut phone).await, "Walk every morning");
    let event = next_watched(&mut dashboard).await;
    assert_eq!(event.client_id, team.client_id);
    match event.event {
        Some(Event::Change(pb::Change {
            entity: Some(pb::change::Entity::Goal(goal)),
            ..
        })) => assert_eq!(goal.title, "Walk every morning"),
        other => panic!("expected the goal, got {other:?}"),
    }
    // And back: written through the second, read through the first.
    create_goal(&second, &team.client, "Call a friend").await;
    let titles: Vec<String> = list_goals(&first, &team.client)
        .await
        .into_iter()
        .map(|goal| goal.title)
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn a_client_linking_through_one_server_appears_on_a_watch_held_on_another() {
    postgres_only("two servers share one database");
    let (first, second) = two_servers().await;
    let (_, therapist) = first.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let mut dashboard = watch(&second, &therapist).await;

    let code = invite(&first, &therapist).await.code;
    let ada = sign_up(&first, &code, "Ada").await.expect("sign up");
    let ada_id = ada.account.expect("account").id;
    match next_watched(&mut dashboard).await.event {
        Some(Event::CareLink(link)) => {
            assert_eq!(link.client_id, ada_id);
            assert_eq!(link.state, pb::CareLinkState::Active as i32);
        }
        other => panic!("expected the new link, got {other:?}"),
    }
    create_goal(&first, &ada.token, "Sleep earlier").await;
    let event = next_watched(&mut dashboard).await;
    assert_eq!(event.client_id, ada_id);
    assert!(matches!(event.event, Some(Event::Change(_))), "{event:?}");
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn a_link_revoked_through_one_server_ends_access_through_the_other() {
    postgres_only("two servers share one database");
    let (first, second) = two_servers().await;
    let team = team(&first).await;
    let mut reading = subscription(&second, &team.therapist, &team.client_id).await;
    let mut dashboard = watch(&second, &team.therapist).await;
    // Both streams are live on the second server.
    create_goal(&first, &team.client, "Before revoking").await;
    assert_eq!(next_goal(&mut reading).await, "Before revoking");
    assert!(matches!(
        next_watched(&mut dashboard).await.event,
        Some(Event::Change(_))
    ));

    let link = links(&first, &team.client).await.remove(0);
    care(&first, &team.client)
        .await
        .revoke_care_link(pb::RevokeCareLinkRequest {
            id: link.id.clone(),
        })
        .await
        .expect("revoke");

    // The next call through the second server is refused.
    let refused = sync_api(&second, &team.therapist)
        .await
        .pull(pb::PullRequest {
            client_id: team.client_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_status(&refused, Code::PermissionDenied, "ACCESS_REVOKED");
    // Its streams end, or tell the revocation, without any further change.
    let ended = end_of(&mut reading).await;
    assert_status(&ended, Code::PermissionDenied, "ACCESS_REVOKED");
    let event = next_watched(&mut dashboard).await;
    match event.event {
        Some(Event::CareLink(revoked)) => {
            assert_eq!(revoked.id, link.id);
            assert_eq!(revoked.state, pb::CareLinkState::Revoked as i32);
        }
        other => panic!("expected the revoked link, got {other:?}"),
    }
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn an_account_disabled_through_one_server_ends_its_streams_on_another() {
    postgres_only("two servers share one database");
    let (first, second) = two_servers().await;
    let (account, client) = first.create_account(pb::Role::Client, "Ada").await;
    let mut phone = subscription(&second, &client, &account.id).await;
    create_goal(&first, &client, "Before").await;
    assert_eq!(next_goal(&mut phone).await, "Before");

    first
        .accounts(&first.admin_token)
        .await
        .disable_account(pb::DisableAccountRequest {
            id: account.id.clone(),
        })
        .await
        .expect("disable");

    let ended = end_of(&mut phone).await;
    assert_status(&ended, Code::Unauthenticated, "ACCOUNT_DISABLED");
    let refused = current_account(&second, &client)
        .await
        .expect_err("refused");
    assert_status(&refused, Code::Unauthenticated, "ACCOUNT_DISABLED");
}

#[tokio::test]
#[ignore = "runs only on PostgreSQL (STEPWISE_TEST_DATABASE_URL)"]
async fn a_backup_on_postgres_points_to_pg_dump() {
    postgres_only("the backup of a PostgreSQL store");
    let app = TestApp::spawn().await;
    let refused = BackupServiceClient::new(app.authed(&app.admin_token).await)
        .create_backup(pb::CreateBackupRequest {})
        .await
        .expect_err("refused");
    assert_status(&refused, Code::Unimplemented, "UNSUPPORTED");
    assert!(
        refused.message().contains("pg_dump"),
        "{}",
        refused.message()
    );
}
