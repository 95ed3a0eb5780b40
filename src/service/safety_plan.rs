//! `stepwise.v1.SafetyPlanService`: a client's safety plan and its saved
//! versions.

use tonic::{Request, Response, Status};

use super::convert;
use super::fit::listed;
use super::request::{list_records, list_records_request, principal};
use crate::app::App;
use crate::domain::SafetyPlan;
use crate::pb;

/// Implements `SafetyPlanService` over the use cases.
pub struct SafetyPlanApi {
    app: App,
}

impl SafetyPlanApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::safety_plan_service_server::SafetyPlanService for SafetyPlanApi {
    async fn get_safety_plan(
        &self,
        request: Request<pb::GetSafetyPlanRequest>,
    ) -> Result<Response<pb::SafetyPlan>, Status> {
        let principal = principal(&request)?;
        let client_id = convert::client_or_caller(
            &request.get_ref().client_id,
            "client_id",
            principal.account_id,
        )?;
        let plan = self.app.current_safety_plan(&principal, client_id).await?;
        Ok(Response::new(plan.into()))
    }

    async fn update_safety_plan(
        &self,
        request: Request<pb::UpdateSafetyPlanRequest>,
    ) -> Result<Response<pb::SafetyPlan>, Status> {
        let principal = principal(&request)?;
        let (client_id, base, edit) =
            convert::safety_plan_update(request.into_inner(), principal.account_id)?;
        let plan = self
            .app
            .save_safety_plan(&principal, client_id, base, edit)
            .await?;
        Ok(Response::new(plan.into()))
    }

    async fn list_safety_plan_versions(
        &self,
        request: Request<pb::ListSafetyPlanVersionsRequest>,
    ) -> Result<Response<pb::ListSafetyPlanVersionsResponse>, Status> {
        list_records::<SafetyPlan, _>(&self.app, request).await
    }
}

listed!(ListSafetyPlanVersionsResponse.safety_plans: SafetyPlan);
list_records_request!(pb::ListSafetyPlanVersionsRequest);
