//! The use cases every kind of client-owned record has, with the rules its
//! kind declares (`crate::domain::records`): who writes it
//! ([`crate::domain::Record::AUTHORS`]), what a therapist sees of it, which
//! fields change. A kind with no rules beyond those (a journal entry) needs
//! no use case of its own.

use uuid::Uuid;

use super::{Action, App, PageRequest, Principal, action_for};
use crate::domain::{IntoEntity, Kind, Order, Patch};
use crate::error::Result;
use crate::store::Page;

impl App {
    /// Creates a record for the client it names, if the caller may write
    /// the kind for that client.
    pub async fn create_record<R: IntoEntity>(
        &self,
        principal: &Principal,
        record: R,
    ) -> Result<R> {
        self.require(principal, action_for(R::KIND), record.meta().client_id)
            .await?;
        self.create(principal, record, None).await
    }

    /// A record as the caller may see it; `NOT_FOUND` if they may not.
    pub async fn get_record<R: IntoEntity>(&self, principal: &Principal, id: Uuid) -> Result<R> {
        self.get(principal, id).await
    }

    /// A page of a client's records of the kind within `within`, in order,
    /// as the caller may see them.
    pub async fn list_records<R: IntoEntity>(
        &self,
        principal: &Principal,
        client_id: Uuid,
        within: (Option<Order>, Option<Order>),
        page: PageRequest<'_>,
    ) -> Result<Page<R>> {
        self.require(principal, Action::Read, client_id).await?;
        self.list(principal, client_id, within, page).await
    }

    /// A page of the records of kind `R` under the live record `parent`
    /// (a check-in's step, a comment's target) within `within`, in order,
    /// as the caller may see them; `NOT_FOUND` on the parent otherwise.
    pub async fn list_children<R: IntoEntity>(
        &self,
        principal: &Principal,
        (parent_kind, parent): (Kind, Uuid),
        within: (Option<Order>, Option<Order>),
        page: PageRequest<'_>,
    ) -> Result<Page<R>> {
        self.visible(principal, Action::Read, parent, parent_kind)
            .await?;
        self.list(principal, parent, within, page).await
    }

    /// Changes a record the caller may write, if `version` is 0 or current;
    /// a change its kind refuses is reported under `record_path`, the
    /// request field that carries the record.
    pub async fn update_record<R: IntoEntity>(
        &self,
        principal: &Principal,
        (id, version): (Uuid, i64),
        patch: Patch<R>,
        record_path: &'static str,
    ) -> Result<R> {
        self.patch(principal, (id, version), patch, record_path)
            .await
    }
}
