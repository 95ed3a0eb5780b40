//! `stepwise.v1.InsightService`: thought records and what they show.

use tonic::{Request, Response, Status};

use super::convert;
use super::principal;
use super::request::{create, get, list_records, update};
use crate::app::App;
use crate::domain::{Kind, ThoughtRecord};
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
        create(&self.app, request, |caller, r| {
            convert::new_thought_record(caller, r.thought_record)
        })
        .await
    }

    async fn get_thought_record(
        &self,
        request: Request<pb::GetThoughtRecordRequest>,
    ) -> Result<Response<pb::ThoughtRecord>, Status> {
        get::<ThoughtRecord, _>(&self.app, request).await
    }

    async fn list_thought_records(
        &self,
        request: Request<pb::ListThoughtRecordsRequest>,
    ) -> Result<Response<pb::ListThoughtRecordsResponse>, Status> {
        list_records::<ThoughtRecord, _>(&self.app, request).await
    }

    async fn update_thought_record(
        &self,
        request: Request<pb::UpdateThoughtRecordRequest>,
    ) -> Result<Response<pb::ThoughtRecord>, Status> {
        update(
            &self.app,
            request,
            convert::thought_record_update,
            "thought_record",
        )
        .await
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
