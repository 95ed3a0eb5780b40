//! Goal attainment scaling: scales, levels, ratings and the T-score.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{new_id, new_meta, required, timestamp};
use crate::app::AttainmentStats;
use crate::domain::attainment::{AttainmentLevel, AttainmentScale, AttainmentScaleDraft};
use crate::domain::{AttainmentRating, fields};
use crate::error::{Result, Violations};
use crate::pb;

/// The API number of a level (1 for −2 ... 5 for +2).
fn level_number(level: AttainmentLevel) -> i32 {
    level as i32
}

/// A level sent as an API number; 0 (unspecified) and unknown numbers are
/// refused.
fn level(number: i32) -> Result<AttainmentLevel, String> {
    AttainmentLevel::try_from(number)
}

/// The attainment scale of a goal in a request, checked; every bad field
/// is recorded under `path` (`goal.attainment_scale`).
pub fn attainment_scale(
    api: Option<&pb::AttainmentScale>,
    path: &str,
    check: &mut Violations,
) -> Option<AttainmentScale> {
    let api = api?;
    let baseline_level = match api.baseline_level {
        0 => None,
        number => Some(level(number).unwrap_or_else(|unknown| {
            // Recorded here; a valid stand-in lets the draft's check report
            // the other fields (the caller's check fails either way).
            check.add(format!("{path}.baseline_level"), unknown);
            AttainmentLevel::LessThanExpected
        })),
    };
    let draft = AttainmentScaleDraft {
        much_less_than_expected: api.much_less_than_expected.clone(),
        less_than_expected: api.less_than_expected.clone(),
        expected: api.expected.clone(),
        more_than_expected: api.more_than_expected.clone(),
        much_more_than_expected: api.much_more_than_expected.clone(),
        weight: api.weight,
        baseline_level,
    };
    match draft.check() {
        Ok(scale) => Some(scale),
        Err(violations) => {
            check.extend_under(path, violations);
            None
        }
    }
}

impl From<AttainmentScale> for pb::AttainmentScale {
    fn from(scale: AttainmentScale) -> Self {
        let [much_less, less, expected, more, much_more] = scale.descriptions().clone();
        pb::AttainmentScale {
            much_less_than_expected: much_less,
            less_than_expected: less,
            expected,
            more_than_expected: more,
            much_more_than_expected: much_more,
            weight: scale.weight(),
            baseline_level: level_number(scale.baseline()),
        }
    }
}

/// A new attainment rating from a `RecordAttainmentRequest` (or a sync
/// upsert), and its local date if one was given; its client is the goal's,
/// filled in by the use case.
pub fn new_attainment(
    rating: Option<pb::AttainmentRating>,
) -> Result<(AttainmentRating, Option<NaiveDate>)> {
    let api = required(rating, "rating")?;
    let mut check = Violations::new();
    let id = new_id(&api.id, "rating.id", &mut check);
    let goal_id = check.check("rating.goal_id", fields::id(&api.goal_id));
    let level = check.check("rating.level", level(api.level));
    let local_date = check.check("rating.local_date", fields::optional_date(&api.local_date));
    check.finish()?;
    let rating = AttainmentRating {
        meta: new_meta(id, Uuid::nil()),
        goal_id,
        level,
        local_date: local_date.unwrap_or_default(),
    };
    Ok((rating, local_date))
}

impl From<AttainmentRating> for pb::AttainmentRating {
    fn from(rating: AttainmentRating) -> Self {
        let AttainmentRating {
            meta,
            goal_id,
            level,
            local_date,
        } = rating;
        pb::AttainmentRating {
            id: meta.id.to_string(),
            client_id: meta.client_id.to_string(),
            goal_id: goal_id.to_string(),
            level: level_number(level),
            local_date: fields::format_date(local_date),
            create_time: timestamp(meta.create_time_us),
            update_time: timestamp(meta.update_time_us),
            version: meta.version,
            created_by: meta.created_by.to_string(),
        }
    }
}

impl From<AttainmentStats> for pb::AttainmentStats {
    fn from(stats: AttainmentStats) -> Self {
        let AttainmentStats {
            t_score,
            goals_rated,
        } = stats;
        pb::AttainmentStats {
            t_score,
            goals_rated: i32::try_from(goals_rated).unwrap_or(i32::MAX),
        }
    }
}
