//! Self-efficacy ratings.

use uuid::Uuid;

use super::{id, micros, new_id, new_meta, required, timestamp};
use crate::domain::{EfficacyRating, RatingTarget, fields};
use crate::error::{Error, Result, Violations};
use crate::pb;

/// A new rating from a `RecordEfficacyRatingRequest` (or a sync upsert);
/// without a rate time it was given at `now_us`.
pub fn new_rating(rating: Option<pb::EfficacyRating>, now_us: i64) -> Result<EfficacyRating> {
    use pb::efficacy_rating::Target;
    let api = required(rating, "rating")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "rating.id", &mut check);
    let target = match &api.target {
        Some(Target::GoalId(goal)) => {
            RatingTarget::Goal(check.check("rating.goal_id", fields::id(goal)))
        }
        Some(Target::ActionStepId(step)) => {
            RatingTarget::ActionStep(check.check("rating.action_step_id", fields::id(step)))
        }
        None => {
            check.add("rating.target", "set goal_id or action_step_id");
            RatingTarget::default()
        }
    };
    let score = check.check("rating.score", fields::score(api.score));
    let note = check.check("rating.note", fields::note(&api.note));
    let rate_time_us = match &api.rate_time {
        Some(ts) => check.check(
            "rating.rate_time",
            micros(ts).and_then(|us| fields::rate_time(us, now_us)),
        ),
        None => now_us,
    };
    check.finish()?;
    Ok(EfficacyRating {
        meta: new_meta(id, Uuid::nil()),
        target,
        score,
        note,
        rate_time_us,
    })
}

/// The target of a `ListEfficacyRatingsRequest`.
pub fn rating_target(
    target: Option<pb::list_efficacy_ratings_request::Target>,
) -> Result<RatingTarget> {
    use pb::list_efficacy_ratings_request::Target;
    match target {
        Some(Target::GoalId(goal)) => Ok(RatingTarget::Goal(id(&goal, "goal_id")?)),
        Some(Target::ActionStepId(step)) => {
            Ok(RatingTarget::ActionStep(id(&step, "action_step_id")?))
        }
        None => Err(Error::invalid("target", "set goal_id or action_step_id")),
    }
}

impl From<EfficacyRating> for pb::EfficacyRating {
    fn from(rating: EfficacyRating) -> Self {
        use pb::efficacy_rating::Target;
        let EfficacyRating {
            meta,
            target,
            score,
            note,
            rate_time_us,
        } = rating;
        pb::EfficacyRating {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            target: Some(match target {
                RatingTarget::Goal(id) => Target::GoalId(id.to_string()),
                RatingTarget::ActionStep(id) => Target::ActionStepId(id.to_string()),
            }),
            score: i32::from(score),
            note,
            rate_time: timestamp(rate_time_us),
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
        }
    }
}
