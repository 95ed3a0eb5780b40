//! One file per gRPC service: authenticate, parse, call the use case, map
//! back. Thin: rules live in [`crate::app`] and [`crate::domain`].

pub mod account;
pub mod admin;
pub mod assessment;
pub mod backup;
pub mod care;
pub mod comment;
pub mod convert;
mod fit;
pub mod goal;
pub mod insight;
pub mod progress;
pub mod skill;
pub mod sync;

pub use account::AccountApi;
pub use admin::AdminApi;
pub use assessment::AssessmentApi;
pub use backup::BackupApi;
pub use care::CareApi;
pub use comment::CommentApi;
pub use goal::GoalApi;
pub use insight::InsightApi;
pub use progress::ProgressApi;
pub use skill::SkillApi;
pub use sync::SyncApi;

use tonic::{Request, Response, Status};

use crate::app::{App, Principal};
use crate::domain::Kind;
use crate::error::{Credentials, Error};
use crate::pb;

/// The principal that the server's auth layer attached to a request.
pub fn principal<T>(request: &Request<T>) -> Result<Principal, Status> {
    request
        .extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| Error::Unauthenticated(Credentials::Missing).into())
}

/// A request that deletes one record by id, optionally at a version.
trait DeleteRequest {
    fn id(&self) -> &str;
    fn version(&self) -> i64;
}

macro_rules! delete_request {
    ($($request:ty),*) => {$(
        impl DeleteRequest for $request {
            fn id(&self) -> &str {
                &self.id
            }
            fn version(&self) -> i64 {
                self.version
            }
        }
    )*};
}

delete_request!(
    pb::DeleteGoalRequest,
    pb::DeleteActionStepRequest,
    pb::DeleteCheckInRequest,
    pb::DeleteEfficacyRatingRequest,
    pb::DeleteSkillRequest,
    pb::DeleteSkillPracticeRequest,
    pb::DeleteThoughtRecordRequest
);

/// Every `Delete*` RPC: the same rules for every kind of record.
async fn delete<R: DeleteRequest>(
    app: &App,
    request: Request<R>,
    kind: Kind,
) -> Result<Response<()>, Status> {
    let principal = principal(&request)?;
    let id = convert::id(request.get_ref().id(), "id")?;
    app.delete(&principal, kind, id, request.get_ref().version())
        .await?;
    Ok(Response::new(()))
}
