//! `stepwise.v1.GoalService`: goals and action steps.

use tonic::{Request, Response, Status};

use super::convert;
use super::fit;
use super::principal;
use crate::app::App;
use crate::domain::Kind;
use crate::pb;

/// Implements `GoalService` over the use cases.
pub struct GoalApi {
    app: App,
}

impl GoalApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::goal_service_server::GoalService for GoalApi {
    async fn create_goal(
        &self,
        request: Request<pb::CreateGoalRequest>,
    ) -> Result<Response<pb::Goal>, Status> {
        let principal = principal(&request)?;
        let goal = convert::new_goal(principal.account_id, request.into_inner().goal)?;
        let goal = self.app.create_goal(&principal, goal).await?;
        Ok(Response::new(goal.into()))
    }

    async fn get_goal(
        &self,
        request: Request<pb::GetGoalRequest>,
    ) -> Result<Response<pb::Goal>, Status> {
        let principal = principal(&request)?;
        let id = convert::id(&request.get_ref().id, "id")?;
        let goal = self.app.get_goal(&principal, id).await?;
        Ok(Response::new(goal.into()))
    }

    async fn list_goals(
        &self,
        request: Request<pb::ListGoalsRequest>,
    ) -> Result<Response<pb::ListGoalsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let page = self.app.list_goals(principal, client_id, page).await?;
            Ok(pb::ListGoalsResponse {
                goals: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
    }

    async fn update_goal(
        &self,
        request: Request<pb::UpdateGoalRequest>,
    ) -> Result<Response<pb::Goal>, Status> {
        let principal = principal(&request)?;
        let (id, version, patch) = convert::goal_update(request.into_inner())?;
        let goal = self.app.update_goal(&principal, id, version, patch).await?;
        Ok(Response::new(goal.into()))
    }

    async fn delete_goal(
        &self,
        request: Request<pb::DeleteGoalRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::Goal).await
    }

    async fn create_action_step(
        &self,
        request: Request<pb::CreateActionStepRequest>,
    ) -> Result<Response<pb::ActionStep>, Status> {
        let principal = principal(&request)?;
        let step = convert::new_action_step(request.into_inner().action_step)?;
        let step = self.app.create_action_step(&principal, step).await?;
        Ok(Response::new(step.into()))
    }

    async fn get_action_step(
        &self,
        request: Request<pb::GetActionStepRequest>,
    ) -> Result<Response<pb::ActionStep>, Status> {
        let principal = principal(&request)?;
        let id = convert::id(&request.get_ref().id, "id")?;
        let step = self.app.get_action_step(&principal, id).await?;
        Ok(Response::new(step.into()))
    }

    async fn list_action_steps(
        &self,
        request: Request<pb::ListActionStepsRequest>,
    ) -> Result<Response<pb::ListActionStepsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (goal_id, page) = convert::all((
            convert::id(&request.goal_id, "goal_id"),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let page = self
            .app
            .list_action_steps(&principal, goal_id, page)
            .await?;
        Ok(Response::new(pb::ListActionStepsResponse {
            action_steps: page.items.into_iter().map(Into::into).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_action_step(
        &self,
        request: Request<pb::UpdateActionStepRequest>,
    ) -> Result<Response<pb::ActionStep>, Status> {
        let principal = principal(&request)?;
        let (id, version, patch) = convert::action_step_update(request.into_inner())?;
        let step = self
            .app
            .update_action_step(&principal, id, version, patch)
            .await?;
        Ok(Response::new(step.into()))
    }

    async fn delete_action_step(
        &self,
        request: Request<pb::DeleteActionStepRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::ActionStep).await
    }
}
