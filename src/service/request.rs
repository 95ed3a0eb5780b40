//! What every handler does with its request: find the caller the server's
//! auth layer attached to it, read the fields requests of one shape share
//! (an id, a page), answer a page with as much as fits in a message, and,
//! for the records of every kind, the same `Create`/`Get`/`List`/`Update`/
//! `Delete` handlers over the generic use cases ([`crate::app`]'s
//! `any_kind`).

use std::future::Future;

use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert;
use super::fit::{self, ListAnswer, Paged};
use crate::app::{App, PageRequest, Principal};
use crate::domain::{IntoEntity, Kind, Order, Patch};
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

/// A request that names one record (or account, token, care link) by id.
pub(super) trait IdRequest {
    fn id(&self) -> &str;
}

/// A request that deletes one record by id, optionally at a version.
pub(super) trait DeleteRequest: IdRequest {
    fn version(&self) -> i64;
}

/// [`IdRequest`] for requests with an `id` field.
macro_rules! id_request {
    ($($request:ty),* $(,)?) => {$(
        impl $crate::service::request::IdRequest for $request {
            fn id(&self) -> &str {
                &self.id
            }
        }
    )*};
}

/// [`DeleteRequest`] for requests with `id` and `version` fields.
macro_rules! delete_request {
    ($($request:ty),* $(,)?) => {$(
        $crate::service::request::id_request!($request);
        impl $crate::service::request::DeleteRequest for $request {
            fn version(&self) -> i64 {
                self.version
            }
        }
    )*};
}

/// A request for a page of a list.
pub(super) trait PagedRequest {
    /// `page_size` and `page_token`.
    fn page(&self) -> (i32, &str);
}

/// [`PagedRequest`] for requests with `page_size` and `page_token` fields.
macro_rules! paged_request {
    ($($request:ty),* $(,)?) => {$(
        impl $crate::service::request::PagedRequest for $request {
            fn page(&self) -> (i32, &str) {
                (self.page_size, &self.page_token)
            }
        }
    )*};
}

/// A request for a page of one client's records of a kind (the caller's
/// by default), between two dates for a kind kept in date order.
pub(super) trait ListRecordsRequest: PagedRequest {
    fn client_id(&self) -> &str;
    /// `start_date` and `end_date`; none for a kind kept in id order.
    fn dates(&self) -> (&str, &str) {
        ("", "")
    }
}

/// [`ListRecordsRequest`] for requests with `client_id`, `page_size` and
/// `page_token` fields, and the two date fields named after them, if any.
macro_rules! list_records_request {
    ($request:ty $(, $start:ident..$end:ident)?) => {
        $crate::service::request::paged_request!($request);
        impl $crate::service::request::ListRecordsRequest for $request {
            fn client_id(&self) -> &str {
                &self.client_id
            }
            $(fn dates(&self) -> (&str, &str) {
                (&self.$start, &self.$end)
            })?
        }
    };
}
pub(super) use {delete_request, id_request, list_records_request, paged_request};

delete_request!(
    pb::DeleteGoalRequest,
    pb::DeleteActionStepRequest,
    pb::DeleteCheckInRequest,
    pb::DeleteEfficacyRatingRequest,
    pb::DeleteSkillRequest,
    pb::DeleteSkillPracticeRequest,
    pb::DeleteThoughtRecordRequest,
);

id_request!(
    pb::GetGoalRequest,
    pb::GetActionStepRequest,
    pb::GetSkillRequest,
    pb::GetThoughtRecordRequest,
    pb::RevokeTokenRequest,
    pb::RevokeSessionRequest,
    pb::DisableAccountRequest,
    pb::EnableAccountRequest,
    pb::RevokeCareLinkRequest,
    pb::GetInstrumentRequest,
    pb::CancelAssignmentRequest,
    pb::DeleteCommentRequest,
);

paged_request!(
    pb::ListTokensRequest,
    pb::AuthServiceListSessionsRequest,
    pb::ListSecurityEventsRequest,
    pb::ListAccountsRequest,
    pb::ListAdminEventsRequest,
    pb::ListInstrumentsRequest,
    pb::ListCareLinksRequest,
    pb::ListAccessEventsRequest,
    pb::ListInvitesRequest,
);

list_records_request!(pb::ListGoalsRequest);
list_records_request!(pb::ListSkillsRequest);
list_records_request!(pb::ListThoughtRecordsRequest, start_date..end_date);

/// The caller and the record a request names by id.
pub(super) fn caller_and_id<R: IdRequest>(
    request: &Request<R>,
) -> Result<(Principal, Uuid), Status> {
    let principal = principal(request)?;
    let id = convert::id(request.get_ref().id(), "id")?;
    Ok((principal, id))
}

/// The caller and the page a request asks for.
pub(super) fn caller_and_page<R: PagedRequest>(
    request: &Request<R>,
) -> Result<(Principal, PageRequest<'_>), Status> {
    let principal = principal(request)?;
    let (size, token) = request.get_ref().page();
    Ok((principal, convert::page(size, token)?))
}

/// The answer `read` makes of the page at `page`, with as many of its
/// items as fit in a message (see [`fit::page`]).
pub(super) async fn list<'a, A, F, Fut>(
    page: PageRequest<'a>,
    read: F,
) -> Result<Response<A>, Status>
where
    A: Paged,
    F: FnMut(PageRequest<'a>) -> Fut,
    Fut: Future<Output = crate::error::Result<A>>,
{
    Ok(Response::new(fit::page(page, read).await?))
}

/// A list of the records of kind `R` under `parent` within `within`: the
/// check-ins of a step, the comments on a record, the ratings of a goal.
pub(super) async fn list_children<R, A>(
    app: &App,
    principal: &Principal,
    parent: (Kind, Uuid),
    within: (Option<Order>, Option<Order>),
    page: PageRequest<'_>,
) -> Result<Response<A>, Status>
where
    R: IntoEntity + Into<A::Item>,
    A: ListAnswer,
{
    list(page, |page| async move {
        let page = app
            .list_children::<R>(principal, parent, within, page)
            .await?;
        Ok(ListAnswer::new(page.items, page.next_page_token))
    })
    .await
}

/// Every `Create*` RPC of a kind with no rules of its own: `parse` makes
/// the record of the request for the caller (whose id it takes as the
/// default client).
pub(super) async fn create<R, A, Q>(
    app: &App,
    request: Request<Q>,
    parse: impl FnOnce(Uuid, Q) -> crate::error::Result<R>,
) -> Result<Response<A>, Status>
where
    R: IntoEntity,
    A: From<R>,
{
    let principal = principal(&request)?;
    let record = parse(principal.account_id, request.into_inner())?;
    let record = app.create_record(&principal, record).await?;
    Ok(Response::new(record.into()))
}

/// Every `Get*` RPC of a record of kind `R`, as the caller may see it.
pub(super) async fn get<R, A>(
    app: &App,
    request: Request<impl IdRequest>,
) -> Result<Response<A>, Status>
where
    R: IntoEntity,
    A: From<R>,
{
    let (principal, id) = caller_and_id(&request)?;
    let record: R = app.get_record(&principal, id).await?;
    Ok(Response::new(record.into()))
}

/// Every `List*` RPC of a client's records of kind `R`.
pub(super) async fn list_records<R, A>(
    app: &App,
    request: Request<impl ListRecordsRequest>,
) -> Result<Response<A>, Status>
where
    R: IntoEntity + Into<A::Item>,
    A: ListAnswer,
{
    let principal = principal(&request)?;
    let request = request.get_ref();
    let ((start, end), (size, token)) = (request.dates(), request.page());
    let (client_id, (start, end), page) = convert::all((
        convert::client_or_caller(request.client_id(), "client_id", principal.account_id),
        convert::date_range(start, end),
        convert::page(size, token),
    ))?;
    let within = (start.map(Order::Day), end.map(Order::Day));
    let principal = &principal;
    list(page, |page| async move {
        let page = app
            .list_records::<R>(principal, client_id, within, page)
            .await?;
        Ok(ListAnswer::new(page.items, page.next_page_token))
    })
    .await
}

/// Every `Update*` RPC of a kind with no rules of its own: `parse` reads
/// the request's id, version and change; `record_path` is the request
/// field that carries the record.
pub(super) async fn update<R, A, Q>(
    app: &App,
    request: Request<Q>,
    parse: impl FnOnce(Q) -> crate::error::Result<(Uuid, i64, Patch<R>)>,
    record_path: &'static str,
) -> Result<Response<A>, Status>
where
    R: IntoEntity,
    A: From<R>,
{
    let principal = principal(&request)?;
    let (id, version, patch) = parse(request.into_inner())?;
    let record = app
        .update_record(&principal, (id, version), patch, record_path)
        .await?;
    Ok(Response::new(record.into()))
}

/// Every `Delete*` RPC: the same rules for every kind of record.
pub(super) async fn delete<R: DeleteRequest>(
    app: &App,
    request: Request<R>,
    kind: Kind,
) -> Result<Response<()>, Status> {
    let (principal, id) = caller_and_id(&request)?;
    app.delete(&principal, kind, id, request.get_ref().version())
        .await?;
    Ok(Response::new(()))
}
