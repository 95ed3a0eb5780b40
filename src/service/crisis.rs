//! `stepwise.v1.CrisisService`: where to get help in a crisis, for anyone
//! (the auth layer lets its calls through without a token).

use tonic::{Request, Response, Status};

use super::convert;
use crate::app::App;
use crate::pb;

/// Implements `CrisisService` over the use cases.
pub struct CrisisApi {
    app: App,
}

impl CrisisApi {
    /// The service over `app`.
    pub fn new(app: App) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl pb::crisis_service_server::CrisisService for CrisisApi {
    async fn get_crisis_resources(
        &self,
        request: Request<pb::GetCrisisResourcesRequest>,
    ) -> Result<Response<pb::GetCrisisResourcesResponse>, Status> {
        let request = request.into_inner();
        let locale = convert::locale(&request.region, &request.language)?;
        let list = self.app.crisis_resources(&locale);
        Ok(Response::new(list.into()))
    }
}
