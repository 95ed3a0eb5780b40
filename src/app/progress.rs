//! Check-ins and self-efficacy ratings: what the client practised and how
//! confident they feel.

use chrono::NaiveDate;

use super::{Action, Principal};
use super::{App, check_version};
use crate::domain::{
    CheckIn, EfficacyRating, EntityKind, RatingTarget, Record, Role, replace_mutable_fields,
};
use crate::error::{Error, Result};
use crate::store::{Page, abort};

impl App {
    /// Logs a check-in; a second one for the same step and local date
    /// updates the first (keeping its id). `expected_version`, when not 0,
    /// must be the existing check-in's version.
    pub async fn log_check_in(
        &self,
        principal: &Principal,
        check_in: CheckIn,
        expected_version: i64,
    ) -> Result<CheckIn> {
        let field = "check_in.action_step_id";
        let step_id = check_in.action_step_id.clone();
        let step = self.referenced(
            principal,
            Action::Own,
            &step_id,
            EntityKind::ActionStep,
            field,
        )?;
        let mut check_in = check_in;
        check_in.meta.client_id = step.meta().client_id.clone();
        let logged = self
            .store
            .write(&principal.account_id, |tx| {
                if tx.live(&step_id, EntityKind::ActionStep).is_err() {
                    return abort(Error::invalid(field, "no action step with this id"));
                }
                match tx.check_in_on(&step_id, &check_in.local_date)? {
                    Some(existing_id) => {
                        let mut existing = tx.live(&existing_id, EntityKind::CheckIn)?;
                        check_version(&existing, expected_version)?;
                        let mut incoming = check_in.clone();
                        incoming.meta = existing.meta().clone();
                        if let Err(e) =
                            replace_mutable_fields(&mut existing, &incoming.into_entity())
                        {
                            return abort(e);
                        }
                        tx.update(existing)
                    }
                    // The caller expects a check-in that is not there (deleted
                    // since): the version it knows is not current.
                    None if expected_version != 0 => abort(Error::VersionMismatch {
                        what: "check-in",
                        expected: expected_version,
                        current: 0,
                    }),
                    None => tx.create(check_in.clone().into_entity()),
                }
            })
            .await?;
        CheckIn::from_entity(logged).ok_or_else(|| Error::internal("logged record changed kind"))
    }

    /// A page of an action step's check-ins between two dates (inclusive).
    pub fn list_check_ins(
        &self,
        principal: &Principal,
        step_id: &str,
        dates: (Option<NaiveDate>, Option<NaiveDate>),
        size: usize,
        token: &str,
    ) -> Result<Page<CheckIn>> {
        self.visible(principal, Action::Read, step_id, EntityKind::ActionStep)?;
        let mut page = self.store.list_check_ins(step_id, dates, size, token)?;
        if principal.role == Role::Therapist {
            page.items = page.items.into_iter().map(CheckIn::for_therapist).collect();
        }
        Ok(page)
    }

    /// Records a self-efficacy rating of a goal or action step.
    pub async fn record_rating(
        &self,
        principal: &Principal,
        mut rating: EfficacyRating,
    ) -> Result<EfficacyRating> {
        let (kind, field) = target_kind(rating.target.as_ref())?;
        let target_id = rating
            .target
            .as_ref()
            .map(|t| t.id().to_owned())
            .unwrap_or_default();
        let target = self.referenced(principal, Action::Own, &target_id, kind, field)?;
        rating.meta.client_id = target.meta().client_id.clone();
        self.create(principal, rating, |tx| match tx.live(&target_id, kind) {
            Ok(_) => Ok(()),
            Err(_) => abort(Error::invalid(
                field,
                format!("no {} with this id", kind.noun()),
            )),
        })
        .await
    }

    /// A page of the ratings of a goal or action step, oldest first.
    pub fn list_ratings(
        &self,
        principal: &Principal,
        target: &RatingTarget,
        size: usize,
        token: &str,
    ) -> Result<Page<EfficacyRating>> {
        let (kind, _) = target_kind(Some(target))?;
        self.visible(principal, Action::Read, target.id(), kind)?;
        self.store.list_ratings(target.id(), size, token)
    }
}

/// The kind of a rating's target and the request field naming it.
fn target_kind(target: Option<&RatingTarget>) -> Result<(EntityKind, &'static str)> {
    match target {
        Some(RatingTarget::GoalId(_)) => Ok((EntityKind::Goal, "rating.goal_id")),
        Some(RatingTarget::ActionStepId(_)) => {
            Ok((EntityKind::ActionStep, "rating.action_step_id"))
        }
        None => Err(Error::invalid(
            "rating.target",
            "set goal_id or action_step_id",
        )),
    }
}
