//! `stepwise.v1.GoalService`: goals and action steps.

use tonic::{Request, Response, Status};

use super::convert;
use super::principal;
use super::request::{create, get, list_children, list_records, update};
use crate::app::App;
use crate::domain::{ActionStep, Goal, Kind};
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
        create(&self.app, request, |caller, r| {
            convert::new_goal(caller, r.goal)
        })
        .await
    }

    async fn get_goal(
        &self,
        request: Request<pb::GetGoalRequest>,
    ) -> Result<Response<pb::Goal>, Status> {
        get::<Goal, _>(&self.app, request).await
    }

    async fn list_goals(
        &self,
        request: Request<pb::ListGoalsRequest>,
    ) -> Result<Response<pb::ListGoalsResponse>, Status> {
        list_records::<Goal, _>(&self.app, request).await
    }

    async fn update_goal(
        &self,
        request: Request<pb::UpdateGoalRequest>,
    ) -> Result<Response<pb::Goal>, Status> {
        update(&self.app, request, convert::goal_update, "goal").await
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
        get::<ActionStep, _>(&self.app, request).await
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
        let parent = (Kind::Goal, goal_id);
        list_children::<ActionStep, _>(&self.app, &principal, parent, (None, None), page).await
    }

    async fn update_action_step(
        &self,
        request: Request<pb::UpdateActionStepRequest>,
    ) -> Result<Response<pb::ActionStep>, Status> {
        update(
            &self.app,
            request,
            convert::action_step_update,
            "action_step",
        )
        .await
    }

    async fn delete_action_step(
        &self,
        request: Request<pb::DeleteActionStepRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::ActionStep).await
    }
}
