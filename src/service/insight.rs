//! `stepwise.v1.InsightService`: thought records and what they show.

use tonic::{Request, Response, Status};

use super::convert;
use super::fit;
use super::principal;
use crate::app::App;
use crate::domain::Kind;
use crate::pb;

/// Implements `InsightService` over the use cases.
pub struct InsightApi {
    app: App,
}

impl InsightApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::insight_service_server::InsightService for InsightApi {
    async fn create_thought_record(
        &self,
        request: Request<pb::CreateThoughtRecordRequest>,
    ) -> Result<Response<pb::ThoughtRecord>, Status> {
        let principal = principal(&request)?;
        let record =
            convert::new_thought_record(principal.account_id, request.into_inner().thought_record)?;
        let record = self.app.create_thought_record(&principal, record).await?;
        Ok(Response::new(record.into()))
    }

    async fn get_thought_record(
        &self,
        request: Request<pb::GetThoughtRecordRequest>,
    ) -> Result<Response<pb::ThoughtRecord>, Status> {
        let principal = principal(&request)?;
        let id = convert::id(&request.get_ref().id, "id")?;
        let record = self.app.get_thought_record(&principal, id).await?;
        Ok(Response::new(record.into()))
    }

    async fn list_thought_records(
        &self,
        request: Request<pb::ListThoughtRecordsRequest>,
    ) -> Result<Response<pb::ListThoughtRecordsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, dates, page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::date_range(&request.start_date, &request.end_date),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let page = self
                .app
                .list_thought_records(principal, client_id, dates, page)
                .await?;
            Ok(pb::ListThoughtRecordsResponse {
                thought_records: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
    }

    async fn update_thought_record(
        &self,
        request: Request<pb::UpdateThoughtRecordRequest>,
    ) -> Result<Response<pb::ThoughtRecord>, Status> {
        let principal = principal(&request)?;
        let (id, version, patch) = convert::thought_record_update(request.into_inner())?;
        let record = self
            .app
            .update_thought_record(&principal, id, version, patch)
            .await?;
        Ok(Response::new(record.into()))
    }

    async fn delete_thought_record(
        &self,
        request: Request<pb::DeleteThoughtRecordRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::ThoughtRecord).await
    }

    async fn get_insight_stats(
        &self,
        request: Request<pb::GetInsightStatsRequest>,
    ) -> Result<Response<pb::InsightStats>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, window) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::date_range(&request.start_date, &request.end_date),
        ))?;
        let report = self
            .app
            .insight_stats(&principal, client_id, window)
            .await?;
        Ok(Response::new(report.into()))
    }
}
