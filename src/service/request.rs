//! What every handler does with its request: find the caller the server's
//! auth layer attached to it, and, for the `Delete*` RPCs, the same rules
//! for every kind of record.

use tonic::{Request, Response, Status};

use super::convert;
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
pub(super) trait DeleteRequest {
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
pub(super) async fn delete<R: DeleteRequest>(
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
