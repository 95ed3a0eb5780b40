//! `stepwise.v1.CareService`: invites, care links, the audit trail, the
//! therapist's dashboard, sessions and the pre-session digest.

use std::pin::Pin;
use std::time::Duration;

use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::fit::ListAnswer;
use super::request::{caller_and_id, caller_and_page, list};
use super::{convert, fit, principal};
use crate::app::App;
use crate::domain::CareLink;
use crate::error::Error;
use crate::pb;

/// Implements `CareService` over the use cases.
pub struct CareApi {
    app: App,
    heartbeat: Duration,
}

impl CareApi {
    /// The service over `app`; idle watches get a heartbeat every
    /// `heartbeat`.
    pub fn new(app: App, heartbeat: Duration) -> Self {
        Self { app, heartbeat }
    }

    async fn link(&self, link: CareLink) -> crate::error::Result<pb::CareLink> {
        let names = (
            self.app.display_name(link.therapist_id).await?,
            self.app.display_name(link.client_id).await?,
        );
        Ok(convert::care_link(link, names))
    }
}

#[tonic::async_trait]
impl pb::care_service_server::CareService for CareApi {
    async fn create_invite(
        &self,
        request: Request<pb::CreateInviteRequest>,
    ) -> Result<Response<pb::Invite>, Status> {
        let principal = principal(&request)?;
        let invite = self.app.create_invite(&principal).await?;
        Ok(Response::new(invite.into()))
    }

    async fn accept_invite(
        &self,
        request: Request<pb::AcceptInviteRequest>,
    ) -> Result<Response<pb::CareLink>, Status> {
        let principal = principal(&request)?;
        let peer = request.remote_addr().map(|addr| addr.ip());
        let link = self
            .app
            .accept_invite(&principal, &request.get_ref().code, peer)
            .await?;
        Ok(Response::new(self.link(link).await?))
    }

    async fn list_care_links(
        &self,
        request: Request<pb::ListCareLinksRequest>,
    ) -> Result<Response<pb::ListCareLinksResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_care_links(principal, page).await?;
            let mut care_links = Vec::with_capacity(page.items.len());
            for link in page.items {
                care_links.push(self.link(link).await?);
            }
            Ok(ListAnswer::new(care_links, page.next_page_token))
        })
        .await
    }

    async fn revoke_care_link(
        &self,
        request: Request<pb::RevokeCareLinkRequest>,
    ) -> Result<Response<pb::CareLink>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let link = self.app.revoke_care_link(&principal, id).await?;
        Ok(Response::new(self.link(link).await?))
    }

    async fn list_access_events(
        &self,
        request: Request<pb::ListAccessEventsRequest>,
    ) -> Result<Response<pb::ListAccessEventsResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_access_events(principal, page).await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }

    async fn list_client_summaries(
        &self,
        request: Request<pb::ListClientSummariesRequest>,
    ) -> Result<Response<pb::ListClientSummariesResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (page, as_of) = convert::all((
            convert::page(request.page_size, &request.page_token),
            convert::optional_date(&request.as_of_date, "as_of_date"),
        ))?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.client_summaries(principal, page, as_of).await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }

    type WatchClientsStream =
        Pin<Box<dyn Stream<Item = Result<pb::WatchClientsResponse, Status>> + Send>>;

    async fn watch_clients(
        &self,
        request: Request<pb::WatchClientsRequest>,
    ) -> Result<Response<Self::WatchClientsStream>, Status> {
        let principal = principal(&request)?;
        let events = self.app.watch_clients(&principal, self.heartbeat).await?;
        let stream =
            ReceiverStream::new(events).map(|event| Ok(convert::watch_clients_response(event?)));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn record_session(
        &self,
        request: Request<pb::RecordSessionRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let principal = principal(&request)?;
        let session = convert::new_session(request.into_inner().session, self.app.now_micros())?;
        let session = self.app.record_session(&principal, session).await?;
        Ok(Response::new(session.into()))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.get_ref();
        let (client_id, page) = convert::all((
            convert::id(&request.client_id, "client_id"),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_sessions(principal, client_id, page).await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }

    async fn list_invites(
        &self,
        request: Request<pb::ListInvitesRequest>,
    ) -> Result<Response<pb::ListInvitesResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_invites(principal, page).await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }

    async fn get_session_digest(
        &self,
        request: Request<pb::GetSessionDigestRequest>,
    ) -> Result<Response<pb::SessionDigest>, Status> {
        let principal = principal(&request)?;
        let request = request.get_ref();
        let (client_id, since) = convert::all((
            convert::id(&request.client_id, "client_id"),
            convert::since_time(request.since_time.as_ref(), self.app.now_micros()),
        ))?;
        let digest = self
            .app
            .session_digest(&principal, client_id, since)
            .await?;
        let mut digest = digest.into();
        fit::digest_within_limit(&mut digest);
        Ok(Response::new(digest))
    }

    async fn cancel_invite(
        &self,
        request: Request<pb::CancelInviteRequest>,
    ) -> Result<Response<()>, Status> {
        let principal = principal(&request)?;
        let code = &request.get_ref().code;
        if code.trim().is_empty() {
            return Err(Error::invalid("code", "is required").into());
        }
        self.app.cancel_invite(&principal, code).await?;
        Ok(Response::new(()))
    }

    async fn acknowledge_risk(
        &self,
        request: Request<pb::AcknowledgeRiskRequest>,
    ) -> Result<Response<pb::AcknowledgeRiskResponse>, Status> {
        let principal = principal(&request)?;
        let (client_id, acknowledgement) = convert::risk_acknowledgement(request.get_ref())?;
        let closed = self
            .app
            .acknowledge_risk(&principal, client_id, acknowledgement)
            .await?;
        Ok(Response::new(pb::AcknowledgeRiskResponse {
            risk_alerts: closed.into_iter().map(Into::into).collect(),
        }))
    }
}
