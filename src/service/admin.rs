//! `stepwise.v1.AdminService`: the administrators' audit trail.

use tonic::{Request, Response, Status};

use super::fit::ListAnswer;
use super::request::{caller_and_page, list};
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
        let (principal, page) = caller_and_page(&request)?;
        let principal = &principal;
        list(page, |page| async move {
            let page = self.app.list_admin_events(principal, page).await?;
            Ok(ListAnswer::new(page.items, page.next_page_token))
        })
        .await
    }
}
