//! `stepwise.v1.AdminService`: the administrators' audit trail.

use tonic::{Request, Response, Status};

use super::convert;
use super::fit;
use super::principal;
use crate::app::App;
use crate::pb;

/// Implements `AdminService` over the use cases.
pub struct AdminApi {
    app: App,
}

impl AdminApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::admin_service_server::AdminService for AdminApi {
    async fn list_admin_events(
        &self,
        request: Request<pb::ListAdminEventsRequest>,
    ) -> Result<Response<pb::ListAdminEventsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.get_ref();
        let page = convert::page(request.page_size, &request.page_token)?;
        let principal = &principal;
        let answer = fit::page(page, |page| async move {
            let page = self.app.list_admin_events(principal, page).await?;
            Ok(pb::ListAdminEventsResponse {
                admin_events: page.items.into_iter().map(Into::into).collect(),
                next_page_token: page.next_page_token,
            })
        });
        Ok(Response::new(answer.await?))
    }
}
