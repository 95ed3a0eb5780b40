//! Simulated devices: the reference sync client over a network that can
//! lose a response after the server has handled the request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use stepwise::client::{BearerToken, SyncClient, authenticated};
use stepwise::pb;
use stepwise::pb::sync_service_client::SyncServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::helpers::{Authed, TestApp};

/// A channel whose next response can be lost on the way back.
#[derive(Clone)]
pub struct FlakyChannel {
    inner: Channel,
    lose_next_response: Arc<AtomicBool>,
}

impl tower::Service<http::Request<tonic::body::Body>> for FlakyChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = tower::BoxError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let lose = self.lose_next_response.swap(false, Ordering::SeqCst);
        let response = self.inner.call(request);
        Box::pin(async move {
            // The server has handled the call once its response arrives.
            let response = response.await?;
            if lose {
                return Err("response lost on the way back".into());
            }
            Ok(response)
        })
    }
}

/// A device running the reference sync client.
pub struct Device {
    pub client: SyncClient<InterceptedService<FlakyChannel, BearerToken>>,
    lose_next_response: Arc<AtomicBool>,
}

impl Device {
    /// A new device of the holder of `token`, keeping no state file.
    pub async fn new(app: &TestApp, token: &str, name: &str) -> Self {
        Self::with_state(app, token, name, None).await
    }

    /// A device that saves its state in `state_file`.
    pub async fn with_state(
        app: &TestApp,
        token: &str,
        name: &str,
        state_file: Option<&std::path::Path>,
    ) -> Self {
        let lose_next_response = Arc::new(AtomicBool::new(false));
        let channel = FlakyChannel {
            inner: app.channel().await,
            lose_next_response: lose_next_response.clone(),
        };
        let client = SyncClient::new(authenticated(channel, token), name, state_file)
            .expect("device state loads");
        Self {
            client,
            lose_next_response,
        }
    }

    /// Makes the response of the next call go missing.
    pub fn lose_next_response(&self) {
        self.lose_next_response.store(true, Ordering::SeqCst);
    }
}

/// SyncService as the holder of `token`.
pub async fn sync_api(app: &TestApp, token: &str) -> SyncServiceClient<Authed> {
    SyncServiceClient::new(stepwise::client::authenticated(app.channel().await, token))
}

/// Every change of the caller from an empty cursor, and the final cursor.
pub async fn pull_everything(api: &mut SyncServiceClient<Authed>) -> (Vec<pb::Change>, String) {
    pull_from(api, "", 0).await
}

/// Every change after `cursor`, in pages of `page_size`.
pub async fn pull_from(
    api: &mut SyncServiceClient<Authed>,
    cursor: &str,
    page_size: i32,
) -> (Vec<pb::Change>, String) {
    let mut cursor = cursor.to_owned();
    let mut changes = Vec::new();
    loop {
        let page = api
            .pull(pb::PullRequest {
                client_id: String::new(),
                cursor: cursor.clone(),
                page_size,
            })
            .await
            .expect("pull")
            .into_inner();
        changes.extend(page.changes);
        cursor = page.next_cursor;
        if !page.has_more {
            return (changes, cursor);
        }
    }
}

/// A mutation creating or replacing a goal.
pub fn upsert_goal(mutation_id: &str, base_version: i64, goal: pb::Goal) -> pb::Mutation {
    pb::Mutation {
        mutation_id: mutation_id.into(),
        base_version,
        op: Some(pb::mutation::Op::UpsertGoal(goal)),
    }
}

/// A mutation deleting the record `id` of `entity_type`.
pub fn delete_of(
    mutation_id: &str,
    base_version: i64,
    entity_type: pb::EntityType,
    id: &str,
) -> pb::Mutation {
    pb::Mutation {
        mutation_id: mutation_id.into(),
        base_version,
        op: Some(pb::mutation::Op::Delete(pb::EntityRef {
            entity_type: entity_type as i32,
            id: id.into(),
        })),
    }
}

/// Pushes `mutations` from a phone; returns each result's outcome and
/// reason.
pub async fn push_outcomes(
    api: &mut SyncServiceClient<Authed>,
    mutations: Vec<pb::Mutation>,
) -> (Vec<(pb::Outcome, String)>, Vec<pb::MutationResult>) {
    let results = api
        .push(push("phone", mutations))
        .await
        .expect("push")
        .into_inner()
        .results;
    let outcomes = results
        .iter()
        .map(|r| (outcome(r), r.reason.clone()))
        .collect();
    (outcomes, results)
}

/// The outcome of one push result, which must be one the tests know.
pub fn outcome(result: &pb::MutationResult) -> pb::Outcome {
    pb::Outcome::try_from(result.outcome).expect("a known outcome")
}

/// A push request from `device`.
pub fn push(device: &str, mutations: Vec<pb::Mutation>) -> pb::PushRequest {
    pb::PushRequest {
        cursor: String::new(),
        device_id: device.into(),
        mutations,
        ..Default::default()
    }
}

/// Every change of `client_id` from an empty cursor, as the holder of `token`.
pub async fn pull_from_client(
    app: &TestApp,
    token: &str,
    client_id: &str,
) -> (Vec<pb::Change>, String) {
    let page = sync_api(app, token)
        .await
        .pull(pb::PullRequest {
            client_id: client_id.into(),
            page_size: 5000,
            ..Default::default()
        })
        .await
        .expect("pull")
        .into_inner();
    (page.changes, page.next_cursor)
}
