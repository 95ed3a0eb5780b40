//! `stepwise.v1.SkillService`: coping skills, their practices and
//! statistics.

use tonic::{Request, Response, Status};

use super::convert;
use super::principal;
use super::request::{create, get, list_children, list_records, update};
use crate::app::App;
use crate::domain::{Kind, Order, Skill, SkillPractice};
use crate::pb;

/// Implements `SkillService` over the use cases.
pub struct SkillApi {
    app: App,
}

impl SkillApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::skill_service_server::SkillService for SkillApi {
    async fn create_skill(
        &self,
        request: Request<pb::CreateSkillRequest>,
    ) -> Result<Response<pb::Skill>, Status> {
        create(&self.app, request, |caller, r| {
            convert::new_skill(caller, r.skill)
        })
        .await
    }

    async fn get_skill(
        &self,
        request: Request<pb::GetSkillRequest>,
    ) -> Result<Response<pb::Skill>, Status> {
        get::<Skill, _>(&self.app, request).await
    }

    async fn list_skills(
        &self,
        request: Request<pb::ListSkillsRequest>,
    ) -> Result<Response<pb::ListSkillsResponse>, Status> {
        list_records::<Skill, _>(&self.app, request).await
    }

    async fn update_skill(
        &self,
        request: Request<pb::UpdateSkillRequest>,
    ) -> Result<Response<pb::Skill>, Status> {
        update(&self.app, request, convert::skill_update, "skill").await
    }

    async fn delete_skill(
        &self,
        request: Request<pb::DeleteSkillRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::Skill).await
    }

    async fn log_skill_practice(
        &self,
        request: Request<pb::LogSkillPracticeRequest>,
    ) -> Result<Response<pb::SkillPractice>, Status> {
        let principal = principal(&request)?;
        let practice = convert::new_skill_practice(request.into_inner().skill_practice)?;
        let practice = self.app.log_skill_practice(&principal, practice).await?;
        Ok(Response::new(practice.into()))
    }

    async fn list_skill_practices(
        &self,
        request: Request<pb::ListSkillPracticesRequest>,
    ) -> Result<Response<pb::ListSkillPracticesResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (skill_id, dates, page) = convert::all((
            convert::id(&request.skill_id, "skill_id"),
            convert::date_range(&request.start_date, &request.end_date),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let within = (dates.0.map(Order::Day), dates.1.map(Order::Day));
        list_children::<SkillPractice, _>(
            &self.app,
            &principal,
            (Kind::Skill, skill_id),
            within,
            page,
        )
        .await
    }

    async fn delete_skill_practice(
        &self,
        request: Request<pb::DeleteSkillPracticeRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::SkillPractice).await
    }

    async fn get_skill_stats(
        &self,
        request: Request<pb::GetSkillStatsRequest>,
    ) -> Result<Response<pb::GetSkillStatsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (target, as_of) = convert::all((
            convert::skill_stats_target(request.target, principal.account_id),
            convert::optional_date(&request.as_of_date, "as_of_date"),
        ))?;
        let report = self.app.skill_stats(&principal, target, as_of).await?;
        Ok(Response::new(report.into()))
    }
}
