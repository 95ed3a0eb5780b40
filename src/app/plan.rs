//! Goals and action steps: the care plan; and what every kind of record
//! shares: reading, listing and patching it.

use uuid::Uuid;

use super::{Action, App, PageRequest, Principal, action_for, check_version, records};
use crate::domain::IntoEntity;
use crate::domain::{ActionStep, Goal, Kind, Order, Patch};
use crate::error::{Error, Result};
use crate::store::Page;

impl App {
    /// Creates a goal for `goal.meta.client_id`.
    pub async fn create_goal(&self, principal: &Principal, goal: Goal) -> Result<Goal> {
        self.require(principal, Action::Plan, goal.meta.client_id)
            .await?;
        self.create(principal, goal, None).await
    }

    /// A goal.
    pub async fn get_goal(&self, principal: &Principal, id: Uuid) -> Result<Goal> {
        self.get(principal, id).await
    }

    /// A page of a client's goals, by id.
    pub async fn list_goals(
        &self,
        principal: &Principal,
        client_id: Uuid,
        page: PageRequest<'_>,
    ) -> Result<Page<Goal>> {
        self.require(principal, Action::Read, client_id).await?;
        self.list(principal, client_id, (None, None), page).await
    }

    /// Creates an action step under a goal the caller may plan for.
    pub async fn create_action_step(
        &self,
        principal: &Principal,
        mut step: ActionStep,
    ) -> Result<ActionStep> {
        let field = "action_step.goal_id";
        let goal = self
            .referenced(principal, Action::Plan, step.goal_id, Kind::Goal, field)
            .await?;
        step.meta.client_id = goal.meta().client_id;
        self.create(principal, step, Some(field)).await
    }

    /// A live record of type `R` the caller may read.
    pub(super) async fn get<R: IntoEntity>(&self, principal: &Principal, id: Uuid) -> Result<R> {
        // `visible` let through only records visible to the caller, so
        // `as_seen_by` blanks or hides, never makes a tombstone.
        let entity = self.visible(principal, Action::Read, id, R::KIND).await?;
        self.as_seen_by(principal, entity)
            .and_then(R::from_entity)
            .ok_or(Error::NotFound(R::KIND.noun()))
    }

    /// A page of the records of type `R` under `parent` within `within`, as
    /// the caller may see them; the caller's access was checked.
    pub(super) async fn list<R: IntoEntity>(
        &self,
        principal: &Principal,
        parent: Uuid,
        within: (Option<Order>, Option<Order>),
        page: PageRequest<'_>,
    ) -> Result<Page<R>> {
        self.list_where(principal, parent, within, page, |_| true)
            .await
    }

    /// As [`App::list`], of the records for which `wanted` holds.
    pub(super) async fn list_where<R: IntoEntity>(
        &self,
        principal: &Principal,
        parent: Uuid,
        within: (Option<Order>, Option<Order>),
        page: PageRequest<'_>,
        wanted: impl Fn(&R) -> bool + Send + Sync,
    ) -> Result<Page<R>> {
        // Records hidden from the caller are left out, not shown as
        // tombstones as a change feed does.
        let seen = |entity: crate::domain::Entity| {
            let listed = entity.visible_to(principal.account_id)
                && R::in_entity(&entity).is_some_and(&wanted);
            listed.then(|| self.as_seen_by(principal, entity)).flatten()
        };
        let page = self
            .store
            .children(parent, R::KIND, within, page.into(), &seen)
            .await?;
        Ok(Page {
            items: page.items.into_iter().filter_map(R::from_entity).collect(),
            next_page_token: page.next_page_token,
        })
    }

    /// Every record of type `R` under `parent` within `within`, as the
    /// caller may see them; the caller's access was checked.
    pub(super) async fn every<R: IntoEntity>(
        &self,
        principal: &Principal,
        parent: Uuid,
        within: (Option<Order>, Option<Order>),
    ) -> Result<Vec<R>> {
        super::all(|token| async move {
            let page = PageRequest {
                size: super::BATCH,
                token: &token,
            };
            self.list(principal, parent, within, page).await
        })
        .await
    }

    /// A record as `principal` may see it in a change feed: therapists see
    /// private text blanked, or not at all; the client, all but the care
    /// team's own notes; a record hidden from the caller (a comment on a
    /// private note, for anyone but its author) is a tombstone.
    pub(super) fn as_seen_by(
        &self,
        principal: &Principal,
        entity: crate::domain::Entity,
    ) -> Option<crate::domain::Entity> {
        let entity = if principal.is_client(entity.meta().client_id) {
            Some(entity.for_client())
        } else {
            entity.for_therapist()
        };
        entity.map(|entity| entity.seen_by(principal.account_id))
    }

    /// Stores a new record whose parent (if any) the caller may act on; if
    /// the parent is gone by the time the write runs, `INVALID_ARGUMENT` on
    /// `parent_field`.
    pub(super) async fn create<R: IntoEntity>(
        &self,
        principal: &Principal,
        record: R,
        parent_field: Option<&'static str>,
    ) -> Result<R> {
        let created = self
            .store
            .write(principal.account_id, move |tx| {
                if let (Some(field), crate::domain::Parent::Record(kind, parent)) =
                    (parent_field, record.parent())
                    && records::live(tx, parent, kind).is_err()
                {
                    return Err(Error::invalid(
                        field,
                        format!("no {} with this id", kind.noun()),
                    ));
                }
                records::create(tx, record.clone().into_entity())
            })
            .await?;
        R::from_entity(created).ok_or_else(|| Error::internal("created record changed kind"))
    }

    /// Applies `patch` to a live record of type `R` the caller may change
    /// (see [`action_for`]), if `version` is 0 or current; `prefix` is the
    /// request path of the record, for a change the kind refuses.
    pub(super) async fn patch<R: IntoEntity>(
        &self,
        principal: &Principal,
        (id, version): (Uuid, i64),
        patch: Patch<R>,
        prefix: &'static str,
    ) -> Result<R> {
        self.visible(principal, action_for(R::KIND), id, R::KIND)
            .await?;
        let updated = self
            .store
            .write(principal.account_id, move |tx| {
                let entity = records::live(tx, id, R::KIND)?;
                check_version(&entity, version)?;
                let current =
                    R::from_entity(entity).ok_or_else(|| Error::internal("kind changed"))?;
                let mut record = current.clone();
                patch.apply(&mut record);
                if let Some((field, why)) = current.refused_change(&record) {
                    return Err(Error::invalid(format!("{prefix}.{field}"), why));
                }
                records::update(tx, record.into_entity())
            })
            .await?;
        R::from_entity(updated).ok_or_else(|| Error::internal("updated record changed kind"))
    }
}
