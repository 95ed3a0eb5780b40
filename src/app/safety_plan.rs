//! Safety plans: the client's current plan, and saving a new version of it
//! (see `crate::domain::SafetyPlan`). Every save, by this use case or by a
//! push, takes the revision after the current plan's inside its write, so
//! two saves from the same plan never both succeed.

use uuid::Uuid;

use super::{Action, App, PageRequest, Principal, records};
use crate::domain::{Entity, IntoEntity, Kind, Meta, Order, Patch, SafetyPlan, next_revision};
use crate::error::{Error, Result};
use crate::store::Tx;

impl App {
    /// The client's current plan, as the caller may see it; `NOT_FOUND`
    /// when there is none yet.
    pub async fn current_safety_plan(
        &self,
        principal: &Principal,
        client_id: Uuid,
    ) -> Result<SafetyPlan> {
        self.require(principal, Action::Read, client_id).await?;
        // Versions are kept newest first: the first is the current one.
        let newest = PageRequest { size: 1, token: "" };
        self.list::<SafetyPlan>(principal, client_id, (None, None), newest)
            .await?
            .items
            .into_iter()
            .next()
            .ok_or(Error::NotFound(Kind::SafetyPlan.noun()))
    }

    /// Saves, as a new version, the client's current plan (an empty one if
    /// there is none) with `edit` applied, if the caller may write the
    /// client's plan and `base` is the current plan's revision (0: none
    /// yet); `ABORTED` otherwise, and nothing is saved.
    pub async fn save_safety_plan(
        &self,
        principal: &Principal,
        client_id: Uuid,
        base: u32,
        edit: Patch<SafetyPlan>,
    ) -> Result<SafetyPlan> {
        self.require(principal, Action::Plan, client_id).await?;
        let saved = self
            .store
            .write(principal.account_id, move |tx| {
                let current = current_plan(tx, client_id)?;
                let revision = current.as_ref().map_or(0, |plan| plan.revision);
                if base != revision {
                    return Err(Error::VersionMismatch {
                        what: Kind::SafetyPlan.noun(),
                        expected: base.into(),
                        current: revision.into(),
                    });
                }
                let mut plan = current.clone().unwrap_or_default();
                edit.apply(&mut plan);
                plan.meta = Meta::new(Uuid::now_v7(), client_id);
                plan.revision = next_revision(current.as_ref());
                records::create(tx, plan.into_entity())
            })
            .await?;
        SafetyPlan::from_entity(saved).ok_or_else(|| Error::internal("saved plan changed kind"))
    }
}

/// The client's current plan: the first of their plans, which are kept
/// newest first (a bound of [`Order::Id`] is the start of the kind's
/// list).
pub(super) fn current_plan(tx: &mut Tx<'_>, client_id: Uuid) -> Result<Option<SafetyPlan>> {
    let Some(id) = tx.child_at(client_id, Kind::SafetyPlan, Order::Id)? else {
        return Ok(None);
    };
    match records::live(tx, id, Kind::SafetyPlan)? {
        Entity::SafetyPlan(plan) => Ok(Some(plan)),
        _ => Err(Error::internal("a safety plan's index names another kind")),
    }
}

/// The current plan, when `pushed` does not take the revision after it:
/// the push conflicts with that plan instead of saving a second one.
pub(super) fn superseded_by(tx: &mut Tx<'_>, pushed: &SafetyPlan) -> Result<Option<Entity>> {
    let current = current_plan(tx, pushed.meta.client_id)?;
    if pushed.follows(current.as_ref()) {
        return Ok(None);
    }
    match current {
        Some(current) => Ok(Some(current.into_entity())),
        // Nothing to conflict with: a device that believes in plans the
        // server never had.
        None => Err(Error::invalid(
            "safety_plan.revision",
            "the client has no safety plan yet: a first plan is revision 1",
        )),
    }
}
