//! Aggregates kept up to date in the same transaction as the records they
//! summarise, so progress and dashboards read a few small values instead
//! of a client's whole history: per step, the state of each day it was
//! checked in ([`StepTrack`], kept by calendar year so a check-in rewrites
//! one year's days); per client, each step, rating, assignment, assessment
//! result, goal attainment scale and attainment rating as progress and the
//! dashboard need it ([`ClientTrack`], one small entry each).
//!
//! Local days are fixed when a record is written, in the client's time zone
//! of that moment: a later change of time zone leaves recorded days as they
//! are.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::assignments::AssignmentSchedule;
use super::attainment::AttainmentLevel;
use super::{
    ActionStep, ActionStepStatus, AssessmentResult, Assignment, AttainmentRating, CheckIn,
    CheckInState, EfficacyRating, RatingTarget, Schedule,
};
use crate::encoding::Stored;

/// A step's check-ins, by local day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepTrack {
    /// Each day with a check-in.
    pub days: BTreeMap<NaiveDate, TrackedDay>,
}

/// What a day's check-in says about the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedDay {
    /// What happened.
    pub state: CheckInState,
    /// When the check-in was first logged, microseconds since the Unix
    /// epoch.
    pub logged_us: i64,
}

impl StepTrack {
    /// Takes a logged or changed check-in into account.
    pub fn set(&mut self, check_in: &CheckIn) {
        self.days.insert(
            check_in.local_date,
            TrackedDay {
                state: check_in.state,
                logged_us: check_in.meta.create_time_us,
            },
        );
    }

    /// Forgets the check-in of a day (it was deleted).
    pub fn remove(&mut self, day: NaiveDate) {
        self.days.remove(&day);
    }
}

/// The calendar year of `day`: the bucket of a step's track that holds it.
pub fn track_year(day: NaiveDate) -> i32 {
    chrono::Datelike::year(&day)
}

/// A client's records, as progress and the dashboard need them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientTrack {
    /// Live steps, by id.
    pub steps: BTreeMap<Uuid, TrackedStep>,
    /// Live ratings, by id.
    pub ratings: BTreeMap<Uuid, TrackedRating>,
    /// Questionnaire assignments, active and cancelled, by id.
    pub assignments: BTreeMap<Uuid, TrackedAssignment>,
    /// Assessment results, by id.
    pub results: BTreeMap<Uuid, TrackedResult>,
    /// The live goals that have an attainment scale, by id.
    pub scales: BTreeMap<Uuid, TrackedScale>,
    /// Live attainment ratings, by id.
    pub attainments: BTreeMap<Uuid, TrackedAttainment>,
}

/// A questionnaire assignment, as due dates need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedAssignment {
    /// The instrument assigned.
    pub instrument_id: Uuid,
    /// Its due dates.
    pub schedule: AssignmentSchedule,
}

impl TrackedAssignment {
    /// `assignment` as due dates need it.
    pub fn of(assignment: &Assignment) -> Self {
        Self {
            instrument_id: assignment.instrument_id,
            schedule: assignment.schedule,
        }
    }
}

/// An assessment result, as change and summaries need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedResult {
    /// The instrument answered.
    pub instrument_id: Uuid,
    /// The day answered.
    pub local_date: NaiveDate,
    /// When it was submitted, microseconds since the Unix epoch: the order
    /// of results of one day.
    pub submitted_us: i64,
    /// The sum of the answers.
    pub total: u32,
    /// Whether an answer signals a risk of self-harm (PHQ-9 item 9).
    pub self_harm: bool,
}

impl TrackedResult {
    /// `result` as change and summaries need it.
    pub fn of(result: &AssessmentResult) -> Self {
        Self {
            instrument_id: result.instrument_id,
            local_date: result.local_date,
            submitted_us: result.meta.create_time_us,
            total: result.total(),
            self_harm: result.signals_self_harm(),
        }
    }
}

/// A goal's attainment scale, as the T-score needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedScale {
    /// The goal's weight.
    pub weight: u32,
}

/// An attainment rating, as the T-score needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedAttainment {
    /// The goal rated.
    pub goal_id: Uuid,
    /// The day rated.
    pub local_date: NaiveDate,
    /// When it was recorded, microseconds since the Unix epoch: the order
    /// of ratings of one day.
    pub recorded_us: i64,
    /// The level reached.
    pub level: AttainmentLevel,
}

impl TrackedAttainment {
    /// `rating` as the T-score needs it.
    pub fn of(rating: &AttainmentRating) -> Self {
        Self {
            goal_id: rating.goal_id,
            local_date: rating.local_date,
            recorded_us: rating.meta.create_time_us,
            level: rating.level,
        }
    }
}

impl TrackedStep {
    /// `step` as progress needs it; a step first seen takes its start day
    /// from its creation, in the client's time zone `zone` (`known`: what
    /// the aggregate already holds, whose start day stays).
    pub fn of(step: &ActionStep, known: Option<TrackedStep>, zone: Tz) -> Self {
        Self {
            goal_id: step.goal_id,
            schedule: step.schedule,
            status: step.status,
            start_day: known.map_or_else(
                || local_day(step.meta.create_time_us, zone),
                |known| known.start_day,
            ),
        }
    }
}

impl TrackedRating {
    /// `rating` as progress needs it, its day in the client's time zone.
    pub fn of(rating: &EfficacyRating, zone: Tz) -> Self {
        Self {
            target: rating.target,
            rate_time_us: rating.rate_time_us,
            local_day: local_day(rating.rate_time_us, zone),
            score: rating.score,
        }
    }
}

/// The local day in `zone` of a time in microseconds since the Unix epoch.
pub fn local_day(micros: i64, zone: Tz) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap_or_default()
        .with_timezone(&zone)
        .date_naive()
}

/// A step, as progress needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedStep {
    /// Its goal.
    pub goal_id: Uuid,
    /// How often it is due.
    pub schedule: Schedule,
    /// Whether it is practised.
    pub status: ActionStepStatus,
    /// The client's local day on which it was created.
    pub start_day: NaiveDate,
}

/// A self-efficacy rating, as progress needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Stored)]
pub struct TrackedRating {
    /// What is rated.
    pub target: RatingTarget,
    /// When it was given, microseconds since the Unix epoch.
    pub rate_time_us: i64,
    /// The client's local day when it was given.
    pub local_day: NaiveDate,
    /// 0 to 100.
    pub score: u8,
}

impl ClientTrack {
    /// The ids of the client's goals that have ratings.
    pub fn rated_goals(&self) -> Vec<Uuid> {
        let mut goals: Vec<Uuid> = self
            .ratings
            .values()
            .filter_map(|r| match r.target {
                RatingTarget::Goal(goal) => Some(goal),
                RatingTarget::ActionStep(_) => None,
            })
            .collect();
        goals.sort_unstable();
        goals.dedup();
        goals
    }
}
