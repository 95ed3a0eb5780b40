//! What therapists' streams may deliver, and that each look is in the
//! client's audit trail: after a client revokes a link, nothing they write
//! reaches the therapist, on any stream; and a stream that delivers a
//! client's data records an access event at its first delivery and again
//! every hour while it keeps delivering.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use stepwise::domain::ManualClock;
use stepwise::pb;
use stepwise::pb::watch_clients_response::Event;
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

use crate::care::{access_events, care, invite, links, sign_up, team};
use crate::devices::{push, sync_api, upsert_goal};
use crate::helpers::*;
use crate::sync::goal_titled;

/// Title of the goals written after revoking: none may reach the therapist.
const AFTER_REVOKING: &str = "Written after revoking";

/// The goal in a change, if it is one.
fn goal_in(change: &pb::Change) -> Option<&pb::Goal> {
    match &change.entity {
        Some(pb::change::Entity::Goal(goal)) => Some(goal),
        _ => None,
    }
}

pub(crate) async fn watch(app: &TestApp, therapist: &str) -> Streaming<pb::WatchClientsResponse> {
    care(app, therapist)
        .await
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner()
}

/// A watch over a connection with the smallest HTTP/2 windows, so that a
/// dashboard that does not read holds up the server side quickly.
async fn slow_watch(app: &TestApp, therapist: &str) -> Streaming<pb::WatchClientsResponse> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .initial_stream_window_size(65_535)
        .initial_connection_window_size(65_535)
        .connect()
        .await
        .expect("connect");
    let authed = stepwise::client::authenticated(channel, therapist);
    stepwise::pb::care_service_client::CareServiceClient::new(authed)
        .watch_clients(pb::WatchClientsRequest {})
        .await
        .expect("watch")
        .into_inner()
}

/// The next event of a watch that is not a heartbeat.
pub(crate) async fn next_event(
    watch: &mut Streaming<pb::WatchClientsResponse>,
) -> pb::WatchClientsResponse {
    loop {
        let event = watch.next().await.expect("event").expect("ok");
        if !matches!(event.event, Some(Event::Heartbeat(_))) {
            return event;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_written_after_a_revocation_reaches_the_therapist_on_any_stream() {
    // One stream each, and the watch: the most one account may hold open.
    const CLIENTS: usize = stepwise::limits::MAX_STREAMS_PER_ACCOUNT - 1;
    let app = TestApp::spawn_with(|config| config.heartbeat_ms = 300).await;
    let (_, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let code = invite(&app, &therapist).await.code;
        let signed_up = sign_up(&app, &code, &format!("Client {n}"))
            .await
            .expect("sign up");
        clients.push((signed_up.token, signed_up.account.expect("account").id));
    }
    // The dashboard's watch is not read while the clients act, so its
    // server side falls behind and meets every race at once when it is read.
    let mut watch = slow_watch(&app, &therapist).await;
    let mut subscriptions = Vec::new();
    for (_, client_id) in &clients {
        let stream = sync_api(&app, &therapist)
            .await
            .subscribe(pb::SubscribeRequest {
                client_id: client_id.clone(),
                ..Default::default()
            })
            .await
            .expect("subscribe")
            .into_inner();
        subscriptions.push(stream);
    }

    // Another client keeps the watch busy: more than the stream's buffers
    // and HTTP/2 window hold (400 KiB), so its server side waits while the
    // rest goes on.
    let code = invite(&app, &therapist).await.code;
    let busy = sign_up(&app, &code, "Busy").await.expect("sign up").token;
    let long_goals = (0..200)
        .map(|n| {
            let goal = pb::Goal {
                why: "w".repeat(4000),
                ..goal_titled(&new_id(), &format!("Busy {n}"))
            };
            upsert_goal(&format!("busy-{n}"), 0, goal)
        })
        .collect();
    sync_api(&app, &busy)
        .await
        .push(push("busy-phone", long_goals))
        .await
        .expect("push");

    // Every client at once: a goal, a revocation, and as soon as it is
    // acknowledged, another goal from the phone and one from a second device.
    join_all(clients.iter().map(|(token, _)| {
        let app = &app;
        async move {
            create_goal(app, token, "Before revoking").await;
            let link = links(app, token).await.remove(0);
            care(app, token)
                .await
                .revoke_care_link(pb::RevokeCareLinkRequest { id: link.id })
                .await
                .expect("revoke");
            let tablet = create_goal(app, token, AFTER_REVOKING);
            let phone = create_goal(app, token, AFTER_REVOKING);
            tokio::join!(tablet, phone);
        }
    }))
    .await;
    // A client still linked writes last; once the watch delivered that and
    // then fell idle (a heartbeat), it has sent all it ever will.
    let code = invite(&app, &therapist).await.code;
    let last = sign_up(&app, &code, "Still linked").await.expect("sign up");
    let sentinel = create_goal(&app, &last.token, "Sentinel").await;

    let mut sentinel_seen = false;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(60), watch.next())
            .await
            .expect("the watch delivers the goal of the client still linked")
            .expect("event")
            .expect("ok");
        match &event.event {
            Some(Event::Heartbeat(_)) if sentinel_seen => break,
            Some(Event::Change(change)) => {
                let goal = goal_in(change).expect("only goals were written");
                assert_ne!(
                    goal.title, AFTER_REVOKING,
                    "a goal written after its client revoked reached the watch"
                );
                sentinel_seen |= goal.id == sentinel.id;
            }
            _ => {}
        }
    }
    for mut stream in subscriptions {
        let ending = loop {
            match stream.next().await.expect("the stream ends with a status") {
                Ok(event) => {
                    if let Some(pb::subscribe_response::Event::Change(change)) = &event.event {
                        let goal = goal_in(change).expect("only goals were written");
                        assert_ne!(
                            goal.title, AFTER_REVOKING,
                            "a goal written after its client revoked reached a subscription"
                        );
                    }
                }
                Err(status) => break status,
            }
        };
        assert_status(&ending, Code::PermissionDenied, "ACCESS_REVOKED");
    }
}

/// A therapist's access events about a client, by method.
async fn looks(app: &TestApp, client: &str, method: &str) -> Vec<pb::AccessEvent> {
    access_events(app, client)
        .await
        .into_iter()
        .filter(|event| event.method == method)
        .collect()
}

#[tokio::test]
async fn a_watch_is_in_the_audit_trail_from_its_first_delivery_and_again_every_hour() {
    const WATCH: &str = "stepwise.v1.CareService/WatchClients";
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| config.clock = Some(clock.clone())).await;
    let (therapist_account, therapist) = app.create_account(pb::Role::Therapist, "Dr. Ruth").await;
    let mut watch = watch(&app, &therapist).await;

    // Ada links while the dashboard is open: that is no look at her data.
    let code = invite(&app, &therapist).await.code;
    let ada = sign_up(&app, &code, "Ada").await.expect("sign up").token;
    assert!(matches!(
        next_event(&mut watch).await.event,
        Some(Event::CareLink(_))
    ));
    assert_eq!(looks(&app, &ada, WATCH).await, vec![]);

    // Her first goal reaches the dashboard, and she can see that it did.
    create_goal(&app, &ada, "Walk more").await;
    assert!(matches!(
        next_event(&mut watch).await.event,
        Some(Event::Change(_))
    ));
    let first = looks(&app, &ada, WATCH).await;
    assert_eq!(first.len(), 1, "one access event at the first delivery");
    assert_eq!(first[0].therapist_id, therapist_account.id);

    // Within the hour, more deliveries add nothing; past it, one more event.
    clock.advance(Duration::from_secs(30 * 60));
    create_goal(&app, &ada, "Sleep earlier").await;
    next_event(&mut watch).await;
    assert_eq!(looks(&app, &ada, WATCH).await.len(), 1);
    clock.advance(Duration::from_secs(31 * 60));
    create_goal(&app, &ada, "Call a friend").await;
    next_event(&mut watch).await;
    assert_eq!(
        looks(&app, &ada, WATCH).await.len(),
        2,
        "a second event once an hour has passed"
    );
}

#[tokio::test]
async fn a_subscription_is_in_the_audit_trail_when_it_delivers_not_when_it_opens() {
    const SUBSCRIBE: &str = "stepwise.v1.SyncService/Subscribe";
    let clock = Arc::new(ManualClock::starting_now());
    let app = TestApp::spawn_with(|config| {
        config.clock = Some(clock.clone());
        config.heartbeat_ms = 20;
    })
    .await;
    let team = team(&app).await;
    let mut stream = sync_api(&app, &team.therapist)
        .await
        .subscribe(pb::SubscribeRequest {
            client_id: team.client_id.clone(),
            ..Default::default()
        })
        .await
        .expect("subscribe")
        .into_inner();

    // Nothing to deliver yet: the stream is alive but has seen nothing.
    let heartbeat = stream.next().await.expect("event").expect("ok");
    assert!(matches!(
        heartbeat.event,
        Some(pb::subscribe_response::Event::Heartbeat(_))
    ));
    assert_eq!(looks(&app, &team.client, SUBSCRIBE).await, vec![]);

    let goal = create_goal(&app, &team.client, "Walk more").await;
    let delivered = loop {
        let event = stream.next().await.expect("event").expect("ok");
        if let Some(pb::subscribe_response::Event::Change(change)) = event.event {
            break change;
        }
    };
    assert_eq!(
        goal_in(&delivered).map(|g| g.id.as_str()),
        Some(goal.id.as_str())
    );
    let events = looks(&app, &team.client, SUBSCRIBE).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].therapist_id, team.therapist_id);

    clock.advance(Duration::from_secs(61 * 60));
    create_goal(&app, &team.client, "Sleep earlier").await;
    loop {
        let event = stream.next().await.expect("event").expect("ok");
        if matches!(event.event, Some(pb::subscribe_response::Event::Change(_))) {
            break;
        }
    }
    assert_eq!(looks(&app, &team.client, SUBSCRIBE).await.len(), 2);
}
