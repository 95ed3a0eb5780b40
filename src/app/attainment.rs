//! Goal attainment scaling: rating the level a goal reached against the
//! scale written for it (see [`crate::domain::attainment`]). The T-score is
//! part of progress ([`super::progress`]).

use chrono::NaiveDate;

use super::{Action, App, Principal};
use crate::domain::{AttainmentRating, Entity, Kind};
use crate::error::{Error, Result};

impl App {
    /// Records the level a goal reached on `local_date` (default: the
    /// client's today), by the client or a linked therapist. The goal must
    /// have an attainment scale.
    pub async fn record_attainment(
        &self,
        principal: &Principal,
        mut rating: AttainmentRating,
        local_date: Option<NaiveDate>,
    ) -> Result<AttainmentRating> {
        let field = "rating.goal_id";
        let goal = self
            .referenced(
                principal,
                Action::Feedback,
                rating.goal_id,
                Kind::Goal,
                field,
            )
            .await?;
        let Entity::Goal(goal) = goal else {
            return Err(Error::internal("kind changed"));
        };
        if goal.attainment_scale.is_none() {
            return Err(Error::NoAttainmentScale);
        }
        rating.meta.client_id = goal.meta.client_id;
        rating.local_date = self.day_or_today(goal.meta.client_id, local_date).await?;
        self.create(principal, rating, Some(field)).await
    }
}
