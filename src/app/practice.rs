//! Check-ins and self-efficacy ratings: what the client practised and how
//! confident they feel.

use super::{Action, App, Principal, check_version, records};
use crate::domain::IntoEntity;
use crate::domain::{CheckIn, Editable, EfficacyRating, Entity, Kind, RatingTarget, Record};
use crate::error::{Error, Result};

impl App {
    /// Logs a check-in; a second one for the same step and local date
    /// updates the first (keeping its id). `expected_version`, when not 0,
    /// must be the existing check-in's version.
    pub async fn log_check_in(
        &self,
        principal: &Principal,
        mut check_in: CheckIn,
        expected_version: i64,
    ) -> Result<CheckIn> {
        let field = "check_in.action_step_id";
        let step_id = check_in.action_step_id;
        let step = self
            .referenced(principal, Action::Own, step_id, Kind::ActionStep, field)
            .await?;
        check_in.meta.client_id = step.meta().client_id;
        let logged = self
            .store
            .write(principal.account_id, move |tx| {
                if records::live(tx, step_id, Kind::ActionStep).is_err() {
                    return Err(Error::invalid(field, "no action step with this id"));
                }
                let slot = tx.child_at(step_id, Kind::CheckIn, check_in.order())?;
                match slot {
                    Some(existing_id) => {
                        let existing = records::live(tx, existing_id, Kind::CheckIn)?;
                        check_version(&existing, expected_version)?;
                        let Entity::CheckIn(mut existing) = existing else {
                            return Err(Error::internal("slot holds another kind"));
                        };
                        existing.replace_editable(&check_in);
                        records::update(tx, existing.into_entity())
                    }
                    // The caller expects a check-in that is not there (deleted
                    // since): the version it knows is not current.
                    None if expected_version != 0 => Err(Error::VersionMismatch {
                        what: "check-in",
                        expected: expected_version,
                        current: 0,
                    }),
                    None => records::create(tx, check_in.clone().into_entity()),
                }
            })
            .await?;
        CheckIn::from_entity(logged).ok_or_else(|| Error::internal("logged record changed kind"))
    }

    /// Records a self-efficacy rating of a goal or action step.
    pub async fn record_rating(
        &self,
        principal: &Principal,
        mut rating: EfficacyRating,
    ) -> Result<EfficacyRating> {
        let field = target_field(&rating.target);
        let target = self
            .referenced(
                principal,
                Action::Own,
                rating.target.id(),
                rating.target.kind(),
                field,
            )
            .await?;
        rating.meta.client_id = target.meta().client_id;
        self.create(principal, rating, Some(field)).await
    }
}

/// The request field naming a rating's target.
fn target_field(target: &RatingTarget) -> &'static str {
    match target {
        RatingTarget::Goal(_) => "rating.goal_id",
        RatingTarget::ActionStep(_) => "rating.action_step_id",
    }
}
