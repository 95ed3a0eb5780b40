//! Goals and action steps: the care plan.

use super::App;
use super::{Action, Principal};
use crate::domain::{ActionStep, ActionStepPatch, EntityKind, Goal, GoalPatch, Record};
use crate::error::{Error, Result};
use crate::store::{Page, abort};

impl App {
    /// Creates a goal for `goal.meta.client_id`.
    pub async fn create_goal(&self, principal: &Principal, goal: Goal) -> Result<Goal> {
        principal.permit(Action::Plan)?;
        if !self.may(principal, Action::Plan, &goal.meta.client_id)? {
            return Err(Error::NotFound("client"));
        }
        self.create(principal, goal, |_| Ok(())).await
    }

    /// A goal.
    pub fn get_goal(&self, principal: &Principal, id: &str) -> Result<Goal> {
        self.get(principal, id)
    }

    /// A page of a client's goals.
    pub fn list_goals(
        &self,
        principal: &Principal,
        client_id: &str,
        size: usize,
        token: &str,
    ) -> Result<Page<Goal>> {
        principal.permit(Action::Read)?;
        if !self.may(principal, Action::Read, client_id)? {
            return Err(Error::NotFound("client"));
        }
        self.store.list_goals(client_id, size, token)
    }

    /// Changes a goal.
    pub async fn update_goal(
        &self,
        principal: &Principal,
        id: &str,
        version: i64,
        patch: GoalPatch,
    ) -> Result<Goal> {
        self.update_record(principal, id, version, |goal: &mut Goal| patch.apply(goal))
            .await
    }

    /// Creates an action step under a goal the caller may plan for.
    pub async fn create_action_step(
        &self,
        principal: &Principal,
        mut step: ActionStep,
    ) -> Result<ActionStep> {
        let field = "action_step.goal_id";
        let goal = self.referenced(
            principal,
            Action::Plan,
            &step.goal_id,
            EntityKind::Goal,
            field,
        )?;
        step.meta.client_id = goal.meta().client_id.clone();
        let goal_id = step.goal_id.clone();
        self.create(principal, step, |tx| {
            match tx.live(&goal_id, EntityKind::Goal) {
                Ok(_) => Ok(()),
                Err(_) => abort(Error::invalid(field, "no goal with this id")),
            }
        })
        .await
    }

    /// An action step.
    pub fn get_action_step(&self, principal: &Principal, id: &str) -> Result<ActionStep> {
        self.get(principal, id)
    }

    /// A page of a goal's action steps.
    pub fn list_action_steps(
        &self,
        principal: &Principal,
        goal_id: &str,
        size: usize,
        token: &str,
    ) -> Result<Page<ActionStep>> {
        self.visible(principal, Action::Read, goal_id, EntityKind::Goal)?;
        self.store.list_action_steps(goal_id, size, token)
    }

    /// Changes an action step.
    pub async fn update_action_step(
        &self,
        principal: &Principal,
        id: &str,
        version: i64,
        patch: ActionStepPatch,
    ) -> Result<ActionStep> {
        self.update_record(principal, id, version, |step: &mut ActionStep| {
            patch.apply(step)
        })
        .await
    }

    /// A live record of type `R` the caller may read.
    pub(super) fn get<R: Record>(&self, principal: &Principal, id: &str) -> Result<R> {
        let entity = self.visible(principal, Action::Read, id, R::KIND)?;
        R::from_entity(entity).ok_or(Error::NotFound(R::KIND.noun()))
    }

    /// Stores a new record after `precondition` holds inside the transaction.
    pub(super) async fn create<R: Record + Clone>(
        &self,
        principal: &Principal,
        record: R,
        precondition: impl Fn(&crate::store::Tx) -> crate::store::TxResult<()>,
    ) -> Result<R> {
        let created = self
            .store
            .write(&principal.account_id, |tx| {
                precondition(tx)?;
                tx.create(record.clone().into_entity())
            })
            .await?;
        R::from_entity(created).ok_or_else(|| Error::internal("created record changed kind"))
    }

    async fn update_record<R: Record>(
        &self,
        principal: &Principal,
        id: &str,
        version: i64,
        apply: impl Fn(&mut R),
    ) -> Result<R> {
        let updated = self
            .update(principal, id, R::KIND, version, |entity| {
                if let Some(mut record) = R::from_entity(entity.clone()) {
                    apply(&mut record);
                    *entity = record.into_entity();
                }
            })
            .await?;
        R::from_entity(updated).ok_or_else(|| Error::internal("updated record changed kind"))
    }
}
