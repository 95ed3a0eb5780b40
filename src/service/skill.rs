//! `stepwise.v1.SkillService`: coping skills, their practices and
//! statistics.

use tonic::{Request, Response, Status};

use super::convert;
use super::fit;
use super::principal;
use crate::app::App;
use crate::domain::Kind;
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
        let principal = principal(&request)?;
        let skill = convert::new_skill(principal.account_id, request.into_inner().skill)?;
        let skill = self.app.create_skill(&principal, skill).await?;
        Ok(Response::new(skill.into()))
    }

    async fn get_skill(
        &self,
        request: Request<pb::GetSkillRequest>,
    ) -> Result<Response<pb::Skill>, Status> {
        let principal = principal(&request)?;
        let id = convert::id(&request.get_ref().id, "id")?;
        let skill = self.app.get_skill(&principal, id).await?;
        Ok(Response::new(skill.into()))
    }

    async fn list_skills(
        &self,
        request: Request<pb::ListSkillsRequest>,
    ) -> Result<Response<pb::ListSkillsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let page = self.app.list_skills(principal, client_id, page).await?;
            Ok(pb::ListSkillsResponse {
                skills: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
    }

    async fn update_skill(
        &self,
        request: Request<pb::UpdateSkillRequest>,
    ) -> Result<Response<pb::Skill>, Status> {
        let principal = principal(&request)?;
        let (id, version, patch) = convert::skill_update(request.into_inner())?;
        let skill = self
            .app
            .update_skill(&principal, id, version, patch)
            .await?;
        Ok(Response::new(skill.into()))
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
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let page = self
                .app
                .list_skill_practices(principal, skill_id, dates, page)
                .await?;
            Ok(pb::ListSkillPracticesResponse {
                skill_practices: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
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
