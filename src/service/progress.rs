//! `stepwise.v1.ProgressService`: check-ins, self-efficacy ratings, goal
//! attainment ratings and progress.

use tonic::{Request, Response, Status};

use super::convert;
use super::principal;
use super::request::list_children;
use crate::app::App;
use crate::domain::{AttainmentRating, CheckIn, EfficacyRating, Kind, Order};
use crate::pb;

/// Implements `ProgressService` over the use cases.
pub struct ProgressApi {
    app: App,
}

impl ProgressApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::progress_service_server::ProgressService for ProgressApi {
    async fn log_check_in(
        &self,
        request: Request<pb::LogCheckInRequest>,
    ) -> Result<Response<pb::CheckIn>, Status> {
        let principal = principal(&request)?;
        let (check_in, version) = convert::new_check_in(request.into_inner().check_in)?;
        let check_in = self.app.log_check_in(&principal, check_in, version).await?;
        Ok(Response::new(check_in.into()))
    }

    async fn list_check_ins(
        &self,
        request: Request<pb::ListCheckInsRequest>,
    ) -> Result<Response<pb::ListCheckInsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (step_id, dates, page) = convert::all((
            convert::id(&request.action_step_id, "action_step_id"),
            convert::date_range(&request.start_date, &request.end_date),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let within = (dates.0.map(Order::Day), dates.1.map(Order::Day));
        list_children::<CheckIn, _>(
            &self.app,
            &principal,
            (Kind::ActionStep, step_id),
            within,
            page,
        )
        .await
    }

    async fn delete_check_in(
        &self,
        request: Request<pb::DeleteCheckInRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::CheckIn).await
    }

    async fn record_efficacy_rating(
        &self,
        request: Request<pb::RecordEfficacyRatingRequest>,
    ) -> Result<Response<pb::EfficacyRating>, Status> {
        let principal = principal(&request)?;
        let rating = convert::new_rating(request.into_inner().rating, self.app.now_micros())?;
        let rating = self.app.record_rating(&principal, rating).await?;
        Ok(Response::new(rating.into()))
    }

    async fn list_efficacy_ratings(
        &self,
        request: Request<pb::ListEfficacyRatingsRequest>,
    ) -> Result<Response<pb::ListEfficacyRatingsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (target, page) = convert::all((
            convert::rating_target(request.target),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let parent = (target.kind(), target.id());
        list_children::<EfficacyRating, _>(&self.app, &principal, parent, (None, None), page).await
    }

    async fn delete_efficacy_rating(
        &self,
        request: Request<pb::DeleteEfficacyRatingRequest>,
    ) -> Result<Response<()>, Status> {
        super::delete(&self.app, request, Kind::EfficacyRating).await
    }

    async fn get_progress(
        &self,
        request: Request<pb::GetProgressRequest>,
    ) -> Result<Response<pb::Progress>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (target, as_of) = convert::all((
            convert::progress_target(request.target),
            convert::optional_date(&request.as_of_date, "as_of_date"),
        ))?;
        let report = self.app.get_progress(&principal, target, as_of).await?;
        Ok(Response::new(report.into()))
    }

    async fn record_attainment(
        &self,
        request: Request<pb::RecordAttainmentRequest>,
    ) -> Result<Response<pb::AttainmentRating>, Status> {
        let principal = principal(&request)?;
        let (rating, local_date) = convert::new_attainment(request.into_inner().rating)?;
        let rating = self
            .app
            .record_attainment(&principal, rating, local_date)
            .await?;
        Ok(Response::new(rating.into()))
    }

    async fn list_attainments(
        &self,
        request: Request<pb::ListAttainmentsRequest>,
    ) -> Result<Response<pb::ListAttainmentsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (goal_id, page) = convert::all((
            convert::id(&request.goal_id, "goal_id"),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let parent = (Kind::Goal, goal_id);
        list_children::<AttainmentRating, _>(&self.app, &principal, parent, (None, None), page)
            .await
    }

    async fn list_upcoming_reminders(
        &self,
        request: Request<pb::ListUpcomingRemindersRequest>,
    ) -> Result<Response<pb::ListUpcomingRemindersResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let now =
            chrono::DateTime::from_timestamp_micros(self.app.now_micros()).unwrap_or_default();
        let (client, (span, count)) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::upcoming_reminders(&request, now),
        ))?;
        let (zone, firings) = self
            .app
            .upcoming_reminders(&principal, client, span, count)
            .await?;
        Ok(Response::new(pb::ListUpcomingRemindersResponse {
            upcoming_reminders: firings.into_iter().map(Into::into).collect(),
            time_zone: zone.name().to_owned(),
        }))
    }
}
