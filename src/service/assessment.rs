//! `stepwise.v1.AssessmentService`: questionnaires, assignments and
//! results.

use tonic::{Request, Response, Status};

use super::fit::ListAnswer;
use super::request::{caller_and_id, caller_and_page, list};
use super::{convert, fit, principal};
use crate::app::App;
use crate::pb;

/// Implements `AssessmentService` over the use cases.
pub struct AssessmentApi {
    app: App,
}

impl AssessmentApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::assessment_service_server::AssessmentService for AssessmentApi {
    async fn list_instruments(
        &self,
        request: Request<pb::ListInstrumentsRequest>,
    ) -> Result<Response<pb::ListInstrumentsResponse>, Status> {
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_instruments(principal, page).await?;
            Ok(ListAnswer::new(
                page.items.into_iter().map(convert::instrument).collect(),
                page.next_page_token,
            ))
        })
        .await
    }

    async fn get_instrument(
        &self,
        request: Request<pb::GetInstrumentRequest>,
    ) -> Result<Response<pb::Instrument>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let version = request.get_ref().version;
        let instrument = self.app.get_instrument(&principal, id, version).await?;
        Ok(Response::new(convert::instrument(instrument)))
    }

    async fn create_instrument(
        &self,
        request: Request<pb::CreateInstrumentRequest>,
    ) -> Result<Response<pb::Instrument>, Status> {
        let principal = principal(&request)?;
        let instrument = convert::new_instrument(request.into_inner().instrument)?;
        let custom = self.app.create_instrument(&principal, instrument).await?;
        Ok(Response::new(convert::instrument(custom.into())))
    }

    async fn assign_assessment(
        &self,
        request: Request<pb::AssignAssessmentRequest>,
    ) -> Result<Response<pb::Assignment>, Status> {
        let principal = principal(&request)?;
        let new = convert::new_assignment(request.into_inner().assignment)?;
        let assignment = self.app.assign_assessment(&principal, new).await?;
        Ok(Response::new(assignment.into()))
    }

    async fn list_assignments(
        &self,
        request: Request<pb::ListAssignmentsRequest>,
    ) -> Result<Response<pb::ListAssignmentsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self
                .app
                .list_assignments(principal, client_id, request.show_cancelled, page)
                .await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }

    async fn cancel_assignment(
        &self,
        request: Request<pb::CancelAssignmentRequest>,
    ) -> Result<Response<pb::Assignment>, Status> {
        let (principal, id) = caller_and_id(&request)?;
        let version = request.get_ref().version;
        let assignment = self.app.cancel_assignment(&principal, id, version).await?;
        Ok(Response::new(assignment.into()))
    }

    async fn list_due_assessments(
        &self,
        request: Request<pb::ListDueAssessmentsRequest>,
    ) -> Result<Response<pb::ListDueAssessmentsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, as_of, page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::optional_date(&request.as_of_date, "as_of_date"),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let (day, page) = self
                .app
                .list_due_assessments(principal, client_id, as_of, page)
                .await?;
            Ok(pb::ListDueAssessmentsResponse {
                as_of_date: crate::domain::fields::format_date(day),
                due_assessments: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
    }

    async fn submit_assessment(
        &self,
        request: Request<pb::SubmitAssessmentRequest>,
    ) -> Result<Response<pb::AssessmentResult>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (draft, locale) = convert::all((
            convert::result_draft(request.result),
            convert::locale(&request.region, &request.language),
        ))?;
        let result = self.app.submit_assessment(&principal, draft).await?;
        let crisis = self.app.crisis_resources_after(&result.result, &locale);
        let mut answer = pb::AssessmentResult::from(result);
        answer.crisis_resources = crisis.map(convert::crisis_resources).unwrap_or_default();
        Ok(Response::new(answer))
    }

    async fn list_assessment_results(
        &self,
        request: Request<pb::ListAssessmentResultsRequest>,
    ) -> Result<Response<pb::ListAssessmentResultsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (client_id, instrument, dates, page) = convert::all((
            convert::client_or_caller(&request.client_id, "client_id", principal.account_id),
            convert::optional_id(&request.instrument_id, "instrument_id"),
            convert::date_range(&request.start_date, &request.end_date),
            convert::page(request.page_size, &request.page_token),
        ))?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self
                .app
                .list_assessment_results(principal, client_id, instrument, dates, page)
                .await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }
}
