//! `stepwise.v1.SyncService`: pull, push and subscribe.

use std::pin::Pin;
use std::time::Duration;

use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::convert;
use super::fit;
use super::principal;
use crate::app::{App, DEFAULT_PULL_SIZE, MAX_PULL_SIZE, MAX_PUSH_MUTATIONS};
use crate::domain::fields;
use crate::error::Error;
use crate::pb;

/// Implements `SyncService` over the use cases.
pub struct SyncApi {
    app: App,
    heartbeat: Duration,
}

impl SyncApi {
    /// The service over `app`; idle subscriptions get a heartbeat every
    /// `heartbeat`.
    pub fn new(app: App, heartbeat: Duration) -> Self {
        Self { app, heartbeat }
    }
}

fn pull_size(size: i32) -> Result<usize, Error> {
    fields::bounded_count(size, DEFAULT_PULL_SIZE, MAX_PULL_SIZE)
        .map_err(|e| Error::invalid("page_size", e))
}

type EventStream = Pin<Box<dyn Stream<Item = Result<pb::SubscribeResponse, Status>> + Send>>;

#[tonic::async_trait]
impl pb::sync_service_server::SyncService for SyncApi {
    async fn pull(
        &self,
        request: Request<pb::PullRequest>,
    ) -> Result<Response<pb::PullResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, size, cursor) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            pull_size(request.page_size),
            convert::cursor(&request.cursor),
        ))?;
        let principal = &principal;
        let answer = fit::fitted(size, |size| async move {
            let page = self.app.pull(principal, client_id, cursor, size).await?;
            Ok(pb::PullResponse {
                changes: page.changes.into_iter().map(convert::change).collect(),
                next_cursor: page.next_cursor,
                has_more: page.has_more,
            })
        });
        Ok(Response::new(answer.await?))
    }

    async fn push(
        &self,
        request: Request<pb::PushRequest>,
    ) -> Result<Response<pb::PushResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (locale, cursor, mutations) = convert::all((
            convert::locale(&request.region, &request.language),
            convert::cursor(&request.cursor),
            convert::push(
                principal.account_id,
                request,
                MAX_PUSH_MUTATIONS,
                self.app.now_micros(),
            ),
        ))?;
        let results = self.app.push(&principal, cursor, mutations).await?;
        let crisis = self.app.crisis_resources(&locale);
        let mut results: Vec<pb::MutationResult> = results
            .into_iter()
            .map(|result| convert::push_result(result, &crisis))
            .collect();
        fit::results_within_limit(&mut results);
        Ok(Response::new(pb::PushResponse { results }))
    }

    type SubscribeStream = EventStream;

    async fn subscribe(
        &self,
        request: Request<pb::SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, cursor) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::cursor(&request.cursor),
        ))?;
        let events = self
            .app
            .subscribe(&principal, client_id, cursor, self.heartbeat)
            .await?;
        let stream =
            ReceiverStream::new(events).map(|event| Ok(convert::subscribe_response(event?)));
        Ok(Response::new(Box::pin(stream)))
    }
}
